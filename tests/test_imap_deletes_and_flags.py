"""Deleting and moving erase only our own messages, whatever the server offers; replies and
forwards are marked on the server. Against real Dovecots with the capabilities servers have."""
import socket
import time

import pytest
from imapclient import IMAPClient

from maildesk_mail_client.infrastructure.providers.base import ProviderError, ServerUnreachable
from maildesk_mail_client.infrastructure.providers.imap import ImapProvider
from maildesk_mail_client.tests import mailservers
from maildesk_mail_client.tests.mailservers import PASSWORD, DroppingProxy

BASE = "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE SPECIAL-USE NAMESPACE"


def _server(capabilities):
    server = mailservers.Dovecot(capabilities=capabilities)
    try:
        server.start()
    except mailservers.ServerUnavailable as exc:
        pytest.skip(str(exc))
    return server


@pytest.fixture(scope="module")
def servers(dovecot):
    """Dovecot as it is (MOVE, UIDPLUS), and as servers without one or both."""
    started = {"move+uidplus": dovecot, "move only": _server(f"{BASE} MOVE"),
               "uidplus only": _server(f"{BASE} UIDPLUS"), "neither": _server(BASE)}
    yield started
    for name, server in started.items():
        if name != "move+uidplus":
            server.stop()


def message(subject):
    return (f"From: a@example.org\r\nSubject: {subject}\r\nMessage-ID: <{time.time_ns()}@x>\r\n"
            f"\r\nbody\r\n").encode()


def mailbox(server, folder="INBOX", count=3):
    """A fresh user with ``count`` messages in ``folder``, and another program signed in to it
    that has marked message 1 \\Deleted without expunging (its user may still undo that)."""
    user = server.new_user()
    other = IMAPClient("127.0.0.1", server.imap_port, ssl=False)
    other.login(user, PASSWORD)
    for n in range(count):
        other.append(folder, message(f"{folder} {n + 1}"))
    other.select_folder(folder)
    other.add_flags([1], [b"\\Deleted"])
    return user, other


def provider(server, user):
    return ImapProvider("127.0.0.1", server.imap_port, security="none", login=user, password=PASSWORD)


def uids(other, folder):
    other.select_folder(folder)
    return other.search("ALL")


@pytest.mark.parametrize("kind", ["move+uidplus", "move only", "uidplus only"])
def test_deleting_to_trash_leaves_what_others_marked_deleted(servers, kind):
    server = servers[kind]
    user, other = mailbox(server)
    with provider(server, user) as imap:
        imap.list_folders()
        imap.delete("INBOX", ["2"])
        imap.move("INBOX", ["3"], "Archive")
    assert uids(other, "INBOX") == [1]  # theirs is still there, still marked \Deleted
    assert b"\\Deleted" in other.get_flags([1])[1]
    assert len(uids(other, "Trash")) == 1 and len(uids(other, "Archive")) == 1


@pytest.mark.parametrize("kind", ["move+uidplus", "uidplus only"])
def test_deleting_in_trash_erases_exactly_ours(servers, kind):
    server = servers[kind]
    user, other = mailbox(server, folder="Trash")
    with provider(server, user) as imap:
        imap.list_folders()
        imap.delete("Trash", ["2"])
    assert uids(other, "Trash") == [1, 3]


@pytest.mark.parametrize("kind", ["move only", "neither"])
def test_without_uid_expunge_erasing_in_trash_is_refused_and_nothing_changes(servers, kind):
    server = servers[kind]
    user, other = mailbox(server, folder="Trash")
    with provider(server, user) as imap:
        imap.list_folders()
        with pytest.raises(ProviderError, match="neither MOVE nor UID EXPUNGE.*nothing was changed"):
            imap.delete("Trash", ["2"])
    assert uids(other, "Trash") == [1, 2, 3]
    assert b"\\Deleted" not in other.get_flags([2])[2]


def test_without_move_or_uid_expunge_moving_is_refused_and_nothing_changes(servers):
    server = servers["neither"]
    user, other = mailbox(server)
    with provider(server, user) as imap:
        imap.list_folders()
        with pytest.raises(ProviderError, match="UIDPLUS"):
            imap.move("INBOX", ["2"], "Archive")
        with pytest.raises(ProviderError, match="UIDPLUS"):
            imap.delete("INBOX", ["3"])
    assert uids(other, "INBOX") == [1, 2, 3]
    assert uids(other, "Archive") == [] and uids(other, "Trash") == []


def test_replies_and_forwards_are_marked_on_the_server(dovecot):
    user, other = mailbox(dovecot)
    with provider(dovecot, user) as imap:
        assert imap.add_flags("INBOX", ["2"], ["\\Answered"]) == ("\\Answered",)
        assert imap.add_flags("INBOX", ["3"], ["$Forwarded"]) == ("$Forwarded",)
        assert imap.add_flags("INBOX", [], ["$Forwarded"]) == ()
        for hostile in ("$Forwarded) (\\Deleted", "a b", "\\Seen\r\nA1 EXPUNGE", ""):
            with pytest.raises(ValueError):
                imap.add_flags("INBOX", ["2"], [hostile])
    other.select_folder("INBOX")
    flags = other.get_flags([1, 2, 3])
    assert b"\\Answered" in flags[2] and b"$Forwarded" in flags[3]
    assert b"\\Deleted" not in flags[2] and b"\\Seen" not in flags[2]  # nothing else changed
    assert b"$Forwarded" not in flags[2] and b"\\Answered" not in flags[3]


class CountingFront(DroppingProxy):
    """A proxy that keeps the connections a client opened (``opened``), to count or cut them."""

    def __init__(self, port):
        super().__init__(port)
        self.opened = []
        listener, opened = self.listener, self.opened

        class Recording:
            def accept(self):
                accepted = listener.accept()
                opened.append(accepted[0])
                return accepted

            def __getattr__(self, name):
                return getattr(listener, name)

        self.listener = Recording()


def test_one_connection_serves_a_whole_block_and_a_lost_one_stays_lost(dovecot):
    user, _other = mailbox(dovecot)
    with CountingFront(dovecot.imap_port) as front:
        imap = ImapProvider("127.0.0.1", front.port, security="none", login=user, password=PASSWORD)
        with imap:
            imap.list_folders()
            assert imap.fetch_raw("INBOX", 2)
            imap.set_flags("INBOX", ["2"], seen=True)
            imap.add_flags("INBOX", ["2"], ["$Forwarded"])
            imap.append("Sent", message("copy"))
            imap.move("INBOX", ["3"], "Archive")
            assert len(front.opened) == 1
            front.opened[0].shutdown(socket.SHUT_RDWR)  # the network fails
            with pytest.raises(ServerUnreachable):
                imap.fetch_raw("INBOX", 2)
            for call in (lambda: imap.fetch_raw("INBOX", 2), imap.list_folders,
                         lambda: imap.set_flags("INBOX", ["2"], seen=False),
                         lambda: imap.append("Sent", message("again"))):
                with pytest.raises(ServerUnreachable, match="connection to the server was lost"):
                    call()
        assert len(front.opened) == 1  # nothing reconnected behind the caller's back
