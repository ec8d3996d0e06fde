from odoo import fields, models


class MaildeskAiSetKeyWizard(models.TransientModel):
    """The only way an API key gets in: typed once, stored in ir.config_parameter, never shown."""
    _name = "maildesk.ai.set.key.wizard"
    _description = "Set an AI Provider's API Key"

    provider_id = fields.Many2one("maildesk.ai.provider", required=True, ondelete="cascade")
    api_key = fields.Char("API Key")
