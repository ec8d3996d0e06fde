"""Drafts and sending (the reply / forward preparation is in ``composing``).

Sending happens exactly once, through an outbox kept on the draft row itself:

    draft ──send_draft (the user's request)──► queued: MIME and Message-ID frozen,
      ▲                                        send_after = now + the undo delay
      └──────── cancel_send, while queued ─────┘
    queued ──worker: lock, mark, COMMIT──► sending ──SMTP──► sent | partly_sent | failed
                                             │        ├► 4xx, unreachable: queued again later (bounded)
                                             │        └► cut after the data went out: uncertain
                                             └► still 'sending' long after (its worker died):
                                                Message-ID in Sent? sent : uncertain

No SMTP byte is sent inside a user's request, and a row is never sent twice without the
person asking: 'uncertain' waits for them. Once the server accepted the message: a copy in the
Sent folder (unless the server files it itself) with one index row, reconciled with the
server's copy by the next sync, and \\Answered / $Forwarded on the originals; a failure
there is a warning, never a resend.
"""
import base64
import email
import email.policy
import email.utils
import logging
import re
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import MissingError, UserError

from ...infrastructure import mime
from ...infrastructure.addresses import is_plain_address
from ...infrastructure.providers.base import DeliveryUncertain, ProviderError, ServerUnreachable
from ...infrastructure.providers.http_api import GrantRevoked, Throttled
from ...infrastructure.providers.smtp import SmtpRefused
from . import backoff, connections, live, mailbox_access, row_lock, state_changes

_logger = logging.getLogger(__name__)

UNDO_PARAM = "maildesk.undo_send_seconds"
UNDO_DEFAULT = 10  # seconds a queued message waits, so "Undo" can take it back
UNDO_MAX = 300
QUEUE_BATCH = 50  # messages one run of the send cron takes at most
MAX_ATTEMPTS = 5  # temporary failures (4xx, unreachable) before a message is marked failed
RETRY_START = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=1)
STALE_AFTER = timedelta(minutes=15)  # a 'sending' row older than this lost its worker
SENT_KEPT = timedelta(days=7)  # how long a sent row answers a replayed request
FORWARDED = "$Forwarded"
_MESSAGE_ID = re.compile(r"<[^<>\s\"\\@]+@[^<>\s\"\\@]+>")


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


def send_draft(draft, resend_uncertain=False):
    """Queue a draft the caller may use; a worker sends it (``process_send_queue``).

    Returns ``send_status(draft)``. Asking again for a draft that is already queued, being
    sent or sent changes nothing (a double click, a replayed request). A draft left
    ``uncertain`` is queued again only when the person asks for it (``resend_uncertain``).
    """
    env = draft.env
    draft.ensure_one()
    draft.check_access("write")
    account = mailbox_access.require_account(env, draft.account_id.id)
    state = _lock(draft)
    if state in ("queued", "sending", "sent", "partly_sent") or (
            state == "uncertain" and not resend_uncertain):
        return send_status(draft)
    # sudo: the caller may use this mailbox (checked); its settings are admin-only fields.
    account_su = account.sudo()
    if account_su.provider == "imap" and not account_su.smtp_host:
        raise UserError(env._("Mailbox %s has no outgoing (SMTP) server: a Mailbox Admin sets one "
                              "on the mailbox before mail can be sent from it.", account.name))
    message, recipients = _build(draft, account)
    send_after = fields.Datetime.now() + timedelta(seconds=undo_seconds(env))
    # sudo: the outbox fields are written by this service only (the model refuses them from
    # users); the caller may write this draft (checked above) and the row is locked.
    draft.sudo().write({
        "send_state": "queued", "send_after": send_after,
        "outgoing_message_id": message["Message-ID"],
        "outgoing_mime": base64.b64encode(message.as_bytes()),
        "outgoing_recipients": "\n".join(recipients), "send_attempts": 0,
        "send_started_at": False, "send_error": False, "accepted_recipients": False,
        "refused_recipients": False, "sent_at": False,
    })
    _wake_worker(env, send_after)
    return send_status(draft)


def cancel_send(draft):
    """Undo send: back to an editable draft while no worker took it (state still queued)."""
    env = draft.env
    draft.ensure_one()
    draft.check_access("write")
    mailbox_access.require_account(env, draft.account_id.id)
    cancelled = _lock(draft) == "queued"
    if cancelled:
        # sudo: as in send_draft; the lock guarantees no worker holds this row.
        draft.sudo().write({"send_state": "draft", "send_after": False, "outgoing_mime": False,
                            "outgoing_recipients": False})
    return dict(send_status(draft), cancelled=cancelled)


def send_status(draft):
    """What the composer shows about a draft's sending."""
    return {
        "draft_id": draft.id, "state": draft.send_state,
        "message_id": draft.outgoing_message_id or False,
        "send_after": draft.send_after and fields.Datetime.to_string(draft.send_after),
        "attempts": draft.send_attempts, "error": draft.send_error or False,
        "accepted": (draft.accepted_recipients or "").splitlines(),
        "refused": (draft.refused_recipients or "").splitlines(),
        "sent_at": draft.sent_at and fields.Datetime.to_string(draft.sent_at),
    }


def undo_seconds(env):
    try:
        # sudo: reading one setting of the send queue; users cannot read ir.config_parameter.
        value = int(env["ir.config_parameter"].sudo().get_param(UNDO_PARAM, UNDO_DEFAULT))
    except (TypeError, ValueError):
        value = UNDO_DEFAULT
    return min(max(value, 0), UNDO_MAX)


def _lock(draft):
    """The draft's send state, its row locked until this transaction ends: two requests for
    the same draft (or a request and a worker) take turns instead of both acting."""
    draft.flush_recordset()
    draft.env.cr.execute("SELECT send_state FROM maildesk_draft WHERE id = %s FOR UPDATE",
                         [draft.id])
    row = draft.env.cr.fetchone()
    draft.invalidate_recordset()
    if not row:
        raise MissingError(draft.env._("This draft no longer exists."))
    return row[0]


def _wake_worker(env, when):
    cron = env.ref("maildesk_mail_client.ir_cron_send_queue", raise_if_not_found=False)
    if cron:
        # sudo: users may not write crons; asking the send worker to run is what queueing means.
        cron.sudo()._trigger(at=when)


def _one_line(text):
    """Header text without line breaks or other control characters (a pasted subject may
    carry them; a header cannot)."""
    return " ".join("".join(c if c >= " " and c != "\x7f" else " " for c in (text or "")).split())


def _build(draft, account):
    """The message as it will be sent, and its envelope recipients (Bcc included)."""
    env = draft.env
    to, cc, bcc = (split_addresses(draft[f]) for f in ("to_emails", "cc_emails", "bcc_emails"))
    recipients = list(dict.fromkeys(_bare(a) for a in to + cc + bcc))
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
    elif draft.reply_to_message_id and _MESSAGE_ID.fullmatch(draft.reply_to_message_id):
        in_reply_to, references = draft.reply_to_message_id, [draft.reply_to_message_id]
    sender = email.utils.formataddr((account.sender_name or draft.sender_display_name or "",
                                     account.email))
    extra = {}
    if draft.request_read_receipt:
        extra["Disposition-Notification-To"] = account.email
    attachments = [(_one_line(a.name) or "attachment", a.mimetype, base64.b64decode(a.datas or b""))
                   for a in draft.attachment_ids]
    # A retry after a failure keeps the Message-ID: a recipient's client can tell it is the same.
    message_id = next((m for m in (draft.outgoing_message_id, draft.message_id)
                       if m and _MESSAGE_ID.fullmatch(m)), None)
    message = mime.build_message(
        sender=sender, to=to, cc=cc, subject=_one_line(draft.subject), html=draft.body_html or "",
        attachments=attachments, in_reply_to=in_reply_to, references=references,
        message_id=message_id, extra_headers=extra)
    return message, recipients


# -- the worker ----------------------------------------------------------------------------------
def process_send_queue(env, limit=QUEUE_BATCH):
    """The send cron: settle rows a dead worker left behind, then send what is due, each
    message on a cursor of its own that takes, marks and commits it before any SMTP byte."""
    env.flush_all()
    registry = env.registry
    results = dict.fromkeys(("sent", "partly_sent", "failed", "queued", "uncertain", "lost",
                             "followed_up"), 0)
    for _ in range(limit):
        outcome = _settle_one_stale(registry)
        if outcome is None:
            break
        results[outcome] += 1
    for _ in range(limit):
        outcome = _follow_up_one(registry)
        if outcome is None:
            break
        results[outcome] += 1
    for _ in range(limit):
        try:
            outcome = _send_one(registry)
        except Exception:
            # A fault of ours: the row stays 'sending' and is settled as a stale one later
            # (sent if found in Sent, else left to the person); the other messages go on.
            _logger.exception("MailDesk: unexpected error while sending a queued message")
            outcome = "lost"
        if outcome is None:
            break
        results[outcome] += 1
    _forget_old_sent(registry)
    return results


def _take(cr, condition, params):
    """Lock one queued draft matching ``condition`` on this cursor (row_lock.take_one)."""
    return row_lock.take_one(cr, f"""SELECT id FROM maildesk_draft WHERE {condition}
                                     ORDER BY send_after, id LIMIT 1 FOR UPDATE SKIP LOCKED""",
                             params)


def _send_one(registry):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        draft_id = _take(cr, "send_state = 'queued' AND send_after <= %s", [fields.Datetime.now()])
        if not draft_id:
            return None
        draft = env["maildesk.draft"].browse(draft_id)
        env = env(context={"lang": draft.user_id.lang})  # what the sender is told, in their language
        draft = draft.with_env(env)
        attempt = draft.send_attempts + 1
        job = _Job(draft)
        started = fields.Datetime.now()
        draft.write({"send_state": "sending", "send_attempts": attempt, "send_started_at": started})
        # From this commit on, a crash leaves the row 'sending': it is never sent again blindly.
        cr.commit()
        vals, accepted = _converse(env, job, attempt)
        if not _record(env, draft_id, (attempt, started), vals):
            cr.rollback()
            return "lost"
        cr.commit()
        # After the outcome is safe: a note that fails to post must not leave the row 'sending'
        # (it would turn 'uncertain' later and invite a second send).
        for text in job.notes:
            try:
                with cr.savepoint():
                    _tell(env, job, text)
            except Exception:  # noqa: BLE001 (the outcome is recorded; the note is a courtesy)
                _logger.exception("MailDesk: could not tell the sender of draft %s", draft_id)
        cr.commit()
        if accepted:
            # Locked again until the follow-up is recorded: the follow-up sweep skips it.
            cr.execute("SELECT id FROM maildesk_draft WHERE id = %s FOR UPDATE", [draft_id])
            warnings = _after_acceptance(env, job, file_sent_copy=True)
            _record(env, draft_id, (attempt, started), {
                "send_followup_pending": False, "send_error": "\n".join(warnings) or False})
            cr.commit()
        return vals["send_state"]


def _follow_up_one(registry):
    """A message the server accepted whose worker stopped before the Sent copy and the marks:
    do them now. The Sent folder is searched first, so a copy filed just before the worker
    stopped is not filed twice."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        draft_id = _take(cr, "send_state IN ('sent', 'partly_sent') AND send_followup_pending", [])
        if not draft_id:
            return None
        draft = env["maildesk.draft"].browse(draft_id)
        job = _Job(draft)
        warnings = _after_acceptance(env, job, file_sent_copy=True, look_in_sent_first=True)
        draft.write({"send_followup_pending": False,
                     "send_error": "\n".join(warnings) or draft.send_error})
        cr.commit()
        return "followed_up"


class _Job:
    """What a worker needs of a queued draft, read before the commit that hands it over."""

    def __init__(self, draft):
        self.draft_id = draft.id
        self.account = draft.account_id
        self.user = draft.user_id
        self.subject = draft.subject or ""
        self.raw = base64.b64decode(draft.outgoing_mime or b"")
        self.recipients = (draft.outgoing_recipients or "").split()
        self.message_id = draft.outgoing_message_id
        self.parent = draft.reply_to_index_id
        self.forwarded = draft.forward_of_index_id
        self.notes = []  # told to the sender once the outcome is committed, never before


def _converse(env, job, attempt):
    """One SMTP conversation -> (values for the draft, whether anybody received it)."""
    account = job.account
    if account.provider != "imap":
        return _converse_with_service(env, job, attempt)
    message = email.message_from_bytes(job.raw, policy=email.policy.SMTP)
    if not account.smtp_host:
        return _failed(env, job, env._("mailbox %s has no outgoing (SMTP) server any more",
                                       account.email), {}), False
    try:
        refused = connections.smtp_for(account).send(message, account.email, job.recipients)
    except DeliveryUncertain as exc:
        _logger.warning("MailDesk: message %s may or may not have been sent: %s", job.message_id, exc)
        text = env._("The connection broke after the message was handed to the mail server, "
                     "before it confirmed: it may or may not have been sent (%s). Check the Sent "
                     "folder or ask a recipient; Send again to retry.", exc)
        job.notes.append(text)
        return {"send_state": "uncertain", "send_error": text}, False
    except (ServerUnreachable, SmtpRefused) as exc:
        temporary = not isinstance(exc, SmtpRefused) or exc.temporary
        refused = exc.refused_words() if isinstance(exc, SmtpRefused) else {}
        if temporary and attempt < MAX_ATTEMPTS:
            retry_at = fields.Datetime.now() + retry_delay(attempt)
            _wake_worker(env, retry_at)
            return {"send_state": "queued", "send_after": retry_at,
                    "send_error": env._("Not sent yet, trying again at %(when)s UTC: %(words)s",
                                        when=fields.Datetime.to_string(retry_at), words=exc)}, False
        return _failed(env, job, exc, refused), False
    except ProviderError as exc:  # the sign-in was refused, or the server cannot take the message
        return _failed(env, job, exc, {}), False
    accepted = [r for r in job.recipients if r not in refused]
    vals = {"send_state": "partly_sent" if refused else "sent", "sent_at": fields.Datetime.now(),
            "send_followup_pending": True,
            "accepted_recipients": "\n".join(accepted),
            "refused_recipients": "\n".join(f"{a}: {w}" for a, w in refused.items()) or False,
            "send_error": False}
    if refused:
        job.notes.append(env._(
            "Your message \"%(subject)s\" was sent to %(accepted)s, but NOT to %(refused)s.",
            subject=job.subject, accepted=", ".join(accepted),
            refused="; ".join(f"{a} ({w})" for a, w in refused.items())))
    return vals, True


def _converse_with_service(env, job, attempt):
    """Gmail (messages.send) or Graph (sendMail): the service delivers and files the Sent copy
    itself. Same outcomes as SMTP: a request that may have reached the service is 'uncertain',
    never sent again by itself."""
    account = job.account
    parent = job.parent if job.parent and job.parent.exists() else None
    reply_to = parent.uid if parent and not parent.local_pending else None
    try:
        with connections.provider_for(account) as provider:
            provider.send(job.raw, job.recipients, reply_to_uid=reply_to)
    except DeliveryUncertain as exc:
        _logger.warning("MailDesk: message %s may or may not have been sent: %s", job.message_id, exc)
        text = env._("The connection broke after the message was handed to %(service)s, before it "
                     "confirmed: it may or may not have been sent (%(words)s). Check the Sent "
                     "folder or ask a recipient; Send again to retry.",
                     service=_service_name(account), words=exc)
        job.notes.append(text)
        return {"send_state": "uncertain", "send_error": text}, False
    except (ServerUnreachable, Throttled) as exc:
        if attempt < MAX_ATTEMPTS:
            retry_at = fields.Datetime.now() + retry_delay(attempt)
            _wake_worker(env, retry_at)
            return {"send_state": "queued", "send_after": retry_at,
                    "send_error": env._("Not sent yet, trying again at %(when)s UTC: %(words)s",
                                        when=fields.Datetime.to_string(retry_at), words=exc)}, False
        return _failed(env, job, exc, {}), False
    except GrantRevoked as exc:
        return _failed(env, job, env._(
            "%(words)s Sign in again on the mailbox, then send again",
            words=str(exc).rstrip(".") + "."), {}), False
    except (ProviderError, UserError) as exc:
        return _failed(env, job, exc.args[0] if isinstance(exc, UserError) else exc, {}), False
    return {"send_state": "sent", "sent_at": fields.Datetime.now(),
            "send_followup_pending": True, "accepted_recipients": "\n".join(job.recipients),
            "refused_recipients": False, "send_error": False}, True


def _service_name(account):
    return {"gmail": "Gmail", "outlook": "Outlook"}.get(account.provider, account.env._("the mail server"))


def _failed(env, job, exc, refused):
    text = env._("The message was not sent: %s. Your draft is kept; correct it and send again.", exc)
    job.notes.append(text)
    return {"send_state": "failed", "send_error": text,
            "refused_recipients": "\n".join(f"{a}: {w}" for a, w in refused.items()) or False}


def retry_delay(attempt):
    return backoff.delay(attempt, RETRY_START, RETRY_MAX)


def _record(env, draft_id, attempt, vals):
    """Write a worker's outcome, unless the row is gone or belongs to a later attempt.

    ``attempt`` is (number, start time): "Send again" on an uncertain message counts attempts
    from 1 again, so a worker that outlived its attempt must be told apart by when it began."""
    env.cr.execute("SELECT send_attempts, send_started_at FROM maildesk_draft WHERE id = %s "
                   "FOR UPDATE", [draft_id])
    row = env.cr.fetchone()
    if not row or (row[0], row[1]) != attempt:
        _logger.warning("MailDesk: outcome of sending draft %s (attempt %s) not recorded: the row "
                        "is gone or was taken again: %s", draft_id, attempt, vals)
        return False
    draft = env["maildesk.draft"].browse(draft_id)
    draft.invalidate_recordset()
    draft.write(vals)
    return True


def _tell(env, job, text):
    """Tell the person who sent it, in their Odoo inbox, on the mailbox's chatter."""
    job.account.message_post(body=text, partner_ids=job.user.partner_id.ids,
                             subtype_xmlid="mail.mt_comment", message_type="notification")


def _settle_one_stale(registry):
    """A row still 'sending' long after its attempt began lost its worker mid-conversation.
    The Sent folder may tell whether the server took it; if not, the person decides."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        draft_id = _take(cr, "send_state = 'sending' AND send_started_at < %s",
                         [fields.Datetime.now() - STALE_AFTER])
        if not draft_id:
            return None
        draft = env["maildesk.draft"].browse(draft_id)
        env = env(context={"lang": draft.user_id.lang})
        draft = draft.with_env(env)
        job = _Job(draft)
        if _found_in_sent(job):
            draft.write({"send_state": "sent", "sent_at": draft.send_started_at,
                         "send_error": env._("The worker sending this message stopped before it "
                                             "recorded the result; its copy in the Sent folder "
                                             "shows it was sent.")})
            cr.commit()
            warnings = _after_acceptance(env, job, file_sent_copy=False)
            if warnings:
                draft.write({"send_error": "\n".join([draft.send_error, *warnings])})
            cr.commit()
            return "sent"
        text = env._("Your message \"%s\" may or may not have been sent: sending stopped in the "
                     "middle of the conversation with the mail server. Check the Sent folder (or "
                     "ask a recipient); Send again to retry.", job.subject)
        draft.write({"send_state": "uncertain", "send_error": text})
        _tell(env, job, text)
        cr.commit()
        return "uncertain"


def _found_in_sent(job):
    """True when the server's Sent folder holds this Message-ID; False when it cannot tell."""
    account = job.account
    sent = state_changes.folder_of_type(account, "sent")
    if not (sent and account.imap_host and job.message_id):
        return False
    try:
        with connections.imap_for(account) as imap:
            return bool(imap.find_message_id(sent.imap_name, job.message_id))
    except ProviderError as exc:
        _logger.info("MailDesk: cannot look for %s in Sent of mailbox %s: %s",
                     job.message_id, account.id, exc)
        return False


def _forget_old_sent(registry):
    """Sent rows answer a replayed request for a while; then they go (the copy is in Sent)."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        old = env["maildesk.draft"].search([("send_state", "in", ("sent", "partly_sent")),
                                            ("sent_at", "<", fields.Datetime.now() - SENT_KEPT)])
        old.unlink()


# -- after the server accepted it -----------------------------------------------------------------
def _after_acceptance(env, job, file_sent_copy, look_in_sent_first=False):
    """The Sent copy and \\Answered / $Forwarded on the originals, on one IMAP connection.
    The message is out: whatever fails here is a warning, never a reason to send again."""
    account = job.account
    warnings = []
    marks = [(row, flag) for row, flag in ((job.parent, "\\Answered"), (job.forwarded, FORWARDED))
             if row.exists()]
    if account.provider != "imap" or not account.imap_host:
        return warnings  # Gmail and Graph filed the Sent copy themselves
    copy = file_sent_copy and account.append_sent_to_imap
    if not (copy or marks):
        return warnings
    try:
        with connections.imap_for(account) as imap:
            if copy:
                try:
                    _file_sent_copy(account, job.raw, imap,
                                    message_id=job.message_id if look_in_sent_first else None)
                except ProviderError as exc:
                    warnings.append(env._("The message was sent, but its copy could not be saved "
                                          "in the Sent folder: %s", exc))
            for row, flag in marks:
                try:
                    _mark(row, flag, imap)
                except ProviderError as exc:
                    warnings.append(env._("The message was sent, but the original could not be "
                                          "marked %(flag)s on the server: %(words)s",
                                          flag=flag, words=exc))
    except ProviderError as exc:
        warnings.append(env._("The message was sent, but the mailbox could not be reached to "
                              "file its copy in Sent and mark the original: %s", exc))
    for warning in warnings:
        _logger.info("MailDesk: message %s: %s", job.message_id, warning)
    return warnings


def _mark(row, flag, imap):
    path = row.folder_id.imap_name
    if row.uid and not row.local_pending and path and flag not in imap.add_flags(path, [row.uid],
                                                                                   [flag]):
        raise ProviderError(f"the folder {path} cannot keep the {flag} mark")
    row.flags = " ".join(sorted(set((row.flags or "").split()) | {flag}))


def _file_sent_copy(account, raw, imap, message_id=None):
    """APPEND the copy (unless ``message_id`` is given and already in Sent) and index it."""
    sent = state_changes.folder_of_type(account, "sent")
    if not sent:
        raise ProviderError("this mailbox has no Sent folder yet (it appears after the first sync)")
    if message_id and imap.find_message_id(sent.imap_name, message_id):
        return None  # filed before the worker stopped; the sync indexes it
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
    live.notify_changed(account.env, account, sent.ids)  # sent when the worker commits
    return row.id
