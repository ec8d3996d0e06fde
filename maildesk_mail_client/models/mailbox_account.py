from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import email_normalize

from ..application.services import oauth_signin, secrets_vault, sync, sync_state
from ..infrastructure.addresses import is_plain_address

ADMIN_GROUP = "maildesk_mail_client.group_mailbox_admin"

PROVIDERS = [
    ("imap", "IMAP / SMTP"),
    ("gmail", "Gmail / Google Workspace"),
    ("outlook", "Outlook / Microsoft 365"),
]
SECURITY = [
    ("ssl", "SSL/TLS"),
    ("starttls", "STARTTLS"),
    ("none", "None (plain text)"),
]
CONNECTION_STATES = [
    ("not_connected", "Not connected"),
    ("connected", "Connected"),
    ("auth_failed", "Sign-in failed"),
    ("reauth_required", "Sign in again"),
    ("unreachable", "Server unreachable"),
    ("error", "Error"),
]


# Changing any of these means the next sync should try again at once.
CONNECTION_FIELDS = {"imap_host", "imap_port", "imap_security", "imap_login", "password",
                     "smtp_host", "smtp_port", "smtp_security", "smtp_login", "smtp_password",
                     "gmail_refresh_token", "outlook_graph_refresh_token", "active"}

# Where mail is read and sent, how the mailbox signs in and who may use it: Mailbox Admins
# only, whatever the ACLs say (an ACL loosened later must not let a user point a shared
# mailbox's credentials at their own server).
ADMIN_ONLY_FIELDS = CONNECTION_FIELDS | set(secrets_vault.SECRET_FIELDS) | set(
    secrets_vault.SECRET_FIELDS.values()) | {
    "provider", "email", "append_sent_to_imap", "owner_id", "access_user_ids",
    "allow_personal_connection", "outlook_shared_mailbox", "gmail_access_token_expiration",
    "outlook_graph_access_token_expiration",
    # sync bookkeeping, written by the sync as superuser: a delta link is a URL the token is
    # sent to, a cursor decides what is fetched, the state what the owner is told
    "gmail_last_history_id", "outlook_delta_link", "outlook_delta_tokens", "connection_state",
    "last_error", "last_error_at", "last_sync_at", "backoff_until", "sync_failure_count"}


class MailboxAccount(models.Model):
    _name = "mailbox.account"
    _description = "Mailbox Account"
    _inherit = ["mail.thread"]
    _order = "sequence, name, id"
    _mail_post_access = "write"

    # -- identity -------------------------------------------------------------------
    name = fields.Char("Account Name", required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    email = fields.Char("Email Address", required=True, index=True)
    sender_name = fields.Char(
        "Sender Name", help="Name shown to recipients of mail sent from this mailbox.")
    provider = fields.Selection(PROVIDERS, required=True, default="imap", index=True)
    signature = fields.Html(sanitize=True)

    # -- who may use it -------------------------------------------------------------
    owner_id = fields.Many2one(
        "res.users", "Owner", required=True, index=True, ondelete="restrict",
        default=lambda self: self.env.user,
        help="The user responsible for this mailbox. The owner always keeps access.")
    is_shared = fields.Boolean(
        "Shared Mailbox", help="A team address (support@, info@) worked by several users.")
    access_user_ids = fields.Many2many(
        "res.users", "mailbox_account_user_rel", "account_id", "user_id",
        string="Users with Access",
        help="Only these users (and Mailbox Admins) see this mailbox and everything in it.")
    allow_personal_connection = fields.Boolean(
        "Allow Personal Connection",
        help="Mailbox Users who know this address and its password may add themselves to "
             "Users with Access with the Connect Mailbox wizard.")

    outlook_shared_mailbox = fields.Boolean(
        "Microsoft 365 shared mailbox", default=False,
        help="A Microsoft 365 shared mailbox has no sign-in of its own: a person with Full "
             "Access to it signs in with Microsoft, and MailDesk opens the mailbox with their "
             "delegated access.")

    # -- IMAP / SMTP settings ----------------------------------------------------------
    imap_host = fields.Char("IMAP Server")
    imap_port = fields.Integer("IMAP Port", default=993)
    imap_security = fields.Selection(SECURITY, "IMAP Security", default="ssl")
    imap_login = fields.Char("IMAP Username", help="Leave empty to sign in with the email address.")
    smtp_host = fields.Char("SMTP Server")
    smtp_port = fields.Integer("SMTP Port", default=465)
    smtp_security = fields.Selection(SECURITY, "SMTP Security", default="ssl")
    smtp_login = fields.Char("SMTP Username", help="Leave empty to use the IMAP username.")
    append_sent_to_imap = fields.Boolean(
        "Copy Sent Mail to the Sent Folder", default=True,
        help="Turn off for servers that file sent mail themselves, to avoid two copies.")

    # -- credentials: write-only plaintext fields over encrypted columns ----------------
    password = fields.Char(
        "Password", compute="_compute_secrets", inverse="_inverse_password",
        groups=ADMIN_GROUP, copy=False)
    smtp_password = fields.Char(
        "SMTP Password", compute="_compute_secrets", inverse="_inverse_smtp_password",
        groups=ADMIN_GROUP, copy=False, help="Leave empty to use the IMAP password.")
    gmail_refresh_token = fields.Char(
        "Gmail Refresh Token", compute="_compute_secrets",
        inverse="_inverse_gmail_refresh_token", groups=ADMIN_GROUP, copy=False)
    gmail_access_token = fields.Char(
        "Gmail Access Token", compute="_compute_secrets",
        inverse="_inverse_gmail_access_token", groups=ADMIN_GROUP, copy=False)
    outlook_graph_refresh_token = fields.Char(
        "Outlook Refresh Token", compute="_compute_secrets",
        inverse="_inverse_outlook_graph_refresh_token", groups=ADMIN_GROUP, copy=False)
    outlook_graph_access_token = fields.Char(
        "Outlook Access Token", compute="_compute_secrets",
        inverse="_inverse_outlook_graph_access_token", groups=ADMIN_GROUP, copy=False)

    # The ciphertext is read and written by secrets_vault only, as superuser: NO_ACCESS keeps
    # it out of every RPC answer (read, search_read, web_read, export), even an admin's.
    password_encrypted = fields.Char(groups=fields.NO_ACCESS, copy=False, prefetch=False)
    smtp_password_encrypted = fields.Char(groups=fields.NO_ACCESS, copy=False, prefetch=False)
    gmail_refresh_token_encrypted = fields.Char(groups=fields.NO_ACCESS, copy=False, prefetch=False)
    gmail_access_token_encrypted = fields.Char(groups=fields.NO_ACCESS, copy=False, prefetch=False)
    outlook_graph_refresh_token_encrypted = fields.Char(
        groups=fields.NO_ACCESS, copy=False, prefetch=False)
    outlook_graph_access_token_encrypted = fields.Char(
        groups=fields.NO_ACCESS, copy=False, prefetch=False)

    password_is_set = fields.Boolean(
        "Password Stored", compute="_compute_secret_flags", groups=ADMIN_GROUP)
    oauth_is_connected = fields.Boolean(
        "Signed In", compute="_compute_secret_flags", groups=ADMIN_GROUP)
    secret_key_status = fields.Selection(
        [("ok", "OK"), ("missing", "Missing"), ("invalid", "Invalid")],
        compute="_compute_secret_key_status", groups=ADMIN_GROUP)

    gmail_access_token_expiration = fields.Integer(groups=ADMIN_GROUP, copy=False)
    outlook_graph_access_token_expiration = fields.Integer(groups=ADMIN_GROUP, copy=False)

    # -- connection state and sync cursors -----------------------------------------------
    connection_state = fields.Selection(
        CONNECTION_STATES, default="not_connected", required=True, readonly=True, copy=False)
    last_error = fields.Text("Last Problem", readonly=True, copy=False)
    last_error_at = fields.Datetime("Last Problem At", readonly=True, copy=False)
    last_sync_at = fields.Datetime("Last Synchronised", readonly=True, copy=False)
    backoff_until = fields.Datetime(
        "Next Attempt After", readonly=True, copy=False, index=True,
        help="After a failure, MailDesk waits longer each time before trying again.")
    sync_failure_count = fields.Integer("Failed Attempts in a Row", readonly=True, copy=False)
    maildesk_sync_requested_at = fields.Datetime(
        "Sync Requested", compute="_compute_maildesk_sync_requested_at",
        help="A sync was asked for (Sync Now, someone opening the mailbox) and waits for a worker.")
    gmail_last_history_id = fields.Char(readonly=True, copy=False, index=True)
    outlook_delta_link = fields.Char(readonly=True, copy=False)
    outlook_delta_tokens = fields.Json(readonly=True, copy=False)

    folder_ids = fields.One2many("mailbox.folder", "account_id", "Folders")
    folder_count = fields.Integer(compute="_compute_folder_count")

    _email_unique = models.Constraint(
        "UNIQUE(email, provider)",
        "This address is already connected with the same provider: open the existing mailbox "
        "instead of adding it twice.")

    # -- computes ----------------------------------------------------------------------------
    def _compute_secrets(self):
        # Write-only: a stored credential never travels back to a browser.
        for account in self:
            for field_name in secrets_vault.SECRET_FIELDS:
                account[field_name] = False

    def _inverse_secret(self, field_name):
        for account in self:
            secrets_vault.store(account, field_name, account[field_name])

    def _inverse_password(self):
        self._inverse_secret("password")

    def _inverse_smtp_password(self):
        self._inverse_secret("smtp_password")

    def _inverse_gmail_refresh_token(self):
        self._inverse_secret("gmail_refresh_token")

    def _inverse_gmail_access_token(self):
        self._inverse_secret("gmail_access_token")

    def _inverse_outlook_graph_refresh_token(self):
        self._inverse_secret("outlook_graph_refresh_token")

    def _inverse_outlook_graph_access_token(self):
        self._inverse_secret("outlook_graph_access_token")

    @api.depends("password_encrypted", "gmail_refresh_token_encrypted",
                 "outlook_graph_refresh_token_encrypted", "provider")
    def _compute_secret_flags(self):
        for account in self:
            account.password_is_set = secrets_vault.is_stored(account, "password")
            account.oauth_is_connected = (
                (account.provider == "gmail" and secrets_vault.is_stored(account, "gmail_refresh_token"))
                or (account.provider == "outlook"
                    and secrets_vault.is_stored(account, "outlook_graph_refresh_token")))

    def _compute_secret_key_status(self):
        status = secrets_vault.key_status()
        for account in self:
            account.secret_key_status = status

    @api.depends("folder_ids")
    def _compute_folder_count(self):
        counts = dict(self.env["mailbox.folder"]._read_group(
            [("account_id", "in", self.ids)], ["account_id"], ["__count"]))
        for account in self:
            account.folder_count = counts.get(account, 0)

    # -- validation ------------------------------------------------------------------------
    @api.onchange("email")
    def _onchange_email_fill_name(self):
        if self.email and not self.name:
            self.name = self.email.strip()

    def _check_admin_only_fields(self, vals_list):
        if self.env.su or self.env.user.has_group(ADMIN_GROUP):
            return
        if any(ADMIN_ONLY_FIELDS & set(vals) for vals in vals_list):
            raise AccessError(self.env._(
                "Only a Mailbox Admin can change a mailbox's server settings, sign-in details or "
                "who has access to it. Ask a Mailbox Admin."))

    @api.model_create_multi
    def create(self, vals_list):
        self._check_admin_only_fields(vals_list)
        for vals in vals_list:
            if "owner_id" in vals and not vals["owner_id"]:
                raise ValidationError(self.env._(
                    "Every mailbox needs an owner: choose the user responsible for it."))
            if vals.get("email"):
                vals["email"] = vals["email"].strip()
                vals.setdefault("name", vals["email"])
            owner_id = vals.get("owner_id") or self.default_get(["owner_id"]).get("owner_id")
            if owner_id:
                vals["access_user_ids"] = list(vals.get("access_user_ids") or []) + [
                    fields.Command.link(owner_id)]
        return super().create(vals_list)

    def write(self, vals):
        self._check_admin_only_fields([vals])
        if "owner_id" in vals:
            if not vals["owner_id"]:
                raise ValidationError(self.env._(
                    "Every mailbox needs an owner: choose the user responsible for it."))
            # The new owner joins Users with Access in the same write.
            vals["access_user_ids"] = list(vals.get("access_user_ids") or []) + [
                fields.Command.link(vals["owner_id"])]
        if vals.get("email"):
            vals["email"] = vals["email"].strip()
        reconnect = bool(CONNECTION_FIELDS & set(vals))
        if reconnect:
            vals.update(backoff_until=False, sync_failure_count=0)
        result = super().write(vals)
        if reconnect:
            sync.request_sync(self)  # new settings: try them now, not after the back-off
        return result

    def _compute_maildesk_sync_requested_at(self):
        requested = {}
        if self.ids:
            self.env.cr.execute("""SELECT account_id, requested_at FROM maildesk_sync_request
                                    WHERE account_id = ANY(%s)""", [self.ids])
            requested = dict(self.env.cr.fetchall())
        for account in self:
            account.maildesk_sync_requested_at = requested.get(account.id, False)

    @api.constrains("owner_id", "access_user_ids")
    def _check_owner_keeps_access(self):
        # active_test off: an archived owner (such as the system user) is still on the list.
        for account in self.with_context(active_test=False):
            if account.owner_id not in account.access_user_ids:
                raise ValidationError(self.env._(
                    "%(owner)s owns mailbox %(mailbox)s and must stay in Users with Access. "
                    "To remove them, first make someone else the owner.",
                    owner=account.owner_id.name, mailbox=account.name))

    @api.constrains("email")
    def _check_email(self):
        for account in self:
            if not is_plain_address(email_normalize(account.email or "")):
                raise ValidationError(self.env._(
                    "'%(email)s' is not a valid email address. Enter it as name@example.com.",
                    email=account.email or ""))

    @api.constrains("provider", "imap_host", "imap_port", "imap_security", "smtp_host",
                    "smtp_port", "smtp_security")
    def _check_provider_settings(self):
        for account in self.filtered(lambda a: a.provider == "imap"):
            if not (account.imap_host or "").strip():
                raise ValidationError(self.env._(
                    "Mailbox %s reads mail over IMAP, so it needs an IMAP server: fill in "
                    "IMAP Server (for example imap.example.com).", account.name))
            if not 1 <= (account.imap_port or 0) <= 65535 or not account.imap_security:
                raise ValidationError(self.env._(
                    "Mailbox %s needs an IMAP port between 1 and 65535 and a security mode (usually "
                    "993 with SSL/TLS, or 143 with STARTTLS).",
                    account.name))
            if (account.smtp_host or account.smtp_port) and (
                    not 1 <= (account.smtp_port or 0) <= 65535 or not account.smtp_security):
                raise ValidationError(self.env._(
                    "Mailbox %s needs an SMTP port between 1 and 65535 and a security mode to send "
                    "mail (usually 465 with SSL/TLS, or 587 with STARTTLS).", account.name))

    # -- actions -------------------------------------------------------------------------------
    def action_reset_mailbox_sync_state(self):
        return sync_state.reset_sync_state(self)

    def action_rotate_secrets(self):
        """Re-encrypt the stored credentials under the first configured key."""
        count = secrets_vault.rotate(self)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Credentials re-encrypted"),
                "message": self.env._(
                    "%(count)s stored credential(s) now use the first configured key. Older "
                    "keys can be removed from the server configuration.", count=count),
            },
        }

    def action_sync_now(self):
        """Ask for a sync of these mailboxes as soon as a worker is free."""
        kind, message = sync.sync_now(self)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": kind, "title": self.env._("Sync requested"), "message": message},
        }

    def _notify_owner_of_problem(self, message):
        """Tell the owner, once per new problem, in their Odoo inbox."""
        for account in self:
            account.message_post(
                body=self.env._("MailDesk cannot synchronise %(mailbox)s: %(problem)s",
                                mailbox=account.email, problem=message),
                partner_ids=account.owner_id.partner_id.ids,
                subtype_xmlid="mail.mt_comment", message_type="notification")

    @api.model
    def _cron_sync_accounts(self, batch=20):
        return sync.run_due_accounts(self.env, batch=batch)

    def action_sign_in_google(self):
        self.ensure_one()
        return {"type": "ir.actions.act_url", "target": "self",
                "url": oauth_signin.start_url("gmail", self.id)}

    def action_sign_in_microsoft(self):
        self.ensure_one()
        return {"type": "ir.actions.act_url", "target": "self",
                "url": oauth_signin.start_url("outlook", self.id)}

    def action_view_folders(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Folders of %s", self.name),
            "res_model": "mailbox.folder",
            "view_mode": "list,form",
            "domain": [("account_id", "=", self.id)],
            "context": {"default_account_id": self.id},
        }
