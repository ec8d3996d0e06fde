from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..application.services import signatures


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
    account_id = fields.Many2one("mailbox.account", "Mailbox", ondelete="cascade", index=True,
                                 help="Your own signature: the mailbox it is for, or empty for "
                                      "all your mailboxes. A shared one: its mailbox.")
    is_shared = fields.Boolean("Shared with the Mailbox",
                               help="Every user of the mailbox may pick it.")
    is_default = fields.Boolean("Default", help="Put into new mail from this mailbox.")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            signatures.check_values(self, vals)
        records = super().create(vals_list)
        records.filtered("is_default")._unset_other_defaults()
        return records

    def write(self, vals):
        signatures.check_values(self, vals)
        result = super().write(vals)
        if vals.get("is_default") or {"account_id", "user_id", "is_shared"} & set(vals):
            self.filtered("is_default")._unset_other_defaults()
        return result

    def _unset_other_defaults(self):
        """One default per scope: a user's own for a mailbox (or for all), a mailbox's shared."""
        for signature in self:
            others = self.search([("id", "!=", signature.id), ("is_default", "=", True),
                                  *signatures.scope_domain(signature)])
            if others:
                super(MailboxSignature, others).write({"is_default": False})

    @api.constrains("is_shared", "account_id", "user_id")
    def _check_whose(self):
        if any(s.is_shared and not s.account_id for s in self):
            raise ValidationError(self.env._(
                "A shared signature belongs to a mailbox: choose the mailbox whose users may use it."))
        if any(not s.is_shared and not s.user_id for s in self):
            raise ValidationError(self.env._(
                "A signature that is not shared with a mailbox needs an owner: choose the user "
                "it belongs to."))
