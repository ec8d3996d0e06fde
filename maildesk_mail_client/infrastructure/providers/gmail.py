"""Gmail provider on the Gmail API (``gmail_api.GmailApiClient``): labels as folders, listings
by label, account-wide changes from ``history.list``, metadata in batches, sending through
``messages.send``.

Gmail has labels, not folders: one message with INBOX and "Projects" is one remote object
shown in two folders, under the same id. Moving is changing labels, archiving is removing
INBOX ("All Mail" is a virtual folder for it), deleting is ``trash``; Gmail erases Trash itself
after 30 days, and with the ``gmail.modify`` scope nothing can erase sooner. Read and starred
are the UNREAD and STARRED labels, spoken here in IMAP's words (``\\Seen``, ``\\Flagged``).

Everything from the server is treated as hostile: ids must look like Gmail's (hex) before they
are used, label names are cleaned and bounded, header blocks are capped before parsing, and a
message that cannot be read becomes a meta with ``problems`` instead of stopping the batch.
No Odoo import.
"""

import base64
import html
import re
import threading
from datetime import datetime, timezone

from .. import mime
from ..oauth_flow import GOOGLE_TOKEN_URI
from .base import (
    FolderChanges,
    FolderGone,
    MailProvider,
    MessageMeta,
    ProviderError,
    RemoteFolder,
)
from .gmail_api import (
    BATCH_MODIFY_SIZE,
    GMAIL_API_ENDPOINT,
    LIST_PAGE_SIZE,
    PER_USER_UNITS_PER_SECOND,
    QUOTA_UNITS,
    GmailApiClient,
    SettlingQuotaMeter,
    gmail_credentials,
)
from .http_api import CursorExpired, NotFound, PageWalk

DELIMITER = "/"
# Metadata gets per batch and ids per listing page, sized to Gmail's per-user budget: 49 gets
# (245 units) and the listing page that follows (5) fill the 250 units of one second exactly, so
# a listing never waits a whole second behind a full batch, and a page is 10 full batches.
METADATA_BATCH = (PER_USER_UNITS_PER_SECOND - QUOTA_UNITS["messages.list"]) // QUOTA_UNITS["messages.get"]
LISTING_PAGE = 10 * METADATA_BATCH
ALL_MAIL = "ALL_MAIL"  # remote id of the virtual "All Mail" folder (no such label exists)
# System labels shown as folders: label id -> (name, folder_type)
SYSTEM_FOLDERS = {
    "INBOX": ("Inbox", "inbox"),
    "STARRED": ("Starred", "starred"),
    "SENT": ("Sent", "sent"),
    "DRAFT": ("Drafts", "drafts"),
    "SPAM": ("Spam", "spam"),
    "TRASH": ("Trash", "trash"),
}
# Messages with these labels are not mail MailDesk shows (Hangouts chats)
INVISIBLE_LABELS = {"CHAT"}
# Labels Gmail does not let anyone add or remove by hand: a move out of these leaves them
FIXED_LABELS = {"SENT", "DRAFT"}
# A message in Trash or Spam shows only there, whatever other labels it keeps
EXCLUSIVE_LABELS = ("TRASH", "SPAM")
TRASH_REFUSAL = (
    "Gmail erases messages in Trash by itself after 30 days; MailDesk (which asks Google only for "
    "permission to read and change mail, not to erase it) cannot erase them sooner. Empty the "
    "Trash in Gmail to erase them now."
)
_GMAIL_ID = re.compile(r"[0-9a-f]{1,32}")
_HEADER_NAME = re.compile(r"[!-9;-~]{1,76}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
MAX_LABEL_ID = 256  # characters of a label id worth using
MAX_NAME = 225  # characters of one label name segment (Gmail's own limit for a name)
MAX_LABELS = 10_000  # labels read from one answer
MAX_HEADERS = 200  # header fields kept of one message
MAX_HEADER_BLOCK = 64 * 1024  # bytes of the header block built for one message
MAX_PREVIEW_INPUT = 2_000  # characters of a snippet read (Gmail's are ~200)
MAX_SEARCH_TEXT = 200  # characters of a search sent to Gmail
MAX_SIZE = 2**31 - 1
MAX_THREAD_IDS = 100_000  # Gmail thread ids remembered for replies
MAX_CURSOR = 2048  # characters of a stored page token worth sending back
MAX_HISTORY_ID = 30  # digits of a historyId (Gmail's are 64-bit numbers)
HISTORY_CHUNK = 2000  # history records read per account_changes call (the engine commits each)


_meters = {}  # (API endpoint, address) -> the mailbox's quota meter, for the whole process
_meters_lock = threading.Lock()


def mailbox_meter(api_endpoint, address):
    """One quota meter per Gmail user and process: the sync, the bodies a reader opens and a
    send all draw on the same 250 units a second Gmail allows that user."""
    key = (api_endpoint, str(address or "").casefold())
    with _meters_lock:
        if key not in _meters:
            _meters[key] = SettlingQuotaMeter(PER_USER_UNITS_PER_SECOND)
        return _meters[key]


def _clean(text, limit):
    """Printable text of at most ``limit`` characters (control and direction marks gone)."""
    text = _CONTROL.sub(" ", str(text))
    return " ".join(text.split())[:limit].strip()


def unique_path(path, taken):
    """``path``, or ``path (2)``, ``path (3)``... when another folder already took it (case
    aside); ``taken`` is the set of lower-cased paths so far, and gets this one."""
    candidate, number = path, 1
    while candidate.lower() in taken:
        number += 1
        candidate = f"{path} ({number})"
    taken.add(candidate.lower())
    return candidate


def flags_of(label_ids):
    """IMAP flags from Gmail labels: read unless UNREAD, flagged when STARRED, draft when DRAFT."""
    labels = set(label_ids) if isinstance(label_ids, (list, tuple, set)) else set()
    flags = [] if "UNREAD" in labels else ["\\Seen"]
    if "STARRED" in labels:
        flags.append("\\Flagged")
    if "DRAFT" in labels:
        flags.append("\\Draft")
    return tuple(flags)


def header_block(headers):
    """RFC 5322 header bytes from Gmail's ``[{"name", "value"}]``, for ``mime.parse_headers``:
    names that are not header names are dropped, values lose line breaks and are cut to what
    the parser would keep anyway, and the whole block is bounded."""
    out, size = [], 0
    if not isinstance(headers, list):
        return b""
    for header in headers[:MAX_HEADERS]:
        if not isinstance(header, dict):
            continue
        name, value = header.get("name"), header.get("value")
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name) or not isinstance(value, str):
            continue
        value = re.sub(r"[\r\n\0]+", " ", value[: mime.MAX_HEADER_LENGTH])
        line = f"{name}: {value}\r\n".encode("utf-8", "replace")
        if size + len(line) > MAX_HEADER_BLOCK:
            break
        out.append(line)
        size += len(line)
    return b"".join(out)


def _epoch_ms(value):
    try:
        return datetime.fromtimestamp(int(str(value)[:20]) / 1000, timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _size(value):
    try:
        return min(max(int(value), 0), MAX_SIZE)
    except (TypeError, ValueError):
        return 0


def _history_id(value):
    """``value`` as a historyId (digits, bounded), or None."""
    value = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    return value if value.isdigit() and len(value) <= MAX_HISTORY_ID else None


def _chunk_end(records, cursor, strict=True):
    """Where the next chunk of history starts: the last record's id (records come oldest
    first; the highest id past ``cursor`` if the service mixed them up). ``strict``: a chunk
    that did not get past ``cursor`` would be read again and again, so it is refused."""
    ids = (_history_id(r.get("id")) for r in records if isinstance(r, dict))
    end = max((int(i) for i in ids if i is not None), default=int(cursor))
    if end > int(cursor):
        return str(end)
    if strict:
        raise ProviderError(
            "Gmail keeps sending the same page: its history records do not get past "
            f"{cursor}, so reading on would never end; the sync stopped."
        )
    return cursor


def search_query(text):
    """Gmail search for ``text`` as one phrase: quotes and backslashes (which Gmail's syntax
    cannot escape inside a phrase) become spaces, so no operator can be slipped in."""
    text = " ".join(re.sub(r'["\\]', " ", _CONTROL.sub(" ", str(text))).split())[:MAX_SEARCH_TEXT]
    return f'"{text}"' if text else ""


class GmailProvider(MailProvider):
    cursor_sync = True
    account_wide_changes = True
    files_sent_copy = True
    sends_mail = True

    def __init__(
        self,
        address,
        access_token,
        refresh_token,
        expires_at,
        client_id,
        client_secret,
        token_uri=GOOGLE_TOKEN_URI,
        api_endpoint=GMAIL_API_ENDPOINT,
        batch_uri=None,
        on_tokens=None,
        quota=None,
        backoff=None,
    ):
        self.address = address
        self.tokens = (access_token, refresh_token, expires_at)
        self.client_id, self.client_secret, self.token_uri = client_id, client_secret, token_uri
        self.api_endpoint, self.batch_uri = api_endpoint, batch_uri
        self.on_tokens = on_tokens
        self.quota = quota if quota is not None else mailbox_meter(api_endpoint, address)
        self.backoff = backoff
        self.client = None
        self._folders = None  # path -> RemoteFolder, from the last list_folders
        self._thread_ids = {}  # Gmail id -> threadId, seen in metadata (for replies)
        self._known_token = access_token
        self._token_lock = threading.Lock()
        self._spent_before = (0, 0)  # exchanges and units of clients closed in this session

    # -- session -------------------------------------------------------------------------------
    def connect(self):
        if self.client is None:
            access_token, refresh_token, expires_at = self.tokens
            credentials = gmail_credentials(
                access_token, refresh_token, expires_at, self.client_id, self.client_secret,
                token_uri=self.token_uri,
            )
            self.client = GmailApiClient(
                credentials, api_endpoint=self.api_endpoint, batch_uri=self.batch_uri,
                quota=self.quota, backoff=self.backoff,
            )
        return self

    def close(self):
        if self.client is not None:
            self._report_tokens()
            self._spent_before = (self.round_trips, self.quota_units)
            self.client.close()
            self.client = None

    @property
    def round_trips(self):
        return self._spent_before[0] + (self.client.exchanges if self.client else 0)

    @property
    def quota_units(self):
        return self._spent_before[1] + (self.client.units if self.client else 0)

    def _api(self):
        if self.client is None:
            self.connect()
        return self.client

    def _call(self, do):
        """Run ``do(client)``, then hand renewed tokens to ``on_tokens`` (google-auth refreshes
        inside the call, before expiry or on a 401), even when the call then failed."""
        try:
            return do(self._api())
        finally:
            self._report_tokens()

    def _report_tokens(self):
        if self.client is None:
            return
        credentials = self.client.credentials
        with self._token_lock:
            if credentials.token == self._known_token or not credentials.token:
                return
            self._known_token = credentials.token
        expiry = credentials.expiry
        expires_at = expiry.replace(tzinfo=timezone.utc).timestamp() if expiry else 0
        self.tokens = (credentials.token, credentials.refresh_token, expires_at)
        if self.on_tokens:
            self.on_tokens(credentials.token, credentials.refresh_token, expires_at)

    def valid_id(self, uid):
        return isinstance(uid, str) and bool(_GMAIL_ID.fullmatch(uid))

    def _ids(self, uids):
        """The ids that can name a Gmail message, once each, in order."""
        return [uid for uid in dict.fromkeys(uids) if self.valid_id(uid)]

    # -- folders -------------------------------------------------------------------------------
    def list_folders(self):
        labels = self._call(lambda c: c.labels())
        folders, taken, by_path = [], set(), {}
        for label_id, (name, kind) in SYSTEM_FOLDERS.items():
            folders.append(RemoteFolder(unique_path(name, taken), name, DELIMITER, kind, remote_id=label_id))
        folders.append(
            RemoteFolder(unique_path("All Mail", taken), "All Mail", DELIMITER, "archive",
                         selectable=False, remote_id=ALL_MAIL)
        )
        by_path.update({f.path.lower(): f for f in folders})
        users = []
        for label in labels[:MAX_LABELS] if isinstance(labels, list) else ():
            if not isinstance(label, dict) or label.get("type") != "user":
                continue  # system labels other than the six above: UNREAD, IMPORTANT, CATEGORY_*, CHAT
            label_id, name = label.get("id"), label.get("name")
            if not isinstance(label_id, str) or not label_id or len(label_id) > MAX_LABEL_ID:
                continue
            segments = [_clean(s, MAX_NAME) for s in str(name or "").split(DELIMITER)]
            segments = [s for s in segments if s] or [f"Label {_clean(label_id, 40)}"]
            users.append((segments, label_id))
        users.sort(key=lambda entry: ([s.lower() for s in entry[0]], entry[1]))
        user_paths = {}  # joined segments (lower) -> path given
        for segments, label_id in users:
            parent_path = None
            for depth in range(1, len(segments)):  # parents that are no label themselves
                key = DELIMITER.join(segments[:depth]).lower()
                if key not in user_paths:
                    path = self._child_path(parent_path, segments[depth - 1], taken)
                    user_paths[key] = path
                    folder = RemoteFolder(path, segments[depth - 1], DELIMITER, "other", selectable=False)
                    folders.append(folder)
                    by_path[path.lower()] = folder
                parent_path = user_paths[key]
            key = DELIMITER.join(segments).lower()
            existing = by_path.get(user_paths.get(key, "\0"))
            if existing is not None and not existing.selectable and existing.remote_id is None:
                existing.selectable, existing.remote_id = True, label_id  # listed as a parent first
                continue
            path = self._child_path(parent_path, segments[-1], taken)
            user_paths.setdefault(key, path)
            folder = RemoteFolder(path, segments[-1], DELIMITER, "other", remote_id=label_id)
            folders.append(folder)
            by_path[path.lower()] = folder
        self._folders = {f.path: f for f in folders}
        return folders

    @staticmethod
    def _child_path(parent_path, name, taken):
        return unique_path(f"{parent_path}{DELIMITER}{name}" if parent_path else name, taken)

    def _folder(self, path):
        """The folder at ``path`` (labels are read once per session, again if it is missing)."""
        if self._folders is None or path not in self._folders:
            self.list_folders()
        folder = self._folders.get(path)
        if folder is None or folder.remote_id is None:
            raise FolderGone(f"Gmail has no label {path!r} (any more).")
        return folder

    def _label(self, path):
        return self._folder(path).remote_id

    # -- listing -------------------------------------------------------------------------------
    def folder_changes(self, folder, cursor):
        """One page of the label's listing, newest first (Gmail's changes come account-wide,
        from ``account_changes``): ``new_ids`` to fetch, cursor = the next page token. A stored
        token Gmail no longer accepts (or that is none) starts the listing again: its first
        page comes with ``reset=True``."""
        label = folder.remote_id
        if not label or not folder.selectable and label != ALL_MAIL:
            return FolderChanges(cursor=None, done=True, listing=True, estimate=0)
        token = cursor if isinstance(cursor, str) and 0 < len(cursor) <= MAX_CURSOR else None
        reset = cursor is not None and token is None
        label_ids = None if label == ALL_MAIL else [label]

        def page(client, token):
            try:
                return client.list_page(label_ids, page_token=token, page_size=LISTING_PAGE)
            except NotFound:
                raise FolderGone(f"The Gmail label {folder.path!r} no longer exists.")
            except CursorExpired:
                raise
            except ProviderError as exc:
                if "invalid label" in str(exc).lower():  # how Gmail also answers for a deleted label
                    raise FolderGone(f"The Gmail label {folder.path!r} no longer exists.")
                raise

        try:
            answer = self._call(lambda client: page(client, token))
        except CursorExpired:
            if token is None:
                raise
            answer, reset = self._call(lambda client: page(client, None)), True
        refs = answer.get("messages") if isinstance(answer, dict) else None
        refs = refs if isinstance(refs, list) else []
        ids = self._ids(ref.get("id") for ref in refs if isinstance(ref, dict))
        for ref in refs:
            if isinstance(ref, dict) and ref.get("id") in ids:
                self._remember_thread(ref["id"], ref.get("threadId"))
        next_token = answer.get("nextPageToken") if isinstance(answer, dict) else None
        next_token = next_token if isinstance(next_token, str) and next_token else None
        if next_token is not None and len(next_token) > MAX_CURSOR:
            raise ProviderError(
                f"Gmail sent a page token of {len(next_token)} characters for the listing of "
                f"{folder.path!r}, too long to keep; the listing stopped."
            )
        if next_token is not None and next_token == token:
            raise ProviderError(
                f"Gmail keeps sending the same page: the listing of {folder.path!r} answered a page "
                "with its own page token as the next one; the listing stopped."
            )
        estimate = answer.get("resultSizeEstimate") if isinstance(answer, dict) else None
        return FolderChanges(
            cursor=next_token, done=next_token is None, listing=True, reset=reset, new_ids=ids,
            estimate=_size(estimate) if estimate is not None else None,
        )

    def _remember_thread(self, message_id, thread_id):
        if isinstance(thread_id, str) and _GMAIL_ID.fullmatch(thread_id):
            if len(self._thread_ids) >= MAX_THREAD_IDS:
                self._thread_ids.clear()
            self._thread_ids[message_id] = thread_id

    # -- account-wide changes ------------------------------------------------------------------
    def account_cursor(self):
        profile = self._call(lambda c: c.profile())
        history_id = str(profile.get("historyId", "")) if isinstance(profile, dict) else ""
        if not history_id.isdigit():
            raise ProviderError("Gmail did not say where its mailbox history stands.")
        return history_id

    def account_changes(self, cursor, folders, max_records=HISTORY_CHUNK):
        """The changes since ``cursor`` from ``history.list``, one chunk at a time, sorted into
        the folders they touch (the last record of a message says its labels):
        ``(changes, next_cursor, done)``. A chunk reads history pages until at least
        ``max_records`` records were read or no page is left (one call when nothing changed).
        ``done`` False: more history follows, read it from ``next_cursor`` (the id of the last
        record read; Gmail gives the records after it, so resuming loses nothing). ``done``
        True: ``next_cursor`` is the mailbox's historyId. ``CursorExpired`` when Gmail no
        longer keeps history that old (every folder is listed again)."""
        cursor = str(cursor or "")
        if not cursor.isdigit() or len(cursor) > MAX_HISTORY_ID:
            raise CursorExpired("The stored Gmail history position is not one: resyncing.")
        records, latest, more = self._call(lambda c: c.history(cursor, max_records=max_records))
        if more:
            latest = _chunk_end(records, cursor)
        else:
            latest = _history_id(latest) or _chunk_end(records, cursor, strict=False)
        states = _message_states(records, self.valid_id)
        changes = {}
        for folder in folders:
            label = folder.remote_id
            if label and folder.selectable and label != ALL_MAIL:
                changes[label] = FolderChanges(cursor=latest, done=not more)
        for message_id, state in reversed(states.items()):  # newest first
            if state.labels is not None and state.labels & INVISIBLE_LABELS:
                continue
            visible = state.visible()
            flags = flags_of(state.labels) if state.labels is not None else None
            for label, page in changes.items():
                if label in visible:
                    if label in state.added or state.created or state.left_exclusive:
                        page.new_ids.append(message_id)
                    elif flags is not None:
                        page.flag_changes[message_id] = flags
                elif state.deleted or label in state.removed or label in (state.labels or ()):
                    page.removed.add(message_id)
        return changes, latest, not more

    # -- reading -------------------------------------------------------------------------------
    def fetch_meta(self, path, uids):
        for _batch, metas in self.fetch_meta_batches(path, list(uids), LISTING_PAGE):
            yield from metas

    def fetch_meta_batches(self, path, uids, batch_size):
        uids = list(uids)
        for start in range(0, len(uids), max(int(batch_size), 1)):
            batch = uids[start : start + max(int(batch_size), 1)]
            ids = self._ids(batch)
            found = {}
            if ids:
                found = self._call(lambda c, ids=ids: c.get_messages(ids, batch_size=METADATA_BATCH))
            yield batch, [meta for meta in (self._meta(i, found[i]) for i in ids if i in found) if meta]

    def _meta(self, message_id, message):
        if not isinstance(message, dict):
            return MessageMeta(uid=message_id, problems=["Gmail sent no readable metadata"])
        self._remember_thread(message_id, message.get("threadId"))
        payload = message.get("payload") if isinstance(message.get("payload"), dict) else {}
        headers = mime.parse_headers(header_block(payload.get("headers")))
        internal = _epoch_ms(message.get("internalDate"))
        snippet = message.get("snippet")
        preview = ""
        if isinstance(snippet, str):
            preview = mime.make_preview(_CONTROL.sub(" ", html.unescape(snippet[:MAX_PREVIEW_INPUT])))
        return MessageMeta.from_headers(
            headers, uid=message_id, flags=flags_of(message.get("labelIds")), internal_date=internal,
            size=_size(message.get("sizeEstimate")), date=headers.date or internal, preview=preview,
        )

    def fetch_raw(self, path, uid):
        if not self.valid_id(uid):
            return None

        def raw(client):
            try:
                answer = client.get_message(uid, format="raw")
            except NotFound:
                return None
            data = answer.get("raw") if isinstance(answer, dict) else None
            if not isinstance(data, str):
                raise ProviderError("Gmail sent the message without its content.")
            try:
                return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
            except ValueError:
                raise ProviderError("Gmail sent the message in a form that cannot be read.")

        return self._call(raw)

    def search_text(self, path, text, limit, body_only=False):
        """Gmail's own search for ``text`` as a phrase within the label (Gmail has no
        body-only search: ``body_only`` searches the whole message too)."""
        query, limit = search_query(text), max(int(limit), 0)
        if not query or not limit:
            return []
        label = self._label(path)
        label_ids = None if label == ALL_MAIL else [label]

        def search(client):
            found, token, walk = [], None, PageWalk("Gmail")
            while len(found) < limit:
                refs, token = client.list_messages(label_ids, query, token, min(limit, LIST_PAGE_SIZE))
                found.extend(r.get("id") for r in refs if isinstance(r, dict))
                token = walk.follow(token)
                if not token:
                    break
            return found

        return self._ids(self._call(search))[:limit]

    # -- changing ------------------------------------------------------------------------------
    def set_flags(self, path, uids, seen=None, starred=None):
        ids = self._ids(uids)
        add, remove = [], []
        if seen is not None:
            (remove if seen else add).append("UNREAD")
        if starred is not None:
            (add if starred else remove).append("STARRED")
        if ids and (add or remove):
            self._batch_modify(ids, add, remove)

    def _batch_modify(self, ids, add, remove):
        for start in range(0, len(ids), BATCH_MODIFY_SIZE):
            chunk = ids[start : start + BATCH_MODIFY_SIZE]
            self._call(lambda c, chunk=chunk: c.batch_modify(chunk, add=add, remove=remove))

    def add_flags(self, path, uids, flags):
        return ()  # Gmail keeps no \\Answered or $Forwarded

    def move(self, path, uids, target_path):
        """Labels: add the target's, remove the source's (out of Starred, the star goes; a
        message in Sent or Drafts stays there too: Gmail keeps those labels); to All Mail only
        removes (archiving); to Trash is ``trash``; to Spam adds SPAM and takes the message out
        of the Inbox; out of Trash or Spam takes that label off."""
        ids = self._ids(uids)
        if not ids:
            return {}
        source, target = self._label(path), self._label(target_path)
        if source == target:
            return {i: i for i in ids}
        if target == "TRASH":
            return self._trash(ids)
        removable = {source} - FIXED_LABELS - {ALL_MAIL}
        if target == ALL_MAIL:
            add, remove = [], removable
        elif target == "SPAM":
            add, remove = ["SPAM"], removable | {"INBOX"}
        else:
            add, remove = [target], removable
        if add or remove:
            self._batch_modify(ids, add, sorted(remove))
        return {i: i for i in ids}

    def move_keeps_source(self, path):
        return self._label(path) in FIXED_LABELS

    def delete(self, path, uids, trash_path=None):
        ids = self._ids(uids)
        if not ids:
            return {}
        if self._label(path) == "TRASH":
            raise ProviderError(TRASH_REFUSAL)
        return self._trash(ids)

    def _trash(self, ids):
        trashed = self._call(lambda c: c.trash_many(ids))
        return {i: i for i in ids if i in trashed}

    def append(self, path, raw, flags=(), when=None):
        raise ProviderError(
            "Gmail does not take messages filed by a mail program here: MailDesk sends through "
            "Gmail, which keeps the Sent copy itself."
        )

    def send(self, raw, recipients, reply_to_uid=None):
        raw = mime.with_bcc(raw, recipients)
        thread_id = None
        if reply_to_uid and self.valid_id(reply_to_uid):
            thread_id = self._thread_ids.get(reply_to_uid) or self._thread_of(reply_to_uid)
        sent = self._call(lambda c: c.send(raw, thread_id=thread_id))
        sent_id = sent.get("id") if isinstance(sent, dict) else None
        return sent_id if self.valid_id(sent_id) else None

    def _thread_of(self, message_id):
        def minimal(client):
            try:
                return client.get_message(message_id, format="minimal")
            except NotFound:
                return {}  # the message answered is gone: the reply starts a thread of its own

        thread_id = self._call(minimal).get("threadId")
        return thread_id if isinstance(thread_id, str) and _GMAIL_ID.fullmatch(thread_id) else None

    # -- not IMAP ------------------------------------------------------------------------------
    def changes(self, path, uidvalidity, last_uid, highestmodseq, known_uids=None):
        raise ProviderError("Gmail syncs by history, not by UIDs")

    def all_uids(self, path, below=None):
        raise ProviderError("Gmail syncs by history, not by UIDs")


class _MessageState:
    """What the history says of one message, its last record winning."""

    __slots__ = ("added", "created", "deleted", "labels", "left_exclusive", "removed")

    def __init__(self):
        self.labels = None  # its labels in the last record that told them
        self.added, self.removed = set(), set()
        self.created = self.deleted = self.left_exclusive = False

    def visible(self):
        """The labels whose folders show the message now."""
        if self.deleted:
            return set()
        if self.labels is None:  # the records told no labels: what they added, at least
            return self.added - self.removed
        for label in EXCLUSIVE_LABELS:
            if label in self.labels:
                return {label}
        return set(self.labels)


def _message_states(records, valid_id):
    """{message id: _MessageState}, in the order messages were last touched."""
    states = {}
    kinds = ("messagesAdded", "messagesDeleted", "labelsAdded", "labelsRemoved")
    for record in records if isinstance(records, list) else ():
        if not isinstance(record, dict):
            continue
        for kind in kinds:
            entries = record.get(kind)
            for entry in entries if isinstance(entries, list) else ():
                message = entry.get("message") if isinstance(entry, dict) else None
                message_id = message.get("id") if isinstance(message, dict) else None
                if not valid_id(message_id):
                    continue
                state = states.pop(message_id, None) or _MessageState()
                states[message_id] = state  # moved to the end: touched last
                labels = message.get("labelIds")
                if isinstance(labels, list):
                    state.labels = {label for label in labels if isinstance(label, str)}
                changed = entry.get("labelIds")
                changed = {label for label in changed if isinstance(label, str)} if isinstance(
                    changed, list) else set()
                if kind == "messagesAdded":
                    state.created, state.deleted = True, False
                elif kind == "messagesDeleted":
                    state.deleted = True
                elif kind == "labelsAdded":
                    state.added |= changed
                    state.removed -= changed
                else:
                    state.removed |= changed
                    state.added -= changed
                    if changed & set(EXCLUSIVE_LABELS):
                        state.left_exclusive = True
    return states
