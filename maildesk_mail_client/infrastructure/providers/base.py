"""The interface every mail provider implements, and the errors it raises.

Errors carry the server's own words, so a person can be told what the server said.
"""
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone


class ProviderError(Exception):
    """Something went wrong talking to the mail server; ``str()`` is for people."""


class AuthenticationFailed(ProviderError):
    """The server refused the credentials (wrong password, revoked token)."""


class ServerUnreachable(ProviderError):
    """No connection could be made or kept (DNS, refused, timeout, TLS, dropped)."""


class DeliveryUncertain(ServerUnreachable):
    """The connection broke after the message was handed over: it may have been delivered."""


class FolderGone(ProviderError):
    """The folder no longer exists on the server."""




@dataclass
class RemoteFolder:
    path: str
    name: str
    delimiter: str
    folder_type: str
    flags: tuple = ()
    selectable: bool = True
    uidvalidity: int | None = None
    uidnext: int | None = None
    highestmodseq: int | None = None
    messages: int | None = None
    unseen: int | None = None
    remote_id: str | None = None  # a label or folder id that survives renames (Gmail, Graph)

    @property
    def parent_path(self):
        if self.delimiter and self.delimiter in self.path:
            return self.path.rsplit(self.delimiter, 1)[0]
        return None


EARLIEST_DATE = datetime(1970, 1, 2, tzinfo=timezone.utc)
FUTURE_SLACK = timedelta(days=1)  # senders' clocks and time zones are often a little ahead


def _aware(when):
    """A naive datetime counts as UTC."""
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when


def plausible_date(when):
    """A date a message could really have been written at."""
    return when is not None and EARLIEST_DATE <= _aware(when) <= datetime.now(timezone.utc) + FUTURE_SLACK


@dataclass
class MessageMeta:
    """What the index needs of one message, without its body."""
    uid: str
    flags: tuple = ()
    internal_date: datetime | None = None
    size: int = 0
    subject: str = ""
    from_addr: str = ""
    sender_display_name: str = ""
    to_addrs: str = ""
    cc_addrs: str = ""
    bcc_addrs: str = ""
    date: datetime | None = None
    message_id: str = ""
    in_reply_to: str = ""
    references: list = field(default_factory=list)
    thread_key: str = ""
    preview: str = ""
    has_attachments: bool = False
    problems: list = field(default_factory=list)

    @classmethod
    def from_headers(cls, headers, **values):
        """A MessageMeta from parsed ``mime.Headers`` plus what the server said."""
        return cls(
            subject=headers.subject, from_addr=headers.from_addr,
            sender_display_name=headers.sender_display_name, to_addrs=headers.to_addrs,
            cc_addrs=headers.cc_addrs, bcc_addrs=headers.bcc_addrs, message_id=headers.message_id,
            in_reply_to=headers.in_reply_to, references=headers.references,
            thread_key=headers.thread_key,
            has_attachments=headers.looks_like_it_has_attachments, problems=headers.problems,
            **values)

    @property
    def is_read(self):
        return "\\Seen" in self.flags

    @property
    def is_starred(self):
        return "\\Flagged" in self.flags

    @property
    def sort_time(self):
        """When the message sorts in lists: its Date header when believable, else its arrival
        on the server; a date nobody can believe (spam dated 2999, a clock at 1900) never
        pins a message to either end of the inbox."""
        for candidate in (self.date, self.internal_date):
            if plausible_date(candidate):
                return candidate
        when = self.date or self.internal_date
        if when is None:
            return None
        return min(max(_aware(when), EARLIEST_DATE), datetime.now(timezone.utc))


@dataclass
class FolderDelta:
    """What changed in one folder since a cursor."""
    uidvalidity: int
    uidnext: int
    highestmodseq: int | None
    reset: bool = False  # UIDVALIDITY changed: everything known about the folder is void
    new_uids: Sequence = field(default_factory=list)  # newest first (an array of ints, or a list)
    flag_changes: dict = field(default_factory=dict)  # uid -> flags
    vanished: set = field(default_factory=set)
    known_uids: set | None = None  # full UID list, when the server gave one (no QRESYNC)
    round_trips: int = 0


@dataclass
class FolderChanges:
    """One page of what changed in a folder, for providers that sync by cursor (``cursor_sync``:
    Gmail, Graph). The engine indexes the page, then stores ``cursor`` in the same commit, so a
    run cut off anywhere resumes from the last page it committed.

    Ids are the provider's own strings. Flags are in IMAP's vocabulary (``\\Seen``,
    ``\\Flagged``), whatever the service calls them.
    """
    cursor: object = None  # opaque and JSON-serialisable; give it back to get the next page
    done: bool = True  # False: another page follows (call again with ``cursor``)
    listing: bool = False  # a page of the folder's full listing: history, not new mail
    reset: bool = False  # the stored cursor expired: a full listing starts with this page
    metas: list = field(default_factory=list)  # MessageMeta that came with the page
    new_ids: list = field(default_factory=list)  # ids whose metadata is still to fetch
    flag_changes: dict = field(default_factory=dict)  # id -> flags (tuple), for known rows
    removed: set = field(default_factory=set)  # ids gone from this folder
    estimate: int | None = None  # messages in the folder, when the provider knows


class MailProvider(ABC):
    """One authenticated session with a mailbox. Use as a context manager."""

    round_trips = 0
    quota_units = 0  # Gmail's quota units spent by this session (0 where there is no such thing)
    # Sync by UIDVALIDITY / UIDNEXT / MODSEQ (IMAP: ``changes``, ``all_uids``) or by an opaque
    # cursor (``folder_changes``, and ``account_cursor`` / ``account_changes`` where one call
    # answers for every folder, as Gmail's history does).
    cursor_sync = False
    account_wide_changes = False
    files_sent_copy = False  # True: ``send`` files the Sent copy itself (no APPEND)
    sends_mail = False  # True: ``send`` delivers (no SMTP)

    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc):
        try:
            self.close()
        finally:
            for callback in getattr(self, "after_close", ()):
                callback()

    @abstractmethod
    def connect(self): ...

    @abstractmethod
    def close(self): ...

    @abstractmethod
    def list_folders(self):
        """All folders with their status (``RemoteFolder``)."""

    @abstractmethod
    def changes(self, path, uidvalidity, last_uid, highestmodseq, known_uids=None):
        """A ``FolderDelta`` for one folder since the stored cursor."""

    @abstractmethod
    def all_uids(self, path, below=None):
        """Every uid of the folder (only those below ``below`` when given), ascending."""

    @abstractmethod
    def fetch_meta(self, path, uids):
        """Yield ``MessageMeta`` for these uids (any order), never marking anything read."""

    def fetch_meta_batches(self, path, uids, batch_size):
        """Yield ``(uids of the batch, [MessageMeta])`` a batch at a time, in the given order.
        Providers that can prepare the next batch while this one is read do better than this."""
        for start in range(0, len(uids), batch_size):
            batch = uids[start:start + batch_size]
            yield batch, list(self.fetch_meta(path, batch))

    @abstractmethod
    def fetch_raw(self, path, uid):
        """The whole message as bytes, without marking it read; None if it is gone."""

    @abstractmethod
    def set_flags(self, path, uids, seen=None, starred=None): ...

    @abstractmethod
    def add_flags(self, path, uids, flags):
        """Add flags or keywords (``\\Answered``, ``$Forwarded``) to messages, leaving their
        other flags; return the ones the folder could keep."""

    @abstractmethod
    def move(self, path, uids, target_path):
        """Move messages; return {old uid: new uid} where the server tells (UIDPLUS)."""

    @abstractmethod
    def delete(self, path, uids, trash_path=None):
        """Move to Trash, or erase when already in Trash or there is none: only these
        messages, never others a different program marked deleted (ProviderError if the
        server cannot do that)."""

    @abstractmethod
    def append(self, path, raw, flags=(), when=None):
        """Store a message in a folder; return its uid when the server tells."""

    def move_keeps_source(self, path):
        """True when a message moved out of ``path`` stays there too (Gmail's Sent and Drafts
        labels cannot be taken off): the engine then keeps its row in ``path``."""
        return False

    def valid_id(self, uid):
        """Whether ``uid`` (a string from the index) can name a message on this server; rows
        MailDesk filed itself before the server's copy came back (``local-...``) cannot."""
        return bool(uid) and not uid.startswith("local-")

    # -- cursor sync (Gmail, Graph) ------------------------------------------------------------
    def folder_changes(self, folder, cursor):
        """A ``FolderChanges`` page for ``folder`` (a ``RemoteFolder`` from ``list_folders``)
        since ``cursor`` (None: list the folder from the start, newest first)."""
        raise NotImplementedError

    def account_cursor(self):
        """Where account-wide changes start now (Gmail's historyId), taken before a listing."""
        raise NotImplementedError

    def account_changes(self, cursor, folders, max_records=None):
        """``(changes, next_cursor, done)``: what changed since ``cursor`` in every folder at
        once, ``changes`` being {remote id of a folder in ``folders``: FolderChanges}, read up
        to about ``max_records`` records; ``done`` False when more follow from ``next_cursor``.
        Raises ``CursorExpired`` (http_api) when the cursor is too old: every folder is listed
        again."""
        raise NotImplementedError

    def send(self, raw, recipients, reply_to_uid=None):
        """Deliver ``raw`` (bytes, the MIME MailDesk built) to ``recipients``; ``reply_to_uid``
        is the remote id of the message answered, if any. Returns the sent copy's remote id when
        the service tells. ``DeliveryUncertain`` when the request may have reached the server."""
        raise ProviderError("this mail service sends through SMTP")

    def search_text(self, path, text, limit, body_only=False):
        """Uids (as strings, newest first, at most ``limit``) of messages in ``path`` whose
        text (headers and body; only the body with ``body_only``) contains ``text``, as the
        server searches it."""
        raise ProviderError("this mail service cannot search message bodies")
