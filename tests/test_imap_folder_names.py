"""Folder names outside ASCII against a real Dovecot, both ways a server can take them:
modified UTF-7 (RFC 3501 5.1.3, what Dovecot 2.3 speaks) and UTF-8 once UTF8=ACCEPT is
enabled (RFC 6855; Dovecot 2.3 has no such mode, so ``Utf8AcceptFront`` gives it one)."""
import time

import pytest
from imapclient import IMAPClient
from utf8_accept_proxy import Utf8AcceptFront

from maildesk_mail_client.infrastructure.providers.imap import ImapProvider
from maildesk_mail_client.tests.mailservers import PASSWORD

NAMES = ["Entwürfe", "Входящие/Важное", "日本語", "a&b", 'say "hi"']


def message(subject):
    return (f"From: a@example.org\r\nTo: b@example.org\r\nSubject: {subject}\r\n"
            f"Message-ID: <{time.time_ns()}@example.org>\r\n\r\nbody of {subject}\r\n").encode()


@pytest.mark.parametrize(("mode", "server"), [
    ("modified utf-7", "dovecot"), ("utf8=accept", "dovecot"),
    ("modified utf-7", "basic_dovecot"), ("utf8=accept", "basic_dovecot"),  # no LIST-STATUS
])
def test_non_ascii_folders_list_select_status_move_and_append(mode, server, request):
    dovecot = request.getfixturevalue(server)
    with Utf8AcceptFront(dovecot.imap_port) as utf8_front:
        check_folders(dovecot, utf8_front, mode)


def check_folders(dovecot, utf8_front, mode):
    user = dovecot.new_user()
    other = IMAPClient("127.0.0.1", dovecot.imap_port, ssl=False)  # another mail program
    other.login(user, PASSWORD)
    for name in NAMES:
        other.create_folder(name)
    for n in range(len(NAMES)):
        dovecot.deliver(user, message(f"m{n}"))
    port = utf8_front.port if mode == "utf8=accept" else dovecot.imap_port
    with ImapProvider("127.0.0.1", port, security="none", login=user, password=PASSWORD) as imap:
        assert imap.utf8 == (mode == "utf8=accept")
        listed = {f.path: f for f in imap.list_folders()}
        assert set(NAMES) | {"Входящие"} <= set(listed)
        assert listed["Входящие/Важное"].name == "Важное"
        assert listed["Входящие/Важное"].parent_path == "Входящие"
        for uid, name in enumerate(NAMES, start=1):
            imap.move("INBOX", [str(uid)], name)
            assert list(imap.changes(name, None, 0, None).new_uids) == [1]
            assert imap.append(name, message(f"appended to {name}"), flags=("\\Seen",)) == "2"
        listed = {f.path: f for f in imap.list_folders()}
        assert all(listed[name].messages == 2 and listed[name].unseen == 1 for name in NAMES)
        assert [m.subject for m in imap.fetch_meta("日本語", [2])] == ["appended to 日本語"]
        imap.delete("a&b", ["1"])
    for name in NAMES:  # what the other program sees, in the server's own names
        other.select_folder(name)
        assert len(other.search("ALL")) == (1 if name == "a&b" else 2), name
    other.select_folder("Trash")
    assert len(other.search("ALL")) == 1
    other.logout()
    if mode == "utf8=accept":  # the names really travelled as UTF-8, "&" as itself
        sent = b"".join(utf8_front.commands)
        assert "Entwürfe".encode() in sent and b'"a&b"' in sent
        assert b"Entw&APw-rfe" not in sent and b"a&-b" not in sent
