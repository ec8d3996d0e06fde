"""Google's OAuth 2.0 endpoints and the Gmail REST API v1, on loopback HTTPS.

OAuth: ``/o/oauth2/auth`` (and ``/o/oauth2/v2/auth``) redirects back with a code and the state;
``/token`` redeems it (checking the PKCE verifier against its S256 challenge) and refreshes;
``/revoke`` revokes a grant, after which a refresh gets ``invalid_grant``.
Gmail: labels, messages (list with paging, ``q`` and ``labelIds``; get in minimal, metadata,
raw and full formats; modify, batchModify, trash, send), drafts, history (404 once
``startHistoryId`` is older than what is kept), getProfile and the ``/batch/gmail/v1`` endpoint
that google-api-python-client's BatchHttpRequest speaks. Each call is charged Gmail's quota
units for its method; above ``units_per_second`` per user the call gets ``429`` (or ``403``)
``rateLimitExceeded`` with ``Retry-After``.
"""

import base64
import email
import email.policy
import email.utils
import hashlib
import json
import re
import secrets
import time
import uuid
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from ...infrastructure.providers import gmail_quota
from .mailbox import Message, b64url, b64url_decode, generate
from .server import Request, Response, StandIn, Throttle

# Gmail's published quota units per method and per-user budget: one table, the client's, so the
# stand-in charges what the client counts (the tests assert the totals as literal numbers)
QUOTA_UNITS = gmail_quota.QUOTA_UNITS
PER_USER_UNITS_PER_SECOND = gmail_quota.PER_USER_UNITS_PER_SECOND
MAX_BATCH_PARTS = 100
SYSTEM_LABELS = [
    "INBOX",
    "SENT",
    "DRAFT",
    "SPAM",
    "TRASH",
    "STARRED",
    "UNREAD",
    "IMPORTANT",
    "CATEGORY_PERSONAL",
    "CATEGORY_SOCIAL",
    "CATEGORY_PROMOTIONS",
    "CATEGORY_UPDATES",
    "CATEGORY_FORUMS",
    "CHAT",
]
USER_LABELS = {"Label_1": "Projects", "Label_2": "Projects/2026", "Label_3": "Receipts"}
MESSAGE_ID_BASE = 0x18C0000000
THREAD_ID_BASE = 0x19D0000000


def gmail_error(code, message, reason, status):
    return {
        "error": {
            "code": code,
            "message": message,
            "status": status,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
        }
    }


NOT_FOUND = gmail_error(404, "Requested entity was not found.", "notFound", "NOT_FOUND")
INVALID_PAGE_TOKEN = gmail_error(400, "Invalid pageToken", "invalidArgument", "INVALID_ARGUMENT")
UNAUTHENTICATED = gmail_error(
    401,
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential.",
    "authError",
    "UNAUTHENTICATED",
)


def _jwt(claims):
    """An unsigned-looking id_token: the clients here only decode it, as over direct TLS they may."""
    head = b64url(json.dumps({"alg": "RS256", "kid": "standin", "typ": "JWT"}).encode())
    return f"{head}.{b64url(json.dumps(claims).encode())}.{b64url(b'standin-signature')}"


class GoogleStandIn(StandIn):
    routes = (
        ("GET", r"/o/oauth2(?:/v2)?/auth", "authorize"),
        ("POST", r"/token", "token"),
        ("POST", r"/revoke", "revoke_endpoint"),
        ("GET", r"/gmail/v1/users/(?P<user>[^/]+)/profile", "get_profile"),
        ("GET", r"/gmail/v1/users/(?P<user>[^/]+)/labels", "labels_list"),
        ("GET", r"/gmail/v1/users/(?P<user>[^/]+)/messages", "messages_list"),
        ("POST", r"/gmail/v1/users/(?P<user>[^/]+)/messages/batchModify", "messages_batch_modify"),
        ("POST", r"/gmail/v1/users/(?P<user>[^/]+)/messages/send", "messages_send"),
        ("GET", r"/gmail/v1/users/(?P<user>[^/]+)/messages/(?P<id>[0-9a-f]+)", "messages_get"),
        ("POST", r"/gmail/v1/users/(?P<user>[^/]+)/messages/(?P<id>[0-9a-f]+)/modify", "messages_modify"),
        ("POST", r"/gmail/v1/users/(?P<user>[^/]+)/messages/(?P<id>[0-9a-f]+)/trash", "messages_trash"),
        ("POST", r"/gmail/v1/users/(?P<user>[^/]+)/drafts", "drafts_create"),
        ("PUT", r"/gmail/v1/users/(?P<user>[^/]+)/drafts/(?P<id>[^/]+)", "drafts_update"),
        ("GET", r"/gmail/v1/users/(?P<user>[^/]+)/history", "history_list"),
    )
    METHODS = {
        "get_profile": "getProfile",
        "labels_list": "labels.list",
        "messages_list": "messages.list",
        "messages_batch_modify": "messages.batchModify",
        "messages_send": "messages.send",
        "messages_get": "messages.get",
        "messages_modify": "messages.modify",
        "messages_trash": "messages.trash",
        "drafts_create": "drafts.create",
        "drafts_update": "drafts.update",
        "history_list": "history.list",
    }

    def __init__(
        self,
        messages=50,
        owner="owner@gmail.example",
        client_id="gmail-client.apps",
        client_secret="gmail-secret",
        redirect_uris=None,
        units_per_second=PER_USER_UNITS_PER_SECOND,
        throttle_status=429,
        retry_after=1,
        access_token_lifetime=3600,
    ):
        super().__init__()
        self.owner = owner
        self.signed_in = owner  # whoever consents at the authorization endpoint
        self.withheld_scopes = set()  # scopes the user unticks on the consent screen
        self.client_id, self.client_secret = client_id, client_secret
        self.redirect_uris = redirect_uris  # None: any https or loopback redirect is accepted
        self.access_token_lifetime = access_token_lifetime
        self.throttle = Throttle(per_second=units_per_second)
        self.throttle_status, self.retry_after = throttle_status, retry_after
        self.codes = {}  # code -> grant request
        self.refresh_tokens = {}  # refresh token -> {"user", "scope", "revoked"}
        self.revoked = []  # tokens revoked at /revoke, as the client sent them, in order
        self.access_tokens = {}  # access token -> (user, expires at, refresh token)
        self.messages = {}  # gmail id -> Message
        self.history = []  # (history id, kind, message id, label ids)
        self.history_id = 1000
        self.history_floor = 0  # startHistoryId below this: 404 (history no longer kept)
        self.page_token_epoch = 1  # bumped by expire_page_tokens: older page tokens get 400
        self.drafts = {}  # draft id -> message id
        self.drop_after_send = 0  # messages.send calls that send, then drop the connection unanswered
        self.next_number = 0
        self.next_thread = 0
        self._order_cache = None
        # user labels: id -> {"name", "labelListVisibility"}; tests add, rename and remove them
        self.user_labels = {
            lid: {"name": name, "labelListVisibility": "labelShow"} for lid, name in USER_LABELS.items()
        }
        for message in generate(messages, owner):
            self._add(message, record=False)

    # -- mailbox -----------------------------------------------------------------------------
    @staticmethod
    def gmail_id(message):
        return f"{MESSAGE_ID_BASE + message.number:x}"

    @staticmethod
    def thread_id(message):
        return f"{THREAD_ID_BASE + message.thread:x}"

    def _add(self, message, record=True):
        if not message.labels:
            message.labels = {"SENT"} if message.number % 7 == 6 else {"INBOX"}
            if not message.is_read:
                message.labels.add("UNREAD")
            if message.flagged:
                message.labels.add("STARRED")
            if message.number % 10 == 3:
                message.labels.add("Label_1")  # a message on several "folders"
            if message.number % 25 == 7:
                message.labels.add("Label_2")
        self.next_number = max(self.next_number, message.number + 1)
        self.next_thread = max(self.next_thread, message.thread + 1)
        self.history_id += 1
        message.history_id = self.history_id
        self.messages[self.gmail_id(message)] = message
        self._order_cache = None
        if record:
            self.history.append((self.history_id, "messagesAdded", self.gmail_id(message), None))
        return message

    def deliver(self, subject="New mail", sender=("New Sender", "new@example.org"), labels=None):
        """A message arrives (as another program or the outside world would cause)."""
        with self.lock:
            number = self.next_number
            return self._add(
                Message(
                    number=number,
                    subject=subject,
                    sender=sender,
                    to=self.owner,
                    date=email.utils.localtime().astimezone(),
                    message_id=f"<new{number}@standin.example>",
                    thread=self.next_thread,
                    text=f"{subject} body",
                    labels=set(labels or {"INBOX", "UNREAD"}),
                )
            )

    def change_labels(self, gmail_id, add=(), remove=()):
        with self.lock:
            message = self.messages[gmail_id]
            self.history_id += 1
            message.history_id = self.history_id
            added, removed = set(add) - message.labels, set(remove) & message.labels
            message.labels = (message.labels | added) - removed
            if added:
                self.history.append((self.history_id, "labelsAdded", gmail_id, sorted(added)))
            if removed:
                self.history.append((self.history_id, "labelsRemoved", gmail_id, sorted(removed)))
            self._order_cache = None

    def delete_forever(self, gmail_id):
        with self.lock:
            del self.messages[gmail_id]
            self.history_id += 1
            self.history.append((self.history_id, "messagesDeleted", gmail_id, None))
            self._order_cache = None

    def add_label(self, name, label_id=None, visibility="labelShow"):
        """A user label made in Gmail (as another program or the web interface would)."""
        with self.lock:
            label_id = label_id or f"Label_{len(self.user_labels) + 100}"
            self.user_labels[label_id] = {"name": name, "labelListVisibility": visibility}
            return label_id

    def remove_label(self, label_id):
        """A user label deleted in Gmail: it leaves every message (no history is kept of that here)."""
        with self.lock:
            del self.user_labels[label_id]
            for message in self.messages.values():
                message.labels.discard(label_id)
            self._order_cache = None

    def expire_history(self):
        """Gmail keeps history for a limited time: every stored historyId is now too old."""
        with self.lock:
            self.history_id += 1
            self.history_floor = self.history_id

    def _newest_first(self):
        if self._order_cache is None:
            self._order_cache = sorted(
                self.messages.items(), key=lambda kv: (kv[1].date, kv[1].number), reverse=True
            )
        return self._order_cache

    # -- OAuth -------------------------------------------------------------------------------
    def authorize(self, request):
        client_id, redirect_uri = request.arg("client_id"), request.arg("redirect_uri", "")
        if client_id != self.client_id:
            return Response(401, b"Error 401: invalid_client", {"Content-Type": "text/plain"})
        if self.redirect_uris is not None and redirect_uri not in self.redirect_uris:
            return Response(400, b"Error 400: redirect_uri_mismatch", {"Content-Type": "text/plain"})
        code = "4/0A" + secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = {
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "user": self.signed_in,
                "scope": " ".join(
                    s for s in request.arg("scope", "").split() if s not in self.withheld_scopes
                ),
                "offline": request.arg("access_type") == "offline",
                "challenge": request.arg("code_challenge"),
                "method": request.arg("code_challenge_method", "plain"),
                "expires": time.time() + 600,
            }
        back = {"code": code, "scope": request.arg("scope", "")}
        if request.arg("state") is not None:
            back["state"] = request.arg("state")
        separator = "&" if "?" in redirect_uri else "?"
        return Response(302, b"", {"Location": f"{redirect_uri}{separator}{urlencode(back)}"})

    def _client_ok(self, request, form):
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("authorization", "")
        if basic.lower().startswith("basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        return client_id == self.client_id and secret == self.client_secret

    def token(self, request):
        form = request.form()
        if not self._client_ok(request, form):
            return Response(401, {"error": "invalid_client", "error_description": "Unauthorized"})
        grant = form.get("grant_type")
        with self.lock:
            if grant == "authorization_code":
                return self._redeem(form)
            if grant == "refresh_token":
                entry = self.refresh_tokens.get(form.get("refresh_token", ""))
                if entry is None or entry["revoked"]:
                    return Response(
                        400,
                        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
                    )
                return Response(200, self._tokens(entry["user"], entry["scope"], form["refresh_token"]))
        return Response(
            400, {"error": "unsupported_grant_type", "error_description": f"Invalid grant_type: {grant}"}
        )

    def _redeem(self, form):
        code = self.codes.pop(form.get("code", ""), None)  # single use, even when refused below
        if code is None or code["expires"] < time.time():
            return Response(400, {"error": "invalid_grant", "error_description": "Malformed auth code."})
        if code["redirect_uri"] != form.get("redirect_uri"):
            return Response(400, {"error": "redirect_uri_mismatch", "error_description": "Bad Request"})
        if code["challenge"] is not None and not _pkce_ok(
            code["challenge"], code["method"], form.get("code_verifier")
        ):
            return Response(400, {"error": "invalid_grant", "error_description": "Invalid code verifier."})
        refresh = None
        if code["offline"]:
            refresh = "1//0g" + secrets.token_urlsafe(32)
            self.refresh_tokens[refresh] = {"user": code["user"], "scope": code["scope"], "revoked": False}
        return Response(200, self._tokens(code["user"], code["scope"], refresh, with_refresh=True))

    def _tokens(self, user, scope, refresh, with_refresh=False):
        access = "ya29.a0" + secrets.token_urlsafe(32)
        self.access_tokens[access] = (user, time.time() + self.access_token_lifetime, refresh)
        answer = {
            "access_token": access,
            "expires_in": self.access_token_lifetime,
            "scope": scope,
            "token_type": "Bearer",
        }
        if with_refresh:
            now = int(time.time())
            answer["id_token"] = _jwt(
                {
                    "iss": "https://accounts.google.com",
                    "aud": self.client_id,
                    "sub": hashlib.sha1(user.encode()).hexdigest()[:21],
                    "email": user,
                    "email_verified": True,
                    "iat": now,
                    "exp": now + 3600,
                }
            )
            if refresh:
                answer["refresh_token"] = refresh
        return answer

    def revoke_endpoint(self, request):
        """POST https://oauth2.googleapis.com/revoke with ``token`` (form or query): 200 {} when
        revoked, 400 invalid_token for a token Google does not know (or no longer)."""
        forced = self.take_forced()
        if forced is not None:
            return forced
        token = given = request.arg("token") or request.form().get("token")
        with self.lock:
            known = self.refresh_tokens.get(token)
            if known is not None and known["revoked"]:
                return Response(
                    400, {"error": "invalid_token", "error_description": "Token expired or revoked"})
            if token in self.access_tokens:
                token = self.access_tokens[token][2] or token
            if token not in self.refresh_tokens and token not in self.access_tokens:
                return Response(400, {"error": "invalid_token", "error_description": "Bad Request"})
            self.revoked.append(given)
            self._revoke(token)
        return Response(200, {})

    def _revoke(self, refresh):
        if refresh in self.refresh_tokens:
            self.refresh_tokens[refresh]["revoked"] = True
        for access, (_, _, parent) in list(self.access_tokens.items()):
            if parent == refresh or access == refresh:
                del self.access_tokens[access]

    def revoke_grants(self, user=None):
        """The user removes the app's access in their Google account."""
        with self.lock:
            for refresh, entry in list(self.refresh_tokens.items()):
                if user is None or entry["user"] == user:
                    self._revoke(refresh)

    def expire_access_tokens(self):
        """Every access token handed out so far stops working (as after an hour)."""
        with self.lock:
            self.access_tokens.clear()

    def grant(self, user=None, scope="https://mail.google.com/"):
        """A refresh token as if the user had signed in, for tests that start after sign-in."""
        refresh = "1//0g" + secrets.token_urlsafe(32)
        with self.lock:
            self.refresh_tokens[refresh] = {"user": user or self.owner, "scope": scope, "revoked": False}
        return refresh

    # -- Gmail: authentication, quota, dispatch ----------------------------------------------
    def serve(self, request):
        if request.path == "/batch/gmail/v1" and request.method == "POST":
            return self.batch(request)
        if request.path.startswith("/gmail/"):
            return self.api_call(request)
        return self.dispatch(request)

    def api_call(self, request, outer_token=None):
        forced = self.take_forced()
        if forced is not None:
            return forced
        token = request.bearer or outer_token
        with self.lock:
            entry = self.access_tokens.get(token or "")
        if entry is None or entry[1] < time.time():
            return Response(
                401, UNAUTHENTICATED, {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}
            )
        user = entry[0]
        route = next(
            ((h, r) for m, r, h in self._compiled if m == request.method and r.match(request.path)), None
        )
        if route is None:
            return self.not_found(request)
        handler, regex = route
        request.match = regex.match(request.path)
        if request.match.group("user") not in ("me", user):
            return Response(
                403, gmail_error(403, "Delegation denied for " + user, "forbidden", "PERMISSION_DENIED")
            )
        units = QUOTA_UNITS.get(self.METHODS.get(handler, ""), 0)
        if not self.throttle.charge(user, units):
            return self._rate_limited()
        request.call.units = units
        with self.lock:
            return getattr(self, handler)(request)

    def _rate_limited(self):
        code = self.throttle_status
        message = "User-rate limit exceeded.  Retry after " + email.utils.formatdate(
            time.time() + self.retry_after, usegmt=True
        )
        body = gmail_error(
            code, message, "rateLimitExceeded", "RESOURCE_EXHAUSTED" if code == 429 else "PERMISSION_DENIED"
        )
        body["error"]["errors"][0]["domain"] = "usageLimits"
        return Response(code, body, {"Retry-After": str(self.retry_after)})

    def units_spent(self):
        with self.calls_lock:
            return sum(c.units for c in self.calls if 200 <= c.status < 300)

    # -- Gmail: resources --------------------------------------------------------------------
    def get_profile(self, request):
        return Response(
            200,
            {
                "emailAddress": self.owner,
                "messagesTotal": len(self.messages),
                "threadsTotal": len({m.thread for m in self.messages.values()}),
                "historyId": str(self.history_id),
            },
        )

    def labels_list(self, request):
        labels = [{"id": name, "name": name, "type": "system"} for name in SYSTEM_LABELS]
        labels += [
            {
                "id": lid,
                "name": label["name"],
                "type": "user",
                "messageListVisibility": "show",
                "labelListVisibility": label["labelListVisibility"],
            }
            for lid, label in self.user_labels.items()
        ]
        return Response(200, {"labels": labels})

    def messages_list(self, request):
        label_ids = set(request.query.get("labelIds", []))
        if label_ids - set(SYSTEM_LABELS) - set(self.user_labels):
            return Response(404, NOT_FOUND)  # a label deleted (or never made)
        try:
            matches = _query_matcher(request.arg("q", ""))
        except ValueError as exc:
            return Response(
                400, gmail_error(400, f"Invalid query: {exc}", "invalidArgument", "INVALID_ARGUMENT")
            )
        hide = set() if request.arg("includeSpamTrash") == "true" else {"SPAM", "TRASH"} - label_ids
        found = [
            (gid, m)
            for gid, m in self._newest_first()
            if label_ids <= m.labels and not (hide & m.labels) and matches(m)
        ]
        size = min(int(request.arg("maxResults", 100)), 500)
        start = self._page_offset(request, len(found))
        if start is None:
            return Response(400, INVALID_PAGE_TOKEN)
        page = found[start : start + size]
        answer = {"resultSizeEstimate": len(found)}
        if page:
            answer["messages"] = [{"id": gid, "threadId": self.thread_id(m)} for gid, m in page]
        if start + size < len(found):
            answer["nextPageToken"] = self._page_token(start + size)
        return Response(200, answer)

    def _page_token(self, offset):
        return f"{self.page_token_epoch}{offset:09d}"

    def _page_offset(self, request, total):
        """Where a page starts: 0 without a token, else the offset the token was given for;
        None for a token this stand-in never gave, or gave before ``expire_page_tokens``."""
        token = request.arg("pageToken")
        if not token:
            return 0
        epoch, offset = token[:-9], token[-9:]
        if epoch != str(self.page_token_epoch) or not offset.isdigit() or int(offset) > total:
            return None
        return int(offset)

    def expire_page_tokens(self):
        """Gmail's page tokens do not last: every one given so far is now refused (400)."""
        with self.lock:
            self.page_token_epoch += 1

    def _message_json(self, gid, message, form="full", headers=None):
        answer = {
            "id": gid,
            "threadId": self.thread_id(message),
            "labelIds": sorted(message.labels),
            "snippet": message.snippet,
            "historyId": str(message.history_id),
            "internalDate": str(message.epoch_ms),
            "sizeEstimate": len(message.raw()),
        }
        if form == "minimal":
            return answer
        if form == "raw":
            answer["raw"] = base64.urlsafe_b64encode(message.raw()).decode()
            return answer
        parsed = email.message_from_bytes(message.raw(), policy=email.policy.compat32)
        if form == "metadata":
            wanted = {h.lower() for h in headers} if headers else None
            answer["payload"] = {
                "mimeType": parsed.get_content_type(),
                "headers": [
                    {"name": k, "value": v}
                    for k, v in parsed.items()
                    if wanted is None or k.lower() in wanted
                ],
            }
            return answer
        answer["payload"] = _payload(parsed, "")
        return answer

    def messages_get(self, request):
        gid = request.match.group("id")
        message = self.messages.get(gid)
        if message is None:
            return Response(404, NOT_FOUND)
        return Response(
            200,
            self._message_json(
                gid, message, request.arg("format", "full"), request.query.get("metadataHeaders")
            ),
        )

    def messages_modify(self, request):
        gid = request.match.group("id")
        if gid not in self.messages:
            return Response(404, NOT_FOUND)
        body = request.json()
        self.change_labels(gid, body.get("addLabelIds", ()), body.get("removeLabelIds", ()))
        return Response(200, self._message_json(gid, self.messages[gid], "minimal"))

    def messages_batch_modify(self, request):
        body = request.json()
        if len(body.get("ids", [])) > 1000:
            return Response(400, gmail_error(400, "Too many ids", "invalidArgument", "INVALID_ARGUMENT"))
        for gid in body.get("ids", []):
            if gid in self.messages:
                self.change_labels(gid, body.get("addLabelIds", ()), body.get("removeLabelIds", ()))
        return Response(204, b"")

    def messages_trash(self, request):
        gid = request.match.group("id")
        if gid not in self.messages:
            return Response(404, NOT_FOUND)
        self.change_labels(gid, ["TRASH"], ["INBOX"])
        return Response(200, self._message_json(gid, self.messages[gid], "minimal"))

    def _from_raw(self, raw, labels, thread_id=None):
        parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
        thread = self.next_thread
        if thread_id:
            known = next((m for m in self.messages.values() if self.thread_id(m) == thread_id), None)
            if known is None:
                return None
            thread = known.thread
        name, address = email.utils.parseaddr(parsed.get("From", self.owner))
        return self._add(
            Message(
                number=self.next_number,
                subject=parsed.get("Subject", ""),
                sender=(name, address or self.owner),
                to=parsed.get("To", ""),
                date=email.utils.localtime(),
                message_id=parsed.get("Message-ID") or f"<sent{self.next_number}@standin.example>",
                in_reply_to=parsed.get("In-Reply-To", ""),
                thread=thread,
                text="",
                labels=set(labels),
                raw_override=raw,
            )
        )

    def messages_send(self, request):
        body = request.json()
        message = self._from_raw(b64url_decode(body.get("raw", "")), {"SENT"}, body.get("threadId"))
        if message is None:
            return Response(404, NOT_FOUND)
        if self.drop_after_send:
            self.drop_after_send -= 1
            return Response(200, b"", drop=True)
        return Response(
            200, {"id": self.gmail_id(message), "threadId": self.thread_id(message), "labelIds": ["SENT"]}
        )

    def _draft_json(self, draft_id):
        message = self.messages[self.drafts[draft_id]]
        return {
            "id": draft_id,
            "message": {
                "id": self.gmail_id(message),
                "threadId": self.thread_id(message),
                "labelIds": sorted(message.labels),
            },
        }

    def drafts_create(self, request):
        inner = request.json().get("message", {})
        message = self._from_raw(b64url_decode(inner.get("raw", "")), {"DRAFT"}, inner.get("threadId"))
        if message is None:
            return Response(404, NOT_FOUND)
        draft_id = "r" + uuid.uuid4().hex[:16]
        self.drafts[draft_id] = self.gmail_id(message)
        return Response(200, self._draft_json(draft_id))

    def drafts_update(self, request):
        draft_id = request.match.group("id")
        if draft_id not in self.drafts:
            return Response(404, NOT_FOUND)
        inner = request.json().get("message", {})
        old = self.drafts[draft_id]
        message = self._from_raw(
            b64url_decode(inner.get("raw", "")),
            {"DRAFT"},
            inner.get("threadId") or self.thread_id(self.messages[old]),
        )
        self.delete_forever(old)
        self.drafts[draft_id] = self.gmail_id(message)
        return Response(200, self._draft_json(draft_id))

    def history_list(self, request):
        start = request.arg("startHistoryId")
        if start is None or not start.isdigit():
            return Response(
                400, gmail_error(400, "Invalid startHistoryId", "invalidArgument", "INVALID_ARGUMENT")
            )
        if int(start) < self.history_floor:
            return Response(404, NOT_FOUND)
        types = set(request.query.get("historyTypes", [])) or {
            "messageAdded",
            "messageDeleted",
            "labelAdded",
            "labelRemoved",
        }
        label = request.arg("labelId")
        kinds = {
            "messagesAdded": "messageAdded",
            "messagesDeleted": "messageDeleted",
            "labelsAdded": "labelAdded",
            "labelsRemoved": "labelRemoved",
        }
        records = []
        for history_id, kind, gid, label_ids in self.history:
            if history_id <= int(start) or kinds[kind] not in types:
                continue
            message = self.messages.get(gid)
            if label and (message is None or label not in message.labels) and label not in (label_ids or ()):
                continue
            stub = {
                "id": gid,
                "threadId": self.thread_id(message) if message else "",
                "labelIds": sorted(message.labels) if message else [],
            }
            entry = {"message": stub}
            if label_ids is not None:
                entry["labelIds"] = label_ids
            if records and records[-1]["id"] == str(history_id):  # Gmail: one record per history id
                records[-1]["messages"].append(stub)
                records[-1].setdefault(kind, []).append(entry)
            else:
                records.append({"id": str(history_id), "messages": [stub], kind: [entry]})
        size = min(int(request.arg("maxResults", 100)), 500)
        offset = self._page_offset(request, len(records))
        if offset is None:
            return Response(400, INVALID_PAGE_TOKEN)
        answer = {"historyId": str(self.history_id)}
        if records[offset : offset + size]:
            answer["history"] = records[offset : offset + size]
        if offset + size < len(records):
            answer["nextPageToken"] = self._page_token(offset + size)
        return Response(200, answer)

    # -- Gmail: batch ------------------------------------------------------------------------
    def batch(self, request):
        """``multipart/mixed`` of ``application/http`` parts, answered part by part in order."""
        content_type = request.headers.get("content-type", "")
        envelope = email.message_from_bytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + request.body,
            policy=email.policy.compat32,
        )
        parts = envelope.get_payload() if envelope.is_multipart() else []
        if not parts:
            return Response(400, gmail_error(400, "Empty batch", "invalidArgument", "INVALID_ARGUMENT"))
        if len(parts) > MAX_BATCH_PARTS:
            return Response(
                400,
                gmail_error(
                    400,
                    f"Too many requests in batch (max {MAX_BATCH_PARTS})",
                    "invalidArgument",
                    "INVALID_ARGUMENT",
                ),
            )
        boundary = "batch_" + uuid.uuid4().hex
        out = []
        for part in parts:
            inner = _parse_http(part.get_payload(decode=True) or part.get_payload().encode())
            inner.call = call = type(request.call)(
                inner.method, inner.path, inner.query, inner.headers, batch_part=True
            )
            answer = self.api_call(inner, outer_token=request.bearer)
            call.status = answer.status
            self.record(call)
            body, headers = answer.encoded()
            head = f"HTTP/1.1 {answer.status} {_REASONS.get(answer.status, 'Status')}\r\n"
            head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            content_id = (part.get("Content-ID") or "<>").strip("<>")
            out.append(
                f"--{boundary}\r\nContent-Type: application/http\r\n"
                f"Content-ID: <response-{content_id}>\r\n\r\n".encode()
                + head.encode()
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
                + b"\r\n"
            )
        out.append(f"--{boundary}--\r\n".encode())
        return Response(200, b"".join(out), {"Content-Type": f"multipart/mixed; boundary={boundary}"})


_REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


def _parse_http(data):
    head, _, body = data.partition(b"\r\n\r\n")
    if not _:
        head, _, body = data.partition(b"\n\n")
    lines = head.decode().splitlines()
    method, target, _version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    parts = urlsplit(target)
    return Request(
        method,
        unquote(parts.path),
        parse_qs(parts.query, keep_blank_values=True),
        headers,
        body.strip(b"\r\n"),
    )


def _pkce_ok(challenge, method, verifier):
    if not verifier or not 43 <= len(verifier) <= 128:
        return False
    if method == "S256":
        computed = b64url(hashlib.sha256(verifier.encode()).digest())
    else:
        computed = verifier
    return secrets.compare_digest(computed, challenge)


def _payload(part, part_id):
    headers = [{"name": k, "value": v} for k, v in part.items()]
    answer = {
        "partId": part_id,
        "mimeType": part.get_content_type(),
        "filename": part.get_filename() or "",
        "headers": headers,
    }
    if part.is_multipart():
        answer["body"] = {"size": 0}
        answer["parts"] = [
            _payload(p, f"{part_id}.{i}" if part_id else str(i)) for i, p in enumerate(part.get_payload())
        ]
    else:
        data = part.get_payload(decode=True) or b""
        answer["body"] = {"size": len(data), "data": base64.urlsafe_b64encode(data).decode()}
    return answer


_QUERY_WORD = re.compile(r'"([^"]*)"|(\S+)')


def _query_matcher(q):
    """The small part of Gmail's search syntax the clients use; anything else is refused.
    A "quoted phrase" matches the subject, the sender or the text."""
    tests = [
        _phrase(phrase) if word is None else _query_term(word)
        for phrase, word in ((m.group(1), m.group(2)) for m in _QUERY_WORD.finditer(q))
    ]
    return lambda m: all(test(m) for test in tests)


def _phrase(phrase):
    phrase = " ".join(phrase.lower().split())
    return lambda m: any(
        phrase in " ".join(field.lower().split()) for field in (m.subject, m.text, m.sender[0], m.sender[1])
    )


def _query_term(word):
    if word.startswith("-"):
        inner = _query_term(word[1:])
        return lambda m: not inner(m)
    name, colon, value = word.lower().partition(":")
    if not colon:
        return lambda m: name in m.subject.lower()
    if name == "is" and value in ("unread", "read", "starred"):
        label, wanted = ("STARRED" if value == "starred" else "UNREAD"), value != "read"
        return lambda m: (label in m.labels) == wanted
    if name in ("in", "label"):
        user_label = next((lid for lid, n in USER_LABELS.items() if n.lower() == value), value)
        label = value.upper() if value.upper() in SYSTEM_LABELS else user_label
        return lambda m: label in m.labels
    if name == "from":
        return lambda m: value in m.sender[1].lower() or value in m.sender[0].lower()
    if name == "subject":
        return lambda m: value in m.subject.lower()
    if name in ("after", "before") and value.isdigit():
        limit = int(value) * 1000
        return (lambda m: m.epoch_ms > limit) if name == "after" else (lambda m: m.epoch_ms < limit)
    raise ValueError(word)
