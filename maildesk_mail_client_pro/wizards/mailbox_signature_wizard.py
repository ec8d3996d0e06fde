from odoo import fields, models


class MailboxSignatureWizard(models.TransientModel):
    """Manage a mailbox's shared signatures and which one is the default."""
    _name = "mailbox.signature.wizard"
    _description = "Manage a Mailbox's Signatures"

    account_id = fields.Many2one("mailbox.account", required=True, ondelete="cascade")
