from odoo import models
from odoo.exceptions import AccessError

MAILDESK_MODEL_PREFIXES = ("mailbox.", "maildesk.")
MAILDESK_MODELS = {"mail.message.tag"}


class IrRule(models.Model):
    _inherit = "ir.rule"

    def _make_access_error(self, operation, records):
        """A refused mail record is described by nothing: Odoo's debug-mode message lists up to
        six records by name (a message's or draft's subject) and the rules that refused them."""
        if records._name in MAILDESK_MODELS or records._name.startswith(MAILDESK_MODEL_PREFIXES):
            records.invalidate_recordset()
            return AccessError(self.env._(
                "You do not have access to this mailbox data, or it no longer exists. Ask a "
                "Mailbox Admin to add you to the mailbox's Users with Access if you need it."))
        return super()._make_access_error(operation, records)
