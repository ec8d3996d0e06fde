"""What AI may read of a mailbox's mail, read as the person who asked (record rules apply).

Bodies come from Basic's body cache (the sender's markup as it arrived, not the sanitised
copy: hiding styles must still be there for ``mail_text.visible_text`` to take hidden text
out); attachments from Basic's attachment service, only for the attachment feature. Nothing
read here is stored by the AI features: they keep only the model's output.
"""
import hashlib
import re

from odoo.addons.maildesk_mail_client.application.services import bodies, conversations, mailbox_access
from odoo.addons.maildesk_mail_client.infrastructure import mime
from odoo.addons.maildesk_mail_client.infrastructure.providers.base import ProviderError
from odoo.exceptions import UserError

from ...infrastructure.mail_text import ThreadMessage, visible_text
from ...infrastructure.phishing_signals import ScanInput

MAX_THREAD_MESSAGES = 20  # the newest ones of a longer conversation are read
MAX_AUTH_RESULTS = 5  # Authentication-Results headers read, topmost (the receiving server's) first
MAX_HEADER_CHARS = 2000
_PART_ID = re.compile(r"[\w.-]{1,64}")


def message_row(env, index_id):
    """The index row as ``env``'s user may read it, or AccessError (a foreign id and a missing
    one get the same answer)."""
    return mailbox_access.require_readable(env, "maildesk.message_index", [index_id], env._(
        "You do not have access to this message, or it no longer exists."))


def thread_key(row):
    """What a thread's summary and conversation are kept under, in its mailbox."""
    return row.thread_id or f"message-{row.id}"


def thread_rows(row):
    """The messages of ``row``'s conversation as its reader sees them, oldest first, one row
    per message (a copy in another folder counts once), the newest MAX_THREAD_MESSAGES."""
    cards = conversations.thread(row)["messages"]
    seen, ids = set(), []
    for card in reversed(cards):
        key = card["message_id"] or card["id"]
        if key not in seen:
            seen.add(key)
            ids.append(card["id"])
    return row.browse(list(reversed(ids[:MAX_THREAD_MESSAGES])))


def source_hash(*parts):
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()


def thread_hash(rows):
    """Changes when a message joins or leaves the conversation; not when one is moved."""
    return source_hash(*sorted(r.message_id or f"row-{r.id}" for r in rows))


def message_hash(row):
    return source_hash(row.id, row.uid, row.folder_id.uid_validity, row.message_id)


def _body(row):
    """The cached body of a row the caller may read: source_html, text, reply_to, attachments."""
    bodies.get_body(row)  # checks access; fetches the message and caches it when needed
    # sudo: the caller may read ``row`` (checked just above); the cache is service-written
    cache = row.env["maildesk.ui_cache"].sudo().search([("index_id", "=", row.id)], limit=1)
    body = (cache.json_cache or {}).get(bodies.CACHE_KEY) if isinstance(cache.json_cache, dict) else None
    if not isinstance(body, dict):
        raise UserError(row.env._("This message cannot be read right now. Try again in a moment."))
    return body


def _address(name, address):
    return mime.format_address(name or "", address or "") if address else (name or "")


def thread_messages(rows):
    """[ThreadMessage] of ``rows``: headers from the index, text as a reader sees it."""
    messages = []
    for row in rows:
        body = _body(row)
        clean = visible_text(body.get("source_html"), body.get("text"))
        messages.append(ThreadMessage(
            sender=_address(row.sender_display_name, row.from_addr), to=row.to_addrs or "",
            cc=row.cc_addrs or "", date=str(row.date or ""), subject=row.subject or "",
            text=clean.text))
    return messages


def _headers(row):
    """{lower-case name: [values]} of the message's header block."""
    # sudo: the caller may read ``row`` (_body checked it); the server settings are admin-only
    account = row.account_id.sudo()
    try:
        raw = bodies.raw_message(row, account)  # the raw cache's copy, or the server's
    except ProviderError as exc:
        raise UserError(row.env._("This message cannot be read right now: %(words)s. Try again in "
                                  "a moment.", words=str(exc).rstrip("."))) from exc
    return mime.split_header_block(raw or b"")


def scan_input(row):
    """What the security scan reads of one message: sender, authentication results, the
    body, and the names and types of its attachments (never their content)."""
    body = _body(row)
    headers = _headers(row)
    return ScanInput(
        from_address=row.from_addr or "", from_name=row.sender_display_name or "",
        subject=row.subject or "",
        reply_to=body.get("reply_to") or "",
        authentication_results=[v[:MAX_HEADER_CHARS] for v in
                                headers.get("authentication-results", [])[:MAX_AUTH_RESULTS]],
        html=body.get("source_html") or "", plain=body.get("text") or "",
        attachments=[(a.get("name") or "", a.get("mimetype") or "") for a in body.get("attachments", [])],
        return_path=(headers.get("return-path") or [""])[0][:MAX_HEADER_CHARS])


def attachment_name(row, attachment_key):
    """The file name of one attachment of the message, or UserError when it has none by that key."""
    if not isinstance(attachment_key, str) or not _PART_ID.fullmatch(attachment_key):
        raise UserError(row.env._("This attachment is no longer part of the message."))
    for attachment in _body(row).get("attachments", []):
        if attachment.get("part_id") == attachment_key:
            return attachment.get("name") or attachment_key
    raise UserError(row.env._("This attachment is no longer part of the message."))


def attachment_content(row, attachment_key):
    """(name, mimetype, bytes) of one attachment: only the attachment feature asks, only after
    the gate allowed attachments for this mailbox and the person asked for this file."""
    name, mimetype, data = bodies.attachment_bytes(row, attachment_key)
    return mime.safe_filename(name), (mimetype or "application/octet-stream").lower(), data
