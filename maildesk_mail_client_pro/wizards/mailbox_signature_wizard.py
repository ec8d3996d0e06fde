from odoo import api, fields, models
from odoo.addons.maildesk_mail_client.application.services import mailbox_access


class MailboxSignatureWizard(models.TransientModel):
    """Manage a mailbox's shared signatures and which one is the default (Mailbox Admins)."""
    _name = "mailbox.signature.wizard"
    _description = "Manage a Mailbox's Signatures"

    account_id = fields.Many2one("mailbox.account", required=True, ondelete="cascade")
    signature_ids = fields.One2many(related="account_id.signature_ids", readonly=False,
                                    string="Shared Signatures")
    default_signature_id = fields.Many2one(
        "mailbox.signature", "Default Signature",
        domain="[('account_id', '=', account_id), ('is_shared', '=', True)]",
        help="Put into new mail from this mailbox, unless the writer chose a default of their own.")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if values.get("account_id") and "default_signature_id" in fields_list:
            account = self.env["mailbox.account"].browse(values["account_id"])
            values["default_signature_id"] = account.signature_ids.filtered("is_default")[:1].id
        return values

    def action_save(self):
        """The signatures were saved with the form; the chosen one becomes the only default."""
        self.ensure_one()
        mailbox_access.require_admin(self.env)
        chosen = self.default_signature_id
        if chosen and (chosen.account_id != self.account_id or not chosen.is_shared):
            chosen = chosen.browse()  # a line removed in the same save, or not this mailbox's
        (self.account_id.signature_ids.filtered("is_default") - chosen).write({"is_default": False})
        if chosen and not chosen.is_default:
            chosen.write({"is_default": True})
        return {"type": "ir.actions.act_window_close"}
