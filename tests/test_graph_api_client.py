"""The Microsoft Graph client (infrastructure/providers/graph_api.py) on requests and msal,
against the Entra ID and Graph stand-in over HTTPS."""

import threading
import time

import pytest
import requests

from maildesk_mail_client.infrastructure import oauth_flow
from maildesk_mail_client.infrastructure.providers.base import AuthenticationFailed, DeliveryUncertain
from maildesk_mail_client.infrastructure.providers.graph_api import GraphApiClient, MsalTokens
from maildesk_mail_client.infrastructure.providers.http_api import Backoff, CursorExpired, GrantRevoked
from maildesk_mail_client.tests.standins import MicrosoftStandIn, RecordedSleeps, ca_environment
from maildesk_mail_client.tests.standins.microsoft import THROTTLED, UNAVAILABLE

SHARED = "team@contoso.example"


@pytest.fixture
def microsoft(monkeypatch):
    ca_environment(monkeypatch)
    with MicrosoftStandIn(messages=60, shared={SHARED: {"messages": 5}}) as standin:
        yield standin


def tokens_for(standin, scope=None, **kwargs):
    client = oauth_flow.MicrosoftClient(
        standin.client_id, standin.client_secret, "https://odoo.example/cb", authority_host=standin.base_url
    )
    refresh = standin.grant(scope=scope) if scope else standin.grant()
    return MsalTokens(oauth_flow.microsoft_app(client), refresh, client.scopes, **kwargs)


def client_for(standin, tokens=None, sleeps=None, address=None, shared=False):
    return GraphApiClient(
        tokens or tokens_for(standin),
        address or standin.owner,
        shared=shared,
        base_url=standin.base_url + "/v1.0",
        backoff=Backoff(sleep=RecordedSleeps() if sleeps is None else sleeps),
    )


def run_delta(client, folder, link=None):
    changed, removed, pages = [], [], list(client.delta(folder, link, page_size=10))
    for page in pages:
        changed += page.changed
        removed += page.removed
    assert all(p.next_link for p in pages[:-1]) and pages[-1].delta_link and not pages[-1].next_link
    return changed, removed, pages[-1].delta_link, len(pages)


def test_the_folder_tree_and_the_well_known_folders(microsoft):
    client = client_for(microsoft)
    assert client.me()["mail"] == microsoft.owner
    paths = {f.path for f in client.folders()}
    assert {"Inbox", "Inbox/Projects", "Inbox/Projects/2026", "Sent Items", "Deleted Items"} <= paths
    known = client.well_known_folder_ids()
    mailbox = microsoft.mailbox()
    assert (
        known["inbox"] == mailbox.well_known["inbox"]
        and known["sentitems"] == mailbox.well_known["sentitems"]
    )


def test_delta_pages_through_a_folder_then_returns_only_what_changed(microsoft):
    client = client_for(microsoft)
    inbox = microsoft.mailbox().well_known["inbox"]
    expected = microsoft.folder_message_ids("inbox")
    changed, removed, link, pages = run_delta(client, inbox)
    assert {m["id"] for m in changed} == expected and removed == [] and pages == -(-len(expected) // 10)
    first = microsoft.calls_to(r"/messages/delta$")[0]
    assert "subject" in first.query["$select"][0] and first.headers["prefer"] == "odata.maxpagesize=10"
    assert all("$select" not in c.query for c in microsoft.calls_to(r"/messages/delta$")[1:])
    assert changed[0]["receivedDateTime"] >= changed[-1]["receivedDateTime"]  # newest first

    read, moved, deleted = sorted(expected)[:3]
    client.update(read, is_read=True, flagged=True)
    new_id = client.move(moved, microsoft.mailbox().well_known["archive"])
    client.delete(deleted)
    arrived = microsoft.mailbox().add_raw(
        b"From: x@example.org\r\nSubject: hi\r\n\r\nhello\r\n", inbox, False
    )
    microsoft.clear_calls()
    changed, removed, link2, pages = run_delta(client, inbox, link)
    assert {m["id"] for m in changed} == {read, arrived} and set(removed) == {moved, deleted}
    assert next(m for m in changed if m["id"] == read)["flag"]["flagStatus"] == "flagged"
    assert new_id not in expected and pages == 1

    microsoft.clear_calls()
    assert run_delta(client, inbox, link2)[:2] == ([], [])  # nothing changed: one call
    assert len(microsoft.graph_calls()) == 1


def test_an_expired_or_invalid_delta_link_asks_for_a_resync(microsoft):
    client = client_for(microsoft)
    inbox = microsoft.mailbox().well_known["inbox"]
    link = run_delta(client, inbox)[2]
    microsoft.expire_delta_tokens()
    with pytest.raises(CursorExpired):
        list(client.delta(inbox, link))
    with pytest.raises(CursorExpired):
        list(client.delta(inbox, link.split("$deltatoken=")[0] + "$deltatoken=garbage"))
    changed = run_delta(client, inbox)[0]  # the resync: every message once
    assert sorted(m["id"] for m in changed) == sorted(microsoft.folder_message_ids("inbox"))


def test_bodies_flags_moves_and_deletes(microsoft):
    client = client_for(microsoft)
    mailbox = microsoft.mailbox()
    first = sorted(microsoft.folder_message_ids("inbox"))[0]
    assert client.mime(first).startswith(b"From: ")
    client.update(first, is_read=False)
    assert mailbox.messages[first].is_read is False
    moved = client.move(first, "junkemail")
    assert first not in mailbox.messages and mailbox.messages[moved].folder == mailbox.well_known["junkemail"]
    assert client.mime(first) is None
    client.delete(moved)
    trashed = next(
        mid for mid, m in mailbox.messages.items() if m.folder == mailbox.well_known["deleteditems"]
    )
    client.delete(trashed)  # from Deleted Items: for good
    assert trashed not in mailbox.messages


def test_sending_keeps_a_sent_copy_and_replies_thread(microsoft):
    client = client_for(microsoft)
    mailbox = microsoft.mailbox()
    sent_before = len(microsoft.folder_message_ids("sentitems"))
    client.send_mime(b"From: owner@contoso.example\r\nTo: ada@example.org\r\nSubject: MIME\r\n\r\nbody\r\n")
    client.send_message(
        {
            "subject": "No copy",
            "toRecipients": [{"emailAddress": {"address": "a@example.org"}}],
            "body": {"contentType": "text", "content": "x"},
        },
        save_to_sent=False,
    )
    assert [o["saved"] for o in mailbox.outbox] == [True, False]
    assert len(microsoft.folder_message_ids("sentitems")) == sent_before + 1
    original = sorted(microsoft.folder_message_ids("inbox"))[0]
    draft = client.create_reply(original)
    assert (
        draft["subject"].startswith("RE: ")
        and draft["conversationId"] == mailbox.message_json(original)["conversationId"]
    )
    client.send_draft(draft["id"])
    assert mailbox.messages[original].message_id.encode() in mailbox.outbox[-1]["raw"]
    saved = client.create_draft_mime(b"Subject: later\r\n\r\ndraft\r\n")
    assert (
        saved["isDraft"]
        and client.update_draft(saved["id"], {"subject": "later, edited"})["subject"] == "later, edited"
    )


def test_a_message_or_draft_send_that_may_have_arrived_is_never_sent_twice(microsoft):
    sleeps = RecordedSleeps()
    client = client_for(microsoft, sleeps=sleeps)
    mailbox = microsoft.mailbox()
    message = {
        "subject": "Once",
        "toRecipients": [{"emailAddress": {"address": "a@example.org"}}],
        "body": {"contentType": "text", "content": "x"},
    }
    client.me()
    for status in (503, 504):  # the service may have acted before it failed: not retried
        microsoft.fail_next(1, status, UNAVAILABLE, retry_after=1)
        with pytest.raises(DeliveryUncertain, match="may have"):
            client.send_message(message)
    assert len(microsoft.calls_to(r"/sendMail$", "POST")) == 2 and not mailbox.outbox and sleeps == []
    original = sorted(microsoft.folder_message_ids("inbox"))[0]
    draft = client.create_reply(original)
    microsoft.fail_next(1, 503, UNAVAILABLE)
    with pytest.raises(DeliveryUncertain):
        client.send_draft(draft["id"])
    microsoft.drop_after_send = 1  # sent, then the connection broke before the answer
    with pytest.raises(DeliveryUncertain):
        client.send_draft(draft["id"])
    assert len(mailbox.outbox) == 1 and len(microsoft.calls_to(r"/send$", "POST")) == 2
    microsoft.fail_next(1, 429, THROTTLED, retry_after=3)  # refused before acting: retried
    client.send_message(message)
    assert sleeps == [3.0] and len(mailbox.outbox) == 2


def test_the_token_is_refreshed_before_it_expires_and_on_a_401(microsoft):
    stored = []
    tokens = tokens_for(microsoft, on_refresh=lambda t: stored.append(t.refresh_token))
    client = client_for(microsoft, tokens)
    client.me()
    assert tokens.refreshes == 1 and stored  # no token yet: renewed before the first call
    microsoft.expire_access_tokens()
    client.me()
    assert tokens.refreshes == 2 and [c.status for c in microsoft.graph_calls()] == [200, 401, 200]
    tokens.expires_at = time.time() + 60  # inside REFRESH_AHEAD: renewed before the call
    client.me()
    assert tokens.refreshes == 3 and [c.status for c in microsoft.graph_calls()][-1] == 200
    assert [c.status for c in microsoft.graph_calls()].count(401) == 1


def test_a_revoked_grant_is_reported_as_such(microsoft):
    client = client_for(microsoft)
    client.me()
    microsoft.revoke_grants()
    with pytest.raises(GrantRevoked) as caught:
        client.me()
    assert isinstance(caught.value, AuthenticationFailed) and "sign in with Microsoft again" in str(
        caught.value
    )


def test_429_and_503_are_retried_after_retry_after(microsoft):
    sleeps = RecordedSleeps()
    client = client_for(microsoft, sleeps=sleeps)
    client.me()
    microsoft.fail_next(1, 429, THROTTLED, retry_after=4)
    microsoft.fail_next(1, 503, UNAVAILABLE, retry_after=2)
    assert client.me()["mail"] == microsoft.owner
    assert sleeps == [4.0, 2.0]


def test_the_stand_in_refuses_a_fifth_request_in_flight(microsoft):
    token = tokens_for(microsoft).access_token()
    url = f"{microsoft.base_url}/v1.0/me"
    microsoft.gate = threading.Event()
    held = [
        threading.Thread(
            target=requests.get,
            args=(url,),
            kwargs={"headers": {"Authorization": f"Bearer {token}"}, "timeout": 20},
        )
        for _ in range(4)
    ]
    for thread in held:
        thread.start()
    microsoft.wait_for_in_flight(4)
    fifth = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=20)
    microsoft.gate.set()
    for thread in held:
        thread.join()
    assert fifth.status_code == 429 and fifth.headers["Retry-After"] == "1"


def test_the_client_keeps_at_most_four_requests_in_flight_per_mailbox(microsoft):
    tokens = tokens_for(microsoft)
    tokens.access_token()
    clients = [client_for(microsoft, tokens) for _ in range(2)]  # two clients, one mailbox
    microsoft.gate = threading.Event()
    answers = []
    threads = [threading.Thread(target=lambda c=clients[i % 2]: answers.append(c.me())) for i in range(8)]
    for thread in threads:
        thread.start()
    microsoft.wait_for_in_flight(4)
    time.sleep(0.2)  # give a fifth request the chance to arrive, were it sent
    assert microsoft.in_flight() == 4
    microsoft.gate.set()
    for thread in threads:
        thread.join()
    assert len(answers) == 8 and microsoft.peak_in_flight() == 4
    assert 429 not in [c.status for c in microsoft.graph_calls()]


def test_a_shared_mailbox_is_opened_as_users_address_with_the_shared_scopes(microsoft):
    shared_scope = "Mail.ReadWrite Mail.ReadWrite.Shared Mail.Send.Shared User.Read offline_access"
    client = client_for(microsoft, tokens_for(microsoft, scope=shared_scope), address=SHARED, shared=True)
    assert client.me()["mail"] == SHARED
    inbox = client.well_known_folder_ids(["inbox"])["inbox"]
    assert {m["id"] for m in run_delta(client, inbox)[0]} == microsoft.folder_message_ids("inbox", SHARED)
    assert microsoft.graph_calls()[-1].path.startswith(f"/v1.0/users/{SHARED}/")
    without = client_for(microsoft, address=SHARED, shared=True)
    with pytest.raises(AuthenticationFailed, match="ErrorAccessDenied"):
        without.me()
