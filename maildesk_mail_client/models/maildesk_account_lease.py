"""Per-account lease: at most one worker syncs a mailbox at a time, and nobody ever waits.

Every call runs on its own short cursor so the outcome is visible to other workers at
once, with a lock timeout of one millisecond: contention means "someone else has it",
never a wait. (In PostgreSQL ``lock_timeout = 0`` means no limit at all.)
"""
import logging

from psycopg2 import errors as pg_errors

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 60
# Another worker took or changed the lease in the same instant: that worker has it (REPEATABLE
# READ turns the race into a serialisation failure, as lock_timeout turns a wait into one).
_CONTENTION = (pg_errors.LockNotAvailable, pg_errors.QueryCanceled, pg_errors.SerializationFailure)


class MaildeskAccountLease(models.Model):
    _name = "maildesk.account_lease"
    _description = "MailDesk Account Sync Lease"
    _order = "lease_until desc"

    account_id = fields.Many2one("mailbox.account", required=True, ondelete="cascade")
    lease_until = fields.Datetime(required=True)
    owner = fields.Char(help="Who holds the lease, e.g. 'cron:host:pid'.")

    _account_unique = models.Constraint(
        "UNIQUE(account_id)", "A mailbox has a single sync lease.")

    def init(self):
        # Sync requests ("Sync Now", a member opening the mailbox): one row per mailbox until a
        # sync takes it. A plain table, not a model: only service code reads or writes it.
        self.env.cr.execute("""
            CREATE TABLE IF NOT EXISTS maildesk_sync_request (
                account_id integer PRIMARY KEY REFERENCES mailbox_account(id) ON DELETE CASCADE,
                requested_at timestamp NOT NULL,
                requested_by integer
            )""")

    def _default_owner(self):
        return f"uid:{self.env.uid}"

    def _run_short(self, query, params):
        """Run one statement on a fresh cursor; return its rowcount, or None on contention."""
        try:
            with self.env.registry.cursor() as cr:
                cr.execute("SET LOCAL lock_timeout = '1ms'")
                cr.execute(query, params)
                return cr.rowcount
        except _CONTENTION:
            return None

    @api.model
    def try_acquire(self, account_id, ttl_seconds=DEFAULT_TTL_SECONDS, owner=None):
        """Take the lease if it is free or expired. True when this caller now holds it."""
        self.check_access("create")
        ttl = ttl_seconds if ttl_seconds and ttl_seconds > 0 else DEFAULT_TTL_SECONDS
        owner = owner or self._default_owner()
        rows = self._run_short("""
            INSERT INTO maildesk_account_lease
                   (account_id, lease_until, owner, create_uid, write_uid, create_date, write_date)
            VALUES (%(account)s, (now() AT TIME ZONE 'UTC') + make_interval(secs => %(ttl)s),
                    %(owner)s, %(uid)s, %(uid)s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
            ON CONFLICT (account_id) DO UPDATE
               SET lease_until = EXCLUDED.lease_until, owner = EXCLUDED.owner,
                   write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
             WHERE maildesk_account_lease.lease_until < (now() AT TIME ZONE 'UTC')
        """, {"account": account_id, "ttl": ttl, "owner": owner, "uid": self.env.uid})
        return rows == 1

    @api.model
    def renew(self, account_id, ttl_seconds=DEFAULT_TTL_SECONDS, owner=None):
        """Extend a lease that is still valid (and held by ``owner`` when given)."""
        self.check_access("write")
        ttl = ttl_seconds if ttl_seconds and ttl_seconds > 0 else DEFAULT_TTL_SECONDS
        rows = self._run_short("""
            UPDATE maildesk_account_lease
               SET lease_until = (now() AT TIME ZONE 'UTC') + make_interval(secs => %(ttl)s),
                   write_date = now() AT TIME ZONE 'UTC'
             WHERE account_id = %(account)s
               AND lease_until >= (now() AT TIME ZONE 'UTC')
               AND (%(owner)s::varchar IS NULL OR owner = %(owner)s)
        """, {"account": account_id, "ttl": ttl, "owner": owner})
        return rows == 1

    @api.model
    def take_sync_request(self, account_id):
        """The sync of ``account_id`` starts: a request made from now on asks for another.
        True when someone had asked for this sync (Sync Now, an open inbox)."""
        self.check_access("write")
        return bool(self._run_short(
            "DELETE FROM maildesk_sync_request WHERE account_id = %(account)s",
            {"account": account_id}))

    @api.model
    def release(self, account_id, owner=None):
        """Give the lease back (only ``owner``'s lease when given)."""
        self.check_access("unlink")
        rows = self._run_short("""
            DELETE FROM maildesk_account_lease
             WHERE account_id = %(account)s
               AND (%(owner)s::varchar IS NULL OR owner = %(owner)s)
        """, {"account": account_id, "owner": owner})
        return bool(rows)

    @api.model
    def reap_expired(self, batch=5000):
        """Delete expired leases that nobody is touching; return how many went."""
        self.check_access("unlink")
        rows = self._run_short("""
            DELETE FROM maildesk_account_lease
             WHERE id IN (SELECT id FROM maildesk_account_lease
                           WHERE lease_until < (now() AT TIME ZONE 'UTC')
                           ORDER BY id LIMIT %(batch)s
                             FOR UPDATE SKIP LOCKED)
        """, {"batch": batch})
        return rows or 0

    @api.model
    def _cron_reap(self):
        return self.reap_expired()
