from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..application.services import bodies, inbox_settings, live, oauth_config, sending


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

    # Sign in with Google / Microsoft: MailDesk's app registrations. The secrets are
    # write-only: never read back, kept in no table but sealed in a system parameter, and an
    # empty field keeps the stored secret.
    maildesk_google_client_id = fields.Char("Google Client ID")
    maildesk_google_client_secret = fields.Char(
        "Google Client Secret", compute="_compute_maildesk_secrets",
        inverse="_inverse_maildesk_google_client_secret", store=False)
    maildesk_google_client_secret_set = fields.Boolean(
        "Google Client Secret Stored", compute="_compute_maildesk_secrets")
    maildesk_microsoft_client_id = fields.Char("Microsoft Application (Client) ID")
    maildesk_microsoft_client_secret = fields.Char(
        "Microsoft Client Secret", compute="_compute_maildesk_secrets",
        inverse="_inverse_maildesk_microsoft_client_secret", store=False)
    maildesk_microsoft_client_secret_set = fields.Boolean(
        "Microsoft Client Secret Stored", compute="_compute_maildesk_secrets")
    maildesk_microsoft_tenant = fields.Char(
        "Microsoft Tenant", default="common",
        help="common: work, school and personal Microsoft accounts; organizations: work and "
             "school accounts only; or your tenant's id or verified domain: only your organisation.")
    maildesk_users_connect_own = fields.Boolean(
        "Users May Connect Their Own Mailboxes", config_parameter=oauth_config.USERS_CONNECT_OWN_PARAM,
        help="Mailbox Users may connect their own Gmail and Outlook mailboxes with Connect "
             "Mailbox, each becoming a mailbox of theirs alone. Off, only Mailbox Admins connect "
             "new ones; users still sign in again for the mailboxes they use.")
    maildesk_google_redirect_uri = fields.Char(
        "Google Redirect URI", compute="_compute_maildesk_redirect_uris")
    maildesk_microsoft_redirect_uri = fields.Char(
        "Microsoft Redirect URI", compute="_compute_maildesk_redirect_uris")

    def _compute_maildesk_secrets(self):
        values = oauth_config.settings_values(self.env)
        for settings in self:
            settings.maildesk_google_client_secret = False
            settings.maildesk_microsoft_client_secret = False
            settings.maildesk_google_client_secret_set = values["google_client_secret_set"]
            settings.maildesk_microsoft_client_secret_set = values["microsoft_client_secret_set"]

    def _inverse_maildesk_secret(self, provider, field_name):
        typed = [settings[field_name] for settings in self]
        self.invalidate_recordset([field_name])  # the plaintext lives in this request only
        for value in typed:
            if value:
                inbox_settings.require_admin(self.env)
                oauth_config.save_secret(self.env, provider, value)

    def _inverse_maildesk_google_client_secret(self):
        self._inverse_maildesk_secret("gmail", "maildesk_google_client_secret")

    def _inverse_maildesk_microsoft_client_secret(self):
        self._inverse_maildesk_secret("outlook", "maildesk_microsoft_client_secret")

    def _compute_maildesk_redirect_uris(self):
        google = oauth_config.redirect_uri(self.env, "gmail")
        microsoft = oauth_config.redirect_uri(self.env, "outlook")
        for settings in self:
            settings.maildesk_google_redirect_uri = google
            settings.maildesk_microsoft_redirect_uri = microsoft

    @api.constrains("maildesk_microsoft_tenant")
    def _check_maildesk_microsoft_tenant(self):
        for settings in self:
            try:
                oauth_config.check_tenant((settings.maildesk_microsoft_tenant or "").strip() or "common")
            except ValueError as exc:
                raise ValidationError(str(exc)) from None

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
        oauth = oauth_config.settings_values(self.env)
        values.update(maildesk_google_client_id=oauth["google_client_id"],
                      maildesk_microsoft_client_id=oauth["microsoft_client_id"],
                      maildesk_microsoft_tenant=oauth["microsoft_tenant"])
        return values

    def set_values(self):
        # set_values is public over JSON-RPC: an empty record would skip Settings' own checks
        inbox_settings.require_admin(self.env)
        self.ensure_one()
        super().set_values()
        inbox_settings.save(self.env, self.maildesk_undo_send_seconds,
                            self.maildesk_body_cache_days, self.maildesk_sync_interval_minutes)
        oauth_config.save_client_ids(self.env, self.maildesk_google_client_id,
                                     self.maildesk_microsoft_client_id, self.maildesk_microsoft_tenant)
