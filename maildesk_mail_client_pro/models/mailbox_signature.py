from odoo import fields, models


class MailboxSignature(models.Model):
    """A signature: a user's own (user_id) or a mailbox's shared one (is_shared), picked per
    mailbox in the composer (seed 003 §3.3)."""
    _name = "mailbox.signature"
    _description = "Mailbox Signature"
    _order = "is_default desc, sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    body_html = fields.Html("Signature", sanitize=True, sanitize_attributes=True)
    user_id = fields.Many2one("res.users", "Owner", ondelete="cascade", index=True,
                              default=lambda self: self.env.user)
    account_id = fields.Many2one("mailbox.account", "Mailbox", ondelete="cascade", index=True)
    is_shared = fields.Boolean("Shared with the Mailbox",
                               help="Every user of the mailbox may pick it.")
    is_default = fields.Boolean("Default", help="Put into new mail from this mailbox.")
