from odoo import fields, models

from ..application.services import ai_providers


class MaildeskAiSetKeyWizard(models.TransientModel):
    """The only way an API key gets in: typed once, stored in ir.config_parameter, never shown.

    ``api_key`` is stored nowhere on this row: saving the wizard hands it to the provider
    service (the inverse), and reading it always answers False."""
    _name = "maildesk.ai.set.key.wizard"
    _description = "Set an AI Provider's API Key"

    provider_id = fields.Many2one("maildesk.ai.provider", required=True, ondelete="cascade")
    api_key = fields.Char("API Key", compute="_compute_api_key", inverse="_inverse_api_key",
                          store=False)
    key_was_set = fields.Boolean("A Key Is Stored", related="provider_id.key_is_set")

    def _compute_api_key(self):
        self.api_key = False

    def _inverse_api_key(self):
        typed = [(wizard.provider_id, wizard.api_key) for wizard in self]
        self.invalidate_recordset(["api_key"])  # the plaintext lives in this request only
        for provider, key in typed:
            if key:
                ai_providers.set_key(provider, key)

    def action_save(self):
        """The key was stored when the form was saved; say so where the admin looks next."""
        self.ensure_one()
        return {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {"title": self.env._("API key saved"),
                       "message": self.env._("Press Test Connection on %s to check it.",
                                             self.provider_id.name),
                       "type": "success", "next": {"type": "ir.actions.act_window_close"}},
        }
