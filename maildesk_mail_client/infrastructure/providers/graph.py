"""Outlook and Microsoft 365 mailboxes on Microsoft Graph, behind the MailProvider interface.

Sync is by cursor, one folder at a time: each folder's ``messages/delta`` link is its cursor
(``folder_changes``). Graph's delta gives the properties the index needs in the same call, so a
page's messages arrive as ``metas`` with nothing left to fetch, and a resync with nothing changed
costs one delta call per folder. Messages get a new id when they move: ``move`` and ``delete``
(to Deleted Items) return {old id: new id}. Sending hands MailDesk's MIME to ``sendMail``; the
service files the Sent Items copy. No Odoo import.
"""

import base64
import html
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import requests

from .. import mime, oauth_flow
from .base import (
    AuthenticationFailed,
    FolderChanges,
    FolderGone,
    MailProvider,
    MessageMeta,
    ProviderError,
    RemoteFolder,
    ServerUnreachable,
)
from .graph_api import GRAPH_BASE_URL, MAILBOX_CONCURRENCY, GraphApiClient, MsalTokens, valid_graph_id
from .http_api import CursorExpired, NotFound

# well-known folder name -> folder_types value
FOLDER_TYPES = {
    "inbox": "inbox",
    "sentitems": "sent",
    "drafts": "drafts",
    "deleteditems": "trash",
    "junkemail": "spam",
    "archive": "archive",
}
# Folders of Exchange's own that hold no mail a person files: left out of the list
SKIPPED_FOLDERS = ("outbox", "conversationhistory", "syncissues")
_well_known_lock = threading.Lock()
_well_known_cache = {}  # (mailbox URL, address) -> {well-known name: folder id}
MAX_NAME = 256  # characters of a display name kept
MAX_ADDRESS = 320  # characters of an address (RFC 5321's limits, rounded up)
MAX_RECIPIENTS = 500  # per field, as mime.MAX_ADDRESSES
MAX_DATE_TEXT = 40


def _text(value, limit):
    """Server text fit for a header value: a string, one line, bounded."""
    if not isinstance(value, str):
        return ""
    return " ".join(value[: limit * 2].split())[:limit]


def _person(value):
    address = value.get("emailAddress") if isinstance(value, dict) else None
    if not isinstance(address, dict):
        return ""
    addr = _text(address.get("address"), MAX_ADDRESS).replace(",", "").replace(" ", "")
    if not addr:
        return ""
    return mime.format_address(_text(address.get("name"), MAX_NAME).replace("<", "").replace(">", ""), addr)


def _people(value):
    if not isinstance(value, list):
        return []
    found = (_person(p) for p in value[:MAX_RECIPIENTS])
    return [", ".join(p for p in found if p)]


def _when(value, problems, what):
    if not value:
        return None
    if isinstance(value, str) and len(value) <= MAX_DATE_TEXT:
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
    problems.append(f"unreadable {what}")
    return None


def flags_of(item):
    """IMAP's words for Graph's isRead, flag and isDraft."""
    flags = []
    if item.get("isRead") is True:
        flags.append("\\Seen")
    flag = item.get("flag")
    if isinstance(flag, dict) and flag.get("flagStatus") == "flagged":
        flags.append("\\Flagged")
    if item.get("isDraft") is True:
        flags.append("\\Draft")
    return tuple(flags)


def meta_of(item):
    """A MessageMeta from a Graph message resource, as IMAP builds one from headers. Graph's
    delta has no In-Reply-To or References (``internetMessageHeaders`` cannot be selected
    there), so the conversation is Exchange's ``conversationId``."""
    fields = {
        "subject": [_text(item.get("subject"), mime.MAX_HEADER_LENGTH)],
        "from": [_person(item.get("from")) or _person(item.get("sender"))],
        "to": _people(item.get("toRecipients")),
        "cc": _people(item.get("ccRecipients")),
        "bcc": _people(item.get("bccRecipients")),
        "message-id": [_text(item.get("internetMessageId"), 1000)],
    }
    headers = mime.headers_from_message({k: v for k, v in fields.items() if v and v[0]})
    problems = list(headers.problems)
    received = _when(item.get("receivedDateTime"), problems, "received date")
    sent = _when(item.get("sentDateTime"), problems, "sent date")
    preview = item.get("bodyPreview")
    meta = MessageMeta.from_headers(
        headers,
        uid=item["id"],
        flags=flags_of(item),
        internal_date=received,
        size=0,  # not in delta; a listing does not need it
        date=sent or received,
        preview=mime.make_preview(html.unescape(preview[:4000])) if isinstance(preview, str) else "",
    )
    meta.problems = problems
    meta.has_attachments = item.get("hasAttachments") is True
    conversation = _text(item.get("conversationId"), 400)
    if conversation and not meta.references:
        meta.thread_key = conversation
    return meta


class GraphProvider(MailProvider):
    """One Outlook.com / Microsoft 365 mailbox, the signed-in user's or (``shared=True``) the
    shared mailbox ``address`` opened as ``users/{address}`` with the .Shared scopes."""

    cursor_sync = True
    account_wide_changes = False
    files_sent_copy = True
    sends_mail = True

    def __init__(
        self,
        address,
        refresh_token,
        client_id,
        client_secret,
        tenant="common",
        authority_host=oauth_flow.MICROSOFT_AUTHORITY_HOST,
        base_url=GRAPH_BASE_URL,
        shared=False,
        access_token=None,
        expires_at=0.0,
        on_tokens=None,
        session=None,
        backoff=None,
        meter=None,
    ):
        self.address, self.shared = address, shared
        self.base_url, self.session, self.backoff, self.meter = base_url, session, backoff, meter
        self.microsoft = oauth_flow.MicrosoftClient(
            client_id, client_secret, "", tenant=tenant, authority_host=authority_host, shared_mailbox=shared
        )
        self._stored = (refresh_token, access_token, expires_at)
        self.on_tokens = on_tokens
        self.client = None
        self._calls_before = 0
        self._folders = None  # path -> RemoteFolder, from the last list_folders
        self._well_known = {}  # well-known name -> folder id

    # -- session -------------------------------------------------------------------------------
    def connect(self):
        try:
            app = oauth_flow.microsoft_app(self.microsoft)
        except ValueError as exc:
            raise ProviderError(f"Microsoft sign-in is not configured right: {exc}")
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise ServerUnreachable(f"Microsoft sign-in could not be reached: {exc}")
        except Exception as exc:  # msal reads the tenant's configuration here (requests errors)
            raise ProviderError(f"Microsoft sign-in could not be reached: {exc}") from exc
        refresh_token, access_token, expires_at = self._stored
        self.tokens = MsalTokens(
            app,
            refresh_token,
            self.microsoft.scopes,
            access_token=access_token,
            expires_at=expires_at,
            on_refresh=self._refreshed,
        )
        self.client = GraphApiClient(
            self.tokens,
            self.address,
            shared=self.shared,
            base_url=self.base_url,
            session=self.session,
            backoff=self.backoff,
            meter=self.meter,
        )

    def _refreshed(self, tokens):
        """Microsoft rotates the refresh token: the new one must be stored, or the next run fails."""
        if self.on_tokens:
            self.on_tokens(tokens.current, tokens.refresh_token, tokens.expires_at)

    def close(self):
        if self.client is not None:
            self._calls_before += self.client.calls
            if self.session is None:
                self.client.session.close()
        self.client = None

    @property
    def round_trips(self):
        """Graph calls of this provider, over every session (still counted once closed)."""
        return self._calls_before + (self.client.calls if self.client is not None else 0)

    def _pool(self, function, items):
        """``function`` over ``items`` with as many requests in flight as the mailbox allows."""
        items = list(items)
        if len(items) <= 1:
            return [function(item) for item in items]
        with ThreadPoolExecutor(min(MAILBOX_CONCURRENCY, len(items))) as pool:
            return list(pool.map(function, items))

    # -- folders -------------------------------------------------------------------------------
    def list_folders(self):
        self._well_known = self._well_known_ids()
        kind_of = {
            self._well_known[name]: kind for name, kind in FOLDER_TYPES.items() if name in self._well_known
        }
        skipped = {self._well_known[name] for name in SKIPPED_FOLDERS if name in self._well_known}
        folders, paths, taken, left_out = [], {}, set(), set()
        for folder in self.client.folders():
            if folder.id in skipped or folder.hidden or folder.search_folder or folder.parent_id in left_out:
                left_out.add(folder.id)  # Sync Issues' children go with it
                continue
            path = folder.path
            parent = path.rsplit("/", 1)[0] if "/" in path else None
            if parent is not None:  # the parent's path as listed, " (2)" included
                parent = paths.get(folder.parent_id, parent)
                path = f"{parent}/{folder.name}"
            unique, number = path, 2
            while unique.casefold() in taken:
                unique, number = f"{path} ({number})", number + 1
            paths[folder.id] = unique
            taken.add(unique.casefold())
            folders.append(
                RemoteFolder(
                    path=unique,
                    name=unique.rsplit("/", 1)[-1],
                    delimiter="/",
                    folder_type=kind_of.get(folder.id, "other"),
                    messages=folder.total,
                    unseen=folder.unread,
                    remote_id=folder.id,
                )
            )
        self._folders = {f.path: f for f in folders}
        return folders

    def _well_known_ids(self):
        """{well-known name: folder id}. Exchange never changes these ids, so each is asked
        once per process and mailbox; one missing (no Archive yet) is asked again next time."""
        key = (self.client.prefix, self.address.casefold())
        with _well_known_lock:
            known = dict(_well_known_cache.get(key, {}))
        wanted = [name for name in tuple(FOLDER_TYPES) + SKIPPED_FOLDERS if name not in known]
        found = self._pool(lambda name: self.client.well_known_folder_ids([name]).get(name), wanted)
        known.update((name, folder_id) for name, folder_id in zip(wanted, found, strict=True) if folder_id)
        with _well_known_lock:
            _well_known_cache[key] = dict(known)
        return known

    def _folder(self, path):
        if self._folders is None or path not in self._folders:
            self.list_folders()
        folder = self._folders.get(path)
        if folder is None:
            raise FolderGone(f"The folder {path} is no longer in this mailbox.")
        return folder

    # -- sync ----------------------------------------------------------------------------------
    def changes(self, path, uidvalidity, last_uid, highestmodseq, known_uids=None):
        raise ProviderError("Microsoft Graph syncs by delta link (folder_changes)")

    def all_uids(self, path, below=None):
        raise ProviderError("Microsoft Graph syncs by delta link (folder_changes)")

    def folder_changes(self, folder, cursor):
        """One delta page of ``folder``. ``cursor`` is ``{"link": next or delta link,
        "listing": whether this round is the folder's full listing}``; None starts a listing.
        An expired link starts a new listing at once (``reset=True``)."""
        link, listing = None, True
        if isinstance(cursor, dict) and self.client.owns(cursor.get("link")):
            link, listing = cursor["link"], cursor.get("listing") is True
        reset = cursor is not None and link is None  # a cursor nobody can follow: list again
        try:
            page = self._delta_page(folder, link)
        except CursorExpired:
            page, listing, reset = self._delta_page(folder, None), True, True
        metas = []
        for item in page.changed:
            meta = self._meta_or_none(item)
            if meta is not None:
                metas.append(meta)
        done = page.delta_link is not None
        next_link = page.delta_link if done else page.next_link
        if not self.client.owns(next_link):
            raise ProviderError("Microsoft Graph ended a page of changes without a usable link.")
        return FolderChanges(
            cursor={"link": next_link, "listing": listing and not done},
            done=done,
            listing=listing,
            reset=reset,
            metas=metas,
            removed={i for i in page.removed if self.valid_id(i)},
            estimate=folder.messages,
        )

    def _delta_page(self, folder, link):
        folder_id = folder.remote_id or self._folder(folder.path).remote_id
        try:
            return next(iter(self.client.delta(folder_id, link)))
        except NotFound:
            raise FolderGone(f"The folder {folder.path} is no longer in this mailbox.")

    def _meta_or_none(self, item):
        """A message that cannot be read is left out; the rest of the page goes on."""
        if not isinstance(item, dict) or not self.valid_id(item.get("id")):
            return None
        try:
            return meta_of(item)
        except Exception as exc:  # noqa: BLE001 (one hostile resource never stops a sync)
            return MessageMeta(uid=item["id"], problems=[f"unreadable message: {exc.__class__.__name__}"])

    def fetch_meta(self, path, uids):
        folder_id = self._folder(path).remote_id

        def one(uid):
            if not self.valid_id(uid):
                return None
            try:
                item = self.client.message(uid)
            except NotFound:
                return None
            if not isinstance(item, dict) or item.get("parentFolderId") not in (None, folder_id):
                return None  # no longer in this folder
            return self._meta_or_none(item)

        return [meta for meta in self._pool(one, uids) if meta is not None]

    def fetch_raw(self, path, uid):
        if not self.valid_id(uid):
            return None
        return self.client.mime(uid)

    # -- changes -------------------------------------------------------------------------------
    def _each(self, uids, function):
        """``function(uid)`` for the valid ids, gone ones skipped; {uid: result}."""

        def one(uid):
            try:
                return uid, function(uid)
            except NotFound:
                return uid, None

        return {
            uid: result for uid, result in self._pool(one, filter(self.valid_id, uids)) if result is not None
        }

    def set_flags(self, path, uids, seen=None, starred=None):
        if seen is None and starred is None:
            return
        self._each(uids, lambda uid: self.client.update(uid, is_read=seen, flagged=starred))

    def add_flags(self, path, uids, flags):
        """Graph has no keywords to set (Exchange marks a reply itself when sent through it)."""
        return ()

    def move(self, path, uids, target_path):
        target = self._folder(target_path).remote_id
        if target == self._folder(path).remote_id:
            return {}  # Exchange would still give new ids, for nothing
        return self._each(uids, lambda uid: self.client.move(uid, target))

    def delete(self, path, uids, trash_path=None):
        """To Deleted Items ({old id: new id}); from Deleted Items or a folder inside it, for good."""
        self._folder(path)
        trash = self._folders.get(trash_path) if trash_path else None
        if trash is None:
            trash = next((f for f in self._folders.values() if f.folder_type == "trash"), None)
        if trash is not None and path != trash.path and not path.startswith(trash.path + "/"):
            return self._each(uids, lambda uid: self.client.move(uid, trash.remote_id))
        self._each(uids, lambda uid: self.client.delete(uid) or True)
        return {}

    def append(self, path, raw, flags=(), when=None):
        raise ProviderError("Microsoft Graph files messages itself; MailDesk does not add any")

    # -- sending and searching -----------------------------------------------------------------
    def send(self, raw, recipients, reply_to_uid=None):
        """sendMail with MailDesk's MIME (its In-Reply-To and References kept, so every mail
        program threads it). A reply also gets the Thread-Index Outlook would give it, from
        the original's conversationIndex: Exchange files a MIME message into a conversation by
        that header, and the index groups Graph mail by conversationId. Bcc recipients become
        a header, which Exchange strips. The Sent Items copy is the service's. Never resent."""
        raw = mime.with_bcc(raw, recipients)
        if (
            reply_to_uid
            and self.valid_id(reply_to_uid)
            and not mime.split_header_block(raw).get("thread-index")
        ):
            try:
                parent = self.client.message(reply_to_uid, select=("conversationIndex",))
            except (AuthenticationFailed, ServerUnreachable):
                raise
            except ProviderError:  # the original is gone (or unreadable): a conversation of its own
                parent = None
            index = reply_thread_index(parent.get("conversationIndex") if isinstance(parent, dict) else None)
            if index:
                raw = b"Thread-Index: " + index.encode("ascii") + b"\r\n" + raw
        self.client.send_mime(raw)
        return None

    def search_text(self, path, text, limit, body_only=False):
        found = self.client.search(
            self._folder(path).remote_id, text, max(int(limit), 0), body_only=body_only
        )
        found = [m for m in found if self.valid_id(m.get("id"))]
        found.sort(key=lambda m: str(m.get("receivedDateTime") or ""), reverse=True)
        return [m["id"] for m in found]

    def valid_id(self, uid):
        """Graph's id alphabet only (base64: no "." or ".." that a URL would resolve away, no
        space, nothing to escape but "/", which is quoted), and none MailDesk made itself."""
        return valid_graph_id(uid) and not uid.startswith("local-")


MAX_CONVERSATION_INDEX = 22 + 5 * 200  # bytes: the header and 200 replies


def reply_thread_index(parent, now=None):
    """The Thread-Index of a reply to a message whose conversationIndex is ``parent`` (base64):
    the parent's bytes and a 5-byte child block (a time delta, as [MS-OXOMSG] 2.2.1.3 lays it
    out), in base64; None when ``parent`` is no conversation index."""
    if not isinstance(parent, str) or len(parent) > 2 * MAX_CONVERSATION_INDEX:
        return None
    try:
        index = base64.b64decode(parent, validate=True)
    except ValueError:
        return None
    if len(index) < 22 or (len(index) - 22) % 5 or len(index) + 5 > MAX_CONVERSATION_INDEX:
        return None
    filetime = int(((now or time.time()) + 11644473600) * 10_000_000)  # 100 ns since 1601
    delta = max(filetime - (int.from_bytes(index[1:6], "big") << 24), 0)
    code, value = (0, delta >> 18) if delta < 1 << 49 else (1, delta >> 23)
    block = ((code << 31 | (value & 0x7FFFFFFF)) << 8 | secrets.randbelow(16) << 4).to_bytes(5, "big")
    return base64.b64encode(index + block).decode("ascii")
