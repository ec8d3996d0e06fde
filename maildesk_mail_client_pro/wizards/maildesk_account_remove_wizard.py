from odoo import fields, models


class MaildeskAccountRemoveWizard(models.TransientModel):
    """Remove a mailbox: revoke its Google or Microsoft grant, delete its data, say what went."""
    _name = "maildesk.account.remove.wizard"
    _description = "Remove a Mailbox"

    account_id = fields.Many2one("mailbox.account", required=True, ondelete="cascade")
    confirm_email = fields.Char("Type the mailbox's address to confirm")
    result_message = fields.Text(readonly=True)
