"""The IMAP provider against a real Dovecot: folders, changes, flags, moves, errors."""
import ssl
import threading
import time

import pytest
from imapclient import IMAPClient

from maildesk_mail_client.infrastructure.providers.base import (
    AuthenticationFailed,
    ServerUnreachable,
)
from maildesk_mail_client.infrastructure.providers.imap import ImapProvider
from maildesk_mail_client.tests.mailservers import PASSWORD, DroppingProxy, free_port


def message(subject="Hello", sender="Alice <alice@example.org>", body="Hi there.", extra=""):
    return (f"From: {sender}\r\nTo: team@example.com\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '-')}-{time.time_ns()}@example.org>\r\n{extra}"
            f"Date: Mon, 23 Nov 2026 10:00:00 +0100\r\n\r\n{body}\r\n").encode()


@pytest.fixture
def mailbox(dovecot):
    user = dovecot.new_user()
    other = IMAPClient("127.0.0.1", dovecot.imap_port, ssl=False)  # "another client"
    other.login(user, PASSWORD)
    yield user, other
    other.logout()


def provider(server, user, **kwargs):
    kwargs.setdefault("security", "none")
    return ImapProvider("127.0.0.1", kwargs.pop("port", server.imap_port), login=user,
                        password=kwargs.pop("password", PASSWORD), **kwargs)


def test_folders_come_with_types_names_and_status(dovecot, mailbox):
    user, other = mailbox
    other.create_folder("Projekte/Größe")
    dovecot.deliver(user, message())
    with provider(dovecot, user) as imap:
        folders = {f.path: f for f in imap.list_folders()}
        assert imap.round_trips == 4  # greeting+login+enable, then one LIST-STATUS
    assert {folders[p].folder_type for p in ("INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive")} \
        == {"inbox", "sent", "drafts", "trash", "spam", "archive"}
    assert folders["Projekte/Größe"].name == "Größe"
    assert folders["Projekte/Größe"].parent_path == "Projekte"
    assert not folders["Projekte"].selectable
    assert folders["INBOX"].messages == 1 and folders["INBOX"].unseen == 1
    assert folders["INBOX"].uidvalidity and folders["INBOX"].highestmodseq


def test_reading_metadata_never_marks_mail_read(dovecot, mailbox):
    user, other = mailbox
    dovecot.deliver(user, message("=?utf-8?q?Caf=C3=A9_menu?=", body="Soup of the day.\r\n\r\n> old"))
    with provider(dovecot, user) as imap:
        metas = list(imap.fetch_meta("INBOX", [1]))
        raw = imap.fetch_raw("INBOX", 1)
    assert metas[0].subject == "Café menu"
    assert metas[0].from_addr == "alice@example.org" and metas[0].sender_display_name == "Alice"
    assert metas[0].preview.startswith("Soup of the day.") and "old" not in metas[0].preview
    assert not metas[0].is_read and b"Soup of the day" in raw
    other.select_folder("INBOX", readonly=True)
    assert b"\\Seen" not in other.get_flags([1])[1]


def test_changes_new_mail_flags_and_expunges_with_qresync(dovecot, mailbox):
    user, other = mailbox
    for n in range(3):
        dovecot.deliver(user, message(f"m{n}"))
    with provider(dovecot, user) as imap:
        first = imap.changes("INBOX", None, 0, None)
        assert list(first.new_uids) == [3, 2, 1]
        cursor = (first.uidvalidity, 3, first.highestmodseq)
        unchanged = imap.changes("INBOX", *cursor)
        assert not unchanged.new_uids and unchanged.flag_changes == {} and not unchanged.vanished
        other.select_folder("INBOX")
        other.add_flags([2], [b"\\Seen", b"\\Flagged"])
        other.delete_messages([1])
        other.expunge()
        dovecot.deliver(user, message("m3"))
        delta = imap.changes("INBOX", *cursor)
    assert list(delta.new_uids) == [4]
    assert set(delta.flag_changes[2]) >= {"\\Seen", "\\Flagged"}
    assert delta.vanished == {1}
    assert delta.round_trips <= 3


def test_changes_on_a_server_without_condstore(basic_dovecot):
    user = basic_dovecot.new_user()
    for n in range(3):
        basic_dovecot.deliver(user, message(f"b{n}"))
    other = IMAPClient("127.0.0.1", basic_dovecot.imap_port, ssl=False)
    other.login(user, PASSWORD)
    with provider(basic_dovecot, user) as imap:
        assert not imap.condstore
        folders = {f.path: f for f in imap.list_folders()}
        first = imap.changes("INBOX", None, 0, None)
        other.select_folder("INBOX")
        other.add_flags([3], [b"\\Flagged"])
        other.delete_messages([2])
        other.expunge()
        delta = imap.changes("INBOX", first.uidvalidity, 3, None, known_uids={1, 2, 3})
    assert folders["INBOX"].highestmodseq is None
    assert delta.vanished == {2}
    assert "\\Flagged" in delta.flag_changes[3]
    other.logout()


def test_a_recreated_folder_resets_its_cursor(dovecot, mailbox):
    user, other = mailbox
    other.create_folder("Clients")
    other.append("Clients", message("old"))
    with provider(dovecot, user) as imap:
        first = imap.changes("Clients", None, 0, None)
        other.delete_folder("Clients")
        time.sleep(1.1)  # UIDVALIDITY is time based
        other.create_folder("Clients")
        other.append("Clients", message("new 1"))
        other.append("Clients", message("new 2"))
        delta = imap.changes("Clients", first.uidvalidity, 1, first.highestmodseq)
    assert delta.reset and delta.uidvalidity != first.uidvalidity
    assert list(delta.new_uids) == [2, 1]


def test_flags_moves_deletes_and_appends_reach_the_server(dovecot, mailbox):
    user, other = mailbox
    for n in range(3):
        dovecot.deliver(user, message(f"act{n}"))
    with provider(dovecot, user) as imap:
        imap.list_folders()
        imap.set_flags("INBOX", ["1"], seen=True, starred=True)
        moved = imap.move("INBOX", ["2"], "Archive")
        deleted = imap.delete("INBOX", ["3"])
        new_uid = imap.append("Sent", message("sent copy"), flags=("\\Seen",))
    other.select_folder("INBOX")
    assert set(other.get_flags([1])[1]) >= {b"\\Seen", b"\\Flagged"}
    assert other.search("ALL") == [1]
    assert moved == {"2": "1"}
    assert list(deleted.values()) == ["1"]
    other.select_folder("Trash")
    assert other.search("ALL") == [1]
    other.select_folder("Sent")
    assert new_uid == "1" and other.search("ALL") == [1]


def test_a_wrong_password_says_what_the_server_said(dovecot, mailbox):
    user, _other = mailbox
    with pytest.raises(AuthenticationFailed) as caught:
        provider(dovecot, user, password="wrong").connect()
    assert "Authentication failed" in str(caught.value)


def test_an_unreachable_server_is_reported_as_such():
    with pytest.raises(ServerUnreachable) as caught:
        ImapProvider("127.0.0.1", free_port(), security="none", login="x", password="y").connect()
    assert "127.0.0.1" in str(caught.value)


def test_tls_and_starttls_verify_the_certificate(dovecot, mailbox):
    user, _other = mailbox
    trusted = dovecot.tls_context()
    with provider(dovecot, user, port=dovecot.imaps_port, security="ssl", ssl_context=trusted) as imap:
        assert imap.list_folders()
    with provider(dovecot, user, security="starttls", ssl_context=trusted) as imap:
        assert imap.list_folders()
    with pytest.raises(ServerUnreachable) as caught:
        provider(dovecot, user, port=dovecot.imaps_port, security="ssl",
                 ssl_context=ssl.create_default_context()).connect()
    assert "certificate" in str(caught.value).lower()


def test_a_connection_dropped_mid_fetch_is_reported(dovecot, mailbox):
    user, _other = mailbox
    for n in range(40):
        dovecot.deliver(user, message(f"drop{n}", body="x" * 2000))
    with DroppingProxy(dovecot.imap_port, drop_after=6000) as proxy:
        imap = provider(dovecot, user, port=proxy.port)
        imap.connect()
        with pytest.raises(ServerUnreachable):
            list(imap.fetch_meta("INBOX", range(1, 41)))
        imap.close()


def test_idle_wakes_up_when_mail_arrives(dovecot, mailbox):
    user, _other = mailbox
    with provider(dovecot, user) as imap:
        assert imap.wait_for_changes("INBOX", 0.3) is False
        threading.Timer(0.2, dovecot.deliver, (user, message("idle"))).start()
        assert imap.wait_for_changes("INBOX", 5) is True


@pytest.mark.parametrize("server", ["dovecot", "basic_dovecot"])
def test_uid_lists_with_gaps_are_the_same_with_and_without_esearch(server, request):
    dovecot = request.getfixturevalue(server)
    user = dovecot.new_user()
    other = IMAPClient("127.0.0.1", dovecot.imap_port, ssl=False)
    other.login(user, PASSWORD)
    for n in range(12):
        dovecot.deliver(user, message(f"g{n}"))
    other.select_folder("INBOX")
    other.delete_messages([3, 4, 5, 9])
    other.expunge()
    other.logout()
    with provider(dovecot, user) as imap:
        assert ("ESEARCH" in imap.capabilities) == (server == "dovecot")
        assert list(imap.all_uids("INBOX")) == [1, 2, 6, 7, 8, 10, 11, 12]
        assert list(imap.all_uids("INBOX", below=9)) == [1, 2, 6, 7, 8]
        assert list(imap.all_uids("INBOX", below=1)) == []
        delta = imap.changes("INBOX", None, 8, None)
        assert list(delta.new_uids) == [12, 11, 10]
        batches = [list(b) for b, _m in imap.fetch_meta_batches("INBOX", imap.all_uids("INBOX")[::-1], 3)]
        assert batches == [[12, 11, 10], [8, 7, 6], [2, 1]]


def test_unbelievable_dates_sort_by_arrival(dovecot, mailbox):
    user, _other = mailbox
    dovecot.deliver(user, b"From: a@example.org\r\nSubject: future\r\nDate: Tue, 1 Jan 2999 00:00:00 +0000"
                          b"\r\n\r\nx\r\n")
    dovecot.deliver(user, message("today"))
    with provider(dovecot, user) as imap:
        future, today = sorted(imap.fetch_meta("INBOX", [1, 2]), key=lambda m: int(m.uid))
    assert future.date.year == 2999  # what the sender wrote is kept
    assert abs(future.sort_time.timestamp() - time.time()) < 3600  # but it sorts by arrival
    assert today.sort_time == today.date and today.internal_date is None


def test_sign_in_with_an_oauth_token_and_a_revoked_one(oauth_dovecot, oauth):
    user = oauth_dovecot.new_user()
    token = oauth.issue(user)
    oauth_dovecot.deliver(user, message("by token"))
    with provider(oauth_dovecot, user, password="", access_token=token) as imap:
        assert {f.path for f in imap.list_folders()} >= {"INBOX", "Sent"}
        assert [m.subject for m in imap.fetch_meta("INBOX", [1])] == ["by token"]
    del oauth.tokens[token]  # revoked by the user or the provider
    with pytest.raises(AuthenticationFailed, match="AUTHENTICATIONFAILED"):
        provider(oauth_dovecot, user, password="", access_token=token).connect()
    with provider(oauth_dovecot, user) as imap:  # passwords still work beside tokens
        assert imap.capabilities
