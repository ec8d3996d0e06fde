"""A thin Gmail API v1 client on google-api-python-client: the calls the Gmail provider needs,
with Gmail's quota units counted and kept under the per-user budget, backoff on 429 and 403
rateLimitExceeded honouring Retry-After, and batched ``messages.get``.

Tokens: google-auth's Credentials refresh themselves shortly before expiry and on a 401
(google_auth_httplib2.AuthorizedHttp); a refused refresh (revoked or expired grant) raises
``GrantRevoked``. Endpoints are configurable (``api_endpoint``; the batch URI separately,
because google-api-python-client does not derive it from ``api_endpoint``), so tests run the
real library against a local stand-in. No Odoo import.
"""

import base64
import contextlib
import http.client
import json
import socket
from datetime import datetime, timezone

import google.auth.exceptions
import google_auth_httplib2
import httplib2
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from ..oauth_flow import GMAIL_API_ENDPOINT, GOOGLE_TOKEN_URI
from .base import AuthenticationFailed, DeliveryUncertain, ProviderError, ServerUnreachable
from .gmail_quota import PER_USER_UNITS_PER_SECOND, QUOTA_UNITS
from .http_api import Backoff, CursorExpired, GrantRevoked, NotFound, PageWalk, QuotaMeter

TIMEOUT = 60  # seconds for one HTTP exchange
BATCH_SIZE = 50  # Gmail takes 100 calls per batch but throttles batches above 50 more often
LIST_PAGE_SIZE = 500  # the most messages.list and history.list return per page
BATCH_MODIFY_SIZE = 1000  # the most ids one batchModify takes
MAX_HISTORY_RECORDS = 10_000  # history records one history() call reads before it stops
# What the index needs, asked for by name so metadata answers stay small
METADATA_HEADERS = (
    "From",
    "Sender",
    "To",
    "Cc",
    "Bcc",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Content-Type",
)
RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
_NETWORK_ERRORS = (
    httplib2.HttpLib2Error,
    socket.timeout,
    OSError,
    http.client.HTTPException,
    google.auth.exceptions.TransportError,
)


class SettlingQuotaMeter(QuotaMeter):
    """A QuotaMeter whose calls count from the moment their answer came back (``settle``).

    Gmail charges a batch part by part while it works through it, so a batch counted from
    when it left can still overlap the next one in Gmail's own second when the service was
    slower with the first (the benchmark, with 20,000 messages on a busy machine, saw 36 429s
    in 3,000 messages that way, each costing a Retry-After). Counted from its answer, no part
    of a batch can share Gmail's second with the next batch, so the window can be exactly
    Gmail's second."""

    def __init__(self, per_second=None, window=1.0, **kwargs):
        super().__init__(per_second, window=window, **kwargs)

    def settle(self, units):
        """A call of ``units`` has been answered: its units count from now on. (Units are
        interchangeable: with several threads, the oldest entry of that size moves to now.)"""
        if not self.per_second:
            return
        units = min(units, self.per_second)
        with self._lock:
            for index, (_when, cost) in enumerate(self._window):
                if cost == units:
                    del self._window[index]
                    self._window.append((self.clock(), units))
                    return


class _NotSent(OSError):
    """The connection for a single-attempt request could not be opened: nothing was sent."""


class CountingHttp(httplib2.Http):
    """httplib2.Http that counts its HTTP exchanges (token refreshes included) and can make
    one request with exactly one attempt: httplib2 itself resends a request whose connection
    looked stale, which for ``messages.send`` could send a message twice."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.exchanges = 0
        self.single_attempt = False

    def request(self, *args, **kwargs):
        self.exchanges += 1
        return super().request(*args, **kwargs)

    def _conn_request(self, conn, request_uri, method, body, headers):
        if not self.single_attempt:
            return super()._conn_request(conn, request_uri, method, body, headers)
        conn.close()  # a fresh connection: whatever fails now failed at the service, not a stale socket
        try:
            conn.connect()
        except OSError as exc:
            conn.close()
            raise _NotSent(str(exc)) from exc
        try:
            conn.request(method, request_uri, body, headers)
            response = conn.getresponse()
            content = response.read()
        except BaseException:
            conn.close()
            raise
        return httplib2.Response(response), content


def gmail_credentials(
    access_token, refresh_token, expires_at, client_id, client_secret, token_uri=GOOGLE_TOKEN_URI, scopes=None
):
    """google-auth Credentials from stored tokens (``expires_at`` in epoch seconds)."""
    expiry = (
        datetime.fromtimestamp(expires_at, timezone.utc).replace(tzinfo=None)  # google-auth: naive UTC
        if expires_at
        else None
    )
    return Credentials(
        token=access_token,
        refresh_token=refresh_token,
        token_uri=token_uri,
        client_id=client_id,
        client_secret=client_secret,
        scopes=scopes,
        expiry=expiry,
    )


def _error_reason(exc):
    try:
        error = json.loads(exc.content or b"{}").get("error", {})
    except (ValueError, AttributeError):
        return "", ""
    if not isinstance(error, dict):
        return str(error), ""
    reasons = [e.get("reason", "") for e in error.get("errors", []) if isinstance(e, dict)]
    return (reasons[0] if reasons else error.get("status", "")), error.get("message", "")


def _throttled(exc):
    status = exc.resp.status
    return status == 429 or status >= 500 or (status == 403 and _error_reason(exc)[0] in RATE_LIMIT_REASONS)


def _refresh_failed(exc):
    text = str(exc)
    if "invalid_grant" in text:
        return GrantRevoked(
            "Google refused to renew access to this mailbox (it was revoked or has "
            "expired): sign in with Google again."
        )
    return AuthenticationFailed(f"Google refused to renew access to this mailbox: {text}")


class GmailApiClient:
    """One mailbox's Gmail API. Not thread-safe (httplib2): one client per thread."""

    def __init__(
        self,
        credentials,
        api_endpoint=GMAIL_API_ENDPOINT,
        batch_uri=None,
        ca_certs=None,
        timeout=TIMEOUT,
        quota=None,
        backoff=None,
        user_id="me",
    ):
        self.credentials = credentials
        api_endpoint = api_endpoint.rstrip("/") + "/"
        self.transport = CountingHttp(timeout=timeout, ca_certs=ca_certs)
        self.http = google_auth_httplib2.AuthorizedHttp(credentials, http=self.transport)
        self.service = build(
            "gmail",
            "v1",
            http=self.http,
            client_options={"api_endpoint": api_endpoint},
            static_discovery=True,
            cache_discovery=False,
        )
        self.batch_uri = batch_uri or api_endpoint + "batch/gmail/v1"
        self.quota = quota if quota is not None else SettlingQuotaMeter(PER_USER_UNITS_PER_SECOND)
        self.backoff = backoff if backoff is not None else Backoff()
        self.user_id = user_id
        self.units = 0  # quota units this client spent (the meter may be shared with others)
        self._users = self.service.users()

    @property
    def exchanges(self):
        """HTTP exchanges made so far (a batch is one; token refreshes count)."""
        return self.transport.exchanges

    def close(self):
        self.http.close()

    @contextlib.contextmanager
    def _charged(self, units):
        """Spend ``units`` before a call (waiting for room in the quota), and settle them once
        its answer is in, when the meter counts from answers (``SettlingQuotaMeter``)."""
        self.units += units
        self.quota.spend(units)
        try:
            yield
        finally:
            settle = getattr(self.quota, "settle", None)
            if settle is not None:
                settle(units)

    # -- plumbing ----------------------------------------------------------------------------
    def _execute(self, request, method):
        retries = self.backoff.retries()
        while True:
            try:
                with self._charged(QUOTA_UNITS[method]):
                    return request.execute(num_retries=0)
            except HttpError as exc:
                if _throttled(exc):
                    if retries.wait(exc.resp.get("retry-after")):
                        continue
                    raise retries.throttled(f"Gmail kept refusing {method} for load: {_error_reason(exc)[1]}")
                raise self._error(exc, method)
            except google.auth.exceptions.RefreshError as exc:
                raise _refresh_failed(exc)
            except _NETWORK_ERRORS as exc:
                raise ServerUnreachable(f"Gmail could not be reached: {exc}")

    @staticmethod
    def _error(exc, method):
        reason, message = _error_reason(exc)
        if exc.resp.status == 404:
            return NotFound(message or "Not found on Gmail.")
        if exc.resp.status == 401:
            return AuthenticationFailed(f"Gmail refused the access token: {message}")
        if exc.resp.status == 400 and "pagetoken" in str(message).lower().replace(" ", ""):
            return CursorExpired(f"Gmail no longer accepts the stored page token ({message}).")
        return ProviderError(f"Gmail refused {method} ({exc.resp.status} {reason}): {message}")

    # -- account -----------------------------------------------------------------------------
    def profile(self):
        """``emailAddress`` and the mailbox's current ``historyId``."""
        return self._execute(self._users.getProfile(userId=self.user_id), "getProfile")

    def labels(self):
        return self._execute(self._users.labels().list(userId=self.user_id), "labels.list").get("labels", [])

    # -- listing -----------------------------------------------------------------------------
    def list_messages(self, label_ids=None, q=None, page_token=None, page_size=LIST_PAGE_SIZE):
        """One page, newest first: (``[{"id", "threadId"}]``, next page token or None)."""
        page = self.list_page(label_ids, q, page_token, page_size)
        if not isinstance(page, dict):
            raise ProviderError("Gmail answered messages.list with something that is no page.")
        refs = page.get("messages") if isinstance(page.get("messages"), list) else []
        return [r for r in refs if isinstance(r, dict)], page.get("nextPageToken")

    def list_page(self, label_ids=None, q=None, page_token=None, page_size=LIST_PAGE_SIZE):
        """``messages.list`` as Gmail answered it (``messages``, ``nextPageToken``,
        ``resultSizeEstimate``); ``NotFound`` when a label in ``label_ids`` does not exist."""
        return self._execute(
            self._users.messages().list(
                userId=self.user_id,
                labelIds=list(label_ids) if label_ids else None,
                q=q or None,
                pageToken=page_token,
                maxResults=page_size,
            ),
            "messages.list",
        )

    def iter_message_ids(self, label_ids=None, q=None, page_size=LIST_PAGE_SIZE):
        """Every id the listing gives, page after page (``ProviderError`` when Gmail sends a
        page token twice or pages without end)."""
        walk, token = PageWalk("Gmail"), None
        while True:
            refs, token = self.list_messages(label_ids, q, token, page_size)
            yield from (ref["id"] for ref in refs if isinstance(ref.get("id"), str))
            token = walk.follow(token)
            if not token:
                return

    def history(
        self, start_history_id, label_id=None, history_types=None, page_size=LIST_PAGE_SIZE,
        max_records=MAX_HISTORY_RECORDS,
    ):
        """History records after ``start_history_id``, page by page until at least
        ``max_records`` were read or Gmail has no page left: ``(records, history_id, more)``,
        ``history_id`` being the mailbox's latest historyId as the last page read says and
        ``more`` True when pages remain (go on from the last record's id: Gmail returns the
        records after a startHistoryId). ``CursorExpired`` when Gmail no longer keeps history
        that old; ``ProviderError`` when it sends a page token twice or pages without end."""
        max_records = max(int(max_records), 1)
        page_size = max(min(int(page_size), max_records), 1)
        records, token, walk = [], None, PageWalk("Gmail")
        while True:
            try:
                page = self._execute(
                    self._users.history().list(
                        userId=self.user_id,
                        startHistoryId=str(start_history_id),
                        labelId=label_id,
                        historyTypes=list(history_types) if history_types else None,
                        pageToken=token,
                        maxResults=page_size,
                    ),
                    "history.list",
                )
            except NotFound:
                raise CursorExpired("Gmail no longer has the history since the last sync: resyncing.")
            if not isinstance(page, dict):
                raise ProviderError("Gmail answered history.list with something that is no page.")
            found = page.get("history")
            if isinstance(found, list):
                records.extend(found)
            token = walk.follow(page.get("nextPageToken"))
            if not token:
                return records, page.get("historyId"), False
            if len(records) >= max_records:
                return records, page.get("historyId"), True

    # -- reading -----------------------------------------------------------------------------
    def get_message(self, message_id, format="metadata", metadata_headers=METADATA_HEADERS):
        extra = {"metadataHeaders": list(metadata_headers)} if format == "metadata" else {}
        return self._execute(
            self._users.messages().get(userId=self.user_id, id=message_id, format=format, **extra),
            "messages.get",
        )

    def get_messages(
        self, message_ids, format="metadata", metadata_headers=METADATA_HEADERS, batch_size=BATCH_SIZE
    ):
        """{id: message} for the ids Gmail still has (gone ones are left out), fetched in
        batches; the calls a batch had throttled are retried after Gmail's Retry-After."""
        extra = {"metadataHeaders": list(metadata_headers)} if format == "metadata" else {}
        return self._batched(
            message_ids,
            lambda message_id: self._users.messages().get(
                userId=self.user_id, id=message_id, format=format, **extra
            ),
            "messages.get",
            batch_size,
        )

    def trash_many(self, message_ids, batch_size=BATCH_SIZE):
        """``messages.trash`` for each id, in batches: {id: answer} for those Gmail still had."""
        return self._batched(
            message_ids,
            lambda message_id: self._users.messages().trash(userId=self.user_id, id=message_id),
            "messages.trash",
            batch_size,
        )

    def _batched(self, ids, make_request, method, batch_size):
        found = {}
        for start in range(0, len(ids), batch_size):
            pending, retries = list(ids[start : start + batch_size]), self.backoff.retries()
            while pending:
                pending, retry_after = self._batch(pending, make_request, method, found)
                if pending and not retries.wait(retry_after):
                    raise retries.throttled(f"Gmail kept refusing {method} for load.")
        return found

    def _batch(self, ids, make_request, method, found):
        """One batch of calls: answers go into ``found``; returns the ids to retry (throttled
        parts) and Gmail's Retry-After. A part Gmail cannot find (404) or refuses as an
        invalid id (400) is left out; any other refusal fails the batch."""
        retry, retry_after, failures = [], [None], []

        def answered(request_id, response, exception):
            if exception is None:
                found[request_id] = response
            elif isinstance(exception, HttpError) and exception.resp.status in (400, 404):
                pass  # deleted since it was listed, or not an id Gmail knows
            elif isinstance(exception, HttpError) and _throttled(exception):
                retry.append(request_id)
                retry_after[0] = exception.resp.get("retry-after") or retry_after[0]
            else:
                failures.append(exception)

        batch = BatchHttpRequest(callback=answered, batch_uri=self.batch_uri)
        for message_id in ids:
            batch.add(make_request(message_id), request_id=message_id)
        if not self.credentials.valid:  # renewed here, over this client's own connection settings
            try:
                self.credentials.refresh(google_auth_httplib2.Request(self.http.http))
            except google.auth.exceptions.RefreshError as exc:
                raise _refresh_failed(exc)
            except _NETWORK_ERRORS as exc:
                raise ServerUnreachable(f"Gmail could not be reached: {exc}")
        try:
            with self._charged(QUOTA_UNITS[method] * len(ids)):
                batch.execute(http=self.http)
        except HttpError as exc:
            if _throttled(exc):
                return list(ids), exc.resp.get("retry-after")
            raise self._error(exc, "batch")
        except google.auth.exceptions.RefreshError as exc:
            raise _refresh_failed(exc)
        except _NETWORK_ERRORS as exc:
            raise ServerUnreachable(f"Gmail could not be reached: {exc}")
        if failures:
            exc = failures[0]
            raise self._error(exc, method) if isinstance(exc, HttpError) else ProviderError(str(exc))
        return retry, retry_after[0]

    def get_raw(self, message_id):
        """The message's RFC 5322 bytes, or None if Gmail no longer has it."""
        try:
            answer = self.get_message(message_id, format="raw")
        except NotFound:
            return None
        return base64.urlsafe_b64decode(answer["raw"] + "=" * (-len(answer["raw"]) % 4))

    # -- changing ----------------------------------------------------------------------------
    def modify(self, message_id, add=(), remove=()):
        return self._execute(
            self._users.messages().modify(
                userId=self.user_id,
                id=message_id,
                body={"addLabelIds": list(add), "removeLabelIds": list(remove)},
            ),
            "messages.modify",
        )

    def batch_modify(self, message_ids, add=(), remove=()):
        for start in range(0, len(message_ids), BATCH_MODIFY_SIZE):
            self._execute(
                self._users.messages().batchModify(
                    userId=self.user_id,
                    body={
                        "ids": list(message_ids[start : start + BATCH_MODIFY_SIZE]),
                        "addLabelIds": list(add),
                        "removeLabelIds": list(remove),
                    },
                ),
                "messages.batchModify",
            )

    def trash(self, message_id):
        return self._execute(
            self._users.messages().trash(userId=self.user_id, id=message_id), "messages.trash"
        )

    # -- sending -----------------------------------------------------------------------------
    @staticmethod
    def _message_body(raw, thread_id):
        body = {"raw": base64.urlsafe_b64encode(raw).decode()}
        if thread_id:
            body["threadId"] = thread_id  # a reply stays in its conversation
        return body

    def send(self, raw, thread_id=None):
        """Send RFC 5322 bytes; Gmail files the Sent copy itself. ``{"id", "threadId", ...}``.

        Never sent twice: one attempt over a fresh connection, retried only when Gmail refused
        it for load (429, 403 rateLimitExceeded: nothing was sent) or the token (401, renewed
        by google-auth). A 5xx answer, a timeout or a dropped connection after the request
        left raise ``DeliveryUncertain``."""
        request = self._users.messages().send(userId=self.user_id, body=self._message_body(raw, thread_id))
        request.headers["accept-encoding"] = "identity"  # the single attempt reads the body as it comes
        retries = self.backoff.retries()
        while True:
            self.transport.single_attempt = True
            try:
                with self._charged(QUOTA_UNITS["messages.send"]):
                    return request.execute(num_retries=0)
            except HttpError as exc:
                status = exc.resp.status
                if status == 429 or (status == 403 and _error_reason(exc)[0] in RATE_LIMIT_REASONS):
                    if retries.wait(exc.resp.get("retry-after")):
                        continue
                    raise retries.throttled(f"Gmail kept refusing to send for load: {_error_reason(exc)[1]}")
                if status >= 500:
                    raise DeliveryUncertain(
                        f"Gmail answered {status} while sending: the message may or may not have "
                        f"been sent ({_error_reason(exc)[1]}); look in Sent before sending it again."
                    )
                raise self._error(exc, "messages.send")
            except google.auth.exceptions.RefreshError as exc:
                raise _refresh_failed(exc)
            except _NotSent as exc:
                raise ServerUnreachable(f"Gmail could not be reached: {exc}")
            except _NETWORK_ERRORS as exc:
                raise DeliveryUncertain(
                    f"The connection to Gmail broke while sending ({exc}): the message may or may "
                    "not have been sent; look in Sent before sending it again."
                )
            finally:
                self.transport.single_attempt = False

    def create_draft(self, raw, thread_id=None):
        return self._execute(
            self._users.drafts().create(
                userId=self.user_id, body={"message": self._message_body(raw, thread_id)}
            ),
            "drafts.create",
        )

    def update_draft(self, draft_id, raw, thread_id=None):
        return self._execute(
            self._users.drafts().update(
                userId=self.user_id, id=draft_id, body={"message": self._message_body(raw, thread_id)}
            ),
            "drafts.update",
        )
