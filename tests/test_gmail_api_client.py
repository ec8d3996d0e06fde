"""The Gmail API client (infrastructure/providers/gmail_api.py) on the real
google-api-python-client and google-auth, against the Gmail stand-in over HTTPS."""

import time

import pytest

from maildesk_mail_client.infrastructure.providers.base import AuthenticationFailed, ProviderError
from maildesk_mail_client.infrastructure.providers.gmail_api import (
    METADATA_HEADERS,
    GmailApiClient,
    SettlingQuotaMeter,
    gmail_credentials,
)
from maildesk_mail_client.infrastructure.providers.http_api import (
    Backoff,
    CursorExpired,
    GrantRevoked,
    QuotaMeter,
)
from maildesk_mail_client.tests.standins import GoogleStandIn, RecordedSleeps, ca_environment
from maildesk_mail_client.tests.standins.google import gmail_error

RATE_LIMITED = gmail_error(429, "Too many requests", "rateLimitExceeded", "RESOURCE_EXHAUSTED")


@pytest.fixture
def google(monkeypatch):
    ca_environment(monkeypatch)
    with GoogleStandIn(messages=60) as standin:
        yield standin


def client_for(standin, backoff=None, quota=None, access_token=None, expires_at=0):
    credentials = gmail_credentials(
        access_token,
        standin.grant(),
        expires_at,
        standin.client_id,
        standin.client_secret,
        token_uri=standin.base_url + "/token",
    )
    return GmailApiClient(
        credentials,
        api_endpoint=standin.base_url,
        ca_certs=standin.ca_file,
        backoff=backoff or Backoff(sleep=RecordedSleeps()),
        quota=quota or QuotaMeter(),
    )


def gmail_calls(standin):
    return [c for c in standin.calls if c.path.startswith("/gmail/")]


def test_profile_and_labels(google):
    client = client_for(google)
    assert client.profile()["emailAddress"] == google.owner
    names = {label["name"] for label in client.labels()}
    assert {"INBOX", "SENT", "TRASH", "Projects", "Projects/2026"} <= names


def test_listing_pages_newest_first_by_label_and_query(google):
    client = client_for(google)
    inbox = [gid for gid, m in google._newest_first() if "INBOX" in m.labels]
    assert list(client.iter_message_ids(label_ids=["INBOX"], page_size=7)) == inbox
    assert len(google.calls_to(r"/messages$")) == -(-len(inbox) // 7)
    unread = [gid for gid, m in google._newest_first() if {"INBOX", "UNREAD"} <= m.labels]
    assert list(client.iter_message_ids(q="in:inbox is:unread")) == unread
    several = [gid for gid, m in google.messages.items() if "Label_1" in m.labels]
    assert set(client.iter_message_ids(label_ids=["Label_1"])) == set(several)
    assert all("INBOX" in google.messages[g].labels or "SENT" in google.messages[g].labels for g in several)


def test_metadata_is_fetched_in_batches_with_only_the_asked_headers(google):
    client = client_for(google)
    ids = [gid for gid, _ in google._newest_first()][:45]
    google.clear_calls()
    found = client.get_messages(ids, batch_size=20)
    assert set(found) == set(ids)
    sample = found[ids[0]]
    names = {h["name"] for h in sample["payload"]["headers"]}
    assert {"From", "To", "Subject", "Date", "Message-ID"} <= names <= set(METADATA_HEADERS)
    assert sample["labelIds"] and sample["internalDate"].isdigit()
    assert len(google.calls_to(r"^/batch/gmail/v1$")) == 3
    parts = [c for c in google.calls if c.batch_part]
    assert len(parts) == 45 and google.units_spent() == 45 * 5


def test_a_throttled_part_of_a_batch_is_retried_after_retry_after(google):
    sleeps = RecordedSleeps()
    client = client_for(google, backoff=Backoff(sleep=sleeps))
    client.profile()  # signs in first, so the scripted answers hit the batch
    ids = [gid for gid, _ in google._newest_first()][:10]
    google.fail_next(3, 429, RATE_LIMITED, retry_after=7)
    assert set(client.get_messages(ids)) == set(ids)
    assert sleeps == [7.0]
    assert len(google.calls_to(r"^/batch/gmail/v1$")) == 2


def test_a_deleted_message_is_left_out_of_a_batch(google):
    client = client_for(google)
    ids = [gid for gid, _ in google._newest_first()][:5]
    google.delete_forever(ids[2])
    assert set(client.get_messages(ids)) == set(ids) - {ids[2]}
    assert client.get_raw(ids[2]) is None


@pytest.mark.parametrize("status", [429, 403])
def test_rate_limit_exceeded_is_retried_after_retry_after(google, status):
    sleeps = RecordedSleeps()
    client = client_for(google, backoff=Backoff(sleep=sleeps))
    client.profile()
    google.fail_next(
        2,
        status,
        gmail_error(status, "User-rate limit exceeded.", "rateLimitExceeded", "RESOURCE_EXHAUSTED"),
        retry_after=3,
    )
    assert client.labels()
    assert sleeps == [3.0, 3.0]


def test_a_403_that_is_not_a_rate_limit_is_not_retried(google):
    sleeps = RecordedSleeps()
    client = client_for(google, backoff=Backoff(sleep=sleeps))
    client.profile()
    google.fail_next(
        1, 403, gmail_error(403, "Insufficient Permission", "insufficientPermissions", "PERMISSION_DENIED")
    )
    with pytest.raises(ProviderError, match="Insufficient Permission"):
        client.labels()
    assert sleeps == []


def test_the_client_keeps_under_the_per_user_quota_the_service_enforces():
    with pytest.MonkeyPatch.context() as monkeypatch:
        ca_environment(monkeypatch)
        with GoogleStandIn(messages=10, units_per_second=20) as google:
            ids = [gid for gid, _ in google._newest_first()][:8]
            client = client_for(google, quota=QuotaMeter(per_second=20))
            for gid in ids:  # 8 x 5 units against a budget of 20 a second
                client.get_message(gid)
            assert [c.status for c in gmail_calls(google)] == [200] * 8
            assert google.units_spent() == 40 and client.quota.total == 40


def test_without_its_meter_the_client_is_throttled_and_honours_retry_after():
    with pytest.MonkeyPatch.context() as monkeypatch:
        ca_environment(monkeypatch)
        with GoogleStandIn(messages=10, units_per_second=10, retry_after=1) as google:
            ids = [gid for gid, _ in google._newest_first()][:3]
            sleeps = []
            client = client_for(google, backoff=Backoff(sleep=lambda s: (sleeps.append(s), time.sleep(s))))
            assert all(client.get_message(gid)["id"] == gid for gid in ids)
            assert 429 in [c.status for c in gmail_calls(google)]
            assert sleeps and set(sleeps) == {1.0}


def test_the_access_token_is_refreshed_before_it_expires(google):
    access = google._tokens(google.owner, "", None)["access_token"]  # valid, but for 10 more seconds
    client = client_for(google, access_token=access, expires_at=time.time() + 10)
    client.labels()
    assert [c.path for c in google.calls][:2] == ["/token", "/gmail/v1/users/me/labels"]
    assert client.credentials.token != access
    assert 401 not in [c.status for c in google.calls]


def test_a_401_refreshes_the_token_and_retries(google):
    client = client_for(google)
    client.labels()
    google.expire_access_tokens()
    assert client.labels()
    assert [c.status for c in gmail_calls(google)] == [200, 401, 200]
    assert len(google.calls_to(r"^/token$")) == 2


def test_a_revoked_grant_is_reported_as_such(google):
    client = client_for(google)
    client.labels()
    google.revoke_grants()
    with pytest.raises(GrantRevoked) as caught:
        client.labels()
    assert isinstance(caught.value, AuthenticationFailed)
    assert "sign in with Google again" in str(caught.value)


def test_history_since_a_history_id_and_when_it_is_too_old(google):
    client = client_for(google)
    start = client.profile()["historyId"]
    new = google.deliver("Fresh news")
    old_id = next(gid for gid, m in google.messages.items() if "UNREAD" in m.labels and m is not new)
    client.modify(old_id, remove=["UNREAD"])
    records, latest, more = client.history(start)
    assert int(latest) > int(start) and not more
    added = [r["messagesAdded"][0]["message"]["id"] for r in records if "messagesAdded" in r]
    assert added == [google.gmail_id(new)]
    removed = [r["labelsRemoved"][0] for r in records if "labelsRemoved" in r]
    assert removed[0]["message"]["id"] == old_id and removed[0]["labelIds"] == ["UNREAD"]
    assert client.history(latest) == ([], latest, False)  # nothing changed: one call, nothing to do
    google.expire_history()
    with pytest.raises(CursorExpired):
        client.history(latest)


def test_history_stops_after_enough_records_and_says_more_is_left(google):
    client = client_for(google)
    start = client.profile()["historyId"]
    delivered = [google.gmail_id(google.deliver(f"News {n}")) for n in range(10)]
    google.clear_calls()
    records, latest, more = client.history(start, page_size=3, max_records=7)
    pages = [c for c in gmail_calls(google) if c.path.endswith("/history")]
    assert more and len(records) == 9 and len(pages) == 3  # whole pages, until 7 or more were read
    assert [int(r["id"]) for r in records] == sorted(int(r["id"]) for r in records)
    rest, latest, more = client.history(records[-1]["id"], page_size=3, max_records=7)
    assert not more and latest == str(google.history_id)
    added = [r["messagesAdded"][0]["message"]["id"] for r in records + rest]
    assert added == delivered  # nothing lost, nothing twice, where the first call stopped


def test_label_changes_batch_modify_and_trash(google):
    client = client_for(google)
    inbox = [gid for gid, m in google._newest_first() if "INBOX" in m.labels]
    client.batch_modify(inbox[:3], add=["STARRED"], remove=["UNREAD"])
    assert all(
        {"STARRED"} <= google.messages[g].labels and "UNREAD" not in google.messages[g].labels
        for g in inbox[:3]
    )
    client.modify(inbox[3], add=["Label_3"], remove=["INBOX"])  # archive into a label
    assert google.messages[inbox[3]].labels >= {"Label_3"} and "INBOX" not in google.messages[inbox[3]].labels
    client.trash(inbox[4])
    assert "TRASH" in google.messages[inbox[4]].labels and "INBOX" not in google.messages[inbox[4]].labels
    assert inbox[4] not in set(client.iter_message_ids(label_ids=["INBOX"]))


def test_a_reply_is_sent_in_its_thread_and_drafts_are_kept(google):
    client = client_for(google)
    original_id = next(iter(google.messages))
    thread = client.get_message(original_id, format="minimal")["threadId"]
    raw = (
        b"From: owner@gmail.example\r\nTo: ada@example.org\r\nSubject: Re: hello\r\n"
        b"In-Reply-To: <m0.7@standin.example>\r\n\r\nThanks!\r\n"
    )
    sent = client.send(raw, thread_id=thread)
    assert sent["threadId"] == thread and google.messages[sent["id"]].labels == {"SENT"}
    assert client.get_raw(sent["id"]) == raw
    draft = client.create_draft(b"Subject: draft\r\n\r\nfirst\r\n")
    updated = client.update_draft(draft["id"], b"Subject: draft\r\n\r\nsecond\r\n")
    assert updated["id"] == draft["id"] and client.get_raw(updated["message"]["id"]).endswith(b"second\r\n")
    assert draft["message"]["id"] not in google.messages


def test_a_full_message_has_its_body(google):
    client = client_for(google)
    gid = next(iter(google.messages))
    full = client.get_message(gid, format="full")
    assert full["payload"]["body"]["data"] and full["payload"]["mimeType"] == "text/plain"
    assert client.get_raw(gid).startswith(b"From: ")


def test_the_quota_counts_a_batch_from_its_answer_not_from_when_it_left():
    """Gmail charges a batch's parts while it works through them: the next batch may start
    only a second after the last one was answered, so no part of two batches shares a second."""
    now = [0.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(round(seconds, 3))
        now[0] += seconds

    meter = SettlingQuotaMeter(250, clock=lambda: now[0], sleep=sleep)
    meter.spend(245)  # a batch of 49 leaves at 0.0 ...
    now[0] = 0.4
    meter.settle(245)  # ... and is answered at 0.4
    meter.spend(5)  # the next listing page fits beside it
    meter.settle(5)
    meter.spend(245)  # the next batch waits for the first to be a second old: 1.4
    assert sum(sleeps) == pytest.approx(1.0, abs=0.01) and now[0] == pytest.approx(1.4, abs=0.01)
    assert meter.total == 495 and meter.calls == 3
