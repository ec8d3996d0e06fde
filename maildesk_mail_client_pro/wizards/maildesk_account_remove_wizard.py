from odoo import fields, models

from ..application.services import account_removal


class MaildeskAccountRemoveWizard(models.TransientModel):
    """Remove a mailbox: revoke its Google or Microsoft grant, delete its data, say what went."""
    _name = "maildesk.account.remove.wizard"
    _description = "Remove a Mailbox"

    account_id = fields.Many2one("mailbox.account", required=True, ondelete="cascade")
    account_email = fields.Char(related="account_id.email", string="Mailbox Address")
    account_provider = fields.Selection(related="account_id.provider")
    confirm_email = fields.Char("Type the mailbox's address to confirm")

    def action_remove(self):
        """Remove the mailbox; the sentence of what went stays on screen, over the list of
        mailboxes (the form of the removed one has nothing left to show)."""
        self.ensure_one()
        account_removal.check_confirmation(self.account_id, self.confirm_email)
        result = account_removal.remove(self.account_id)
        warn = result["revoke"] == "failed"
        return {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {"title": self.env._("Mailbox removed"), "message": result["message"],
                       "type": "warning" if warn else "success", "sticky": True,
                       "next": {"type": "ir.actions.act_window", "res_model": "mailbox.account",
                                "views": [[False, "list"], [False, "form"]],
                                "name": self.env._("Mailbox Accounts"), "target": "main"}},
        }
