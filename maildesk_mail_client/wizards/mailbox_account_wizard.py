from odoo import fields, models

from ..application.services import personal_connection


class MailboxAccountWizard(models.TransientModel):
    _name = "mailbox.account.wizard"
    _description = "Connect to a Shared Mailbox"

    email = fields.Char("Email Address", required=True)
    password = fields.Char(required=True)

    def action_connect_mailbox(self):
        self.ensure_one()
        email, password = self.email, self.password
        # The typed password has done its job: do not leave it in the wizard table.
        self.password = "-"
        account = personal_connection.connect(self.env, email, password)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Mailbox connected"),
                "message": self.env._("You now have access to %s.", account.name),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
