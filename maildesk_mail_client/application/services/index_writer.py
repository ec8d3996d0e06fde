"""Write a batch of message metadata into ``maildesk_message_index``, fast.

A sync writes thousands of rows a second, so this is the one place that bypasses the ORM:

- each row becomes one line of PostgreSQL's COPY text format, built with plain string
  operations (no per-value SQL quoting);
- a batch of messages the index has never seen, the usual case, goes straight into the table
  with one COPY inside a savepoint;
- if any row of the batch exists already (a message filed by MailDesk itself and now coming
  back from the server, a retried batch), the savepoint is rolled back and the batch goes
  through a session-local staging table and ``INSERT ... ON CONFLICT DO UPDATE``, which
  refreshes what the server says and keeps what users and the ingest pipeline own.

Either way the caller commits the batch together with the folder's cursor.
"""
import io
from datetime import timezone

import psycopg2.errors
import psycopg2.extensions

from odoo import SUPERUSER_ID

from ...models.maildesk_message_index import SEARCH_TEXT_FIELDS, search_text

COLUMNS = ("account_id", "provider", "folder_id", "uid", "message_id", "from_addr",
           "sender_display_name", "to_addrs", "cc_addrs", "bcc_addrs", "subject", "date",
           "preview", "size", "has_attachments", "is_read", "is_starred", "flags",
           "in_reply_to", "references_hdr", "thread_id", "sort_ts", "search_text", "ingest_allowed",
           "deleted_on_server", "indexed_at", "create_uid", "write_uid", "create_date",
           "write_date")
SEARCH_TEXT_LENGTH = 4000
_INT4_MAX = 2**31 - 1  # size is an Integer column

_STAGE = "maildesk_index_stage"
_CREATE_STAGE = f"""
    CREATE TEMP TABLE IF NOT EXISTS {_STAGE} AS
    SELECT {", ".join(COLUMNS)} FROM maildesk_message_index WITH NO DATA
"""
# Read and star stay as they are while a user's change to them waits to reach the server.
_FLAGS_PENDING = """SELECT index_id FROM maildesk_email_state
                     WHERE read_intent IS NOT NULL OR star_intent IS NOT NULL"""
_UPSERT = f"""
    INSERT INTO maildesk_message_index ({", ".join(COLUMNS)})
    SELECT DISTINCT ON (account_id, folder_id, uid) {", ".join(COLUMNS)} FROM {_STAGE}
    ON CONFLICT (account_id, folder_id, uid) DO UPDATE SET
        message_id = EXCLUDED.message_id, from_addr = EXCLUDED.from_addr,
        sender_display_name = EXCLUDED.sender_display_name, to_addrs = EXCLUDED.to_addrs,
        cc_addrs = EXCLUDED.cc_addrs, bcc_addrs = EXCLUDED.bcc_addrs,
        subject = EXCLUDED.subject, date = EXCLUDED.date, preview = EXCLUDED.preview,
        size = EXCLUDED.size, has_attachments = EXCLUDED.has_attachments,
        is_read = CASE WHEN maildesk_message_index.id IN ({_FLAGS_PENDING})
                       THEN maildesk_message_index.is_read ELSE EXCLUDED.is_read END,
        is_starred = CASE WHEN maildesk_message_index.id IN ({_FLAGS_PENDING})
                       THEN maildesk_message_index.is_starred ELSE EXCLUDED.is_starred END,
        flags = EXCLUDED.flags, in_reply_to = EXCLUDED.in_reply_to,
        references_hdr = EXCLUDED.references_hdr, thread_id = EXCLUDED.thread_id,
        sort_ts = EXCLUDED.sort_ts, search_text = EXCLUDED.search_text, deleted_on_server = FALSE,
        write_date = EXCLUDED.write_date
"""
# COPY text format: NULL is \N; backslash, tab, newline and carriage return are escaped.
_NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value, limit=None):
    """A text value as a COPY field: NUL characters dropped (PostgreSQL refuses them),
    cut at ``limit``, empty as NULL."""
    if not value:
        return _NULL
    if "\x00" in value:
        value = value.replace("\x00", "")
    if limit:
        value = value[:limit]
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.translate(_ESCAPES)
    return value or _NULL


def _bool(value):
    return "t" if value else "f"


def encode(account_id, provider, folder_id, meta, incoming, now):
    """One index row for ``meta`` (a providers.base.MessageMeta) as a line of COPY text."""
    when = meta.date or meta.internal_date  # what the sender wrote, shown as it is
    if when and when.tzinfo:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    date = str(when) if when else _NULL
    sort_time = meta.sort_time
    sort_ts = str(max(int(sort_time.timestamp()), 0)) if sort_time else "0"
    return "\t".join((
        str(account_id), provider, str(folder_id), _text(meta.uid), _text(meta.message_id, 998),
        _text(meta.from_addr, 320), _text(meta.sender_display_name, 500), _text(meta.to_addrs),
        _text(meta.cc_addrs), _text(meta.bcc_addrs), _text(meta.subject, 2000), date,
        _text(meta.preview), str(min(int(meta.size or 0), _INT4_MAX)), _bool(meta.has_attachments),
        _bool(meta.is_read), _bool(meta.is_starred), _text(" ".join(meta.flags)),
        _text(meta.in_reply_to, 998), _text(" ".join(meta.references)), _text(meta.thread_key, 998),
        sort_ts, _text(search_text(getattr(meta, k) for k in SEARCH_TEXT_FIELDS),
                       SEARCH_TEXT_LENGTH), _bool(incoming), "f", now, str(SUPERUSER_ID),
        str(SUPERUSER_ID), now, now,
    )) + "\n"


def _copy(cr, table, data):
    # COPY cannot run under an asynchronous wait callback (gevent): off for its duration, as
    # Odoo's own COPY does. The whole batch is one read: psycopg2 takes the interpreter lock
    # back for every chunk it reads, and a fetch thread parsing meanwhile makes each a wait.
    callback = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    try:
        cr.copy_from(io.BytesIO(data), table, columns=COLUMNS, size=len(data) + 1)
    finally:
        psycopg2.extensions.set_wait_callback(callback)


def write(cr, lines):
    """Insert or refresh the rows ``lines`` (from ``encode``). Returns the number written."""
    if not lines:
        return 0
    # Odoo's connections speak UTF-8; a stray surrogate from a broken header becomes "?"
    # instead of failing the batch on every run.
    data = "".join(lines).encode("utf-8", "replace")
    try:
        with cr.savepoint(flush=False):
            _copy(cr, "maildesk_message_index", data)
        return len(lines)
    except psycopg2.errors.UniqueViolation:
        pass  # some of these messages are indexed already: refresh them instead
    cr.execute(_CREATE_STAGE)
    cr.execute(f"TRUNCATE {_STAGE}")
    _copy(cr, _STAGE, data)
    cr.execute(_UPSERT)
    return len(lines)
