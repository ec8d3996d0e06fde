"""A thin Microsoft Graph v1.0 mail client on requests, with tokens from msal.

Covers what the Outlook provider needs: the mailFolders tree and the well-known folders,
per-folder ``messages/delta`` (the delta link is the folder's cursor), MIME bodies, isRead and
flag, move, delete, sendMail, createReply and drafts. Throttling: 429 and 503 are retried after
their Retry-After, and at most ``MAILBOX_CONCURRENCY`` requests are in flight per mailbox in
this process (Exchange Online's limit per app and mailbox). Tokens are refreshed shortly before
expiry and once on a 401; a refused refresh raises ``GrantRevoked``. The base URL and the
authority are configurable, so tests run against local stand-ins. No Odoo import.
"""

import base64
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import quote

import requests
import urllib3

from .base import AuthenticationFailed, DeliveryUncertain, ProviderError, ServerUnreachable
from .http_api import Backoff, CursorExpired, GrantRevoked, NotFound, PageWalk, QuotaMeter

GRAPH_BASE_URL = "https://graph.microsoft.com/v1.0"
SERVICE = "Microsoft Graph"  # as errors name it
TIMEOUT = 60  # seconds for one HTTP exchange
MAILBOX_CONCURRENCY = 4
DELTA_PAGE_SIZE = 1000  # asked for with Prefer: odata.maxpagesize; Graph may send fewer
REFRESH_AHEAD = 300  # seconds before expiry at which the access token is renewed
RETRY_STATUSES = {429, 503, 504}
# Exchange Online's other per-app, per-mailbox limit: 10,000 requests in any 10 minutes
MAILBOX_REQUESTS, MAILBOX_WINDOW = 10_000, 600.0
MAX_FOLDERS = 5000  # folders walked in one tree (a hostile server could answer forever)
MAX_ID_LENGTH = 512  # characters of a message or folder id (Exchange's are ~150)
# Graph's ids are base64 (REST ids "-" and "_", EWS-style ones "+" and "/"); well-known folder
# names are letters. Nothing else may name a resource: no ".", so no "." or ".." segment.
GRAPH_ID = re.compile(rf"[A-Za-z0-9_=+/-]{{1,{MAX_ID_LENGTH}}}")
MAX_SEARCH_TEXT = 200  # characters of a $search phrase
WELL_KNOWN_FOLDERS = ("inbox", "drafts", "sentitems", "deleteditems", "junkemail", "archive")
# What the index needs of a message, in one delta call per page
MESSAGE_SELECT = (
    "subject",
    "from",
    "sender",
    "toRecipients",
    "ccRecipients",
    "bccRecipients",
    "receivedDateTime",
    "sentDateTime",
    "isRead",
    "flag",
    "hasAttachments",
    "internetMessageId",
    "conversationId",
    "parentFolderId",
    "bodyPreview",
    "isDraft",
)


class MsalTokens:
    """Access tokens for one grant, renewed with msal from the stored refresh token.
    ``on_refresh(tokens)`` lets the caller store the new refresh token (Microsoft rotates it)."""

    def __init__(
        self, app, refresh_token, scopes, access_token=None, expires_at=0.0, on_refresh=None, clock=time.time
    ):
        self.app, self.refresh_token, self.scopes = app, refresh_token, list(scopes)
        self._access_token, self.expires_at = access_token, expires_at
        self.on_refresh, self.clock = on_refresh, clock
        self.refreshes = 0
        self._lock = threading.Lock()

    @property
    def current(self):
        """The access token in hand (no renewal; safe to read from ``on_refresh``)."""
        return self._access_token

    def access_token(self):
        with self._lock:
            if not self._access_token or self.expires_at - REFRESH_AHEAD <= self.clock():
                self._refresh()
            return self._access_token

    def refresh(self, stale=None):
        """Renew now (after a 401), unless another thread already replaced ``stale``."""
        with self._lock:
            if stale is None or stale == self._access_token:
                self._refresh()
            return self._access_token

    def _refresh(self):
        try:
            result = self.app.acquire_token_by_refresh_token(self.refresh_token, scopes=self.scopes)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise ServerUnreachable(f"Microsoft sign-in could not be reached: {exc}")
        if "error" in result:
            if result["error"] in ("invalid_grant", "interaction_required"):
                raise GrantRevoked(
                    "Microsoft refused to renew access to this mailbox (it was revoked or has "
                    "expired): sign in with Microsoft again."
                )
            raise AuthenticationFailed(
                "Microsoft refused to renew access to this mailbox: "
                + (result.get("error_description") or result["error"]).splitlines()[0]
            )
        self._access_token = result["access_token"]
        self.expires_at = self.clock() + float(result.get("expires_in", 0))
        self.refresh_token = result.get("refresh_token") or self.refresh_token
        self.refreshes += 1
        if self.on_refresh:
            self.on_refresh(self)


_slots_lock = threading.Lock()
_slots = {}
_meters = {}


def _mailbox_slots(base_url, address, limit):
    """One semaphore per mailbox and service for the whole process, shared by every client."""
    key = (base_url, address.casefold())
    with _slots_lock:
        if key not in _slots:
            _slots[key] = threading.BoundedSemaphore(limit)
        return _slots[key]


def _mailbox_meter(base_url, address):
    """One request budget per mailbox and service for the whole process, like the slots."""
    key = (base_url, address.casefold())
    with _slots_lock:
        if key not in _meters:
            _meters[key] = QuotaMeter(MAILBOX_REQUESTS, window=MAILBOX_WINDOW)
        return _meters[key]


@dataclass
class DeltaPage:
    changed: list  # message resources, with the selected properties
    removed: list  # ids gone from the folder (deleted, or moved out)
    next_link: str | None = None  # more pages follow
    delta_link: str | None = None  # the last page: the folder's new cursor


@dataclass
class GraphFolder:
    id: str
    name: str
    path: str  # display names from the top, joined by "/"
    parent_id: str
    well_known: str = ""
    total: int = 0
    unread: int = 0
    children: list = field(default_factory=list)
    hidden: bool = False
    search_folder: bool = False  # a mailSearchFolder: a saved search, not a place for mail


def _folder_name(value, limit=255):
    """A display name fit for a path: text, no control characters, no "/", bounded."""
    name = "".join(c if c.isprintable() else " " for c in str(value or ""))[:limit].strip()
    return name.replace("/", "\u2215") or "(no name)"


def valid_graph_id(value):
    """Whether ``value`` can be a Graph message or folder id (and so go, quoted, into a URL)."""
    return isinstance(value, str) and GRAPH_ID.fullmatch(value) is not None


def _segment(value, what="id"):
    """``value`` quoted as one path segment ("/" too); ``ProviderError`` for no Graph id."""
    if not valid_graph_id(value):
        raise ProviderError(f"Not a Microsoft Graph {what}: {str(value)[:80]!r}.")
    return quote(value, safe="")


def _items(page):
    """The resources of a page (its ``value``), those that are objects at all."""
    items = page.get("value")
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _count(value):
    return value if isinstance(value, int) and 0 <= value < 2**31 else 0


def _may_have_arrived(exc):
    """False when the request cannot have left: no connection was ever made."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return not isinstance(reason, urllib3.exceptions.NewConnectionError)


def _graph_error(response):
    try:
        error = response.json().get("error", {})
    except ValueError:
        return "", response.text[:200]
    return error.get("code", ""), error.get("message", "")


class GraphApiClient:
    """One mailbox on Graph: the signed-in user's (``/me``) or, with ``shared=True``, the
    Microsoft 365 shared mailbox ``address`` opened as ``/users/{address}``. Thread-safe."""

    def __init__(
        self,
        tokens,
        address,
        shared=False,
        base_url=GRAPH_BASE_URL,
        session=None,
        timeout=TIMEOUT,
        backoff=None,
        max_in_flight=MAILBOX_CONCURRENCY,
        meter=None,
    ):
        self.tokens, self.address = tokens, address
        self.base_url = base_url.rstrip("/")
        self.prefix = f"{self.base_url}/users/{quote(address, safe='@')}" if shared else f"{self.base_url}/me"
        self.session = session or requests.Session()
        self.timeout = timeout
        self.backoff = backoff if backoff is not None else Backoff()
        self._slots = _mailbox_slots(self.base_url, address, max_in_flight)
        # requests per window kept below the mailbox's limit (QuotaMeter counts one unit a call)
        self.meter = meter if meter is not None else _mailbox_meter(self.base_url, address)
        self.calls = 0
        self._count_lock = threading.Lock()

    # -- plumbing ----------------------------------------------------------------------------
    def owns(self, url):
        """Whether ``url`` (a next or delta link the service gave) is on this Graph: a link
        elsewhere would carry the mailbox's bearer token to a stranger."""
        return (
            isinstance(url, str)
            and url.startswith(self.base_url + "/")
            and not any(c in url for c in "\r\n\0 ")
        )

    def request(self, method, path_or_url, expect=(200,), retry=RETRY_STATUSES, once=False, **kwargs):
        """One call, retried on ``retry`` statuses after Retry-After and once on a 401 with a
        new token. ``once``: the request may act on the service (sending mail), so a connection
        lost after it left is ``DeliveryUncertain``, never retried."""
        if path_or_url.startswith("https://"):
            if not self.owns(path_or_url):
                raise ProviderError(
                    "Microsoft Graph answered with a link to another server; it was not followed."
                )
            url = path_or_url
        else:
            url = self.prefix + path_or_url
        retries, renewed = self.backoff.retries(), False
        while True:
            token = self.tokens.access_token()
            headers = dict(kwargs.pop("headers", None) or {}, Authorization=f"Bearer {token}")
            kwargs["headers"] = headers
            with self._slots:
                # spent once a slot is held, so the service sees the calls spaced as metered
                self.meter.spend(1)
                with self._count_lock:
                    self.calls += 1
                try:
                    response = self.session.request(method, url, timeout=self.timeout, **kwargs)
                except (requests.ConnectionError, requests.Timeout) as exc:
                    if once and _may_have_arrived(exc):
                        raise DeliveryUncertain(
                            f"The connection to Microsoft Graph broke after the message was handed "
                            f"over; it may have been sent (look in Sent Items): {exc}"
                        )
                    raise ServerUnreachable(f"Microsoft Graph could not be reached: {exc}")
            if response.status_code in expect:
                return response
            if response.status_code == 401 and not renewed:
                self.tokens.refresh(stale=token)
                renewed = True
                continue
            if response.status_code in retry:  # slept outside the mailbox's slots
                if retries.wait(response.headers.get("Retry-After")):
                    continue
                message = _graph_error(response)[1]
                raise retries.throttled(f"Microsoft Graph kept refusing for load: {message}")
            if once and response.status_code in RETRY_STATUSES:
                raise DeliveryUncertain(
                    f"Microsoft Graph answered {response.status_code} to the message; it may have "
                    f"been sent (look in Sent Items): {_graph_error(response)[1]}"
                )
            raise self._error(response)

    @staticmethod
    def _error(response):
        code, message = _graph_error(response)
        if response.status_code == 410 or code.startswith("SyncState"):
            return CursorExpired(f"Microsoft Graph no longer accepts this folder's delta link: {message}")
        if response.status_code == 404:
            return NotFound(message or "Not found on Microsoft Graph.")
        if response.status_code in (401, 403):
            return AuthenticationFailed(f"Microsoft Graph refused access ({code}): {message}")
        return ProviderError(
            f"Microsoft Graph refused the request ({response.status_code} {code}): {message}"
        )

    def _pages(self, url, walk=None, **kwargs):
        """The pages from ``url`` on, following their next links; ``walk`` (a ``PageWalk``,
        one per listing) stops a service that sends a link twice or pages without end."""
        walk = walk or PageWalk(SERVICE, "next link")
        while url:
            page = self.request("GET", url, **kwargs).json()
            if not isinstance(page, dict):
                raise ProviderError("Microsoft Graph answered with something that is no page.")
            yield page
            url = walk.follow(page.get("@odata.nextLink"))
            kwargs.pop("params", None)  # the next link carries them

    # -- account and folders -----------------------------------------------------------------
    def me(self):
        return self.request("GET", "").json()

    def folders(self):
        """Every folder under the root, parents first, with its path of display names ("/"
        inside a name becomes "∕", so paths split right). Each folder is walked once and at
        most ``MAX_FOLDERS`` are, whatever the service answers."""
        found, seen, stack = [], set(), [("", "", f"{self.prefix}/mailFolders")]
        walk = PageWalk(SERVICE, "next link")  # one for the whole tree: a link twice anywhere is a loop
        while stack and len(found) < MAX_FOLDERS:
            parent_path, parent_id, url = stack.pop(0)
            for page in self._pages(url, walk, params={"$top": 100, "includeHiddenFolders": "false"}):
                for item in _items(page):
                    folder_id = item.get("id")
                    if not valid_graph_id(folder_id) or folder_id in seen:
                        continue  # no id that could go into a URL: left out
                    seen.add(folder_id)
                    name = _folder_name(item.get("displayName"))
                    path = f"{parent_path}/{name}" if parent_path else name
                    folder = GraphFolder(
                        folder_id,
                        name,
                        path,
                        str(item.get("parentFolderId") or parent_id),
                        total=_count(item.get("totalItemCount")),
                        unread=_count(item.get("unreadItemCount")),
                        hidden=item.get("isHidden") is True,
                        search_folder="mailSearchFolder" in str(item.get("@odata.type", "")),
                    )
                    found.append(folder)
                    if item.get("childFolderCount") and not folder.search_folder:
                        stack.append(
                            (
                                path,
                                folder_id,
                                f"{self.prefix}/mailFolders/{_segment(folder_id)}/childFolders",
                            )
                        )
                if len(found) >= MAX_FOLDERS:
                    break
        return found

    def well_known_folder_ids(self, names=WELL_KNOWN_FOLDERS):
        """{well-known name: folder id}; Graph v1.0 resolves the names but does not return them
        as a folder property. A mailbox without one (no Archive yet) leaves it out."""
        ids = {}
        for name in names:
            try:
                folder = self.request(
                    "GET", f"/mailFolders/{_segment(name, 'folder name')}", params={"$select": "id"}
                ).json()
            except NotFound:
                continue
            folder_id = folder.get("id") if isinstance(folder, dict) else None
            if valid_graph_id(folder_id):  # else left out, as a folder the mailbox lacks
                ids[name] = folder_id
        return ids

    # -- sync --------------------------------------------------------------------------------
    def delta(self, folder_id, link=None, select=MESSAGE_SELECT, page_size=DELTA_PAGE_SIZE):
        """Yield the folder's changes page by page since ``link`` (a delta link, or a next link
        to resume an interrupted round), all messages without one. The last page carries the
        new delta link; ``CursorExpired`` when Graph no longer accepts ``link``."""
        headers = {"Prefer": f"odata.maxpagesize={page_size}"}
        url, params, walk = link, None, PageWalk(SERVICE, "next link")
        if url is None:
            url = f"{self.prefix}/mailFolders/{_segment(folder_id, 'folder id')}/messages/delta"
            params = {"$select": ",".join(select)}
        while url:
            page = self.request("GET", url, params=params, headers=dict(headers)).json()
            if not isinstance(page, dict):
                raise ProviderError("Microsoft Graph answered with something that is no page.")
            params = None
            changed, removed = [], []
            for item in _items(page):
                if "@removed" in item:
                    removed.append(item.get("id"))
                else:
                    changed.append(item)
            result = DeltaPage(changed, removed, page.get("@odata.nextLink"), page.get("@odata.deltaLink"))
            yield result
            url = walk.follow(result.next_link)

    # -- reading and changing ----------------------------------------------------------------
    def _message(self, message_id):
        return f"/messages/{_segment(message_id, 'message id')}"

    def message(self, message_id, select=MESSAGE_SELECT):
        return self.request("GET", self._message(message_id), params={"$select": ",".join(select)}).json()

    def mime(self, message_id):
        """The message's RFC 5322 bytes, or None if it is gone."""
        try:
            return self.request("GET", self._message(message_id) + "/$value").content
        except NotFound:
            return None

    def search(self, folder_id, text, limit, body_only=False, select=("receivedDateTime",)):
        """Messages of the folder matching ``text`` by Graph's ``$search``, at most ``limit``.
        The phrase goes in double quotes; its own quotes and backslashes become spaces, so
        nothing a person types can end the phrase or change the query."""
        phrase = " ".join(str(text).replace("\\", " ").replace('"', " ").split())[:MAX_SEARCH_TEXT]
        if not phrase or limit <= 0:
            return []
        query = f'"body:\\"{phrase}\\""' if body_only else f'"{phrase}"'
        url = f"{self.prefix}/mailFolders/{_segment(folder_id, 'folder id')}/messages"
        params = {"$search": query, "$top": min(int(limit), 1000), "$select": ",".join(select)}
        found = []
        for page in self._pages(url, params=params):
            found += _items(page)
            if len(found) >= limit:
                break
        return found[:limit]

    def update(self, message_id, is_read=None, flagged=None):
        body = {}
        if is_read is not None:
            body["isRead"] = bool(is_read)
        if flagged is not None:
            body["flag"] = {"flagStatus": "flagged" if flagged else "notFlagged"}
        return self.request("PATCH", self._message(message_id), json=body).json()

    def move(self, message_id, destination_id):
        """Move; Exchange gives the moved message a new id, which this returns."""
        return self.request(
            "POST",
            self._message(message_id) + "/move",
            expect=(200, 201),
            json={"destinationId": destination_id},
        ).json()["id"]

    def delete(self, message_id):
        """To Deleted Items (from there: for good)."""
        self.request("DELETE", self._message(message_id), expect=(204,))

    # -- sending -----------------------------------------------------------------------------
    def send_mime(self, raw):
        """Send RFC 5322 bytes as built by MailDesk (its reply headers kept); Exchange saves
        the Sent Items copy itself."""
        self._send("/sendMail", data=base64.b64encode(raw), headers={"Content-Type": "text/plain"})

    def _send(self, path, **kwargs):
        """A request that sends mail: one attempt. Retried only on a 429 (refused before it
        acted); a 503 or 504, or a connection lost after it left, may have sent it:
        ``DeliveryUncertain``, never a second copy."""
        return self.request("POST", path, expect=(202,), retry=(429,), once=True, **kwargs)

    def send_message(self, message, save_to_sent=True):
        """Send a Graph message resource (JSON), keeping a Sent Items copy unless told not to."""
        self._send("/sendMail", json={"message": message, "saveToSentItems": save_to_sent})

    def create_reply(self, message_id):
        """A reply draft Exchange threads with the original (its conversation and headers)."""
        return self.request(
            "POST", self._message(message_id) + "/createReply", expect=(200, 201), json={}
        ).json()

    def send_draft(self, message_id):
        """Send a draft (one attempt, as ``sendMail``)."""
        self._send(self._message(message_id) + "/send")

    def create_draft_mime(self, raw):
        return self.request(
            "POST",
            "/messages",
            expect=(200, 201),
            data=base64.b64encode(raw),
            headers={"Content-Type": "text/plain"},
        ).json()

    def update_draft(self, message_id, changes):
        return self.request("PATCH", self._message(message_id), json=changes).json()
