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


class MailProvider(ABC):
    """One authenticated session with a mailbox. Use as a context manager."""

    round_trips = 0

    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc):
        self.close()

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

    def search_text(self, path, text, limit, body_only=False):
        """Uids (as strings, newest first, at most ``limit``) of messages in ``path`` whose
        text (headers and body; only the body with ``body_only``) contains ``text``, as the
        server searches it."""
        raise ProviderError("this mail service cannot search message bodies")
