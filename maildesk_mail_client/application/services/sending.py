"""Drafts and sending (the reply / forward preparation is in ``composing``).

Sending: build the message with correct threading headers -> SMTP -> a copy in the server's
Sent folder (unless the account says the server files it itself) -> one index row for that
copy, reconciled with the server's copy by the next sync so it never shows twice. The draft
is deleted only once the SMTP server accepted the message; any failure before that keeps it.
"""
import base64
import email.utils
import logging

from odoo import fields
from odoo.exceptions import UserError

from ...infrastructure import mime
from ...infrastructure.addresses import is_plain_address
from ...infrastructure.providers.base import ProviderError
from . import connections, mailbox_access, state_changes

_logger = logging.getLogger(__name__)


def split_addresses(text):
    """'a@x.org\nB <b@y.org>, c@z.org' -> ['a@x.org', 'B <b@y.org>', 'c@z.org']."""
    if not text:
        return []
    if isinstance(text, (list, tuple)):
        text = "\n".join(text)
    found = email.utils.getaddresses([text.replace("\n", ",").replace(";", ",")])
    return [email.utils.formataddr((n, a)) if n else a for n, a in found if a]


def _bare(address):
    return email.utils.parseaddr(address)[1].lower()


def send_draft(draft):
    """Send a draft the caller may use. Returns {'message_id', 'index_id', 'warning'}."""
    env = draft.env
    draft.check_access("write")
    account = mailbox_access.require_account(env, draft.account_id.id)
    # sudo: the caller may use this mailbox (checked); its settings are admin-only fields.
    account_su = account.sudo()
    if not account_su.smtp_host:
        raise UserError(env._("Mailbox %s has no outgoing (SMTP) server: a Mailbox Admin sets one "
                              "on the mailbox before mail can be sent from it.", account.name))
    to, cc, bcc = (split_addresses(draft[f]) for f in ("to_emails", "cc_emails", "bcc_emails"))
    recipients = [_bare(a) for a in to + cc + bcc]
    if not recipients:
        raise UserError(env._("Add at least one recipient."))
    bad = [a for a in recipients if not is_plain_address(a)]
    if bad:
        raise UserError(env._("These addresses are not valid: %s. Correct them and send again.",
                              ", ".join(bad)))
    in_reply_to, references = "", []
    parent = draft.reply_to_index_id
    if parent:
        in_reply_to = parent.message_id or ""
        references = mime.reply_references((parent.references_hdr or "").split(),
                                           parent.in_reply_to, parent.message_id)
    elif draft.reply_to_message_id:
        in_reply_to, references = draft.reply_to_message_id, [draft.reply_to_message_id]
    sender = email.utils.formataddr((account.sender_name or draft.sender_display_name or "",
                                     account.email))
    extra = {}
    if draft.request_read_receipt:
        extra["Disposition-Notification-To"] = account.email
    attachments = [(a.name, a.mimetype, base64.b64decode(a.datas or b""))
                   for a in draft.attachment_ids]
    message = mime.build_message(
        sender=sender, to=to, cc=cc, subject=draft.subject or "", html=draft.body_html or "",
        attachments=attachments, in_reply_to=in_reply_to, references=references,
        message_id=draft.message_id or None, extra_headers=extra)
    try:
        connections.smtp_for(account_su).send(message, account.email, recipients)
    except ProviderError as exc:
        raise UserError(env._("The message was not sent: %(words)s. Your draft is kept.",
                              words=exc)) from exc
    message_id = message["Message-ID"]
    result = {"message_id": message_id, "index_id": False, "warning": False}
    if account_su.append_sent_to_imap and account_su.imap_host:
        try:
            result["index_id"] = _file_sent_copy(account_su, message, parent)
        except ProviderError as exc:
            _logger.info("MailDesk: sent, but no Sent copy for mailbox %s: %s", account.id, exc)
            result["warning"] = env._("The message was sent, but its copy could not be saved in "
                                      "the Sent folder: %s", exc)
    if parent:
        # sudo: mark the answered message; the caller may read it (it is in their mailbox).
        parent.sudo().flags = " ".join(sorted(set((parent.flags or "").split()) | {"\\Answered"}))
    draft.unlink()
    return result


def _file_sent_copy(account, message, parent):
    sent = state_changes.folder_of_type(account, "sent")
    if not sent:
        raise ProviderError("this mailbox has no Sent folder yet (it appears after the first sync)")
    raw = message.as_bytes()
    with connections.imap_for(account) as imap:
        uid = imap.append(sent.imap_name, raw, flags=("\\Seen",))
    headers = mime.parse_headers(raw)
    when = headers.date or fields.Datetime.now()
    vals = {
        "account_id": account.id, "folder_id": sent.id,
        "uid": uid or f"local-{headers.message_id}", "local_pending": not uid,
        "message_id": headers.message_id, "from_addr": headers.from_addr,
        "sender_display_name": headers.sender_display_name, "to_addrs": headers.to_addrs,
        "cc_addrs": headers.cc_addrs, "subject": headers.subject,
        "date": when.replace(tzinfo=None) if hasattr(when, "tzinfo") else when,
        "preview": mime.parse_message(raw).preview, "is_read": True,
        "in_reply_to": headers.in_reply_to, "references_hdr": " ".join(headers.references),
        "thread_id": headers.thread_key, "sort_ts": int(when.timestamp()), "flags": "\\Seen",
        "has_attachments": headers.looks_like_it_has_attachments,
    }
    Index = account.env["maildesk.message_index"]
    existing = Index.search([("folder_id", "=", sent.id), ("uid", "=", vals["uid"])], limit=1)
    row = existing.write(vals) and existing if existing else Index.create(vals)
    return row.id
