"""Microsoft Entra ID (v2.0 endpoints) and Microsoft Graph v1.0 mail, on loopback HTTPS.

Identity: ``/{tenant}/v2.0/.well-known/openid-configuration``, ``/{tenant}/oauth2/v2.0/authorize``
(redirects back with code and state) and ``/{tenant}/oauth2/v2.0/token`` (authorization code with
PKCE, refresh token; a revoked grant gets ``invalid_grant``), enough for MSAL with
``instance_discovery=False``. Tenants: common, organizations, consumers and the stand-in's id.
Graph: ``/me`` and ``/users/{address}`` (a shared mailbox, for its delegates holding the
``.Shared`` scopes), mailFolders with childFolders (addressable by well-known names, which v1.0
does not return as a property), per-folder ``messages/delta`` (``$select``, ``Prefer:
odata.maxpagesize``, ``@odata.nextLink``, ``@odata.deltaLink``, ``@removed``; ``410`` once a
delta token is expired), messages get / ``$value`` / PATCH / move / DELETE, ``sendMail``
(JSON or MIME), ``createReply`` and send, drafts. Throttling: at most ``concurrency`` requests in
flight per mailbox and an optional request rate, both answered ``429`` with ``Retry-After``.
"""

import base64
import email
import email.policy
import email.utils
import html
import json
import re
import secrets
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import quote, unquote, urlencode

from .google import _jwt, _pkce_ok
from .mailbox import Message, b64url, b64url_decode, generate
from .server import Response, StandIn, Throttle

TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
MAILBOX_CONCURRENCY = 4  # Exchange Online's per-app, per-mailbox limit on requests in flight
# bodies for ``fail_next``: Graph refusing for load
THROTTLED = {"error": {"code": "ApplicationThrottled", "message": "Too many requests"}}
UNAVAILABLE = {"error": {"code": "ServiceUnavailable", "message": "Try again later"}}
NEW_THREADS = 10**9  # thread numbers of messages added later: apart from the generated ones
MAX_PAGE_SIZE = 1000  # the most delta returns per page; smaller when Prefer asks for less
DEFAULT_PAGE_SIZE = 10
WELL_KNOWN = {
    "msgfolderroot": "Top of Information Store",
    "inbox": "Inbox",
    "drafts": "Drafts",
    "sentitems": "Sent Items",
    "deleteditems": "Deleted Items",
    "junkemail": "Junk Email",
    "archive": "Archive",
    "outbox": "Outbox",
}


def graph_error(status, code, message, retry_after=None):
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": str(uuid.uuid4()),
            },
        }
    }
    return Response(status, body, {"Retry-After": str(retry_after)} if retry_after is not None else {})


def _address(person):
    name, address = person
    return {"emailAddress": {"name": name, "address": address}}


class GraphMailbox:
    """One Exchange mailbox: folders, messages and the change log delta reads."""

    def __init__(self, address, display_name, count, seed):
        self.address, self.display_name = address, display_name
        self.user_id = str(uuid.uuid5(uuid.NAMESPACE_DNS, address))
        self.folders = {}  # folder id -> {"name", "parent", "well_known"}
        self.well_known = {}
        self.seq = 0  # change counter: a message's ``changed`` and each tombstone carry one
        self.messages = {}  # message id -> Message (with .folder, .changed)
        self.tombstones = []  # (seq, folder id, message id)
        self.generation = 0  # bumped to expire every delta token
        self.next_number = 0
        self.outbox = []  # what sendMail / send delivered: {"raw" or "json", "saved"}
        self.overrides = {}  # message id -> JSON properties served instead of the real ones
        root = self._folder("msgfolderroot", None, "msgfolderroot")
        for key in ("inbox", "drafts", "sentitems", "deleteditems", "junkemail", "archive", "outbox"):
            self._folder(WELL_KNOWN[key], root, key)
        projects = self._folder("Projects", self.well_known["inbox"])
        self._folder("2026", projects)
        for message in generate(count, address, seed=seed):
            message.folder = self.well_known["sentitems" if message.number % 7 == 6 else "inbox"]
            if message.number % 10 == 3:
                message.folder = projects
            self._store(message)

    def _folder(self, name, parent, well_known=None, hidden=False, search=False):
        folder_id = f"AAMkADFolder{len(self.folders):04d}AAA="
        self.folders[folder_id] = {
            "name": WELL_KNOWN.get(name, name),
            "parent": parent,
            "well_known": well_known,
            "hidden": hidden,
            "search": search,
        }
        if well_known:
            self.well_known[well_known] = folder_id
        return folder_id

    def add_folder(self, name, parent=None, well_known=None, hidden=False, search=False):
        """A folder under ``parent`` (a folder id; the root by default): a well-known one
        (``conversationhistory``, ``syncissues``), a hidden one, or a search folder."""
        return self._folder(name, parent or self.well_known["msgfolderroot"], well_known, hidden, search)

    def folder_id(self, reference):
        """A folder id from an id or a well-known name (case-insensitive, as Graph takes them)."""
        if reference in self.folders:
            return reference
        return self.well_known.get(reference.lower())

    def message_id(self, message):
        return f"AAMkAGI2TG93AAA{message.number:08x}-{message.generation_tag}="

    def _store(self, message, tag=0):
        self.seq += 1
        message.changed = self.seq
        message.generation_tag = tag
        self.next_number = max(self.next_number, message.number + 1)
        self.messages[self.message_id(message)] = message
        return self.message_id(message)

    def touch(self, message_id):
        self.seq += 1
        self.messages[message_id].changed = self.seq

    def remove(self, message_id):
        message = self.messages.pop(message_id)
        self.seq += 1
        self.tombstones.append((self.seq, message.folder, message_id))
        return message

    def move(self, message_id, folder):
        """Exchange gives a moved message a new id; the old one is removed from its folder."""
        message = self.remove(message_id)
        message.folder = folder
        return self._store(message, tag=message.generation_tag + 1)

    def conversation_index(self, thread):
        """Exchange's 22-byte conversation header: 0x01, 5 bytes of time (here: the thread's
        number), a GUID; a reply appends 5 bytes. The conversationId follows from it."""
        guid = uuid.uuid5(uuid.NAMESPACE_OID, f"{self.address}:{thread}").bytes
        return b"\x01" + thread.to_bytes(5, "big") + guid

    def thread_of_index(self, value):
        """The conversation a Thread-Index header names, as Exchange files a MIME message."""
        try:
            index = base64.b64decode(value or "", validate=True)
        except ValueError:
            return None
        thread = int.from_bytes(index[1:6], "big") if len(index) >= 22 else -1
        return thread if thread >= 0 and self.conversation_index(thread) == index[:22] else None

    def add_raw(self, raw, folder, is_read=True):
        parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
        name, address = email.utils.parseaddr(parsed.get("From", self.address))
        thread = self.thread_of_index(parsed.get("Thread-Index"))
        message = Message(
            number=self.next_number,
            subject=parsed.get("Subject", ""),
            sender=(name, address or self.address),
            to=parsed.get("To", ""),
            date=datetime.now(timezone.utc),
            message_id=parsed.get("Message-ID") or f"<g{self.next_number}@standin.example>",
            in_reply_to=parsed.get("In-Reply-To", ""),
            thread=NEW_THREADS + self.next_number if thread is None else thread,
            is_read=is_read,
            raw_override=raw,
        )
        message.folder = folder
        return self._store(message)

    def message_json(self, message_id, select=None):
        m = self.messages[message_id]
        full = {
            "id": message_id,
            "@odata.etag": f'W/"CQAAABYAAA{m.changed}"',
            "createdDateTime": _iso(m.date),
            "lastModifiedDateTime": _iso(m.date),
            "receivedDateTime": _iso(m.date),
            "sentDateTime": _iso(m.date),
            "subject": m.subject,
            "bodyPreview": m.snippet,
            "isRead": m.is_read,
            "isDraft": m.folder == self.well_known["drafts"],
            "hasAttachments": False,
            "importance": "normal",
            "internetMessageId": m.message_id,
            "conversationId": f"AAQkAD{m.thread:08x}=",
            "conversationIndex": base64.b64encode(self.conversation_index(m.thread)).decode(),
            "parentFolderId": m.folder,
            "from": _address(m.sender),
            "sender": _address(m.sender),
            "toRecipients": [_address(email.utils.parseaddr(a)) for a in m.to.split(",") if a.strip()],
            "ccRecipients": [],
            "bccRecipients": [],
            "replyTo": [],
            "categories": [],
            "flag": {"flagStatus": "flagged" if m.flagged else "notFlagged"},
            "internetMessageHeaders": [{"name": k, "value": v} for k, v in m.header_pairs()],
        }
        full.update(self.overrides.get(message_id, {}))
        if select is None:
            full.pop("internetMessageHeaders")
            return full
        return {k: v for k, v in full.items() if k in select or k in ("id", "@odata.etag")}


def _iso(when):
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class MicrosoftStandIn(StandIn):
    routes = (
        ("GET", r"/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration", "openid_configuration"),
        ("GET", r"/(?P<tenant>[^/]+)/oauth2/v2\.0/authorize", "authorize"),
        ("POST", r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token", "token"),
    )
    # Graph paths, after /v1.0/me or /v1.0/users/{address}
    graph_routes = (
        ("GET", r"", "me"),
        ("GET", r"/mailFolders", "folders_list"),
        ("GET", r"/mailFolders/(?P<folder>[^/]+)", "folder_get"),
        ("GET", r"/mailFolders/(?P<folder>[^/]+)/childFolders", "folders_list"),
        ("GET", r"/mailFolders/(?P<folder>[^/]+)/messages/delta", "delta"),
        ("GET", r"/mailFolders/(?P<folder>[^/]+)/messages", "messages_search"),
        ("GET", r"/messages/(?P<id>[^/]+)", "message_get"),
        ("GET", r"/messages/(?P<id>[^/]+)/\$value", "message_mime"),
        ("PATCH", r"/messages/(?P<id>[^/]+)", "message_patch"),
        ("DELETE", r"/messages/(?P<id>[^/]+)", "message_delete"),
        ("POST", r"/messages/(?P<id>[^/]+)/move", "message_move"),
        ("POST", r"/messages/(?P<id>[^/]+)/createReply", "create_reply"),
        ("POST", r"/messages/(?P<id>[^/]+)/send", "draft_send"),
        ("POST", r"/messages", "draft_create"),
        ("POST", r"/sendMail", "send_mail"),
    )

    def __init__(
        self,
        messages=50,
        owner="owner@contoso.example",
        client_id="graph-client-id",
        client_secret="graph-secret",
        shared=None,
        concurrency=MAILBOX_CONCURRENCY,
        requests_per_second=None,
        retry_after=1,
        access_token_lifetime=3600,
        rotate_refresh_tokens=False,
    ):
        super().__init__()
        self._graph_routes = [(m, re.compile(p + r"\Z"), h) for m, p, h in self.graph_routes]
        self.owner, self.client_id, self.client_secret = owner, client_id, client_secret
        self.signed_in = owner
        self.mailboxes = {owner.lower(): GraphMailbox(owner, "Mailbox Owner", messages, seed=7)}
        self.delegates = {}  # shared mailbox address -> addresses that may open it
        for address, spec in (shared or {}).items():
            self.mailboxes[address.lower()] = GraphMailbox(
                address, spec.get("name", address), spec.get("messages", 10), seed=11
            )
            self.delegates[address.lower()] = {d.lower() for d in spec.get("delegates", [owner])}
        self.throttle = Throttle(per_second=requests_per_second, in_flight=concurrency)
        self.retry_after = retry_after
        self.access_token_lifetime = access_token_lifetime
        self.rotate_refresh_tokens = rotate_refresh_tokens  # a refresh answers a new one, the old dies
        self.gate = None  # a threading.Event: Graph calls wait on it once admitted (concurrency tests)
        self.latency = 0.0  # seconds each admitted Graph call takes (benchmarks: a real service's)
        self.codes, self.refresh_tokens, self.access_tokens = {}, {}, {}
        self.delta_pages = {}  # skiptoken -> (folder, [ids and tombstones], select, snapshot seq)
        self.links_to = None  # a base URL for next and delta links (a server that sends clients away)
        self.drop_after_send = 0  # sends (sendMail, a draft's send) that deliver, then drop unanswered

    def mailbox(self, address=None):
        return self.mailboxes[(address or self.owner).lower()]

    # -- identity ----------------------------------------------------------------------------
    def _tenant_ok(self, tenant):
        return tenant in ("common", "organizations", "consumers", TENANT_ID)

    def openid_configuration(self, request):
        tenant = request.match.group("tenant")
        if not self._tenant_ok(tenant):
            return Response(
                400,
                {
                    "error": "invalid_tenant",
                    "error_description": f"AADSTS90002: Tenant '{tenant}' not found.",
                },
            )
        base = f"{self.base_url}/{tenant}"
        issuer_tenant = "{tenantid}" if tenant in ("common", "organizations") else TENANT_ID
        return Response(
            200,
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "issuer": f"{self.base_url}/{issuer_tenant}/v2.0",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "tenant_region_scope": "EU",
                "code_challenge_methods_supported": ["plain", "S256"],
            },
        )

    def authorize(self, request):
        if not self._tenant_ok(request.match.group("tenant")):
            return Response(400, b"AADSTS90002: tenant not found", {"Content-Type": "text/plain"})
        if request.arg("client_id") != self.client_id:
            return Response(400, b"AADSTS700016: application not found", {"Content-Type": "text/plain"})
        redirect_uri = request.arg("redirect_uri", "")
        code = "0.AXkA" + secrets.token_urlsafe(32)
        with self.lock:
            self.codes[code] = {
                "redirect_uri": redirect_uri,
                "user": self.signed_in,
                "scope": request.arg("scope", ""),
                "nonce": request.arg("nonce"),
                "challenge": request.arg("code_challenge"),
                "method": request.arg("code_challenge_method", "plain"),
                "expires": time.time() + 600,
            }
        back = {"code": code, "session_state": str(uuid.uuid4())}
        if request.arg("state") is not None:
            back["state"] = request.arg("state")
        if request.arg("response_mode") == "form_post":  # a page that posts the answer back
            inputs = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}"/>'
                for k, v in back.items()
            )
            page = (
                f'<html><body onload="document.forms[0].submit()"><form method="POST" '
                f'action="{html.escape(redirect_uri)}">{inputs}</form></body></html>'
            )
            return Response(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
        return Response(302, b"", {"Location": f"{redirect_uri}?{urlencode(back)}"})

    def token(self, request):
        form = request.form()
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return Response(
                401,
                {
                    "error": "invalid_client",
                    "error_codes": [7000215],
                    "error_description": "AADSTS7000215: Invalid client secret provided.",
                },
            )
        grant = form.get("grant_type")
        with self.lock:
            if grant == "authorization_code":
                code = self.codes.pop(form.get("code", ""), None)
                if (
                    code is None
                    or code["expires"] < time.time()
                    or code["redirect_uri"] != form.get("redirect_uri")
                ):
                    return Response(
                        400,
                        {
                            "error": "invalid_grant",
                            "error_codes": [70000],
                            "error_description": "AADSTS70000: The provided authorization code is invalid.",
                        },
                    )
                if code["challenge"] and not _pkce_ok(
                    code["challenge"], code["method"], form.get("code_verifier")
                ):
                    return Response(
                        400,
                        {
                            "error": "invalid_grant",
                            "error_codes": [501481],
                            "error_description": "AADSTS501481: The Code_Verifier does not match "
                            "the code_challenge.",
                        },
                    )
                return Response(200, self._tokens(code["user"], code["scope"], code["nonce"]))
            if grant == "refresh_token":
                entry = self.refresh_tokens.get(form.get("refresh_token", ""))
                if entry is None or entry["revoked"]:
                    return Response(
                        400,
                        {
                            "error": "invalid_grant",
                            "error_codes": [50173],
                            "suberror": "bad_token",
                            "error_description": "AADSTS50173: The provided grant has expired due to "
                            "it being revoked, a fresh auth token is needed.",
                        },
                    )
                if self.rotate_refresh_tokens:
                    entry["revoked"] = True
                    return Response(
                        200, self._tokens(entry["user"], entry["scope"] + " offline_access", None)
                    )
                return Response(200, self._tokens(entry["user"], entry["scope"], None, form["refresh_token"]))
        return Response(400, {"error": "unsupported_grant_type", "error_description": "AADSTS70003"})

    def _tokens(self, user, scope, nonce, refresh=None):
        scopes = set(scope.split())
        access = "eyJ0eXAiOiJKV1Qi." + secrets.token_urlsafe(40)
        if refresh is None and "offline_access" in scopes:
            refresh = "0.AXkA-refresh-" + secrets.token_urlsafe(40)
            self.refresh_tokens[refresh] = {"user": user, "scope": scope, "revoked": False}
        self.access_tokens[access] = (user, time.time() + self.access_token_lifetime, refresh, scopes)
        oid = self.mailbox(user).user_id if user.lower() in self.mailboxes else str(uuid.uuid4())
        now = int(time.time())
        claims = {
            "aud": self.client_id,
            "iss": f"{self.base_url}/{TENANT_ID}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "name": "Mailbox Owner",
            "oid": oid,
            "preferred_username": user,
            "sub": b64url(oid.encode())[:43],
            "tid": TENANT_ID,
            "ver": "2.0",
        }
        if nonce:
            claims["nonce"] = nonce
        granted = " ".join(sorted(scopes - {"offline_access"}))
        answer = {
            "token_type": "Bearer",
            "scope": granted,
            "expires_in": self.access_token_lifetime,
            "ext_expires_in": self.access_token_lifetime,
            "access_token": access,
            "id_token": _jwt(claims),
            "client_info": b64url(json.dumps({"uid": oid, "utid": TENANT_ID}).encode()),
        }
        if refresh:
            answer["refresh_token"] = refresh
        return answer

    def grant(self, user=None, scope="Mail.ReadWrite Mail.Send User.Read offline_access openid profile"):
        refresh = "0.AXkA-refresh-" + secrets.token_urlsafe(40)
        with self.lock:
            self.refresh_tokens[refresh] = {"user": user or self.owner, "scope": scope, "revoked": False}
        return refresh

    def revoke_grants(self, user=None):
        """An administrator revokes the user's sessions (Revoke-MgUserSignInSession)."""
        with self.lock:
            for refresh, entry in self.refresh_tokens.items():
                if user is None or entry["user"] == user:
                    entry["revoked"] = True
                    for access, value in list(self.access_tokens.items()):
                        if value[2] == refresh:
                            del self.access_tokens[access]

    def expire_access_tokens(self):
        with self.lock:
            self.access_tokens.clear()

    def expire_delta_tokens(self, address=None):
        with self.lock:
            self.mailbox(address).generation += 1

    # -- Graph: authentication, mailbox, throttling ------------------------------------------
    def serve(self, request):
        if not request.path.startswith("/v1.0/"):
            return self.dispatch(request)
        forced = self.take_forced()
        if forced is not None:
            return forced
        with self.lock:
            entry = self.access_tokens.get(request.bearer or "")
        if entry is None or entry[1] < time.time():
            response = graph_error(
                401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid."
            )
            response.headers["WWW-Authenticate"] = 'Bearer realm="", error="invalid_token"'
            return response
        user, scopes = entry[0], entry[3]
        # routed on the path as sent: an id with a "/" in it comes quoted (%2F), one segment
        rest = (request.raw_path or request.path)[len("/v1.0") :]
        if rest == "/me" or rest.startswith("/me/"):
            address, rest = user, rest[3:]
        elif rest.startswith("/users/"):
            address, _, tail = rest[len("/users/") :].partition("/")
            address = unquote(address)
            rest = "/" + tail if tail else ""
            if address.lower() not in self.mailboxes:
                return graph_error(404, "ErrorInvalidUser", f"The requested user '{address}' is invalid.")
            if address.lower() != user.lower() and not (
                user.lower() in self.delegates.get(address.lower(), ()) and "Mail.ReadWrite.Shared" in scopes
            ):
                return graph_error(
                    403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
                )
        else:
            return graph_error(400, "BadRequest", f"Resource not found for the segment '{rest}'.")
        mailbox = self.mailbox(address)
        key = mailbox.address.lower()
        if not self.throttle.enter(key):
            return graph_error(
                429,
                "ApplicationThrottled",
                "Application is over its MailboxConcurrency limit.",
                self.retry_after,
            )
        try:
            if not self.throttle.charge(key, 1):
                return graph_error(
                    429,
                    "ApplicationThrottled",
                    "Application is over its request rate limit.",
                    self.retry_after,
                )
            gate = self.gate
            if gate is not None:
                gate.wait(10)
            if self.latency:
                time.sleep(self.latency)
            for method, regex, handler in self._graph_routes:
                match = regex.match(rest)
                if match and method == request.method:
                    request.match = _Unquoted(match)
                    with self.lock:
                        return getattr(self, handler)(request, mailbox)
            return graph_error(400, "BadRequest", f"Unsupported request {request.method} {rest}")
        finally:
            self.throttle.leave(key)

    def in_flight(self, address=None):
        with self.throttle.lock:
            return self.throttle.in_flight.get(self.mailbox(address).address.lower(), 0)

    def peak_in_flight(self, address=None):
        return self.throttle.peak_in_flight.get(self.mailbox(address).address.lower(), 0)

    def wait_for_in_flight(self, count, address=None, timeout=10.0):
        """Wait until ``count`` requests of the mailbox are in flight (held by ``gate``)."""
        deadline = time.monotonic() + timeout
        while self.in_flight(address) != count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.in_flight(address)} requests in flight, never {count}")
            time.sleep(0.01)

    def graph_calls(self):
        """The Graph calls recorded (sign-in calls left out)."""
        with self.calls_lock:
            return [c for c in self.calls if c.path.startswith("/v1.0/")]

    def folder_message_ids(self, well_known, address=None):
        """Ids of the messages in a well-known folder (``inbox``, ``sentitems``...)."""
        mailbox = self.mailbox(address)
        return {mid for mid, m in mailbox.messages.items() if m.folder == mailbox.well_known[well_known]}

    def _mailbox_path(self, mailbox):
        return "me" if mailbox.address == self.owner else f"users/{mailbox.address}"

    # -- Graph: resources --------------------------------------------------------------------
    def me(self, request, mailbox):
        return Response(
            200,
            {
                "id": mailbox.user_id,
                "displayName": mailbox.display_name,
                "mail": mailbox.address,
                "userPrincipalName": mailbox.address,
            },
        )

    def _folder_json(self, mailbox, folder_id):
        folder = mailbox.folders[folder_id]
        inside = [m for m in mailbox.messages.values() if m.folder == folder_id]
        return {
            "id": folder_id,
            "displayName": folder["name"],
            "parentFolderId": folder["parent"] or "",
            "childFolderCount": sum(1 for f in mailbox.folders.values() if f["parent"] == folder_id),
            "unreadItemCount": sum(1 for m in inside if not m.is_read),
            "totalItemCount": len(inside),
            "isHidden": folder["hidden"],
            **({"@odata.type": "#microsoft.graph.mailSearchFolder"} if folder["search"] else {}),
        }

    def folders_list(self, request, mailbox):
        parent = mailbox.folder_id(request.match.groupdict().get("folder") or "msgfolderroot")
        if parent is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        hidden_too = request.arg("includeHiddenFolders", "false").lower() == "true"
        children = [
            fid
            for fid, f in mailbox.folders.items()
            if f["parent"] == parent and (hidden_too or not f["hidden"])
        ]
        top, skip = int(request.arg("$top", 10)), int(request.arg("$skip", 0))
        answer = {"value": [self._folder_json(mailbox, fid) for fid in children[skip : skip + top]]}
        if skip + top < len(children):
            query = urlencode({"$top": top, "$skip": skip + top})
            answer["@odata.nextLink"] = f"{self.base_url}{request.raw_path or request.path}?{query}"
        return Response(200, answer)

    def folder_get(self, request, mailbox):
        folder_id = mailbox.folder_id(request.match.group("folder"))
        if folder_id is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        return Response(200, self._folder_json(mailbox, folder_id))

    def delta(self, request, mailbox):
        folder_id = mailbox.folder_id(request.match.group("folder"))
        if folder_id is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        page_size = _max_page_size(request.headers.get("prefer", ""))
        skiptoken, deltatoken = request.arg("$skiptoken"), request.arg("$deltatoken")
        if skiptoken is not None:
            session = self.delta_pages.get(skiptoken)
            if session is None or session["generation"] != mailbox.generation:
                return graph_error(410, "SyncStateNotFound", "The sync state was not found or has expired.")
        else:
            since, select = 0, None
            if deltatoken is not None:
                try:
                    state = json.loads(b64url_decode(deltatoken))
                    since, select, folder_token, generation = state["s"], state["sel"], state["f"], state["g"]
                except (ValueError, KeyError, TypeError):
                    return graph_error(400, "SyncStateInvalid", "The sync state is invalid.")
                if folder_token != folder_id or generation != mailbox.generation:
                    return graph_error(
                        410, "SyncStateNotFound", "The sync state was not found or has expired."
                    )
            else:
                select = request.arg("$select").split(",") if request.arg("$select") else None
            items = [
                (mid, m) for mid, m in mailbox.messages.items() if m.folder == folder_id and m.changed > since
            ]
            items.sort(key=lambda kv: (kv[1].date, kv[1].number), reverse=True)  # newest first
            entries = [mid for mid, _ in items]
            if since:
                entries += [
                    ("@removed", mid)
                    for seq, fid, mid in mailbox.tombstones
                    if fid == folder_id and seq > since
                ]
            session = {
                "folder": folder_id,
                "entries": entries,
                "offset": 0,
                "select": select,
                "snapshot": mailbox.seq,
                "generation": mailbox.generation,
            }
        offset = session["offset"]
        page = session["entries"][offset : offset + page_size]
        value = []
        for entry in page:
            if (
                isinstance(entry, tuple)
                or entry not in mailbox.messages
                or mailbox.messages[entry].folder != folder_id
            ):
                mid = entry[1] if isinstance(entry, tuple) else entry
                value.append(
                    {"@odata.type": "#microsoft.graph.message", "id": mid, "@removed": {"reason": "deleted"}}
                )
            else:
                item = mailbox.message_json(entry, session["select"])
                item["@odata.type"] = "#microsoft.graph.message"
                value.append(item)
        folder_path = f"{self._mailbox_path(mailbox)}/mailFolders/{quote(folder_id, safe='')}"
        link_base = f"{self.links_to or self.base_url}/v1.0/{folder_path}/messages/delta"
        answer = {"@odata.context": f"{self.base_url}/v1.0/$metadata#Collection(message)", "value": value}
        if offset + page_size < len(session["entries"]):
            token = secrets.token_urlsafe(24)
            self.delta_pages[token] = dict(session, offset=offset + page_size)
            answer["@odata.nextLink"] = f"{link_base}?{urlencode({'$skiptoken': token})}"
        else:
            state = {
                "s": session["snapshot"],
                "sel": session["select"],
                "f": folder_id,
                "g": session["generation"],
            }
            answer["@odata.deltaLink"] = (
                f"{link_base}?{urlencode({'$deltatoken': b64url(json.dumps(state).encode())})}"
            )
        return Response(200, answer, {"Preference-Applied": f"odata.maxpagesize={page_size}"})

    def messages_search(self, request, mailbox):
        """``$search="words"`` (every word, in subject, sender or body) or ``"body:\\"words\\""``
        (the body only), newest first, ``$top`` a page; other queries are refused."""
        folder_id = mailbox.folder_id(request.match.group("folder"))
        if folder_id is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        query = request.arg("$search", "")
        if not (
            len(query) >= 2 and query[0] == query[-1] == '"' and '"' not in query[1:-1].replace('\\"', "")
        ):
            return graph_error(400, "BadRequest", f"Syntax error in $search: {query!r}")
        phrase, body_only = query[1:-1], False
        if phrase.startswith('body:\\"') and phrase.endswith('\\"'):
            phrase, body_only = phrase[len('body:\\"') : -2], True
        words = phrase.lower().split()
        found = []
        for mid, m in mailbox.messages.items():
            text = m.text if body_only else f"{m.subject} {m.sender[0]} {m.sender[1]} {m.text}"
            if m.folder == folder_id and all(w in text.lower() for w in words):
                found.append((m.date, m.number, mid))
        found.sort(reverse=True)
        top, skip = int(request.arg("$top", 10)), int(request.arg("$skip", 0))
        select = request.arg("$select").split(",") if request.arg("$select") else None
        answer = {"value": [mailbox.message_json(mid, select) for _, _, mid in found[skip : skip + top]]}
        if skip + top < len(found):
            query = urlencode(
                {"$search": query, "$top": top, "$skip": skip + top, "$select": ",".join(select or [])}
            )
            answer["@odata.nextLink"] = f"{self.base_url}{request.raw_path or request.path}?{query}"
        return Response(200, answer)

    def _message_or_404(self, mailbox, request):
        message_id = request.match.group("id")
        if message_id not in mailbox.messages:
            return None, graph_error(
                404, "ErrorItemNotFound", "The specified object was not found in the store."
            )
        return message_id, None

    def message_get(self, request, mailbox):
        message_id, missing = self._message_or_404(mailbox, request)
        if missing:
            return missing
        select = request.arg("$select").split(",") if request.arg("$select") else None
        return Response(200, mailbox.message_json(message_id, select))

    def message_mime(self, request, mailbox):
        message_id, missing = self._message_or_404(mailbox, request)
        if missing:
            return missing
        return Response(200, mailbox.messages[message_id].raw(), {"Content-Type": "text/plain"})

    def message_patch(self, request, mailbox):
        message_id, missing = self._message_or_404(mailbox, request)
        if missing:
            return missing
        body, message = request.json(), mailbox.messages[message_id]
        if "isRead" in body:
            message.is_read = bool(body["isRead"])
        if "flag" in body:
            message.flagged = body["flag"].get("flagStatus") == "flagged"
        if "subject" in body:
            message.subject = body["subject"]
        mailbox.touch(message_id)
        return Response(200, mailbox.message_json(message_id))

    def message_move(self, request, mailbox):
        message_id, missing = self._message_or_404(mailbox, request)
        if missing:
            return missing
        target = mailbox.folder_id(request.json().get("destinationId", ""))
        if target is None:
            return graph_error(400, "ErrorInvalidIdMalformed", "Id is malformed.")
        new_id = mailbox.move(message_id, target)
        return Response(201, mailbox.message_json(new_id))

    def message_delete(self, request, mailbox):
        message_id, missing = self._message_or_404(mailbox, request)
        if missing:
            return missing
        trash = mailbox.well_known["deleteditems"]
        if mailbox.messages[message_id].folder == trash:
            mailbox.remove(message_id)
        else:
            mailbox.move(message_id, trash)
        return Response(204, b"")

    def _incoming(self, request):
        """A message in the request: JSON ({"message": {...}} or the message itself) or base64 MIME."""
        if request.headers.get("content-type", "").startswith("text/plain"):
            return base64.b64decode(request.body), True
        return request.json(), False

    def send_mail(self, request, mailbox):
        payload, is_mime = self._incoming(request)
        if is_mime:
            raw, save = payload, True  # a MIME sendMail always keeps its Sent copy
        else:
            raw, save = (
                _json_to_mime(payload.get("message", {}), mailbox.address),
                payload.get("saveToSentItems", True),
            )
        mailbox.outbox.append({"raw": raw, "saved": bool(save)})
        if save:
            mailbox.add_raw(raw, mailbox.well_known["sentitems"])
        if self.drop_after_send:
            self.drop_after_send -= 1
            return Response(202, b"", drop=True)
        return Response(202, b"")

    def draft_create(self, request, mailbox):
        payload, is_mime = self._incoming(request)
        raw = payload if is_mime else _json_to_mime(payload, mailbox.address)
        return Response(201, mailbox.message_json(mailbox.add_raw(raw, mailbox.well_known["drafts"])))

    def create_reply(self, request, mailbox):
        message_id, missing = self._message_or_404(mailbox, request)
        if missing:
            return missing
        original = mailbox.messages[message_id]
        raw = (
            f"From: {mailbox.address}\r\nTo: {email.utils.formataddr(original.sender)}\r\n"
            f"Subject: RE: {original.subject}\r\nIn-Reply-To: {original.message_id}\r\n"
            f"References: {original.message_id}\r\n\r\n"
        ).encode()
        draft_id = mailbox.add_raw(raw, mailbox.well_known["drafts"])
        mailbox.messages[draft_id].thread = original.thread
        return Response(201, mailbox.message_json(draft_id))

    def draft_send(self, request, mailbox):
        message_id, missing = self._message_or_404(mailbox, request)
        if missing:
            return missing
        if mailbox.messages[message_id].folder != mailbox.well_known["drafts"]:
            return graph_error(400, "ErrorInvalidRequest", "Only drafts can be sent.")
        mailbox.outbox.append({"raw": mailbox.messages[message_id].raw(), "saved": True})
        mailbox.move(message_id, mailbox.well_known["sentitems"])
        if self.drop_after_send:
            self.drop_after_send -= 1
            return Response(202, b"", drop=True)
        return Response(202, b"")


class _Unquoted:
    """A route's match whose groups (ids, well-known names) come %-unescaped."""

    def __init__(self, match):
        self._match = match

    def group(self, name):
        value = self._match.group(name)
        return unquote(value) if value is not None else None

    def groupdict(self):
        return {k: unquote(v) if v is not None else None for k, v in self._match.groupdict().items()}


def _max_page_size(prefer):
    for part in prefer.split(","):
        name, _, value = part.strip().partition("=")
        if name.strip() == "odata.maxpagesize" and value.strip().isdigit():
            return max(1, min(int(value), MAX_PAGE_SIZE))
    return DEFAULT_PAGE_SIZE


def _json_to_mime(message, sender):
    def people(key):
        return ", ".join(
            email.utils.formataddr((r["emailAddress"].get("name", ""), r["emailAddress"]["address"]))
            for r in message.get(key, [])
        )

    body = message.get("body", {}).get("content", "")
    head = f"From: {sender}\r\nTo: {people('toRecipients')}\r\nSubject: {message.get('subject', '')}\r\n"
    if message.get("ccRecipients"):
        head += f"Cc: {people('ccRecipients')}\r\n"
    head += f"Message-ID: <{uuid.uuid4().hex}@standin.example>\r\n"
    return (head + "\r\n" + body).encode()
