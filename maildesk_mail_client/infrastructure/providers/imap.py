"""IMAP provider on imapclient, with bulk FETCHes read by ``imap_wire``.

Sync state machine of one folder (cursor = UIDVALIDITY, last seen UID, HIGHESTMODSEQ):

    LIST-STATUS says nothing changed ──────────────► done (no command for this folder)
    EXAMINE ─► UIDVALIDITY differs ─► reset: every UID is new, the old index is void
             └► UIDs above the cursor ─► new mail (UID SEARCH)
             └► MODSEQ moved ─► QRESYNC: UID FETCH FLAGS (CHANGEDSINCE m VANISHED)
                               CONDSTORE: same without VANISHED, UID SEARCH for expunges
                               neither:   UID FETCH 1:* FLAGS and a UID diff

Nothing here ever sets \\Seen: messages are read with BODY.PEEK, folders are EXAMINEd for
sync and SELECTed only to change something.
"""
import bisect
import contextlib
import imaplib
import re
import ssl
from array import array

from imapclient import IMAPClient, imap_utf7
from imapclient.exceptions import IMAPClientError, LoginError
from imapclient.response_parser import parse_response

from .. import mime
from ..folder_types import classify
from . import imap_wire
from .base import (
    AuthenticationFailed,
    FolderDelta,
    FolderGone,
    MailProvider,
    MessageMeta,
    ProviderError,
    RemoteFolder,
    ServerUnreachable,
    plausible_date,
)

CONNECT_TIMEOUT = 20  # seconds to open a connection and read the greeting
COMMAND_TIMEOUT = 120  # seconds any single command may take
FETCH_CHUNK = 1000  # UIDs per FETCH command line
MAX_SEARCH_TEXT = 200  # characters of a body search sent to the server
PREVIEW_BYTES = 4096  # body bytes read for a preview when the server has no PREVIEW
HEADER_FIELDS = ("FROM", "SENDER", "TO", "CC", "BCC", "SUBJECT", "DATE", "MESSAGE-ID", "IN-REPLY-TO",
                 "REFERENCES", "CONTENT-TYPE", "CONTENT-TRANSFER-ENCODING")
# Exchange and others expose non-mail folders over IMAP; they hold no messages worth showing.
NON_MAIL_FOLDERS = {"calendar", "kalender", "contacts", "kontakte", "tasks", "aufgaben", "notes",
                    "notizen", "journal", "sync issues", "synchronisierungsprobleme", "outbox",
                    "postausgang", "conversation history"}
_APPENDUID = re.compile(rb"APPENDUID (\d+) (\d+)")
_COPYUID = re.compile(rb"COPYUID (\d+) ([\d:,]+) ([\d:,]+)")
_ESEARCH_ALL = re.compile(rb"\bALL ([\d:,]+)")
_VANISHED = re.compile(rb"(?:\(EARLIER\)\s*)?([\d:,]+)")
_LIST_STATUS_ITEMS = "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ)"


def _quote(path, utf8=False):
    """A folder name as a quoted string: UTF-8 once UTF8=ACCEPT is enabled (RFC 6855 3),
    else modified UTF-7 (RFC 3501 5.1.3), where "&" is written "&-"."""
    encoded = path.encode("utf-8") if utf8 else imap_utf7.encode(path)
    return b'"' + encoded.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


# A flag or keyword is an atom (RFC 3501 9: flag-keyword, flag-extension): nothing that could
# end the list or start another command.
_FLAG = re.compile(r"\\?[!#$&'+\-.0-9:;<=>?@A-Z^_`a-z|~]{1,100}")


def _server_words(exc):
    text = str(exc)
    if isinstance(exc, bytes):
        text = exc.decode("utf-8", "replace")
    return re.sub(r"^b['\"]|['\"]$", "", text).strip() or exc.__class__.__name__


class ImapProvider(MailProvider):
    def __init__(self, host, port=993, security="ssl", login="", password="", ssl_context=None,
                 timeout=COMMAND_TIMEOUT, access_token=""):
        self.host, self.port, self.security = host, int(port), security
        self.login_name, self.password = login, password
        self.access_token = access_token  # OAuth 2.0 bearer token: SASL XOAUTH2 instead of LOGIN
        self.ssl_context = ssl_context
        self.timeout = timeout
        self.client = None
        self.capabilities = set()
        self.selected = None  # (path, readonly)
        self.round_trips = 0
        self._trash = None
        self._permanent_flags = set()  # of the folder selected read-write

    # -- session ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def _talk(self, what):
        """Map every way a command can fail onto the provider errors, with the server's words."""
        try:
            yield
        except LoginError as exc:
            raise AuthenticationFailed(_server_words(exc)) from exc
        except (TimeoutError, imaplib.IMAP4.abort, ConnectionError, ssl.SSLError) as exc:
            self._drop()
            raise ServerUnreachable(f"{what}: {_server_words(exc) or 'connection lost'}") from exc
        except OSError as exc:
            self._drop()
            raise ServerUnreachable(f"{what}: {exc.strerror or exc}") from exc
        except (imaplib.IMAP4.error, IMAPClientError) as exc:
            raise ProviderError(f"{what}: {_server_words(exc)}") from exc

    def _drop(self):
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.shutdown()
        self.client = None
        self.selected = None

    def connect(self):
        context = self.ssl_context or ssl.create_default_context()
        with self._talk(f"connecting to {self.host}:{self.port}"):
            self.client = IMAPClient(self.host, port=self.port, ssl=self.security == "ssl",
                                     ssl_context=context, timeout=CONNECT_TIMEOUT)
            self.client._imap.debug = 0
            if self.security == "starttls":
                self.client.starttls(context)
            self.client._imap.sock.settimeout(self.timeout)
        with self._talk("signing in"):
            try:
                if self.access_token:
                    self.client.oauth2_login(self.login_name, self.access_token)
                else:
                    self.client.login(self.login_name, self.password)
            except IMAPClientError as exc:
                raise AuthenticationFailed(_server_words(exc)) from exc
            self.capabilities = {c.decode().upper() for c in self.client.capabilities()}
            wanted = [c for c in ("QRESYNC", "CONDSTORE", "UTF8=ACCEPT") if c in self.capabilities]
            if wanted and "ENABLE" in self.capabilities:
                enabled = self.client.enable(*wanted)
                self.capabilities |= {"ENABLED:" + c.decode().upper() for c in enabled}
        if self.utf8:
            # Folder names now travel as UTF-8 both ways. imaplib's own UTF-8 mode is not used:
            # it would wrap every APPENDed message in "UTF8 (...)" inside the literal itself.
            self.client.folder_encode = False
            self.client._imap._encoding = "utf-8"
        self.round_trips = 3
        return self

    def close(self):
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.logout()
        self.client = None
        self.selected = None

    @property
    def session(self):
        """The signed-in connection; once it was lost, every later command says so (a
        ``with provider:`` block keeps one connection and never reconnects behind the caller)."""
        if self.client is None:
            raise ServerUnreachable(f"{self.host}:{self.port}: the connection to the server was "
                                    "lost; nothing more was sent")
        return self.client

    @property
    def utf8(self):
        """The server accepted UTF8=ACCEPT: folder names are UTF-8, not modified UTF-7."""
        return "ENABLED:UTF8=ACCEPT" in self.capabilities

    @property
    def can_move(self):
        return bool({"MOVE", "IMAP4REV2"} & self.capabilities)

    @property
    def can_expunge_uids(self):
        """UID EXPUNGE (UIDPLUS, part of IMAP4rev2): expunge exactly our messages."""
        return bool({"UIDPLUS", "IMAP4REV2"} & self.capabilities)

    def _quote(self, path):
        return _quote(path, self.utf8)

    @property
    def qresync(self):
        return "ENABLED:QRESYNC" in self.capabilities

    @property
    def condstore(self):
        return "ENABLED:CONDSTORE" in self.capabilities or self.qresync

    def _select(self, path, readonly=True):
        if self.selected == (path, readonly):
            return None
        with self._talk(f"opening folder {path}"):
            try:
                info = self.session.select_folder(path, readonly=readonly)
            except IMAPClientError as exc:
                if "NONEXISTENT" in str(exc).upper() or "doesn't exist" in str(exc):
                    raise FolderGone(f"folder {path} no longer exists on the server") from exc
                raise
        self.round_trips += 1
        self.selected = (path, readonly)
        self._permanent_flags = {f.decode() if isinstance(f, bytes) else str(f)
                                 for f in info.get(b"PERMANENTFLAGS", ())}
        return info

    def _raw(self, what, *args):
        """Run a UID command through imaplib; return its data, counted as one round trip."""
        imap = self.session._imap
        with self._talk(what):
            typ, data = imap.uid(*args)
            if typ != "OK":
                raise ProviderError(f"{what}: {_server_words(data and data[-1] or typ)}")
        self.round_trips += 1
        return data

    # -- folders ------------------------------------------------------------------------------
    def list_folders(self):
        if "LIST-STATUS" in self.capabilities:
            return self._list_with_status()
        with self._talk("listing folders"):
            listed = self.session.list_folders()
        self.round_trips += 1
        folders = [self._folder(flags, delimiter, name) for flags, delimiter, name in listed]
        for folder in folders:
            if folder.selectable:
                what = [b"MESSAGES", b"UIDNEXT", b"UIDVALIDITY", b"UNSEEN"]
                if self.condstore:
                    what.append(b"HIGHESTMODSEQ")
                with self._talk(f"reading the status of {folder.path}"):
                    status = self.session.folder_status(folder.path, what)
                self.round_trips += 1
                self._apply_status(folder, status)
        return [f for f in folders if f is not None]

    def _list_with_status(self):
        imap = self.session._imap
        with self._talk("listing folders"):
            typ, data = imap._simple_command("LIST", '""', '"*"', "RETURN",
                                             f"(SPECIAL-USE STATUS {_LIST_STATUS_ITEMS})")
            if typ != "OK":
                raise ProviderError(f"listing folders: {_server_words(data)}")
            _typ, lists = imap._untagged_response(typ, data, "LIST")
            _typ, statuses = imap._untagged_response(typ, [None], "STATUS")
        self.round_trips += 1
        folders = {}
        for line in self._joined(lists):
            flags, delimiter, name = parse_response([line])
            folder = self._folder(flags, delimiter, name)
            if folder:
                folders[folder.path] = folder
        for line in self._joined(statuses):
            parsed = parse_response([line])
            path = self._decode_name(parsed[0])
            if path in folders:
                items = parsed[1]
                self._apply_status(folders[path], dict(zip(items[0::2], items[1::2], strict=False)))
        return list(folders.values())

    @staticmethod
    def _joined(lines):
        """imaplib splits a line around a literal into (head, literal) + rest: rejoin it."""
        out, continuing = [], False
        for item in lines or []:
            if item is None:
                continue
            if isinstance(item, tuple):
                head = re.sub(rb"\{\d+\+?\}$", b"", item[0])
                literal = b'"' + item[1].replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
                if continuing and out:
                    out[-1] += head + literal
                else:
                    out.append(head + literal)
                continuing = True
            elif continuing and out:
                out[-1] += item
                continuing = False
            else:
                out.append(item)
        return out

    def _decode_name(self, name):
        if isinstance(name, bytes):
            return name.decode("utf-8", "replace") if self.utf8 else imap_utf7.decode(name)
        if isinstance(name, int):
            return str(name)
        return name

    def _folder(self, flags, delimiter, name):
        path = self._decode_name(name)
        delimiter = delimiter.decode() if isinstance(delimiter, bytes) else (delimiter or "")
        flag_names = tuple(f.decode() if isinstance(f, bytes) else str(f) for f in flags)
        lowered = {f.lower() for f in flag_names}
        leaf = path.rsplit(delimiter, 1)[-1] if delimiter else path
        if leaf.strip().lower() in NON_MAIL_FOLDERS and path.upper() != "INBOX":
            return None
        folder = RemoteFolder(
            path=path, name="Inbox" if path.upper() == "INBOX" else leaf, delimiter=delimiter,
            folder_type=classify(path, flag_names, delimiter), flags=flag_names,
            selectable=not ({"\\noselect", "\\nonexistent"} & lowered))
        if folder.folder_type == "trash":
            self._trash = self._trash or path
        return folder

    @staticmethod
    def _apply_status(folder, status):
        def number(key):
            value = status.get(key) if key in status else status.get(key.decode())
            return int(value) if value is not None else None
        folder.uidvalidity = number(b"UIDVALIDITY")
        folder.uidnext = number(b"UIDNEXT")
        folder.highestmodseq = number(b"HIGHESTMODSEQ")
        folder.messages = number(b"MESSAGES")
        folder.unseen = number(b"UNSEEN")

    # -- changes ------------------------------------------------------------------------------
    def all_uids(self, path, below=None):
        """Every UID in the folder (below ``below`` when given), ascending, as a compact array."""
        if below is not None and below <= 1:
            return array("I")
        self._select(path)
        criteria = ["UID", f"1:{below - 1}"] if below else ["ALL"]
        return self._uid_search(f"listing messages of {path}", *criteria)

    def _uid_search(self, what, *criteria):
        """UID SEARCH, ascending, 4 bytes a UID. With ESEARCH the server answers with ranges
        ("1:20000"), so even a very large folder costs no more than its array."""
        imap = self.session._imap
        extended = "ESEARCH" in self.capabilities
        imap.untagged_responses.pop("ESEARCH", None)
        data = self._raw(what, "SEARCH", *(("RETURN", "(ALL)") if extended else ()), *criteria)
        answers = imap.untagged_responses.pop("ESEARCH", None)
        if answers:
            uids = array("I")
            for line in answers:
                match = _ESEARCH_ALL.search(line if isinstance(line, bytes) else b"")
                if match:
                    uids.extend(imap_wire.sequence_set_array(match.group(1).decode()))
            return uids
        # a plain SEARCH answer (also what a server that ignored RETURN would send)
        return array("I", sorted(int(x) for line in data if line for x in line.split()))

    def changes(self, path, uidvalidity, last_uid, highestmodseq, known_uids=None):
        start = self.round_trips
        self.selected = None  # always re-open: its answer is the folder's current state
        info = self._select(path) or {}
        server_validity = int(info.get(b"UIDVALIDITY", 0) or 0)
        uidnext = int(info.get(b"UIDNEXT", 0) or 0)
        server_modseq = info.get(b"HIGHESTMODSEQ")
        server_modseq = int(server_modseq) if server_modseq is not None else None
        exists = int(info.get(b"EXISTS", 0) or 0)
        delta = FolderDelta(uidvalidity=server_validity, uidnext=uidnext,
                            highestmodseq=server_modseq)
        if uidvalidity and server_validity and int(uidvalidity) != server_validity:
            delta.reset = True
            delta.new_uids = self.all_uids(path)[::-1]
            delta.round_trips = self.round_trips - start
            return delta
        last_uid = int(last_uid or 0)
        if exists and (not uidnext or uidnext > last_uid + 1):
            found = self._uid_search(f"looking for new mail in {path}", "UID", f"{last_uid + 1}:*")
            # "n:*" also matches the last message when every UID is below n: keep only new ones
            delta.new_uids = found[bisect.bisect_right(found, last_uid):][::-1]
        if last_uid:
            self._flag_changes(path, delta, last_uid, highestmodseq, server_modseq, exists,
                               known_uids)
        delta.round_trips = self.round_trips - start
        return delta

    def _flag_changes(self, path, delta, last_uid, stored_modseq, server_modseq, exists, known):
        stored_modseq = int(stored_modseq) if stored_modseq else None
        expected = (len(known) if known is not None else None)
        if expected is not None:
            expected += len(delta.new_uids)
        if self.condstore and stored_modseq and server_modseq is not None:
            if server_modseq == stored_modseq:
                return  # nothing changed, nothing expunged
            modifier = f"(CHANGEDSINCE {stored_modseq}{' VANISHED' if self.qresync else ''})"
            imap = self.session._imap
            imap.untagged_responses.pop("VANISHED", None)
            data = self._raw(f"reading flag changes in {path}", "FETCH", f"1:{last_uid}",
                             "(UID FLAGS)", modifier)
            for message in imap_wire.parse_fetch(data):
                if b"UID" in message:
                    delta.flag_changes[int(message[b"UID"])] = imap_wire.flags_of(message.get(b"FLAGS"))
            if self.qresync:
                for line in imap.untagged_responses.pop("VANISHED", []) or []:
                    match = _VANISHED.search(line if isinstance(line, bytes) else b"")
                    if match:
                        delta.vanished |= imap_wire.parse_sequence_set(match.group(1).decode())
                return
            if expected is not None and exists == expected:
                return  # message count adds up: nothing was expunged
            present = set(self.all_uids(path, below=last_uid + 1))
            delta.known_uids = present
            delta.vanished = (known or set()) - present
            return
        # No CONDSTORE: read every flag once and diff.
        data = self._raw(f"reading flags in {path}", "FETCH", f"1:{last_uid}", "(UID FLAGS)")
        present = set()
        for message in imap_wire.parse_fetch(data):
            if b"UID" in message:
                uid = int(message[b"UID"])
                present.add(uid)
                delta.flag_changes[uid] = imap_wire.flags_of(message.get(b"FLAGS"))
        delta.known_uids = present
        if known is not None:
            delta.vanished = set(known) - present

    # -- messages -----------------------------------------------------------------------------
    def fetch_meta(self, path, uids):
        for _chunk, metas in self.fetch_meta_batches(path, uids, FETCH_CHUNK):
            yield from metas

    def fetch_meta_batches(self, path, uids, batch_size):
        """Yield (uids, [MessageMeta]) per batch, in the given order.

        Pipelined: the FETCH for the next batch is sent before this one is parsed, so the
        server prepares it (previews included) while this side reads the last one.
        """
        self._select(path)
        if not isinstance(uids, array):
            uids = array("I", map(int, uids))
        starts = range(0, len(uids), batch_size)
        if not starts:
            return
        preview = "PREVIEW" if "PREVIEW" in self.capabilities else f"BODY.PEEK[TEXT]<0.{PREVIEW_BYTES}>"
        items = (f"(UID FLAGS INTERNALDATE RFC822.SIZE "
                 f"BODY.PEEK[HEADER.FIELDS ({' '.join(HEADER_FIELDS)})] {preview})")
        imap = self.session._imap
        what = f"reading messages in {path}"

        def send(chunk):
            with self._talk(what):
                return imap._command("UID", "FETCH", imap_wire.uid_set(chunk), items)

        def receive(tag):
            with self._talk(what):
                typ, data = imap._command_complete("FETCH", tag)
                if typ != "OK":
                    raise ProviderError(f"{what}: {_server_words(data and data[-1] or typ)}")
                _typ, fetched = imap._untagged_response(typ, data, "FETCH")
            self.round_trips += 1
            return fetched

        def chunk(index):  # slices made when needed: no second copy of a long UID list
            return uids[starts[index]:starts[index] + batch_size]

        tag = send(chunk(0))
        for index in range(len(starts)):
            data = receive(tag)
            if index + 1 < len(starts):
                tag = send(chunk(index + 1))
            metas = [meta for meta in map(self._meta, imap_wire.parse_fetch(data)) if meta]
            yield chunk(index), metas

    def _meta(self, message):
        uid = message.get(b"UID")
        if uid is None:
            return None
        header_bytes = imap_wire.section_value(message, b"BODY[HEADER") or b""
        headers = mime.parse_headers(header_bytes)
        preview_value = message.get(b"PREVIEW")
        if isinstance(preview_value, list):  # PREVIEW (FUZZY) "text" style of older drafts
            preview_value = preview_value[-1] if preview_value else None
        if preview_value is not None and not isinstance(preview_value, list):
            preview = mime.make_preview(preview_value.decode("utf-8", "replace"))
        else:
            body = imap_wire.section_value(message, b"BODY[TEXT]") or b""
            preview = mime.parse_message(header_bytes + b"\r\n" + body).preview if body else ""
        # The server's arrival time matters only when the Date header is missing, broken or
        # not believable (see MessageMeta.sort_time).
        internal = None if plausible_date(headers.date) else \
            imap_wire.internal_date(message.get(b"INTERNALDATE"))
        return MessageMeta.from_headers(
            headers, uid=str(int(uid)), flags=imap_wire.flags_of(message.get(b"FLAGS")),
            internal_date=internal, size=int(message.get(b"RFC822.SIZE") or 0),
            date=headers.date or internal, preview=preview)

    def fetch_raw(self, path, uid):
        self._select(path)
        data = self._raw(f"reading message {uid} in {path}", "FETCH", str(int(uid)), "(UID BODY.PEEK[])")
        for message in imap_wire.parse_fetch(data):
            raw = imap_wire.section_value(message, b"BODY[")
            if raw is not None:
                return raw
        return None

    # -- changes made by the user -------------------------------------------------------------------
    def valid_id(self, uid):
        return str(uid).isdigit()

    def set_flags(self, path, uids, seen=None, starred=None):
        if not uids:
            return
        self._select(path, readonly=False)
        ids = imap_wire.uid_set(uids)
        for flag, value in (("\\Seen", seen), ("\\Flagged", starred)):
            if value is None:
                continue
            self._raw(f"updating flags in {path}", "STORE", ids, "+FLAGS.SILENT" if value else
                      "-FLAGS.SILENT", f"({flag})")

    def find_message_id(self, path, message_id):
        """UIDs in ``path`` of messages with this Message-ID header (ascending)."""
        if not message_id or any(c in message_id for c in "\r\n\0"):
            return []
        self._select(path)
        quoted = '"' + message_id.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return list(self._uid_search(f"looking for a message in {path}", "HEADER", "Message-ID",
                                     quoted))

    def search_text(self, path, text, limit, body_only=False):
        """UID SEARCH CHARSET UTF-8 TEXT (or BODY) "text": the server reads the bodies the
        index does not keep. The text goes as a literal, so any character is safe."""
        text = " ".join(str(text).split())[:MAX_SEARCH_TEXT]
        if not text:
            return []
        self._select(path)
        imap = self.session._imap
        key = "BODY" if body_only else "TEXT"
        with self._talk(f"searching {path}"):
            imap.literal = text.encode("utf-8")
            # imaplib sends the literal in place of the last argument's position
            typ, data = imap.uid("SEARCH", "CHARSET", "UTF-8", key)
            if typ != "OK":
                raise ProviderError(f"searching {path}: {_server_words(data and data[-1] or typ)}")
        self.round_trips += 1
        uids = sorted((int(x) for line in data if line for x in line.split()), reverse=True)
        return [str(u) for u in uids[:max(int(limit), 0)]]

    def _refuse_plain_expunge(self, what):
        """A plain EXPUNGE would also erase every message another program marked \\Deleted
        in the folder: without MOVE or UID EXPUNGE nothing is done, and the reason is said."""
        raise ProviderError(
            f"{what}: this server offers neither MOVE nor UID EXPUNGE (UIDPLUS), so removing "
            "these messages would also erase the ones other mail programs marked as deleted; "
            "nothing was changed. Delete them in another mail program, or ask the server's "
            "administrator to enable UIDPLUS")

    def move(self, path, uids, target_path):
        if not uids:
            return {}
        if not self.can_move and not self.can_expunge_uids:
            self._refuse_plain_expunge(f"moving messages to {target_path}")
        self._select(path, readonly=False)
        imap = self.session._imap
        imap.untagged_responses.pop("OK", None)
        ids = imap_wire.uid_set(uids)
        if self.can_move:
            data = self._raw(f"moving messages to {target_path}", "MOVE", ids, self._quote(target_path))
        else:
            data = self._raw(f"copying messages to {target_path}", "COPY", ids,
                             self._quote(target_path))
            self._raw(f"removing moved messages from {path}", "STORE", ids, "+FLAGS.SILENT",
                      "(\\Deleted)")
            self._raw("expunging", "EXPUNGE", ids)
        texts = [d for d in (imap.untagged_responses.pop("OK", []) or []) + list(data or [])
                 if isinstance(d, bytes)]
        for text in texts:
            match = _COPYUID.search(text)
            if match:
                old = sorted(imap_wire.parse_sequence_set(match.group(2).decode()))
                new = sorted(imap_wire.parse_sequence_set(match.group(3).decode()))
                return {str(o): str(n) for o, n in zip(old, new, strict=False)}
        return {}

    def delete(self, path, uids, trash_path=None):
        """Move to Trash; in Trash (or with none), erase exactly these messages with UID
        EXPUNGE. Never a plain EXPUNGE: that would take other programs' deletions along."""
        if not uids:
            return {}
        trash = trash_path or self._trash
        if trash and trash != path:
            return self.move(path, uids, trash)
        if not self.can_expunge_uids:
            self._refuse_plain_expunge(f"deleting messages in {path}")
        self._select(path, readonly=False)
        ids = imap_wire.uid_set(uids)
        self._raw(f"deleting messages in {path}", "STORE", ids, "+FLAGS.SILENT", "(\\Deleted)")
        self._raw("expunging", "EXPUNGE", ids)
        return {}

    def add_flags(self, path, uids, flags):
        """Set flags or keywords (``\\Answered``, ``$Forwarded``) on messages; return the ones
        stored. A keyword the folder cannot keep (not in PERMANENTFLAGS, no ``\\*``) is left
        out rather than failing the whole change."""
        flags = tuple(dict.fromkeys(flags))
        bad = [f for f in flags if not isinstance(f, str) or not _FLAG.fullmatch(f)]
        if bad:
            raise ValueError(f"not an IMAP flag: {bad[0]!r}")
        if not uids or not flags:
            return ()
        self._select(path, readonly=False)
        permanent = {f.lower() for f in self._permanent_flags}
        kept = tuple(f for f in flags if f.lower() in permanent or
                     (not f.startswith("\\") and "\\*" in permanent))
        if kept:
            self._raw(f"updating flags in {path}", "STORE", imap_wire.uid_set(uids), "+FLAGS.SILENT",
                      f"({' '.join(kept)})")
        return kept

    def append(self, path, raw, flags=(), when=None):
        with self._talk(f"saving a message to {path}"):
            response = self.session.append(path, raw, flags=flags, msg_time=when)
        self.round_trips += 1
        match = _APPENDUID.search(response if isinstance(response, bytes) else b"")
        return match.group(2).decode() if match else None

    def wait_for_changes(self, path, timeout):
        """IDLE on a folder for up to ``timeout`` seconds; True when the server reported news."""
        if "IDLE" not in self.capabilities:
            return False
        self._select(path)
        with self._talk(f"waiting for mail in {path}"):
            self.session.idle()
            try:
                responses = self.session.idle_check(timeout=timeout)
            finally:
                self.session.idle_done()
        return bool(responses)
