from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError

DEFAULT_MAX_AGE_SECONDS = 90
ADMIN_GROUP = "maildesk_mail_client.group_mailbox_admin"


class MaildeskUiPresence(models.Model):
    """When each user last had MailDesk open: live notifications go only to those online.

    Rows say only who had the inbox open when (seed 003 lets every user read them). What
    else the live side keeps per user lives in plain tables that only service code
    (``application/services/live.py``) reads, so no ORM or RPC call can list them.
    """
    _name = "maildesk.ui_presence"
    _description = "MailDesk Presence"
    _order = "last_ping_at desc"

    user_id = fields.Many2one("res.users", required=True, ondelete="cascade",
                              default=lambda self: self.env.user)
    last_ping_at = fields.Datetime(required=True, default=fields.Datetime.now)

    _user_unique = models.Constraint("UNIQUE(user_id)", "A user has a single presence row.")

    def init(self):
        # After every model's table exists: on a fresh install mailbox_account and
        # maildesk_message_index may be created after this model's init().
        self.pool.post_init(self._create_live_tables)

    def _create_live_tables(self):
        self.env.cr.execute("""
            -- the conversation (mailbox + thread) each user views or answers now
            CREATE TABLE IF NOT EXISTS maildesk_presence_conversation (
                user_id integer PRIMARY KEY REFERENCES res_users(id) ON DELETE CASCADE,
                account_id integer NOT NULL REFERENCES mailbox_account(id) ON DELETE CASCADE,
                thread_key varchar NOT NULL,
                index_id integer REFERENCES maildesk_message_index(id) ON DELETE SET NULL,
                mode varchar NOT NULL,
                pinged_at timestamp NOT NULL
            );
            CREATE INDEX IF NOT EXISTS maildesk_presence_conversation_thread_idx
                ON maildesk_presence_conversation (account_id, thread_key);
            -- messages each user opened (the traffic cop asks before a reply that missed one)
            CREATE TABLE IF NOT EXISTS maildesk_message_opened (
                user_id integer NOT NULL REFERENCES res_users(id) ON DELETE CASCADE,
                index_id integer NOT NULL REFERENCES maildesk_message_index(id) ON DELETE CASCADE,
                opened_at timestamp NOT NULL,
                PRIMARY KEY (user_id, index_id)
            );
            CREATE INDEX IF NOT EXISTS maildesk_message_opened_index_idx
                ON maildesk_message_opened (index_id);
            -- "always load remote images from this sender", per user (normalised address)
            CREATE TABLE IF NOT EXISTS maildesk_remote_image_sender (
                user_id integer NOT NULL REFERENCES res_users(id) ON DELETE CASCADE,
                sender varchar NOT NULL,
                create_date timestamp NOT NULL,
                PRIMARY KEY (user_id, sender)
            );
        """)

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("user_id", self.env.uid) != self.env.uid for vals in vals_list):
            self._refuse_unless_admin()
        return super().create(vals_list)

    def write(self, vals):
        # Seed 003 gives presence no record rule: a user's own row is enforced here.
        if vals.get("user_id", self.env.uid) != self.env.uid or (self and self.user_id != self.env.user):
            self._refuse_unless_admin()
        return super().write(vals)

    def _refuse_unless_admin(self):
        if not (self.env.su or self.env.user.has_group(ADMIN_GROUP)):
            raise AccessError(self.env._("You can only update your own presence."))

    @api.model
    def ping(self):
        """Record that the current user has MailDesk open now."""
        self.check_access("create")
        self.env.cr.execute("""
            INSERT INTO maildesk_ui_presence
                   (user_id, last_ping_at, create_uid, write_uid, create_date, write_date)
            VALUES (%(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, %(uid)s,
                    now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
            ON CONFLICT (user_id) DO UPDATE
               SET last_ping_at = EXCLUDED.last_ping_at, write_date = EXCLUDED.write_date
        """, {"uid": self.env.uid})
        self.invalidate_model(["last_ping_at"])
        return True

    @api.model
    def online_user_ids(self, user_ids, max_age_seconds=DEFAULT_MAX_AGE_SECONDS):
        """The subset of ``user_ids`` that pinged within ``max_age_seconds``."""
        since = fields.Datetime.now() - timedelta(seconds=max_age_seconds)
        rows = self.search([("user_id", "in", list(user_ids)), ("last_ping_at", ">=", since)])
        return rows.user_id.ids
