from odoo import fields, models
from odoo.exceptions import UserError

from ..application.services import oauth_signin, personal_connection


class MailboxAccountWizard(models.TransientModel):
    """Connect Mailbox. The typed password is never stored: saving the row (the form does so
    before the button runs) makes the attempt, and the row keeps only its outcome."""
    _name = "mailbox.account.wizard"
    _description = "Connect to a Shared Mailbox"

    email = fields.Char("Email Address", required=True)
    password = fields.Char(
        required=True, compute="_compute_password", inverse="_inverse_password",
        help="Checked when the form is saved, and never stored.")
    outcome = fields.Selection(
        [("connected", "Connected"), ("refused", "Refused")], readonly=True)
    outcome_message = fields.Char(readonly=True)
    # Whether the Sign in with Google / Microsoft buttons are shown (the start route checks
    # the same): Mailbox Admins, and Mailbox Users when Settings › MailDesk allows it.
    may_connect_new = fields.Boolean(compute="_compute_may_connect_new")

    def init(self):
        personal_connection.ensure_attempt_table(self.env.cr)
        # The sign-ins with Google / Microsoft this wizard (and the mailbox form) start.
        oauth_signin.ensure_pending_table(self.env.cr)
        # Earlier versions stored the typed password in this table.
        self.env.cr.execute("ALTER TABLE mailbox_account_wizard DROP COLUMN IF EXISTS password")

    def _compute_may_connect_new(self):
        allowed = oauth_signin.may_connect_new(self.env)
        for wizard in self:
            wizard.may_connect_new = allowed

    def _compute_password(self):
        for wizard in self:
            wizard.password = False

    def _inverse_password(self):
        typed = [(wizard, wizard.password) for wizard in self]
        # The value lives in this request's cache only: drop it before anything else runs.
        self.invalidate_recordset(["password"])
        for wizard, password in typed:
            if not password:
                continue
            account, message = personal_connection.attempt(self.env, wizard.email, password)
            wizard.write({"outcome": "connected" if account else "refused",
                          "outcome_message": message})

    def write(self, vals):
        if "email" in vals and "password" not in vals:
            vals = dict(vals, outcome=False, outcome_message=False)  # not tried with this address
        return super().write(vals)

    def action_connect_mailbox(self):
        self.ensure_one()
        if self.outcome != "connected":
            raise UserError(self.outcome_message or self.env._(
                "Enter the mailbox's email address and its password."))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Mailbox connected"),
                "message": self.outcome_message,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
