from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..application.services import bodies, inbox_settings, live, sending


class ResConfigSettings(models.TransientModel):
    """Settings > MailDesk (Odoo's Settings are for Settings administrators only: the
    model's ACL and ``execute`` both require base.group_system)."""
    _inherit = "res.config.settings"

    # Integers are read and written here rather than with ``config_parameter``: Odoo stores
    # 0 of such a field as "no value", and 0 seconds of undo or 0 days of cache are choices.
    maildesk_undo_send_seconds = fields.Integer(
        "Undo Send Delay", default=sending.UNDO_DEFAULT,
        help="Seconds a sent message waits on the server before it goes out, so that Undo can "
             "take it back (0 sends at once).")
    maildesk_body_cache_days = fields.Integer(
        "Keep Opened Messages", default=bodies.DEFAULT_RETENTION_DAYS,
        help="Days the text of an opened message stays stored in Odoo; after that it is read "
             "from the mail server again (0 keeps nothing).")
    maildesk_sync_interval_minutes = fields.Integer(
        "Sync Every", default=inbox_settings.SYNC_MINUTES_DEFAULT,
        help="Minutes between two synchronisations of every mailbox. An open inbox asks for "
             "its mailbox sooner.")
    maildesk_remote_images_default = fields.Boolean(
        "Load Remote Images", config_parameter=live.REMOTE_IMAGES_PARAM,
        help="Show pictures stored on other servers without asking. Senders can then tell "
             "when a message was opened; off, each reader chooses per message or per sender.")

    @api.constrains("maildesk_undo_send_seconds", "maildesk_body_cache_days",
                    "maildesk_sync_interval_minutes")
    def _check_maildesk_bounds(self):
        for settings in self:
            if not 0 <= settings.maildesk_undo_send_seconds <= sending.UNDO_MAX:
                raise ValidationError(self.env._(
                    "The undo send delay is between 0 and %s seconds.", sending.UNDO_MAX))
            if not 0 <= settings.maildesk_body_cache_days <= inbox_settings.CACHE_DAYS_MAX:
                raise ValidationError(self.env._(
                    "Opened messages are kept between 0 and %s days.",
                    inbox_settings.CACHE_DAYS_MAX))
            if not 1 <= settings.maildesk_sync_interval_minutes <= inbox_settings.SYNC_MINUTES_MAX:
                raise ValidationError(self.env._(
                    "Mailboxes sync every 1 to %s minutes.", inbox_settings.SYNC_MINUTES_MAX))

    @api.model
    def get_values(self):
        values = super().get_values()
        current = inbox_settings.current(self.env)
        values.update(maildesk_undo_send_seconds=current["undo_send_seconds"],
                      maildesk_body_cache_days=current["body_cache_days"],
                      maildesk_sync_interval_minutes=current["sync_interval_minutes"])
        return values

    def set_values(self):
        # set_values is public over JSON-RPC: an empty record would skip Settings' own checks
        inbox_settings.require_admin(self.env)
        self.ensure_one()
        super().set_values()
        inbox_settings.save(self.env, self.maildesk_undo_send_seconds,
                            self.maildesk_body_cache_days, self.maildesk_sync_interval_minutes)
