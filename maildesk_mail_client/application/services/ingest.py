"""Mail that belongs in Odoo: replies to mail Odoo sent, and mail to Odoo aliases.

Two steps, both run by crons as the system: ``scan`` queues index rows that qualify (each
message at most once, enforced by a unique key), ``process`` feeds each queued message to
Odoo's own ``mail.thread.message_process``, which routes it to the right record's chatter.
Failures are retried with growing back-off; stuck jobs are recovered.
"""
import logging
from datetime import timedelta

from odoo import fields

from . import connections

_logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
STUCK_AFTER = timedelta(minutes=30)


def retry_delay(retry_count):
    """30, 60, 90 ... minutes, at most 3 hours."""
    return timedelta(minutes=min(30 * (retry_count + 1), 180))


def _alias_addresses(env):
    aliases = env["mail.alias"].search([("alias_name", "!=", False)])
    return sorted({a.alias_full_name.lower() for a in aliases if a.alias_full_name})


def scan(env, batch=500):
    """Queue index rows that reply to Odoo mail or are addressed to an alias."""
    env.flush_all()
    aliases = _alias_addresses(env)
    alias_patterns = [f"%{a}%" for a in aliases]
    env.cr.execute("""
        INSERT INTO maildesk_ingest_queue (index_id, state, priority, retry_count,
                                           create_uid, write_uid, create_date, write_date)
        SELECT i.id, 'pending', 10, 0, %(uid)s, %(uid)s, now() AT TIME ZONE 'UTC',
               now() AT TIME ZONE 'UTC'
          FROM maildesk_message_index i
          JOIN mailbox_folder f ON f.id = i.folder_id
         WHERE i.ingest_allowed AND NOT COALESCE(i.deleted_on_server, FALSE)
           AND NOT COALESCE(i.local_pending, FALSE)
           AND f.folder_type NOT IN ('sent', 'drafts', 'spam', 'trash')
           AND NOT EXISTS (SELECT 1 FROM maildesk_ingest_queue q WHERE q.index_id = i.id)
           AND (
                EXISTS (SELECT 1 FROM mail_message m
                         WHERE m.message_id IS NOT NULL AND m.message_id IN (
                               i.in_reply_to, split_part(i.references_hdr, ' ', 1)))
                OR i.in_reply_to LIKE '%%openerp-%%' OR i.references_hdr LIKE '%%openerp-%%'
                OR lower(COALESCE(i.to_addrs, '') || ',' || COALESCE(i.cc_addrs, ''))
                   LIKE ANY(%(aliases)s::text[])
           )
         ORDER BY i.id
         LIMIT %(batch)s
        ON CONFLICT (index_id) DO NOTHING
    """, {"uid": env.uid, "aliases": alias_patterns, "batch": batch})
    return env.cr.rowcount


def recover_stuck(env):
    env.cr.execute("""UPDATE maildesk_ingest_queue SET state = 'pending', started_at = NULL
                       WHERE state = 'in_progress' AND started_at < %s""",
                   [fields.Datetime.now() - STUCK_AFTER])
    return env.cr.rowcount


def process(env, batch=40):
    """Import queued messages into Odoo, each in its own transaction; return (done, failed)."""
    recover_stuck(env)
    env.cr.execute("""
        SELECT id FROM maildesk_ingest_queue
         WHERE state IN ('pending', 'failed') AND retry_count < %s
           AND (next_try_at IS NULL OR next_try_at <= %s)
         ORDER BY priority, id LIMIT %s FOR UPDATE SKIP LOCKED
    """, [MAX_ATTEMPTS, fields.Datetime.now(), batch])
    job_ids = [r[0] for r in env.cr.fetchall()]
    env.flush_all()
    done = failed = 0
    for job_id in job_ids:
        with env.registry.cursor() as cr:
            ok = _process_one(env(cr=cr), job_id)
        done, failed = done + bool(ok), failed + (ok is False)
    env.invalidate_all()
    return done, failed


def _process_one(env, job_id):
    """True when filed, False when it failed (retried later), None when skipped."""
    job = env["maildesk.ingest_queue"].browse(job_id)
    row = job.index_id
    job.write({"state": "in_progress", "started_at": fields.Datetime.now()})
    try:
        with env.cr.savepoint():
            with connections.provider_for(row.account_id) as provider:
                raw = provider.fetch_raw(row.folder_id.imap_name, row.uid)
            if raw is None:
                job.write({"state": "skipped", "error_message": "no longer on the server"})
                return None
            thread_id = env["mail.thread"].message_process(
                False, raw, save_original=False, strip_attachments=False)
            model, res_id = _routed_to(env, row)
        job.write({"state": "done", "processed_at": fields.Datetime.now(),
                   "processed_model": model or False,
                   "processed_res_id": res_id or thread_id or 0, "error_message": False})
        return True
    except Exception as exc:  # noqa: BLE001 (routing raises ValueError; providers their own)
        retry = job.retry_count + 1
        job.write({"state": "failed", "retry_count": retry, "error_message": str(exc)[:2000],
                   "next_try_at": fields.Datetime.now() + retry_delay(retry)})
        _logger.info("MailDesk: message %s not filed into Odoo (attempt %s): %s",
                     row.id, retry, exc)
        return False


def _routed_to(env, row):
    if not row.message_id:
        return None, None
    message = env["mail.message"].search([("message_id", "=", row.message_id)], limit=1)
    return message.model, message.res_id
