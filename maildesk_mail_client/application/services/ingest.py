"""Mail that belongs in Odoo: replies to mail Odoo sent, and mail to Odoo aliases.

Two steps, both run by crons as the system: ``scan`` queues index rows that qualify (each
message at most once, enforced by a unique key), ``process`` feeds each queued message to
Odoo's own ``mail.thread.message_process``, which routes it to the right record's chatter.
Failures are retried with growing back-off; stuck jobs are recovered.
"""
import logging
from datetime import timedelta

from odoo import fields

from . import backoff, connections

_logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
STUCK_AFTER = timedelta(minutes=30)


RETRY_START = timedelta(minutes=30)
RETRY_MAX = timedelta(hours=3)


def retry_delay(retry_count):
    """30 minutes, then twice as long each time, at most 3 hours (the one back-off rule)."""
    return backoff.delay(retry_count, RETRY_START, RETRY_MAX)


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


def run_cron(env, scan_batch=500, import_batch=40):
    """The ingest cron: queue what qualifies, commit, then file each job on its own cursor.

    The queue rows are committed before any job cursor looks for them (a second cursor
    cannot see uncommitted rows), and no cursor of this process holds a lock on a row that
    another of its cursors writes (a wait PostgreSQL cannot detect as a deadlock).
    """
    queued = scan(env, batch=scan_batch)
    recover_stuck(env)
    env.cr.commit()
    done, failed = process(env, batch=import_batch)
    return {"queued": queued, "done": done, "failed": failed}


def process(env, batch=40):
    """Import due jobs, each claimed and filed in its own transaction; return (done, failed).

    A job is claimed with ``FOR UPDATE SKIP LOCKED`` on the cursor that files it and commits
    with it: a worker killed half-way leaves the job pending (its partial import rolled
    back), a second worker skips it, so a message is filed once. One connection to the mail
    server serves all the jobs of one mailbox.
    """
    env.flush_all()
    env.cr.execute("""
        SELECT q.id, i.account_id FROM maildesk_ingest_queue q
          JOIN maildesk_message_index i ON i.id = q.index_id
         WHERE q.state IN ('pending', 'failed') AND q.retry_count < %s
           AND (q.next_try_at IS NULL OR q.next_try_at <= %s)
         ORDER BY q.priority, q.id LIMIT %s
    """, [MAX_ATTEMPTS, fields.Datetime.now(), batch])
    by_account = {}
    for job_id, account_id in env.cr.fetchall():
        by_account.setdefault(account_id, []).append(job_id)
    done = failed = 0
    for account_id, job_ids in by_account.items():
        with _provider(env, account_id) as provider:
            for job_id in job_ids:
                with env.registry.cursor() as cr:
                    ok = _process_one(env(cr=cr), job_id, provider)
                done, failed = done + bool(ok), failed + (ok is False)
    env.invalidate_all()
    return done, failed


class _provider:
    """The mailbox's provider, connected on first use and closed after its jobs."""

    def __init__(self, env, account_id):
        self.env, self.account_id, self.provider = env, account_id, None

    def __enter__(self):
        return self

    def fetch_raw(self, path, uid):
        if self.provider is None:
            with self.env.registry.cursor() as cr:
                self.provider = connections.provider_for(
                    self.env(cr=cr)["mailbox.account"].browse(self.account_id))
            self.provider.__enter__()
        return self.provider.fetch_raw(path, uid)

    def __exit__(self, *exc):
        if self.provider is not None:
            self.provider.__exit__(*exc)


def _process_one(env, job_id, provider):
    """True when filed, False when it failed (retried later), None when skipped or taken."""
    env.cr.execute("""SELECT id FROM maildesk_ingest_queue WHERE id = %s
                       AND state IN ('pending', 'failed') FOR UPDATE SKIP LOCKED""", [job_id])
    if not env.cr.fetchone():
        return None  # another worker has it, or filed it meanwhile
    job = env["maildesk.ingest_queue"].browse(job_id)
    row = job.index_id
    job.write({"state": "in_progress", "started_at": fields.Datetime.now()})
    try:
        with env.cr.savepoint():
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
