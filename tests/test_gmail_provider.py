"""The Gmail provider (infrastructure/providers/gmail.py) on the real google-api-python-client and
google-auth, against the Gmail stand-in over HTTPS: what the sync engine and the inbox get."""

import html
import time
from datetime import datetime, timezone

import pytest

from maildesk_mail_client.infrastructure import mime
from maildesk_mail_client.infrastructure.providers.base import (
    DeliveryUncertain,
    FolderGone,
    MessageMeta,
    ProviderError,
)
from maildesk_mail_client.infrastructure.providers.gmail import (
    ALL_MAIL,
    LISTING_PAGE,
    METADATA_BATCH,
    GmailProvider,
)
from maildesk_mail_client.infrastructure.providers.http_api import (
    Backoff,
    CursorExpired,
    GrantRevoked,
    QuotaMeter,
)
from maildesk_mail_client.tests.standins import GoogleStandIn, RecordedSleeps, ca_environment
from maildesk_mail_client.tests.standins.google import gmail_error
from maildesk_mail_client.tests.standins.mailbox import Message


@pytest.fixture
def google(monkeypatch):
    ca_environment(monkeypatch)
    with GoogleStandIn(messages=60, units_per_second=None) as standin:  # quota: its own tests
        yield standin


def provider_for(standin, on_tokens=None, access_token=None, expires_at=0, sleeps=None, refresh_token=None):
    return GmailProvider(
        standin.owner,
        access_token,
        refresh_token or standin.grant(),
        expires_at,
        standin.client_id,
        standin.client_secret,
        token_uri=standin.base_url + "/token",
        api_endpoint=standin.base_url,
        on_tokens=on_tokens,
        quota=QuotaMeter(),
        backoff=Backoff(sleep=sleeps if sleeps is not None else RecordedSleeps()),
    )


@pytest.fixture
def gmail(google):
    with provider_for(google) as provider:
        yield provider


def api_calls(standin, path_pattern=""):
    return [c for c in standin.calls_to(r"^/(gmail|batch)/" + path_pattern) if not c.batch_part]


def by_path(folders):
    return {f.path: f for f in folders}


def newest_first(standin, label):
    hidden = {"SPAM", "TRASH"} - {label}
    return [gid for gid, m in standin._newest_first() if label in m.labels and not hidden & m.labels]


def stored(standin, raw, labels=("INBOX",)):
    """A message in the stand-in exactly as ``raw`` says (for hostile headers)."""
    return standin.gmail_id(standin._add(Message(
        number=standin.next_number, subject="", sender=("", ""), to="", date=datetime.now(timezone.utc),
        message_id="", labels=set(labels), raw_override=raw)))


def inbox_id(standin, **wanted):
    """A message in the Inbox, optionally unread / read."""
    for gid, message in standin._newest_first():
        if "INBOX" not in message.labels:
            continue
        if "unread" in wanted and ("UNREAD" in message.labels) != wanted["unread"]:
            continue
        return gid
    raise AssertionError("no such message")


# -- folders ---------------------------------------------------------------------------------
def test_labels_are_folders_system_ones_by_name_user_ones_nested(google, gmail):
    google.add_label("Clients/Acme")  # its parent is no label
    hidden = google.add_label("Old stuff", visibility="labelHide")
    folders = by_path(gmail.list_folders())
    assert {p: (f.folder_type, f.remote_id) for p, f in folders.items() if f.folder_type != "other"} == {
        "Inbox": ("inbox", "INBOX"),
        "Sent": ("sent", "SENT"),
        "Drafts": ("drafts", "DRAFT"),
        "Trash": ("trash", "TRASH"),
        "Spam": ("spam", "SPAM"),
        "Starred": ("starred", "STARRED"),
        "All Mail": ("archive", ALL_MAIL),
    }
    assert not folders["All Mail"].selectable
    assert folders["Projects"].remote_id == "Label_1" and folders["Projects"].selectable
    assert folders["Projects/2026"].remote_id == "Label_2" and folders["Projects/2026"].name == "2026"
    assert folders["Projects/2026"].parent_path == "Projects"
    assert folders["Clients"].selectable is False and folders["Clients"].remote_id is None
    assert folders["Clients/Acme"].selectable and folders["Clients/Acme"].name == "Acme"
    assert folders["Old stuff"].remote_id == hidden  # hidden in Gmail's list, still a folder here
    everything = " ".join(folders)
    for hidden_label in ("UNREAD", "IMPORTANT", "CHAT", "CATEGORY"):
        assert hidden_label not in everything
    assert all(f.delimiter == "/" for f in folders.values())


def test_label_names_from_the_server_cannot_break_paths(google, gmail):
    google.add_label("Inbox")  # would take the Inbox's path
    google.add_label("/Lead//Trail/")
    google.add_label("Bell\x07\r\nRing\u202e")
    google.add_label("x" * 5000)
    google.add_label("   ", label_id="Label_blank")
    twin = google.add_label("Projects/2026/")  # the same path as Label_2 once cleaned
    folders = by_path(gmail.list_folders())
    assert folders["Inbox"].remote_id == "INBOX" and folders["Inbox (2)"].folder_type == "other"
    assert folders["Lead/Trail"].parent_path == "Lead"
    assert "Bell Ring" in folders
    assert max(len(p) for p in folders) < 300
    assert folders["Label Label_blank"].remote_id == "Label_blank"
    assert {folders["Projects/2026"].remote_id, folders["Projects/2026 (2)"].remote_id} == {"Label_2", twin}
    assert len(folders) == len({p.lower() for p in folders})
    assert all(p.isprintable() for p in folders)


# -- listing ---------------------------------------------------------------------------------
def test_a_label_is_listed_in_pages_newest_first():
    with pytest.MonkeyPatch.context() as monkeypatch:
        ca_environment(monkeypatch)
        with GoogleStandIn(messages=1300, units_per_second=None) as google, provider_for(google) as gmail:
            inbox = by_path(gmail.list_folders())["Inbox"]
            google.clear_calls()
            units = gmail.quota_units
            pages, cursor = [], None
            while True:
                page = gmail.folder_changes(inbox, cursor)
                pages.append(page)
                cursor = page.cursor
                if page.done:
                    break
            expected = newest_first(google, "INBOX")
            assert [i for p in pages for i in p.new_ids] == expected
            sizes = [LISTING_PAGE, LISTING_PAGE, len(expected) - 2 * LISTING_PAGE]
            assert [len(p.new_ids) for p in pages] == sizes
            assert all(p.listing and p.estimate == len(expected) for p in pages)
            assert [p.done for p in pages] == [False, False, True] and pages[-1].cursor is None
            assert len(api_calls(google)) == 3 and gmail.quota_units - units == 15
            # a page's metadata is ten full batches: with the next page's listing they fill
            # Gmail's 250 units a second exactly
            google.clear_calls()
            [(_ids, metas)] = gmail.fetch_meta_batches("Inbox", pages[0].new_ids, 500)
            assert len(metas) == LISTING_PAGE
            batches = api_calls(google)
            parts = [c for c in google.calls if c.batch_part]
            assert len(batches) == 10 and len(parts) == 10 * METADATA_BATCH
            assert METADATA_BATCH * 5 + 5 == 250


def test_a_page_token_gmail_no_longer_accepts_starts_the_listing_again(monkeypatch):
    ca_environment(monkeypatch)
    with GoogleStandIn(messages=600, units_per_second=None) as google, provider_for(google) as gmail:
        inbox = by_path(gmail.list_folders())["Inbox"]
        first = gmail.folder_changes(inbox, None)
        assert not first.done and not first.reset
        google.expire_page_tokens()  # the worker was away long enough for the token to lapse
        google.clear_calls()
        again = gmail.folder_changes(inbox, first.cursor)
        assert [c.status for c in api_calls(google)] == [400, 200]  # refused, then the first page
        assert again.reset and again.listing and again.new_ids == first.new_ids
        assert again.cursor != first.cursor  # the new listing's own token, which Gmail takes
        assert not gmail.folder_changes(inbox, again.cursor).reset
        for stored in ("x" * 5000, 12345, {"a": 1}):  # a stored cursor that is none: listed again
            page = gmail.folder_changes(inbox, stored)
            assert page.reset and page.new_ids == first.new_ids


def test_listing_a_label_deleted_in_gmail_says_the_folder_is_gone(google, gmail):
    label = google.add_label("Short-lived")
    folder = by_path(gmail.list_folders())["Short-lived"]
    google.remove_label(label)
    with pytest.raises(FolderGone):
        gmail.folder_changes(folder, None)
    invalid = gmail_error(400, f"Invalid label: {label}", "invalidArgument", "INVALID_ARGUMENT")
    google.fail_next(1, 400, invalid)  # the other answer Gmail gives for it
    with pytest.raises(FolderGone):
        gmail.folder_changes(folder, None)


# -- metadata --------------------------------------------------------------------------------
def test_metadata_is_what_the_imap_path_builds_from_the_same_headers(google, gmail):
    ids = newest_first(google, "INBOX")[:30] + newest_first(google, "SENT")[:3]
    google.clear_calls()
    metas = {m.uid: m for m in gmail.fetch_meta("Inbox", ids)}
    assert set(metas) == set(ids)
    assert len(ids) <= METADATA_BATCH
    assert len(api_calls(google)) == 1 and gmail.quota_units == 5 * len(ids)  # one batch
    for gid in ids:
        message, meta = google.messages[gid], metas[gid]
        expected = MessageMeta.from_headers(mime.parse_headers(message.raw()), uid=gid)
        for name in ("subject", "from_addr", "sender_display_name", "to_addrs", "cc_addrs", "message_id",
                     "in_reply_to", "references", "thread_key", "has_attachments", "problems"):
            assert getattr(meta, name) == getattr(expected, name), name
        assert meta.date == mime.parse_headers(message.raw()).date
        assert meta.is_read == ("UNREAD" not in message.labels)
        assert meta.is_starred == ("STARRED" in message.labels)
        assert meta.size == len(message.raw())
        assert meta.internal_date == datetime.fromtimestamp(message.epoch_ms / 1000, timezone.utc)
        assert meta.preview == mime.make_preview(message.snippet)
    replies = [metas[g] for g in ids if google.messages[g].in_reply_to]
    assert replies and all(m.thread_key == mime.normalize_message_id(m.in_reply_to) for m in replies)


def test_previews_decode_html_entities_and_drafts_are_marked(google, gmail):
    message = google.deliver("Menu", labels={"INBOX", "DRAFT"})
    message.text = "Fish &amp; chips &lt;3 &#39;tonight&#39;"
    [meta] = gmail.fetch_meta("Inbox", [google.gmail_id(message)])
    assert meta.preview == "Fish & chips <3 'tonight'" == html.unescape(message.snippet)
    assert set(meta.flags) == {"\\Seen", "\\Draft"}


def test_batches_follow_the_engine_and_gone_or_bad_ids_are_left_out(google, gmail):
    ids = newest_first(google, "INBOX")[:12]
    google.delete_forever(ids[3])
    asked = ids + ["not-an-id", "../../labels", "0" * 40, "local-5"]
    batches = list(gmail.fetch_meta_batches("Inbox", asked, 5))
    assert [b for b, _ in batches] == [asked[i : i + 5] for i in range(0, len(asked), 5)]
    found = [m.uid for _, metas in batches for m in metas]
    assert sorted(found) == sorted(set(ids) - {ids[3]})
    assert not [c for c in google.calls if c.batch_part and "labels" in c.path]
    assert gmail.fetch_raw("Inbox", ids[3]) is None
    assert gmail.fetch_raw("Inbox", "../x") is None
    assert gmail.fetch_raw("Inbox", ids[0]) == google.messages[ids[0]].raw()


def test_a_message_with_hostile_headers_still_gives_a_meta(google, gmail):
    raw = (
        b"From: Mallory <m@evil.example>\r\nSubject: " + b"A" * 200_000 + b"\r\n"
        + b"".join(b"X-Junk-%d: %s\r\n" % (n, b"j" * 500) for n in range(400))
        + b"To: victim@example.org\r\nMessage-ID: <huge@evil.example>\r\n\r\nbody\r\n"
    )
    huge, bare = stored(google, raw), stored(google, b"\r\nno headers at all\r\n")
    metas = {m.uid: m for m in gmail.fetch_meta("Inbox", [huge, bare])}
    assert metas[huge].from_addr == "m@evil.example" and metas[huge].message_id == "<huge@evil.example>"
    assert len(metas[huge].subject) <= mime.MAX_HEADER_LENGTH
    assert "no sender address" in metas[bare].problems
    assert metas[bare].sort_time is not None  # Gmail's arrival time stands in


def test_ids_in_a_listing_that_are_no_gmail_ids_are_ignored(google, gmail):
    inbox = by_path(gmail.list_folders())["Inbox"]
    odd = google.messages[newest_first(google, "INBOX")[0]]
    for bad in ("../../labels", "ABC", "1 2", "f" * 64):
        google.messages[bad] = odd
    google._order_cache = None
    page = gmail.folder_changes(inbox, None)
    assert page.new_ids and all(gmail.valid_id(i) for i in page.new_ids)
    assert not {"../../labels", "ABC", "1 2", "f" * 64} & set(page.new_ids)


# -- account-wide changes --------------------------------------------------------------------
def test_changes_since_the_cursor_land_in_every_folder_they_touch(google, gmail):
    folders = gmail.list_folders()
    cursor = gmail.account_cursor()
    inbox = newest_first(google, "INBOX")
    labelled = next(g for g in inbox if "Label_1" in google.messages[g].labels)
    read = next(g for g in inbox if "UNREAD" in google.messages[g].labels and g != labelled)
    starred, moved, trashed, spammed, erased = [g for g in inbox if g not in (labelled, read)][:5]
    arrived = google.gmail_id(google.deliver("Fresh news"))
    google.change_labels(read, remove=["UNREAD"])
    google.change_labels(starred, add=["STARRED"])
    google.change_labels(moved, add=["Label_3"], remove=["INBOX"])
    google.change_labels(trashed, add=["TRASH"], remove=["INBOX"])
    google.change_labels(spammed, add=["SPAM"], remove=["INBOX"])
    google.change_labels(labelled, add=["TRASH"], remove=["INBOX"])  # keeps Label_1, shows in Trash only
    google.delete_forever(erased)
    chat = google.gmail_id(google.deliver("a chat", labels={"CHAT"}))
    changes, next_cursor, done = gmail.account_changes(cursor, folders)
    assert int(next_cursor) == google.history_id and done  # all of it in one chunk
    assert set(changes) == {f.remote_id for f in folders if f.selectable}
    inbox_changes, trash_changes = changes["INBOX"], changes["TRASH"]
    assert inbox_changes.new_ids == [arrived]
    assert inbox_changes.removed == {moved, trashed, spammed, labelled, erased}
    assert "\\Seen" in inbox_changes.flag_changes[read]
    assert "\\Flagged" in inbox_changes.flag_changes[starred]
    assert set(inbox_changes.flag_changes) == {read, starred}
    assert changes["Label_3"].new_ids == [moved]
    assert changes["STARRED"].new_ids == [starred]
    assert set(trash_changes.new_ids) == {trashed, labelled} and changes["SPAM"].new_ids == [spammed]
    assert labelled in changes["Label_1"].removed and erased in changes["Label_1"].removed
    assert all(chat not in c.new_ids and chat not in c.flag_changes for c in changes.values())
    # the next round starts where this one ended: nothing is reported twice
    google.change_labels(moved, add=["UNREAD"])
    again, _, _ = gmail.account_changes(next_cursor, folders)
    assert again["Label_3"].flag_changes == {moved: ()} and not again["Label_3"].new_ids
    assert not again["INBOX"].new_ids and not again["INBOX"].removed and not again["INBOX"].flag_changes


def test_the_last_record_of_a_message_wins(google, gmail):
    folders = gmail.list_folders()
    cursor = gmail.account_cursor()
    gid = inbox_id(google, unread=True)
    google.change_labels(gid, add=["Label_3"], remove=["UNREAD"])
    google.change_labels(gid, remove=["Label_3"], add=["UNREAD"])
    google.change_labels(gid, add=["TRASH"], remove=["INBOX"])
    google.change_labels(gid, add=["INBOX"], remove=["TRASH"])  # taken out of Trash again
    changes, _, _ = gmail.account_changes(cursor, folders)
    assert gid in changes["Label_3"].removed and gid not in changes["Label_3"].new_ids
    assert gid in changes["TRASH"].removed
    assert changes["INBOX"].new_ids == [gid]  # back from Trash: the engine fetches it again


def test_a_resync_with_nothing_changed_costs_one_history_list(google, gmail):
    folders = gmail.list_folders()
    cursor = gmail.account_cursor()
    google.clear_calls()
    trips, units = gmail.round_trips, gmail.quota_units
    changes, next_cursor, done = gmail.account_changes(cursor, folders)
    assert [c.path for c in google.calls] == ["/gmail/v1/users/me/history"]
    assert gmail.round_trips - trips == 1 and gmail.quota_units - units == 2
    assert next_cursor == cursor and done
    assert not any(c.new_ids or c.removed or c.flag_changes for c in changes.values())


def test_a_long_history_comes_in_chunks_each_resuming_where_the_last_ended(google, gmail):
    folders = gmail.list_folders()
    cursor = gmail.account_cursor()
    unread = [g for g in newest_first(google, "INBOX") if "UNREAD" in google.messages[g].labels][:6]
    arrived = [google.gmail_id(google.deliver(f"News {n}")) for n in range(7)]
    for gid in unread:
        google.change_labels(gid, remove=["UNREAD"])
    google.change_labels(arrived[0], add=["TRASH"], remove=["INBOX"])
    records = google.history_id - int(cursor)  # 14: one record per history id
    whole, whole_cursor, whole_done = gmail.account_changes(cursor, folders)  # all in one call
    google.clear_calls()
    new, read, removed, trashed, at, chunks = set(), {}, set(), set(), cursor, 0
    while True:
        changes, next_at, done = gmail.account_changes(at, folders, max_records=4)
        chunks += 1
        assert int(next_at) > int(at)  # each chunk gets further: a killed sync resumes from it
        new |= set(changes["INBOX"].new_ids)
        read.update(changes["INBOX"].flag_changes)
        removed |= changes["INBOX"].removed
        trashed |= set(changes["TRASH"].new_ids)
        at = next_at
        if done:
            break
    # one history page of 4 records per chunk
    assert chunks == -(-records // 4) == len(api_calls(google, "v1/users/me/history"))
    assert at == whole_cursor == str(google.history_id) and whole_done
    assert new == set(arrived[1:]) == set(whole["INBOX"].new_ids)
    assert set(read) == set(unread) == set(whole["INBOX"].flag_changes)
    assert all("\\Seen" in read[g] for g in unread)
    assert arrived[0] in removed and arrived[0] in trashed and whole["TRASH"].new_ids == [arrived[0]]


def test_a_chunk_ends_at_its_last_record_and_the_next_one_starts_after_it(google, gmail):
    folders = gmail.list_folders()
    cursor = gmail.account_cursor()
    first, second = (google.gmail_id(google.deliver(f"Mail {n}")) for n in range(2))
    changes, next_cursor, done = gmail.account_changes(cursor, folders, max_records=1)
    assert not done and int(next_cursor) == int(cursor) + 1  # the id of the one record read
    assert changes["INBOX"].new_ids == [first]
    changes, last, done = gmail.account_changes(next_cursor, folders, max_records=1)
    assert done and last == str(google.history_id) and changes["INBOX"].new_ids == [second]


def test_a_history_gmail_no_longer_keeps_asks_for_a_full_listing(google, gmail):
    folders = gmail.list_folders()
    cursor = gmail.account_cursor()
    google.expire_history()
    with pytest.raises(CursorExpired):
        gmail.account_changes(cursor, folders)
    with pytest.raises(CursorExpired):
        gmail.account_changes("12; DROP", folders)  # a stored cursor that is none


# -- errors, quota and tokens ----------------------------------------------------------------
@pytest.mark.parametrize("status", [429, 403])
def test_rate_limits_are_waited_out_as_gmail_asks(google, status):
    sleeps = RecordedSleeps()
    with provider_for(google, sleeps=sleeps) as gmail:
        gmail.account_cursor()  # signed in
        google.fail_next(2, status, gmail_error(status, "User-rate limit exceeded.", "rateLimitExceeded",
                                                "RESOURCE_EXHAUSTED"), retry_after=4)
        assert by_path(gmail.list_folders())["Inbox"]
        ids = newest_first(google, "INBOX")[:8]
        google.fail_next(3, status, gmail_error(status, "User-rate limit exceeded.", "rateLimitExceeded",
                                                "RESOURCE_EXHAUSTED"), retry_after=6)
        assert {m.uid for m in gmail.fetch_meta("Inbox", ids)} == set(ids)
    assert sleeps == [4.0, 4.0, 6.0]


def test_the_provider_keeps_under_the_quota_gmail_enforces():
    with pytest.MonkeyPatch.context() as monkeypatch:
        ca_environment(monkeypatch)
        with GoogleStandIn(messages=30, units_per_second=100) as google:
            gmail = provider_for(google)
            gmail.quota = QuotaMeter(per_second=100)
            with gmail:
                ids = newest_first(google, "INBOX")[:20]
                metas = [m for _, batch in gmail.fetch_meta_batches("Inbox", ids, 10) for m in batch]
            assert len(metas) == 20
            assert all(c.status == 200 for c in google.calls if c.path.startswith("/gmail/"))


def test_renewed_tokens_are_handed_back(google):
    seen = []
    refresh = google.grant()
    with provider_for(google, on_tokens=lambda *t: seen.append(t), refresh_token=refresh) as gmail:
        gmail.list_folders()  # no access token yet: google-auth gets one first
        assert len(seen) == 1
        access, refresh_back, expires_at = seen[0]
        assert access in google.access_tokens and refresh_back == refresh
        assert time.time() + 3000 < expires_at <= time.time() + 3600
        gmail.account_cursor()
        assert len(seen) == 1  # nothing renewed, nothing told
        google.expire_access_tokens()  # Gmail answers 401: renewed and asked again
        gmail.fetch_meta("Inbox", newest_first(google, "INBOX")[:3]).__next__()
        assert len(seen) == 2 and seen[1][0] != access and seen[1][0] in google.access_tokens


def test_a_revoked_grant_says_sign_in_again(google, gmail):
    gmail.list_folders()
    google.revoke_grants()
    with pytest.raises(GrantRevoked, match="sign in with Google again"):
        gmail.account_cursor()


# -- sending ---------------------------------------------------------------------------------
REPLY = (
    b"From: owner@gmail.example\r\nTo: Ada <ada@example.org>\r\nCc: grace@example.net\r\n"
    b"Subject: Re: hello\r\nIn-Reply-To: <m0.7@standin.example>\r\nMessage-ID: <reply1@maildesk>\r\n\r\n"
    b"Thanks!\r\n"
)


def test_a_reply_goes_into_its_thread_with_bcc_for_hidden_recipients(google, gmail):
    original = newest_first(google, "INBOX")[-1]
    sent_id = gmail.send(REPLY, ["ada@example.org", "GRACE@example.net", "boss@example.com"],
                         reply_to_uid=original)
    sent = google.messages[sent_id]
    assert sent.labels == {"SENT"} and google.thread_id(sent) == google.thread_id(google.messages[original])
    headers = mime.parse_headers(sent.raw())
    assert headers.bcc_addrs == "boss@example.com"
    assert sent.raw().endswith(REPLY)
    assert len(google.calls_to(r"/messages/send$")) == 1
    assert len(google.calls_to(r"/messages/" + original + "$")) == 1  # format=minimal for its thread
    for malformed in ("x@y\r\nBcc: all@example.com", "a@b.org, c@d.org", "x\x00y@example.org", "no-at-sign"):
        with pytest.raises(ProviderError, match="Not an e-mail address"):  # the same rule as Graph's
            gmail.send(REPLY, ["ada@example.org", malformed])
    assert len(google.calls_to(r"/messages/send$")) == 1


def test_a_reply_to_metadata_read_earlier_needs_no_extra_call(google, gmail):
    original = newest_first(google, "INBOX")[0]
    list(gmail.fetch_meta("Inbox", [original]))
    google.clear_calls()
    sent_id = gmail.send(REPLY, ["ada@example.org"], reply_to_uid=original)
    assert google.thread_id(google.messages[sent_id]) == google.thread_id(google.messages[original])
    assert [c.path for c in api_calls(google)] == ["/gmail/v1/users/me/messages/send"]


def test_a_send_is_never_repeated_when_gmail_may_have_sent_it(google, gmail):
    gmail.list_folders()
    google.fail_next(1, 500, gmail_error(500, "Backend Error", "backendError", "INTERNAL"))
    with pytest.raises(DeliveryUncertain, match="may or may not"):
        gmail.send(REPLY, ["ada@example.org"])
    assert len(google.calls_to(r"/messages/send$")) == 1
    google.drop_after_send = 1  # sent, then the connection drops before Gmail answers
    before = len(google.messages)
    with pytest.raises(DeliveryUncertain, match="may or may not"):
        gmail.send(REPLY, ["ada@example.org"])
    assert len(google.calls_to(r"/messages/send$")) == 2 and len(google.messages) == before + 1
    google.fail_next(1, 429, gmail_error(429, "Too many", "rateLimitExceeded", "RESOURCE_EXHAUSTED"), 2)
    before = len(google.messages)
    assert gmail.send(REPLY, ["ada@example.org"])  # refused for load: nothing went out, so again
    assert len(google.calls_to(r"/messages/send$")) == 4 and len(google.messages) == before + 1


# -- changing --------------------------------------------------------------------------------
def test_read_and_star_change_labels(google, gmail):
    ids = [inbox_id(google, unread=True)] + newest_first(google, "INBOX")[:3]
    gmail.set_flags("Inbox", ids, seen=True, starred=True)
    assert all({"STARRED"} <= google.messages[g].labels and "UNREAD" not in google.messages[g].labels
               for g in ids)
    gmail.set_flags("Inbox", ids, seen=False)
    assert all({"STARRED", "UNREAD"} <= google.messages[g].labels for g in ids)
    assert len(api_calls(google, r".*batchModify")) == 2
    assert gmail.add_flags("Inbox", ids, ["\\Answered"]) == ()


def test_moving_archiving_spam_and_trash(google, gmail):
    gmail.list_folders()
    a, b, c, d = newest_first(google, "INBOX")[:4]
    assert gmail.move("Inbox", [a], "Receipts") == {a: a}
    assert "Label_3" in google.messages[a].labels and "INBOX" not in google.messages[a].labels
    assert gmail.move("Receipts", [a], "All Mail") == {a: a}
    assert not {"Label_3", "INBOX"} & google.messages[a].labels
    assert gmail.move("All Mail", [a], "Inbox") == {a: a} and "INBOX" in google.messages[a].labels
    assert gmail.move("Inbox", [b], "Spam") == {b: b}
    assert "SPAM" in google.messages[b].labels and "INBOX" not in google.messages[b].labels
    assert gmail.move("Spam", [b], "Inbox") == {b: b}
    assert "INBOX" in google.messages[b].labels and "SPAM" not in google.messages[b].labels
    assert gmail.move("Inbox", [c], "Trash") == {c: c} and "TRASH" in google.messages[c].labels
    assert gmail.delete("Inbox", [d, "../evil"], trash_path="Trash") == {d: d}
    assert "TRASH" in google.messages[d].labels
    with pytest.raises(ProviderError, match="30 days"):
        gmail.delete("Trash", [d])
    assert d in google.messages
    sent = newest_first(google, "SENT")[0]
    gmail.move("Sent", [sent], "Projects")  # Gmail keeps SENT: the message is in both
    assert {"SENT", "Label_1"} <= google.messages[sent].labels
    with pytest.raises(FolderGone):
        gmail.move("Inbox", [a], "No such label")
    with pytest.raises(ProviderError):
        gmail.append("Inbox", b"Subject: x\r\n\r\n")


def test_search_stays_one_phrase_within_the_label(google, gmail):
    gmail.list_folders()
    target = google.deliver("Quarterly numbers are in")
    google.deliver("numbers quarterly")  # the same words, not the phrase
    found = gmail.search_text("Inbox", "quarterly   NUMBERS", 10)
    assert found == [google.gmail_id(target)]
    assert gmail.search_text("Inbox", 'numbers" OR in:trash "x', 10) == []
    [call] = google.calls_to(r"/messages$")[-1:]
    assert call.query["q"] == ['"numbers OR in:trash x"']
    assert gmail.search_text("Trash", "Quarterly numbers", 10) == []
    many = gmail.search_text("Inbox", "Message", 7)
    generated = [g for g in newest_first(google, "INBOX") if google.messages[g].text.startswith("Message")]
    assert len(many) == 7 and many == generated[:7]


def test_only_gmail_shaped_ids_are_valid(gmail):
    assert gmail.valid_id("18c00000a1") and gmail.valid_id("0")
    for bad in ("", "local-3", "18C0", "../x", "a b", "1" * 33, None, 12):
        assert not gmail.valid_id(bad)


def test_every_session_of_one_mailbox_draws_on_the_same_quota(google):
    def session(address):
        return GmailProvider(address, None, "refresh", 0, "id", "secret", api_endpoint=google.base_url)

    sync, reader, other = session("Team@Example.com"), session("team@example.com"), session("x@example.com")
    assert sync.quota is reader.quota and sync.quota is not other.quota
    assert sync.quota.per_second == 250 and sync.quota.window == 1.0


def test_a_hostile_history_is_read_without_trusting_it(google, gmail):
    folders = gmail.list_folders()
    cursor = gmail.account_cursor()
    real = newest_first(google, "INBOX")[0]
    google.history_id += 1
    google.history += [
        (google.history_id, "labelsAdded", "../../drafts", ["INBOX"]),  # no Gmail id: ignored
        (google.history_id, "labelsRemoved", real, [None, 5, "INBOX", {"x": 1}]),
        (google.history_id, "messagesAdded", "ABCDEF", None),
    ]
    changes, next_cursor, done = gmail.account_changes(cursor, folders)
    assert next_cursor == str(google.history_id) and done
    assert changes["INBOX"].removed == set()  # the message still has INBOX: its labels say so
    assert changes["INBOX"].flag_changes.keys() == {real}
    assert not any("../../drafts" in c.removed or "ABCDEF" in c.new_ids for c in changes.values())
