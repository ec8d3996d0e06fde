"""The Outlook / Microsoft 365 provider (infrastructure/providers/graph.py) against the Entra ID
and Graph stand-in over HTTPS: what the sync engine, the state changes and sending get from it."""

import base64
import json
import threading
import time
from datetime import datetime, timezone

import pytest

from maildesk_mail_client.infrastructure.providers.base import (
    DeliveryUncertain,
    FolderGone,
    ProviderError,
    RemoteFolder,
    ServerUnreachable,
)
from maildesk_mail_client.infrastructure.providers.graph import GraphProvider, reply_thread_index
from maildesk_mail_client.infrastructure.providers.http_api import Backoff, GrantRevoked
from maildesk_mail_client.tests.standins import MicrosoftStandIn, RecordedSleeps, ca_environment
from maildesk_mail_client.tests.standins.microsoft import THROTTLED, UNAVAILABLE

SHARED = "team@contoso.example"
SHARED_SCOPE = "Mail.ReadWrite Mail.ReadWrite.Shared Mail.Send Mail.Send.Shared User.Read offline_access"


@pytest.fixture
def microsoft(monkeypatch):
    ca_environment(monkeypatch)
    with MicrosoftStandIn(messages=60, shared={SHARED: {"messages": 5}}) as standin:
        yield standin


def provider_for(standin, refresh=None, address=None, shared=False, sleeps=None, **kwargs):
    return GraphProvider(
        address or standin.owner,
        refresh or standin.grant(),
        standin.client_id,
        standin.client_secret,
        authority_host=standin.base_url,
        base_url=standin.base_url + "/v1.0",
        shared=shared,
        backoff=Backoff(sleep=RecordedSleeps() if sleeps is None else sleeps),
        **kwargs,
    )


def sync(provider, folder, cursor=None):
    """What the engine does for one folder: pages until done, the cursor stored (as JSON) each time."""
    pages = []
    while True:
        page = provider.folder_changes(folder, cursor)
        cursor = json.loads(json.dumps(page.cursor))
        pages.append(page)
        if page.done:
            return pages, cursor


def listed(pages):
    return [m.uid for page in pages for m in page.metas]


def by_path(provider):
    return {f.path: f for f in provider.list_folders()}


def test_the_folder_tree_with_types_counts_and_ids_without_exchange_s_own_folders(microsoft):
    mailbox = microsoft.mailbox()
    mailbox.add_folder("Conversation History", well_known="conversationhistory")
    sync_issues = mailbox.add_folder("Sync Issues", well_known="syncissues")
    mailbox.add_folder("Conflicts", sync_issues)
    mailbox.add_folder("Hidden stuff", hidden=True)
    mailbox.add_folder("Unread mail", search=True)
    mailbox.add_folder("Q1/Q2 plans")
    mailbox.add_folder("Reports")
    mailbox.add_folder("reports")
    with provider_for(microsoft) as provider:
        folders = by_path(provider)
    assert set(folders) == {
        "Inbox",
        "Inbox/Projects",
        "Inbox/Projects/2026",
        "Drafts",
        "Sent Items",
        "Deleted Items",
        "Junk Email",
        "Archive",
        "Q1\u2215Q2 plans",
        "Reports",
        "reports (2)",
    }
    kinds = {path: f.folder_type for path, f in folders.items()}
    assert kinds["Inbox"] == "inbox" and kinds["Sent Items"] == "sent" and kinds["Drafts"] == "drafts"
    assert (
        kinds["Deleted Items"] == "trash" and kinds["Junk Email"] == "spam" and kinds["Archive"] == "archive"
    )
    assert kinds["Inbox/Projects"] == "other" and kinds["Reports"] == "other"
    inbox = folders["Inbox"]
    unread = sum(1 for mid in microsoft.folder_message_ids("inbox") if not mailbox.messages[mid].is_read)
    assert inbox.remote_id == mailbox.well_known["inbox"] and inbox.messages == len(
        microsoft.folder_message_ids("inbox")
    )
    assert inbox.unseen == unread and inbox.name == "Inbox" and inbox.delimiter == "/"
    project = folders["Inbox/Projects/2026"]
    assert project.name == "2026" and project.parent_path == "Inbox/Projects" and project.selectable


def test_a_first_listing_comes_in_pages_of_metas_then_a_delta_link(monkeypatch):
    ca_environment(monkeypatch)
    with MicrosoftStandIn(messages=2500) as microsoft, provider_for(microsoft) as provider:
        inbox = by_path(provider)["Inbox"]
        microsoft.clear_calls()
        pages, cursor = sync(provider, inbox)
        expected = microsoft.folder_message_ids("inbox")
        assert len(pages) == 2 and len(expected) > 1000
        first, last = pages
        assert first.listing and not first.done and first.cursor["listing"] and not first.reset
        assert last.listing and last.done and not cursor["listing"] and "deltatoken=" in cursor["link"]
        assert sorted(listed(pages)) == sorted(expected) and first.estimate == len(expected)
        assert all(not page.new_ids and not page.removed for page in pages)
        delta_calls = microsoft.calls_to(r"/messages/delta$")
        assert len(delta_calls) == 2 and delta_calls[0].headers["prefer"] == "odata.maxpagesize=1000"
        assert "internetMessageId" in delta_calls[0].query["$select"][0]
        # newest first, every property the index needs
        assert first.metas[0].internal_date >= first.metas[-1].internal_date
        meta = first.metas[0]
        message, stored = microsoft.mailbox().messages[meta.uid], microsoft.mailbox().message_json(meta.uid)
        assert meta.subject == message.subject and meta.from_addr == message.sender[1]
        assert meta.sender_display_name == message.sender[0] and microsoft.owner in meta.to_addrs
        assert meta.message_id == message.message_id and meta.thread_key == stored["conversationId"]
        assert meta.internal_date == message.date and meta.date == message.date
        assert meta.is_read == message.is_read and meta.is_starred == message.flagged
        assert meta.preview == message.text and meta.in_reply_to == "" and meta.problems == []


def test_an_incremental_round_brings_new_changed_moved_and_deleted_messages(microsoft):
    mailbox = microsoft.mailbox()
    with provider_for(microsoft) as provider:
        folders = by_path(provider)
        cursors = {path: sync(provider, folders[path])[1] for path in ("Inbox", "Archive", "Deleted Items")}
        changed, moved, deleted = sorted(microsoft.folder_message_ids("inbox"))[:3]
        provider.set_flags("Inbox", [changed], seen=True, starred=True)
        moved_to = provider.move("Inbox", [moved], "Archive")
        trashed = provider.delete("Inbox", [deleted])
        arrived = mailbox.add_raw(
            b"From: New <new@example.org>\r\nSubject: Hello\r\n\r\nhi\r\n", mailbox.well_known["inbox"], False
        )
        assert set(moved_to) == {moved} and set(trashed) == {deleted}
        assert mailbox.messages[moved_to[moved]].folder == mailbox.well_known["archive"]
        assert mailbox.messages[trashed[deleted]].folder == mailbox.well_known["deleteditems"]

        pages, _ = sync(provider, folders["Inbox"], cursors["Inbox"])
        assert len(pages) == 1 and not pages[0].listing and not pages[0].reset
        metas = {m.uid: m for m in pages[0].metas}
        assert set(metas) == {changed, arrived} and pages[0].removed == {moved, deleted}
        assert set(metas[changed].flags) == {"\\Seen", "\\Flagged"} and metas[arrived].flags == ()
        assert metas[arrived].subject == "Hello" and metas[arrived].from_addr == "new@example.org"
        assert listed(sync(provider, folders["Archive"], cursors["Archive"])[0]) == [moved_to[moved]]
        assert listed(sync(provider, folders["Deleted Items"], cursors["Deleted Items"])[0]) == [
            trashed[deleted]
        ]


def test_a_resync_with_nothing_changed_is_one_delta_call_per_folder(microsoft):
    with provider_for(microsoft) as provider:
        folders = provider.list_folders()
        cursors = {f.remote_id: sync(provider, f)[1] for f in folders}
        microsoft.clear_calls()
        before = provider.round_trips
        for folder in folders:
            pages, cursors[folder.remote_id] = sync(provider, folder, cursors[folder.remote_id])
            assert len(pages) == 1 and pages[0].metas == [] and not pages[0].removed and pages[0].done
        assert len(microsoft.graph_calls()) == len(folders) == provider.round_trips - before
        assert {c.path for c in microsoft.graph_calls()} == {
            f"/v1.0/me/mailFolders/{f.remote_id}/messages/delta" for f in folders
        }
    with provider_for(microsoft) as provider:  # the next run: well-known folders are not asked again
        microsoft.clear_calls()
        assert [f.path for f in provider.list_folders()] == [f.path for f in folders]
        asked = [c.path.rsplit("/", 1)[-1] for c in microsoft.graph_calls() if "/mailFolders/" in c.path]
        assert "inbox" not in asked and set(asked) <= {"conversationhistory", "syncissues", "childFolders"}


def test_an_expired_delta_link_starts_a_listing_again_without_duplicates(microsoft):
    with provider_for(microsoft) as provider:
        inbox = by_path(provider)["Inbox"]
        _, cursor = sync(provider, inbox)
        microsoft.expire_delta_tokens()
        pages, cursor = sync(provider, inbox, cursor)
        assert pages[0].reset and pages[0].listing and not any(p.reset for p in pages[1:])
        assert sorted(listed(pages)) == sorted(microsoft.folder_message_ids("inbox"))
        assert 410 in [c.status for c in microsoft.graph_calls()]
        pages, _ = sync(provider, inbox, cursor)  # and the new link works
        assert listed(pages) == [] and not pages[0].reset


def test_a_cursor_mid_listing_resumes_and_an_expired_one_lists_again(monkeypatch):
    ca_environment(monkeypatch)
    with MicrosoftStandIn(messages=2500) as microsoft, provider_for(microsoft) as provider:
        inbox = by_path(provider)["Inbox"]
        first = provider.folder_changes(inbox, None)
        cursor = json.loads(json.dumps(first.cursor))  # the worker dies here; the next run resumes
        rest, _ = sync(provider, inbox, cursor)
        assert not rest[0].reset and rest[-1].done
        assert sorted(listed([first] + rest)) == sorted(microsoft.folder_message_ids("inbox"))
        microsoft.expire_delta_tokens()
        again, _ = sync(provider, inbox, cursor)  # the skiptoken is gone: a new listing
        assert again[0].reset and again[0].listing
        assert sorted(listed(again)) == sorted(microsoft.folder_message_ids("inbox"))


def test_a_folder_known_only_by_its_path_is_found_and_a_deleted_one_is_reported_gone(microsoft):
    mailbox = microsoft.mailbox()
    with provider_for(microsoft) as provider:
        page = provider.folder_changes(RemoteFolder("Inbox", "Inbox", "/", "inbox"), None)
        assert sorted(m.uid for m in page.metas) == sorted(microsoft.folder_message_ids("inbox"))
        project = by_path(provider)["Inbox/Projects/2026"]
        del mailbox.folders[project.remote_id]
        with pytest.raises(FolderGone):
            provider.folder_changes(project, None)
        with pytest.raises(FolderGone):
            provider.move("Inbox", sorted(microsoft.folder_message_ids("inbox"))[:1], "Nowhere")


def test_throttling_is_waited_out_as_told_and_four_requests_at_most_are_in_flight(microsoft):
    sleeps = RecordedSleeps()
    with provider_for(microsoft, sleeps=sleeps) as provider:
        inbox = by_path(provider)["Inbox"]
        microsoft.fail_next(1, 429, THROTTLED, retry_after=4)
        microsoft.fail_next(1, 503, UNAVAILABLE, retry_after=2)
        pages, _ = sync(provider, inbox)
        assert sleeps == [4.0, 2.0] and sorted(listed(pages)) == sorted(microsoft.folder_message_ids("inbox"))

        unread = sorted(microsoft.folder_message_ids("inbox"))
        microsoft.clear_calls()
        microsoft.gate = threading.Event()
        worker = threading.Thread(target=provider.set_flags, args=("Inbox", unread), kwargs={"seen": False})
        worker.start()
        microsoft.wait_for_in_flight(4)
        time.sleep(0.2)  # a fifth request would arrive now, were it sent
        assert microsoft.in_flight() == 4
        microsoft.gate.set()
        worker.join()
        assert microsoft.peak_in_flight() == 4 and 429 not in [c.status for c in microsoft.graph_calls()]
        assert len(microsoft.calls_to(r"/messages/[^/]+$", "PATCH")) == len(unread)
        assert not any(microsoft.mailbox().messages[mid].is_read for mid in unread)


def test_a_renewed_refresh_token_reaches_the_caller(monkeypatch):
    ca_environment(monkeypatch)
    with MicrosoftStandIn(messages=5, rotate_refresh_tokens=True) as microsoft:
        stored, original = [], microsoft.grant()
        with provider_for(microsoft, original, on_tokens=lambda *tokens: stored.append(tokens)) as provider:
            provider.list_folders()
        ((access, refresh, expires_at),) = stored
        assert refresh != original and access and expires_at > time.time() + 3000
        with provider_for(microsoft, refresh, access_token=access, expires_at=expires_at) as provider:
            assert "Inbox" in by_path(provider)  # the stored tokens work, without a refresh
        with pytest.raises(GrantRevoked), provider_for(microsoft, original) as provider:
            provider.list_folders()  # the old refresh token was replaced


def test_an_unreachable_sign_in_service_is_reported_as_such_and_calls_stay_counted(microsoft):
    unreachable = GraphProvider(
        microsoft.owner,
        microsoft.grant(),
        microsoft.client_id,
        microsoft.client_secret,
        authority_host="https://127.0.0.1:1",
        base_url=microsoft.base_url + "/v1.0",
    )
    with pytest.raises(ServerUnreachable), unreachable:
        unreachable.list_folders()
    provider = provider_for(microsoft)
    with provider:
        provider.list_folders()
    assert provider.round_trips == len(microsoft.graph_calls()) > 0  # read after the session, as sync does


def test_a_revoked_grant_asks_to_sign_in_again(microsoft):
    with provider_for(microsoft) as provider:
        provider.list_folders()
        microsoft.revoke_grants()
        with pytest.raises(GrantRevoked, match="sign in with Microsoft again"):
            provider.list_folders()


RAW = (
    b"From: Owner <owner@contoso.example>\r\nTo: Ada <ada@example.org>\r\nCc: grace@example.net\r\n"
    b"Subject: Plans\r\nMessage-ID: <plans.1@maildesk.example>\r\nIn-Reply-To: <m0.7@standin.example>\r\n"
    b"References: <m0.7@standin.example>\r\n\r\nSee you.\r\n"
)


def test_sending_adds_the_bcc_and_the_service_files_the_sent_copy(microsoft):
    mailbox = microsoft.mailbox()
    with provider_for(microsoft) as provider:
        sent = by_path(provider)["Sent Items"]
        _, cursor = sync(provider, sent)
        for malformed in ("bad\r\nBcc: x@y", "a@b.org, c@d.org", "x\x00y@example.org", "no-at-sign"):
            with pytest.raises(ProviderError, match="Not an e-mail address"):  # never skipped
                provider.send(RAW, ["ada@example.org", malformed])
        assert not mailbox.outbox and not microsoft.calls_to(r"/sendMail$", "POST")
        recipients = ["ada@example.org", "Grace@example.net", "boss@example.com", "BOSS@example.com"]
        assert provider.send(RAW, recipients) is None
        delivered = mailbox.outbox[-1]
        assert delivered["saved"] and delivered["raw"] == b"Bcc: boss@example.com\r\n" + RAW
        assert len(microsoft.calls_to(r"/sendMail$", "POST")) == 1
        pages, _ = sync(provider, sent, cursor)  # the copy comes back with the next sync
        (copy,) = [m for p in pages for m in p.metas]
        assert copy.subject == "Plans" and copy.message_id == "<plans.1@maildesk.example>"
        assert provider.files_sent_copy and provider.sends_mail


def test_a_reply_joins_the_original_s_conversation(microsoft):
    mailbox = microsoft.mailbox()
    with provider_for(microsoft) as provider:
        inbox, sent = (by_path(provider)[name] for name in ("Inbox", "Sent Items"))
        original = provider.folder_changes(inbox, None).metas[0]
        _, cursor = sync(provider, sent)
        provider.send(RAW, ["ada@example.org"], reply_to_uid=original.uid)
        provider.send(RAW.replace(b"plans.1", b"plans.2"), ["ada@example.org"])  # not a reply
        provider.send(RAW.replace(b"plans.1", b"plans.3"), ["ada@example.org"], reply_to_uid="AAMkGone=")
        assert mailbox.outbox[0]["raw"].startswith(b"Thread-Index: ")
        assert b"Thread-Index" not in mailbox.outbox[1]["raw"] + mailbox.outbox[2]["raw"]
        copies = {m.message_id: m for p in sync(provider, sent, cursor)[0] for m in p.metas}
        assert copies["<plans.1@maildesk.example>"].thread_key == original.thread_key
        assert copies["<plans.2@maildesk.example>"].thread_key != original.thread_key
        assert copies["<plans.3@maildesk.example>"].thread_key != original.thread_key


def test_a_conversation_index_from_the_server_is_checked_before_it_is_used():
    parent = base64.b64encode(b"\x01" + b"\x00" * 5 + b"g" * 16).decode()
    child = base64.b64decode(reply_thread_index(parent, now=0))
    assert len(child) == 27 and child.startswith(base64.b64decode(parent))
    hostile = (
        "",
        "not base64!",
        base64.b64encode(b"short").decode(),
        "A" * 5000,
        base64.b64encode(b"\x01" * 23).decode(),
    )
    for value in (None, 5, *hostile):
        assert reply_thread_index(value) is None


def test_a_send_that_may_have_arrived_is_never_sent_twice(microsoft):
    mailbox = microsoft.mailbox()
    with provider_for(microsoft) as provider:
        microsoft.drop_after_send = 1
        with pytest.raises(DeliveryUncertain):
            provider.send(RAW, ["ada@example.org"])
        assert len(mailbox.outbox) == 1 and len(microsoft.calls_to(r"/sendMail$")) == 1
        microsoft.fail_next(1, 504, UNAVAILABLE)
        with pytest.raises(DeliveryUncertain, match="may have"):
            provider.send(RAW, ["ada@example.org"])
        assert len(microsoft.calls_to(r"/sendMail$")) == 2 and len(mailbox.outbox) == 1
        microsoft.fail_next(1, 429, THROTTLED, retry_after=3)  # refused before acting: retried
        provider.send(RAW, ["ada@example.org"])
        assert len(mailbox.outbox) == 2


def test_a_shared_mailbox_is_opened_as_users_address(microsoft):
    refresh = microsoft.grant(scope=SHARED_SCOPE)
    with provider_for(microsoft, refresh, address=SHARED, shared=True) as provider:
        assert provider.microsoft.scopes[-2:] == ["Mail.ReadWrite.Shared", "Mail.Send.Shared"]
        inbox = by_path(provider)["Inbox"]
        assert inbox.remote_id == microsoft.mailbox(SHARED).well_known["inbox"]
        assert sorted(listed(sync(provider, inbox)[0])) == sorted(
            microsoft.folder_message_ids("inbox", SHARED)
        )
        provider.send(RAW, ["ada@example.org"])
        assert microsoft.mailbox(SHARED).outbox and not microsoft.mailbox().outbox
    assert all(c.path.startswith(f"/v1.0/users/{SHARED}/") for c in microsoft.graph_calls())


def test_reading_moving_and_deleting_messages(microsoft):
    mailbox = microsoft.mailbox()
    with provider_for(microsoft) as provider:
        provider.list_folders()
        first, second, *_ = sorted(microsoft.folder_message_ids("inbox"))
        assert provider.fetch_raw("Inbox", first).startswith(b"From: ")
        metas = list(provider.fetch_meta("Inbox", [first, second, "AAMkGone=", "local-7"]))
        assert {m.uid for m in metas} == {first, second}
        moved = provider.move("Inbox", [first, "AAMkGone="], "Junk Email")
        assert list(moved) == [first] and provider.fetch_raw("Inbox", first) is None
        assert list(provider.fetch_meta("Inbox", [moved[first]])) == []  # not in this folder
        trashed = provider.delete("Junk Email", [moved[first]])
        provider.delete("Deleted Items", list(trashed.values()))  # from Deleted Items: for good
        assert trashed[moved[first]] not in mailbox.messages and len(mailbox.messages) == 59
        assert provider.add_flags("Inbox", [second], ["\\Answered"]) == ()
        with pytest.raises(ProviderError):
            provider.append("Inbox", RAW)


def test_searching_a_folder(microsoft):
    mailbox = microsoft.mailbox()
    with provider_for(microsoft) as provider:
        provider.list_folders()
        inbox = microsoft.folder_message_ids("inbox")
        expected = sorted(
            (mid for mid in inbox if "invoice" in mailbox.messages[mid].subject.lower()),
            key=lambda mid: mailbox.messages[mid].date,
            reverse=True,
        )
        assert provider.search_text("Inbox", "Invoice", 100) == expected and expected
        assert provider.search_text("Inbox", "invoice", 2) == expected[:2]
        assert provider.search_text("Inbox", 'Invoice" OR "x', 100) == []  # one phrase, never a query
        body = provider.search_text("Inbox", "about invoice", 100, body_only=True)
        assert body == expected
        assert provider.search_text("Inbox", '  "\\ ', 10) == []


def test_hostile_values_from_the_server_are_bounded_or_left_out(microsoft):
    mailbox = microsoft.mailbox()
    inbox_id = mailbox.well_known["inbox"]
    odd, dated, renamed = sorted(microsoft.folder_message_ids("inbox"))[:3]
    mailbox.overrides[odd] = {
        "subject": "Hi\r\nBcc: victim@example.org" + "x" * 100_000,
        "from": {"emailAddress": {"name": 'Eve, "the" <boss>\r\nX: y', "address": "eve@example.org"}},
        "toRecipients": [{"emailAddress": {"address": "a@example.org"}}, "junk", {"emailAddress": 5}],
        "ccRecipients": {"not": "a list"},
        "bodyPreview": "&lt;b&gt;Hello&lt;/b&gt; &amp; " + "word " * 2000,
        "isRead": "yes",
        "flag": None,
        "hasAttachments": "true",
        "conversationId": ["x"],
    }
    mailbox.overrides[dated] = {
        "receivedDateTime": "not a date",
        "sentDateTime": 12345,
        "from": "eve",
        "sender": None,
    }
    mailbox.overrides[renamed] = {"id": "has space"}
    with provider_for(microsoft) as provider:
        pages, _ = sync(provider, by_path(provider)["Inbox"])
        metas = {m.uid: m for p in pages for m in p.metas}
    assert (
        renamed not in metas
        and "has space" not in metas
        and len(metas) == len(microsoft.folder_message_ids("inbox")) - 1
    )
    meta = metas[odd]
    assert "\n" not in meta.subject and len(meta.subject) <= 8192 and meta.bcc_addrs == ""
    assert meta.from_addr == "eve@example.org" and "\n" not in meta.sender_display_name
    assert meta.to_addrs == "a@example.org" and meta.cc_addrs == ""
    assert meta.preview.startswith("<b>Hello</b> & word") and len(meta.preview) <= 201
    assert meta.flags == () and not meta.has_attachments
    assert meta.thread_key == mailbox.messages[odd].message_id.strip("<>")  # no conversation id
    meta = metas[dated]
    assert meta.internal_date is None and meta.date is None and meta.from_addr == ""
    assert "unreadable received date" in meta.problems and "no sender address" in meta.problems
    assert mailbox.folders[inbox_id]  # nothing on the server was touched by the listing


def test_links_and_ids_that_would_leave_the_service_are_not_followed(microsoft):
    with provider_for(microsoft) as provider:
        inbox = by_path(provider)["Inbox"]
        microsoft.clear_calls()
        tampered = {"link": "https://attacker.example/v1.0/me/mailFolders/x/messages/delta", "listing": False}
        page = provider.folder_changes(inbox, tampered)  # a cursor nobody can follow: list again
        assert page.reset and page.listing and all(c.path.startswith("/v1.0/me/") for c in microsoft.calls)
        microsoft.links_to = "https://127.0.0.1:1"
        with pytest.raises(ProviderError, match="usable link"):
            provider.folder_changes(inbox, None)
        assert not provider.valid_id("") and not provider.valid_id("a b") and not provider.valid_id("local-1")
        assert (
            not provider.valid_id("x" * 513)
            and not provider.valid_id("a\x00b")
            and not provider.valid_id(None)
        )
        assert provider.valid_id("AAMkAGI2TG93AAA=")


def test_ids_outside_graph_s_alphabet_never_reach_a_url_and_a_slash_is_quoted(microsoft):
    mailbox = microsoft.mailbox()
    inbox_id = mailbox.well_known["inbox"]
    slashed = "AAMkAGI2/TG93+AAA="  # an EWS-style id: "/" and "+" are base64 too
    target = next(mid for mid, m in mailbox.messages.items() if m.folder == inbox_id and not m.is_read)
    mailbox.messages[slashed] = mailbox.messages.pop(target)
    odd = mailbox.add_folder("Dotted")
    mailbox.folders[".."] = mailbox.folders.pop(odd)  # a folder id the service should never send
    with provider_for(microsoft) as provider:
        folders = by_path(provider)
        assert "Dotted" not in folders and ".." not in {f.remote_id for f in folders.values()}
        for bad in (".", "..", "a.b", "%2e%2e", "a?b", "a#b", "a\\b", "a b", "é"):
            assert not provider.valid_id(bad), bad
        assert provider.valid_id(slashed) and provider.valid_id("AAMk-_=")
        microsoft.clear_calls()
        provider.set_flags("Inbox", ["..", ".", "a.b"], seen=True)
        assert provider.fetch_raw("Inbox", "..") is None
        assert microsoft.graph_calls() == []  # nothing left for the service to resolve
        provider.set_flags("Inbox", [slashed], seen=True)
        # the stand-in routes on the path as sent: an unquoted "/" would be no message's path
        assert mailbox.messages[slashed].is_read
        assert b"Subject:" in provider.fetch_raw("Inbox", slashed)


def test_dates_are_aware_utc(microsoft):
    with provider_for(microsoft) as provider:
        metas = provider.folder_changes(by_path(provider)["Inbox"], None).metas
    assert all(
        m.internal_date.tzinfo == timezone.utc and m.internal_date < datetime.now(timezone.utc) for m in metas
    )
