"""Gmail and Graph against a service that misbehaves without end (an attacker's review): pages
that come round again, pages that never stop, history that does not move on. The real clients
over HTTPS against the stand-ins, whose scripted answers (``fail_next`` with a 200) play the
hostile service; nothing of MailDesk's is patched."""

import pytest

from maildesk_mail_client.infrastructure import oauth_flow
from maildesk_mail_client.infrastructure.providers.base import ProviderError
from maildesk_mail_client.infrastructure.providers.gmail import GmailProvider
from maildesk_mail_client.infrastructure.providers.graph_api import GraphApiClient, MsalTokens
from maildesk_mail_client.infrastructure.providers.http_api import (
    MAX_CALL_WAIT,
    MAX_PAGES,
    Backoff,
    PageWalk,
    QuotaMeter,
    Throttled,
)
from maildesk_mail_client.tests.standins import (
    GoogleStandIn,
    MicrosoftStandIn,
    RecordedSleeps,
    ca_environment,
)
from maildesk_mail_client.tests.standins.google import gmail_error
from maildesk_mail_client.tests.standins.microsoft import THROTTLED

GMAIL_ID = "a" * 16
RATE_LIMITED = gmail_error(429, "Too many requests", "rateLimitExceeded", "RESOURCE_EXHAUSTED")


@pytest.fixture
def google(monkeypatch):
    ca_environment(monkeypatch)
    with GoogleStandIn(messages=20, units_per_second=None) as standin:
        yield standin


@pytest.fixture
def microsoft(monkeypatch):
    ca_environment(monkeypatch)
    with MicrosoftStandIn(messages=20) as standin:
        yield standin


@pytest.fixture
def gmail(google):
    provider = GmailProvider(
        google.owner, None, google.grant(), 0, google.client_id, google.client_secret,
        token_uri=google.base_url + "/token", api_endpoint=google.base_url,
        quota=QuotaMeter(), backoff=Backoff(sleep=RecordedSleeps()),
    )
    with provider:
        yield provider


@pytest.fixture
def graph(microsoft):
    client = oauth_flow.MicrosoftClient(
        microsoft.client_id, microsoft.client_secret, "https://odoo.example/cb",
        authority_host=microsoft.base_url,
    )
    tokens = MsalTokens(oauth_flow.microsoft_app(client), microsoft.grant(), client.scopes)
    tokens.access_token()  # signed in before the scripted answers start
    return GraphApiClient(
        tokens, microsoft.owner, base_url=microsoft.base_url + "/v1.0",
        backoff=Backoff(sleep=RecordedSleeps()),
    )


def scripted(standin, *pages):
    """The next calls get these pages (status 200), one each, whatever they ask for."""
    for page in pages:
        standin.fail_next(1, 200, page)


def api_calls(standin, prefix):
    return [c for c in standin.calls if c.path.startswith(prefix)]


def history_record(number):
    return {"id": str(number), "messagesAdded": [{"message": {"id": GMAIL_ID, "labelIds": ["INBOX"]}}]}


# -- pages that come round again ------------------------------------------------------------
def test_graph_folders_stop_when_the_same_next_link_comes_again(microsoft, graph):
    looping = {"value": [], "@odata.nextLink": graph.prefix + "/mailFolders?$skiptoken=SAME"}
    scripted(microsoft, *[looping] * 5)
    microsoft.clear_calls()
    with pytest.raises(ProviderError, match="Microsoft Graph keeps sending the same page"):
        graph.folders()
    assert len(api_calls(microsoft, "/v1.0/")) == 2  # the link followed once, refused the second time
    microsoft.forced.clear()
    assert "Inbox" in {f.path for f in graph.folders()}  # the next listing is a listing again


def test_graph_search_and_delta_stop_when_the_same_next_link_comes_again(microsoft, graph):
    inbox = microsoft.mailbox().well_known["inbox"]
    looping = {"value": [], "@odata.nextLink": graph.prefix + "/mailFolders/x/messages?$skip=10"}
    scripted(microsoft, *[looping] * 5)
    with pytest.raises(ProviderError, match="keeps sending the same page"):
        graph.search(inbox, "hello", limit=10)
    microsoft.forced.clear()
    scripted(microsoft, *[looping] * 5)
    with pytest.raises(ProviderError, match="keeps sending the same page"):
        list(graph.delta(inbox))
    microsoft.forced.clear()


def test_gmail_history_stops_when_the_same_page_token_comes_again(google, gmail):
    folders = gmail.list_folders()
    cursor = gmail.account_cursor()
    page = {"history": [history_record(int(cursor) + 1)], "historyId": "99999", "nextPageToken": "SAME"}
    scripted(google, *[page] * 5)
    google.clear_calls()
    with pytest.raises(ProviderError, match="Gmail keeps sending the same page"):
        gmail.account_changes(cursor, folders)
    assert len(api_calls(google, "/gmail/")) == 2
    google.forced.clear()


def test_gmail_listing_and_search_stop_when_the_same_page_token_comes_again(google, gmail):
    page = {"messages": [{"id": GMAIL_ID, "threadId": GMAIL_ID}], "nextPageToken": "SAME"}
    scripted(google, *[page] * 5)
    with pytest.raises(ProviderError, match="Gmail keeps sending the same page"):
        list(gmail.connect().client.iter_message_ids(label_ids=["INBOX"]))
    google.forced.clear()
    gmail.list_folders()
    scripted(google, *[page] * 5)
    with pytest.raises(ProviderError, match="Gmail keeps sending the same page"):
        gmail.search_text("Inbox", "hello", limit=50)
    google.forced.clear()


def test_a_history_that_does_not_get_past_its_cursor_is_refused_not_read_again_and_again(google, gmail):
    folders = gmail.list_folders()
    cursor = gmail.account_cursor()
    stuck = {"history": [history_record(cursor), {"id": "not a number"}], "nextPageToken": "next"}
    scripted(google, stuck)
    with pytest.raises(ProviderError, match="do not get past"):
        gmail.account_changes(cursor, folders, max_records=1)
    google.forced.clear()


# -- pages without end ----------------------------------------------------------------------
def test_a_walk_stops_after_its_page_limit_even_with_a_new_token_each_time():
    walk = PageWalk("Gmail")
    for number in range(1, MAX_PAGES):
        assert walk.follow(f"token-{number}") == f"token-{number}"
    with pytest.raises(ProviderError, match="stopped after 10000"):
        walk.follow("one more")
    assert PageWalk("Gmail").follow("") is None and PageWalk("Gmail").follow(None) is None
    with pytest.raises(ProviderError, match="that is none"):
        PageWalk("Gmail").follow({"not": "a token"})


def test_a_long_history_is_held_a_chunk_at_a_time(google, gmail):
    folders = gmail.list_folders()
    cursor = int(gmail.account_cursor())
    pages = [
        {
            "history": [history_record(cursor + 500 * n + i) for i in range(1, 501)],
            "historyId": str(cursor + 10_000),
            "nextPageToken": f"page-{n + 1}",
        }
        for n in range(6)
    ]
    scripted(google, *pages)
    google.clear_calls()
    changes, next_cursor, done = gmail.account_changes(str(cursor), folders)  # 2,000 records a chunk
    assert not done and next_cursor == str(cursor + 2000)  # the last record read
    assert len(api_calls(google, "/gmail/")) == 4  # four pages of 500, the rest left for the next chunk
    assert changes["INBOX"].new_ids == [GMAIL_ID]
    google.forced.clear()


# -- Retry-After: one call never waits past its budget ------------------------------------
def test_a_graph_retry_after_longer_than_a_call_may_wait_is_not_slept_but_handed_up(microsoft, graph):
    sleeps = graph.backoff.sleep
    microsoft.clear_calls()
    microsoft.fail_next(3, 429, THROTTLED, retry_after=86400)
    with pytest.raises(Throttled, match="wait 86400 s") as caught:
        graph.request("GET", "/mailFolders/inbox")
    assert caught.value.retry_after == 86400  # the engine backs the mailbox off by it
    assert sleeps == [] and len(api_calls(microsoft, "/v1.0/")) == 1
    microsoft.forced.clear()


def test_graph_retry_afters_that_add_up_past_the_budget_stop_the_call(microsoft, graph):
    sleeps = graph.backoff.sleep
    microsoft.fail_next(6, 503, THROTTLED, retry_after=40)
    with pytest.raises(Throttled) as caught:
        graph.request("GET", "/mailFolders/inbox")
    assert sleeps == [40, 40] and sum(sleeps) <= MAX_CALL_WAIT  # a third 40 s would pass 90 s
    assert caught.value.retry_after == 40
    microsoft.forced.clear()
    microsoft.fail_next(2, 429, THROTTLED, retry_after=5)  # short waits: retried as before
    assert graph.request("GET", "/mailFolders/inbox").json()["id"]
    assert sleeps[2:] == [5, 5]


def test_a_gmail_retry_after_longer_than_a_call_may_wait_is_not_slept_but_handed_up(google, gmail):
    folders = gmail.list_folders()
    cursor = gmail.account_cursor()
    sleeps = gmail.client.backoff.sleep
    google.fail_next(1, 429, RATE_LIMITED, retry_after=3600)
    with pytest.raises(Throttled) as caught:
        gmail.account_changes(cursor, folders)
    assert caught.value.retry_after == 3600 and sleeps == []
    messages = len(google.messages)
    google.fail_next(1, 429, RATE_LIMITED, retry_after=3600)
    with pytest.raises(Throttled) as caught:
        gmail.send(b"From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n\r\nhi\r\n", ["b@example.org"])
    assert caught.value.retry_after == 3600 and sleeps == []
    assert len(google.messages) == messages  # refused before sending: nothing went out
    google.fail_next(6, 429, RATE_LIMITED)  # no Retry-After: 1, 2, 4, 8, 16 s, then handed up
    with pytest.raises(Throttled) as caught:
        gmail.account_changes(cursor, folders)
    assert caught.value.retry_after is None and sleeps == [1, 2, 4, 8, 16]
