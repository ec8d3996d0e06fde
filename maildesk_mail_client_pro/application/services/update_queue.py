"""The outbound update queue (``maildesk.update_queue``): asked for now, done by a cron later.

    send_later ── at scheduled_at ──► Basic's send queue (sending.send_draft, as the person
                                      who asked): sent once, by the one send worker
    snooze ────── at once: the messages leave the lists (snoozed_until)
                  └── at scheduled_at ──► back in the lists, unread
    bulk_change ─ "all N matching" as the person confirmed it: the rows matched then, kept on
                  the entry, changed CHUNK at a time, each chunk committed with its progress
    cancel ────── stops an earlier pending (or running bulk) entry of the same person, at once

Users create entries and nothing else (seed 003 §4.2): ``check_new`` says what an entry of
theirs may say. The cron takes one due entry at a time on a cursor of its own, locked with
SKIP LOCKED (two crons never hold the same entry), applies one step of it as the person who
asked (so their record rules hold when it runs, not only when they asked), and commits that
step together with the entry's new state: a cron killed at any point leaves an entry either
before or after a step, never half-way, and the next run goes on from there.
"""
import logging
import time
from datetime import datetime, timedelta, timezone

from psycopg2 import errors

from odoo import SUPERUSER_ID, api, fields
from odoo.addons.maildesk_mail_client.application.services import (
    backoff,
    bulk,
    live,
    mailbox_access,
    row_lock,
    sending,
    state_changes,
    sync,
)
from odoo.addons.maildesk_mail_client.application.services import mailbox_queries as queries
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command

_logger = logging.getLogger(__name__)

CHUNK = 500  # messages of a bulk entry changed, and committed, together
TIME_BUDGET = 60  # seconds one cron run works before it hands over to the next run
MAX_ATTEMPTS = 5  # unexpected errors on one entry before it is marked failed
RETRY_START = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=1)
MAX_AHEAD = timedelta(days=3660)  # a time further out is a typing error, not a plan
CANCELLABLE = ("pending", "running")
USER_FIELDS = frozenset({"account_id", "action", "scheduled_at", "draft_id", "index_ids",
                         "payload", "cancels_id"})
CRON = "maildesk_mail_client_pro.ir_cron_update_queue"


# -- what a user's entry may say ------------------------------------------------------------------
def check_new(env, vals):
    """The values of a user's new entry: pending, in their name, for a mailbox they work in,
    about its own drafts and messages; AccessError or UserError otherwise."""
    vals = {key: value for key, value in vals.items() if key in USER_FIELDS}
    vals.update(state="pending", user_id=env.uid)
    account = mailbox_access.require_account(env, vals.get("account_id"))
    refusal = mailbox_access.reference_refusal(env)
    if vals.get("draft_id"):
        draft = mailbox_access.require_readable(env, "maildesk.draft", [vals["draft_id"]], refusal)
        if draft.account_id != account:
            raise AccessError(refusal)
    rows = env["maildesk.message_index"]
    if vals.get("index_ids"):
        rows = mailbox_access.require_readable(env, rows._name, _linked_ids(env, vals["index_ids"]),
                                               refusal)
        if rows.account_id - account:
            raise AccessError(refusal)
        vals["index_ids"] = [Command.set(rows.ids)]
    action = vals.get("action")
    if action == "send_later" and not vals.get("draft_id"):
        raise UserError(env._("Say which draft to send later."))
    if action in ("snooze", "bulk_change") and not rows:
        raise UserError(env._("Say which messages to change."))
    vals["payload"] = _bulk_payload(env, account, vals.get("payload"), rows) \
        if action == "bulk_change" else False
    if action == "cancel":
        target = own_entry(env, vals.get("cancels_id"))
        if target.action == "cancel" or target.account_id != account:
            raise AccessError(_not_yours(env))
    return vals


def _linked_ids(env, commands):
    """The ids a Many2many value links; anything but linking existing rows is refused."""
    ids = []
    for command in commands if isinstance(commands, (list, tuple)) else [None]:
        if isinstance(command, int):
            ids.append(command)
        elif not isinstance(command, (list, tuple)) or not command:
            raise AccessError(mailbox_access.reference_refusal(env))
        elif command[0] == Command.SET:
            ids += list(command[2])
        elif command[0] == Command.LINK:
            ids.append(command[1])
        else:
            raise AccessError(mailbox_access.reference_refusal(env))
    return ids


def _bulk_payload(env, account, payload, rows):
    """The change of a bulk entry, rebuilt from what the user may name (never taken as sent)."""
    payload = payload if isinstance(payload, dict) else {}
    change = payload.get("change")
    if change not in bulk.ACTIONS:
        raise UserError(env._("Unknown action: %s.", str(change)[:40]))
    clean = {"change": change, "total": len(rows)}
    refusal = mailbox_access.reference_refusal(env)
    if change == "move":
        target = mailbox_access.require_readable(env, "mailbox.folder",
                                                 [payload.get("target_folder_id")], refusal)
        if target.account_id != account:
            raise AccessError(refusal)
        clean["target_folder_id"] = target.id
    if change == "tag":
        tag_ids = payload.get("tag_ids") if isinstance(payload.get("tag_ids"), list) else []
        clean["tag_ids"] = mailbox_access.require_readable(env, "mail.message.tag", tag_ids,
                                                           refusal).ids
    return clean


def _not_yours(env):
    return env._("This scheduled change does not exist, or it is not yours.")


def own_entry(env, entry_id, admin_too=False):
    """An entry of the caller's (a Mailbox Admin's: anyone's, with ``admin_too``), as
    superuser; anything else gets the same answer as a missing one."""
    try:
        entry_id = int(entry_id or 0)
    except (TypeError, ValueError):
        entry_id = 0
    # sudo: users may not read entries (seed 003 §4.2); only their own is handed back.
    entry = env["maildesk.update_queue"].sudo().browse(entry_id).exists()
    allowed = entry and (entry.user_id == env.user or (
        admin_too and env.user.has_group(mailbox_access.ADMIN_GROUP)))
    if not allowed:
        raise AccessError(_not_yours(env))
    return entry


def entries_created(entries):
    """Cancel what cancel entries name, and wake the cron for when the others are due."""
    # sudo: the caller just created these entries (checked by check_new); users may not read them.
    entries = entries.sudo()
    for entry in entries.filtered(lambda e: e.action == "cancel"):
        _cancel(entry)
    later = entries.filtered(lambda e: e.action != "cancel")
    if later:
        wake_cron(entries.env, min(later.mapped("scheduled_at")))


def _cancel(entry):
    """Stop ``entry.cancels_id``, locked against a cron applying it at this very moment."""
    env, target = entry.env, entry.cancels_id
    now = fields.Datetime.now()
    env.cr.execute("SELECT state FROM maildesk_update_queue WHERE id = %s FOR UPDATE", [target.id])
    state = env.cr.fetchone()[0]
    target.invalidate_recordset()
    if state in CANCELLABLE:
        target.write({"state": "cancelled", "applied_at": now})
        if target.action == "snooze":
            _bring_back(target.index_ids.filtered(
                lambda r: r.snoozed_until == target.scheduled_at), unread=False, as_env=None)
    elif state == "done" and not _undo_send(entry, target):
        raise UserError(env._("Too late to cancel: this change was already made."))
    entry.write({"state": "done", "applied_at": now})


def _undo_send(entry, target):
    """A send-later entry already handed to the send queue: Basic's undo, while it waits."""
    if target.action != "send_later" or not target.draft_id:
        return False
    as_user = entry.env(user=entry.user_id.id, su=False)
    return sending.cancel_send(target.draft_id.with_env(as_user))["cancelled"]


def wake_cron(env, when=None):
    cron = env.ref(CRON, raise_if_not_found=False)
    if cron:
        # sudo: users may not write crons; waking the queue's cron is what queueing means.
        cron.sudo()._trigger(at=when)


# -- the requests of the inbox (the caller's environment) -------------------------------------------
def parse_time(env, value, refusal):
    """A UTC time from the browser ("YYYY-MM-DD HH:MM:SS", or ISO 8601 with an offset) that
    lies ahead, as a naive UTC datetime; UserError(``refusal``) for one that does not."""
    try:
        when = fields.Datetime.to_datetime(value)
    except (TypeError, ValueError):
        try:
            when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            when = None
        if when and when.tzinfo:
            when = when.astimezone(timezone.utc).replace(tzinfo=None)
    now = fields.Datetime.now()
    if not isinstance(when, datetime) or not now < when < now + MAX_AHEAD:
        raise UserError(refusal)
    return when.replace(microsecond=0)


def schedule_send(draft, send_at):
    """Send ``draft`` (the caller may write it) at ``send_at``; one pending time per draft."""
    env = draft.env
    draft.check_access("write")
    when = parse_time(env, send_at, env._("Pick a time in the future to send it, or use Send."))
    if draft.send_state not in ("draft", "failed"):
        raise UserError(env._("This message is already queued, being sent or sent: it cannot "
                              "be scheduled again."))
    if not any(sending.split_addresses(draft[f]) for f in ("to_emails", "cc_emails", "bcc_emails")):
        raise UserError(env._("Add at least one recipient."))
    _cancel_pending(env, [("action", "=", "send_later"), ("draft_id", "=", draft.id)])
    entry = env["maildesk.update_queue"].create({
        "account_id": draft.account_id.id, "action": "send_later", "draft_id": draft.id,
        "scheduled_at": when})
    return {"queue_id": entry.id, "scheduled_at": fields.Datetime.to_string(when),
            "draft_id": draft.id}


def _cancel_pending(env, domain):
    Queue = env["maildesk.update_queue"]
    # sudo: users may not read entries; these are the caller's own, each cancelled by an entry.
    for earlier in Queue.sudo().search([("user_id", "=", env.uid), ("state", "=", "pending"),
                                        *domain]):
        Queue.create({"account_id": earlier.account_id.id, "action": "cancel",
                      "cancels_id": earlier.id})


def cancel(env, entry_id):
    target = own_entry(env, entry_id)
    env["maildesk.update_queue"].create({"account_id": target.account_id.id, "action": "cancel",
                                         "cancels_id": target.id})
    return {"cancelled": True}


def scheduled(env, account=None):
    """The caller's messages waiting for their time, soonest first."""
    domain = [("user_id", "=", env.uid), ("action", "=", "send_later"),
              ("state", "in", CANCELLABLE)]
    if account:
        domain.append(("account_id", "=", account.id))
    accessible = mailbox_access.accessible_accounts(env)
    # sudo: users may not read entries; these are the caller's own, in mailboxes they still use.
    entries = env["maildesk.update_queue"].sudo().search(domain)
    return [{"queue_id": e.id, "draft_id": e.draft_id.id, "subject": e.draft_id.subject or "",
             "to": ", ".join(sending.split_addresses(e.draft_id.to_emails)),
             "scheduled_at": fields.Datetime.to_string(e.scheduled_at), "state": e.state}
            for e in entries if e.account_id in accessible]


def snooze(rows, until):
    """Take ``rows`` (read by the caller) out of the lists until ``until``."""
    env = rows.env
    when = parse_time(env, until, env._("Pick a time in the future to bring these messages back."))
    for account in rows.account_id:
        env["maildesk.update_queue"].create({
            "account_id": account.id, "action": "snooze", "scheduled_at": when,
            "index_ids": [Command.set(rows.filtered(lambda r, a=account: r.account_id == a).ids)]})
    # sudo: the index is read-only to users (seed 003); the caller read these rows.
    rows.sudo().write({"snoozed_until": when})
    live.rows_changed(rows)
    return {"count": len(rows), "until": fields.Datetime.to_string(when)}


def unsnooze(rows):
    """Back in the lists now (their snooze entries then find nothing left to bring back)."""
    _bring_back(rows.filtered("snoozed_until"), unread=False, as_env=rows.env)
    return {"count": len(rows)}


def _bring_back(rows, unread, as_env):
    """Snoozed ``rows`` back in the lists; ``unread``: marked unread as ``as_env``'s user,
    where that user may still read them."""
    if not rows:
        return rows
    # sudo: the index is read-only to users; the rows were read by the caller or belong to
    # the entry being applied.
    rows.sudo().write({"snoozed_until": False})
    if unread and as_env:
        readable = rows.with_env(as_env)._filtered_access("read")
        state_changes.record_flags(readable, seen=False)
        if readable:
            sync.request_sync(readable.account_id)
    live.rows_changed(rows)
    return rows


def queue_bulk(rows, action, target=None, tags=None):
    """``action`` on ``rows`` (matched and counted as the caller), applied by the cron."""
    env = rows.env
    if not rows:
        raise UserError(env._("No message matches any more: nothing was changed."))
    if len(rows.account_id) != 1:
        raise UserError(env._("Open one mailbox to change all its matching messages at once."))
    payload = {"change": action, "target_folder_id": target.id if target else False,
               "tag_ids": tags.ids if tags is not None else []}
    entry = env["maildesk.update_queue"].create({
        "account_id": rows.account_id.id, "action": "bulk_change",
        "index_ids": [Command.set(rows.ids)], "payload": payload})
    return {"queue_id": entry.id, "count": len(rows)}


def bulk_status(entry):
    payload = entry.payload or {}
    return {"state": entry.state, "done_count": entry.done_count,
            "total": payload.get("total", entry.done_count),
            "error": entry.error_message or False}


# -- the cron --------------------------------------------------------------------------------------
def process_due(env, time_budget=TIME_BUDGET, max_steps=None):
    """Apply due entries, one step each on a cursor of its own, until none is due or the
    time (or ``max_steps``) is up: the cron is woken again at once then."""
    env.flush_all()
    wake_forgotten(env)
    results = dict.fromkeys(("done", "running", "failed", "retry"), 0)
    deadline = time.monotonic() + time_budget
    steps = 0
    while time.monotonic() < deadline and (max_steps is None or steps < max_steps):
        outcome = _step(env.registry)
        if outcome is None:
            break
        results[outcome] += 1
        steps += 1
    else:
        wake_cron(env)
    return results


def wake_forgotten(env):
    """Snoozed messages whose time came that no pending snooze entry brings back (its person
    was deleted with their entries, or it failed): back in the lists for the mailbox's users."""
    env.cr.execute("""
        SELECT i.id FROM maildesk_message_index i
         WHERE i.snoozed_until <= %s
           AND NOT EXISTS (SELECT 1 FROM maildesk_update_queue_index_rel rel
                             JOIN maildesk_update_queue q ON q.id = rel.queue_id
                            WHERE rel.index_id = i.id AND q.action = 'snooze'
                              AND q.state IN ('pending', 'running'))""", [fields.Datetime.now()])
    rows = env["maildesk.message_index"].browse(r[0] for r in env.cr.fetchall())
    return _bring_back(rows, unread=False, as_env=None)


def _take(cr):
    """Lock one due entry on this cursor; quick ones before the chunks of bulk changes."""
    return row_lock.take_one(cr, """
        SELECT id FROM maildesk_update_queue
         WHERE state IN ('pending', 'running') AND action != 'cancel' AND scheduled_at <= %s
         ORDER BY action = 'bulk_change', scheduled_at, id
         LIMIT 1 FOR UPDATE SKIP LOCKED""", [fields.Datetime.now()])


def _step(registry):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        entry_id = _take(cr)
        if not entry_id:
            return None
        entry = env["maildesk.update_queue"].browse(entry_id)
        user = entry.user_id
        as_user = env(user=user.id, su=False, context={"lang": user.lang or "en_US"})
        entry = entry.with_env(env(context=as_user.context))  # what the person is told, in their language
        try:
            with cr.savepoint():
                outcome = STEPS[entry.action](entry, as_user)
        except (UserError, AccessError, ValidationError) as exc:  # it cannot be done: say why
            env.invalidate_all()
            outcome = _fail(entry, exc.args[0])
        except errors.SerializationFailure:
            # Another worker committed a row this step wrote (a sync request, a state): the
            # step is undone and taken again at once, on a fresh snapshot.
            env.invalidate_all()
            outcome = "retry"
        except Exception:  # a fault of ours or of the database: again later, a few times
            _logger.exception("MailDesk: update queue entry %s could not be applied", entry_id)
            env.invalidate_all()
            outcome = _retry(entry)
        cr.commit()
        return outcome


def _send_later(entry, as_user):
    if not entry.draft_id:
        raise UserError(as_user._("The draft was deleted before its time: nothing was sent."))
    sending.send_draft(entry.draft_id.with_env(as_user))
    entry.write({"state": "done", "applied_at": fields.Datetime.now(), "done_count": 1})
    return "done"


def _wake(entry, as_user):
    now = fields.Datetime.now()
    back = _bring_back(entry.index_ids.filtered(lambda r: r.snoozed_until and r.snoozed_until <= now),
                       unread=True, as_env=as_user)
    entry.write({"state": "done", "applied_at": now, "done_count": len(back)})
    return "done"


def _bulk_chunk(entry, as_user):
    """The next CHUNK messages of a bulk entry, changed as its person, with the progress."""
    cr = entry.env.cr
    cr.execute("""SELECT index_id FROM maildesk_update_queue_index_rel
                   WHERE queue_id = %s AND index_id > %s ORDER BY index_id LIMIT %s""",
               [entry.id, entry.resume_after_id, CHUNK + 1])
    ids = [r[0] for r in cr.fetchall()]
    more, ids = len(ids) > CHUNK, ids[:CHUNK]
    payload = entry.payload or {}
    refusal = mailbox_access.reference_refusal(as_user)
    target = tags = None
    if payload.get("change") == "move":
        target = mailbox_access.require_readable(as_user, "mailbox.folder",
                                                 [payload.get("target_folder_id")], refusal)
    if payload.get("change") == "tag":
        tags = mailbox_access.require_readable(as_user, "mail.message.tag",
                                               payload.get("tag_ids") or [], refusal)
    # as the person: rows they can no longer read, or that moved or went meanwhile, are left
    rows = as_user["maildesk.message_index"].search([("id", "in", ids), *queries.VISIBLE])
    if rows:
        bulk.apply(payload.get("change"), rows, target=target, tags=tags)
        sync.request_sync(rows.account_id)
    entry.write({"state": "running" if more else "done", "done_count": entry.done_count + len(ids),
                 "resume_after_id": ids[-1] if ids else entry.resume_after_id,
                 "applied_at": False if more else fields.Datetime.now()})
    return "running" if more else "done"


STEPS = {"send_later": _send_later, "snooze": _wake, "bulk_change": _bulk_chunk}


def _fail(entry, words):
    entry.write({"state": "failed", "error_message": words, "applied_at": fields.Datetime.now()})
    env = entry.env
    if entry.action == "send_later":
        body = env._("Your message \"%(subject)s\" was not sent at its time: %(words)s Your draft "
                     "is kept; correct it and send it again.",
                     subject=entry.draft_id.subject or "", words=words)
    else:
        body = env._("A change you asked for in mailbox %(mailbox)s stopped after %(done)s "
                     "messages: %(words)s",
                     mailbox=entry.account_id.email, done=entry.done_count, words=words)
    entry.account_id.message_notify(partner_ids=entry.user_id.partner_id.ids, body=body,
                                    subject=env._("A scheduled change was not made"))
    return "failed"


def _retry(entry):
    attempts = entry.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        entry.write({"attempts": attempts})
        return _fail(entry, entry.env._("MailDesk could not apply it after %s tries; a Mailbox "
                                        "Admin finds the reason in the server log.", attempts))
    when = fields.Datetime.now() + backoff.delay(attempts, RETRY_START, RETRY_MAX)
    entry.write({"attempts": attempts, "scheduled_at": when})
    wake_cron(entry.env, when)
    return "retry"
