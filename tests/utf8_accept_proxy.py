"""A UTF8=ACCEPT front for a Dovecot that has none (Dovecot 2.3 has no RFC 6855 support).

It stands between a client and the real server and does what a UTF8=ACCEPT server does for
folder names: it advertises the capability, answers ``ENABLE UTF8=ACCEPT``, and from then on
reads folder names in commands as UTF-8 (writing them to Dovecot in modified UTF-7) and
writes folder names in LIST and STATUS answers as UTF-8. Everything else passes unchanged,
literals included. ``commands`` keeps each command line as the client sent it, so a test can
check which encoding really went over the wire.
"""
import contextlib
import re
import socket
import threading

from imapclient import imap_utf7

from maildesk_mail_client.tests.mailservers import DroppingProxy

# Commands whose quoted strings are folder names (or ASCII that encodes to itself, like the
# date of APPEND or the "" and "*" of LIST).
_NAMED = {b"SELECT", b"EXAMINE", b"CREATE", b"DELETE", b"RENAME", b"SUBSCRIBE", b"UNSUBSCRIBE",
          b"STATUS", b"APPEND", b"LIST", b"LSUB", b"COPY", b"MOVE"}
_QUOTED = re.compile(rb'"((?:[^"\\]|\\.)*)"')
_COMMAND = re.compile(rb"^(\S+) (?:UID )?(\S+)", re.I)
_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")
_NAME = rb'("(?:[^"\\]|\\.)*"|[^\s()"]+)'
_LIST_LINE = re.compile(rb'^(\* (?:LIST|LSUB) \([^)]*\) (?:"[^"]*"|NIL) )' + _NAME + rb"(.*\r\n)$",
                        re.I | re.S)
_STATUS_LINE = re.compile(rb"^(\* STATUS )" + _NAME + rb"( \(.*\r\n)$", re.I | re.S)


def _unescape(value):
    return re.sub(rb"\\(.)", rb"\1", value)


def _escape(value):
    return value.replace(b"\\", b"\\\\").replace(b'"', b'\\"')


def to_utf7(match):
    name = _unescape(match.group(1)).decode("utf-8")
    return b'"' + _escape(imap_utf7.encode(name)) + b'"'


def to_utf8(name):
    """A name as Dovecot wrote it (quoted or atom, modified UTF-7) as a UTF-8 quoted string."""
    if name.startswith(b'"') and name.endswith(b'"'):
        name = _unescape(name[1:-1])
    return b'"' + _escape(imap_utf7.decode(name).encode("utf-8")) + b'"'


def _close(*socks):
    for sock in socks:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class Utf8AcceptFront(DroppingProxy):
    """Listens like DroppingProxy (start, stop, ``port``), but translates instead of cutting."""

    def __init__(self, port):
        super().__init__(port)
        self.commands = []

    def _accept(self):
        while True:
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            session = {"utf8": False, "enable_tag": None, "lock": threading.Lock(), "client": client}
            threading.Thread(target=self._from_client, args=(client, server, session),
                             daemon=True).start()
            threading.Thread(target=self._from_server, args=(server, client, session),
                             daemon=True).start()

    def _send_client(self, session, data):
        with session["lock"]:
            session["client"].sendall(data)

    def _from_client(self, client, server, session):
        reader = client.makefile("rb")
        try:
            while True:
                line = reader.readline()
                if not line:
                    break
                literal = _LITERAL.search(line)
                line = self._command(line, session)
                if line is not None:
                    server.sendall(line)
                if literal:
                    size = int(literal.group(1))
                    # a synchronising literal: wait for the server's "+", which passes through
                    data = reader.read(size)
                    server.sendall(data)
        except OSError:
            pass
        finally:
            _close(client, server)

    def _command(self, line, session):
        self.commands.append(line)
        match = _COMMAND.match(line)
        if not match:
            return line
        tag, verb = match.group(1), match.group(2).upper()
        if verb == b"ENABLE":
            words = line.rstrip(b"\r\n").split(b" ")[2:]
            if any(w.upper() == b"UTF8=ACCEPT" for w in words):
                session["utf8"] = True
                rest = [w for w in words if w.upper() != b"UTF8=ACCEPT"]
                if not rest:
                    self._send_client(session, b"* ENABLED UTF8=ACCEPT\r\n" + tag
                                      + b" OK Enabled\r\n")
                    return None
                session["enable_tag"] = tag
                return tag + b" ENABLE " + b" ".join(rest) + b"\r\n"
        if session["utf8"] and verb in _NAMED:
            return _QUOTED.sub(to_utf7, line)
        return line

    def _from_server(self, server, client, session):
        reader = server.makefile("rb")
        try:
            while True:
                line = reader.readline()
                if not line:
                    break
                literal = _LITERAL.search(line)
                out = self._answer(line, session)
                if literal:
                    out += reader.read(int(literal.group(1)))
                self._send_client(session, out)
        except OSError:
            pass
        finally:
            _close(client, server)

    def _answer(self, line, session):
        if b"CAPABILITY " in line.upper() and b"UTF8=ACCEPT" not in line.upper():
            line = re.sub(rb"(CAPABILITY [^\]\r\n]*)", rb"\1 UTF8=ACCEPT", line, count=1, flags=re.I)
        tag = session["enable_tag"]
        if tag and line.upper().startswith(b"* ENABLED"):
            session["enable_tag"] = None
            return line.rstrip(b"\r\n") + b" UTF8=ACCEPT\r\n"
        if tag and line.startswith(tag + b" "):
            session["enable_tag"] = None
            return b"* ENABLED UTF8=ACCEPT\r\n" + line
        if session["utf8"]:
            for pattern in (_LIST_LINE, _STATUS_LINE):
                match = pattern.match(line)
                if match and not _LITERAL.search(line):
                    return match.group(1) + to_utf8(match.group(2)) + match.group(3)
        return line
