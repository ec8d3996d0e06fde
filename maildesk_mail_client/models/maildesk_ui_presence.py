from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError

DEFAULT_MAX_AGE_SECONDS = 90
ADMIN_GROUP = "maildesk_mail_client.group_mailbox_admin"


class MaildeskUiPresence(models.Model):
    """When each user last had MailDesk open: live notifications go only to those online."""
    _name = "maildesk.ui_presence"
    _description = "MailDesk Presence"
    _order = "last_ping_at desc"

    user_id = fields.Many2one("res.users", required=True, ondelete="cascade",
                              default=lambda self: self.env.user)
    last_ping_at = fields.Datetime(required=True, default=fields.Datetime.now)

    _user_unique = models.Constraint("UNIQUE(user_id)", "A user has a single presence row.")

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
