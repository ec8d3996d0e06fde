"""What the Gmail API and Microsoft Graph clients share: their errors, Retry-After, backoff,
and the quota meter that keeps a client under a per-second budget instead of collecting 429s.
"""

import email.utils
import hashlib
import threading
import time
from collections import deque
from datetime import timezone

from .base import AuthenticationFailed, ProviderError

MAX_ATTEMPTS = 6  # tries of one call before giving up on a throttled or failing service
FIRST_BACKOFF = 1.0  # seconds, doubled per attempt when the service gives no Retry-After
MAX_CALL_WAIT = 90.0  # seconds one call may wait over all its attempts; a longer Retry-After is not slept
MAX_RETRY_AFTER = 86_400.0  # a Retry-After is read up to a day (what the caller is told to wait)
# The quota window the client keeps, a little longer than the service's second: a call leaves
# here before it reaches the service, so a window of exactly 1 s would sometimes overspend.
QUOTA_WINDOW = 1.1
MAX_PAGES = 10_000  # pages of one listing walked before the service is taken to never end


class GrantRevoked(AuthenticationFailed):
    """The refresh token was revoked or has expired: the owner must sign in again."""


class CursorExpired(ProviderError):
    """The stored sync cursor (Gmail historyId, Graph delta link) is too old or invalid:
    that folder must be listed again from the start."""


class NotFound(ProviderError):
    """The message (or draft, or folder) is not on the server (any more)."""


class Throttled(ProviderError):
    """The service kept refusing for load after every retry one call may make, or asked for a
    wait longer than one call may take. ``retry_after``: the seconds it last asked for (its
    Retry-After), or None when it named none; the caller backs the mailbox off by it."""

    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


def retry_after_seconds(value, now=None):
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date, at most
    ``MAX_RETRY_AFTER``), or None."""
    if not value:
        return None
    value = str(value).strip()
    if value.isdigit():
        return min(float(value[:12]), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # an HTTP date is GMT
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, min(when.timestamp() - (time.time() if now is None else now), MAX_RETRY_AFTER))


class PageWalk:
    """The pages of one listing, for a service that could answer forever: a page token (or
    next link) that came before in the same walk means the service goes round in circles, and
    more than ``max_pages`` pages means it never ends. Either stops the walk with a
    ``ProviderError``. Tokens are remembered by digest, so hostile ones cost little memory."""

    def __init__(self, service, what="page token", max_pages=MAX_PAGES):
        self.service, self.what, self.max_pages = service, what, max_pages
        self.pages = 1  # the first page needs no token
        self._seen = set()

    def follow(self, token):
        """``token`` checked, to ask for the next page with; None when the walk is over."""
        if token is None or token == "":
            return None
        if not isinstance(token, str):
            raise ProviderError(f"{self.service} sent a {self.what} that is none; the listing stopped.")
        digest = hashlib.sha256(token.encode("utf-8", "replace")).digest()
        if digest in self._seen:
            raise ProviderError(
                f"{self.service} keeps sending the same page: the {self.what} {token[:80]!r} came "
                "twice in one listing, which would never end; the listing stopped."
            )
        if self.pages >= self.max_pages:
            raise ProviderError(
                f"{self.service} kept sending more pages: the listing stopped after {self.pages}."
            )
        self._seen.add(digest)
        self.pages += 1
        return token


class Backoff:
    """Waits between attempts of a call: the service's Retry-After when it gives one, else
    exponential, and never more than ``budget`` seconds over all the attempts of one call (a
    Retry-After that would go past it is not slept at all). ``sleep`` is injectable; ``waits``
    records every wait, for tests and benchmarks. Each call takes its own ``retries()``."""

    def __init__(
        self, max_attempts=MAX_ATTEMPTS, first=FIRST_BACKOFF, sleep=time.sleep, budget=MAX_CALL_WAIT
    ):
        self.max_attempts, self.first, self.sleep, self.budget = max_attempts, first, sleep, budget
        self.waits = []

    def retries(self):
        """The attempts of one call (thread-safe: each call has its own)."""
        return Retries(self)


class Retries:
    """One call's attempts: ``wait(retry_after)`` sleeps before the next one, or says there is
    none left (False). ``retry_after``: the seconds the service last asked for, or None."""

    def __init__(self, backoff):
        self.backoff = backoff
        self.attempt = 0
        self.waited = 0.0
        self.retry_after = None

    def wait(self, retry_after=None):
        backoff = self.backoff
        asked = retry_after_seconds(retry_after)
        if asked is not None:
            self.retry_after = asked
        if self.attempt + 1 >= backoff.max_attempts:
            return False
        left = backoff.budget - self.waited
        if asked is not None:
            if asked > left:
                return False  # longer than this call may wait: the caller backs off instead
            seconds = asked
        else:
            seconds = min(backoff.first * (2**self.attempt), left)
            if seconds <= 0:
                return False
        self.attempt += 1
        self.waited += seconds
        backoff.waits.append(seconds)
        backoff.sleep(seconds)
        return True

    def throttled(self, message):
        """The ``Throttled`` to raise once ``wait`` said no: ``message`` and when to try again."""
        if self.retry_after is not None:
            message = f"{message} (it asked to wait {self.retry_after:.0f} s before trying again)"
        return Throttled(message, retry_after=self.retry_after)


class QuotaMeter:
    """Counts units spent and keeps them under ``per_second`` over any moving second (Gmail's
    per-user quota), by sleeping before a call that would go over. Thread-safe."""

    def __init__(self, per_second=None, window=QUOTA_WINDOW, clock=time.monotonic, sleep=time.sleep):
        self.per_second, self.window, self.clock, self.sleep = per_second, window, clock, sleep
        self.total = 0
        self.calls = 0
        self._window = deque()
        self._lock = threading.Lock()

    def spend(self, units):
        with self._lock:
            self.total += units
            self.calls += 1
            if not self.per_second:
                return
            units = min(units, self.per_second)  # a call larger than the budget waits for all of it
            while True:
                now = self.clock()
                while self._window and self._window[0][0] <= now - self.window:
                    self._window.popleft()
                used = sum(cost for _, cost in self._window)
                if used + units <= self.per_second:
                    self._window.append((now, units))
                    return
                self.sleep(max(self._window[0][0] + self.window - now, 0.001))
