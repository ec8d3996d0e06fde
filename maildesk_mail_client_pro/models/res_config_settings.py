from odoo import api, fields, models

from ..application.services import ai_guard

# Settings field -> the feature whose switch it is (maildesk.ai.feature.<feature>.enabled).
FEATURE_FIELDS = {f"maildesk_ai_{feature}": feature for feature in ai_guard.FEATURES}


class ResConfigSettings(models.TransientModel):
    """Settings > MailDesk > AI. The switches are written as the words "True" and "False",
    not with ``config_parameter``: Odoo deletes the parameter of a False boolean, and the AI
    gate reads a missing switch as on."""
    _inherit = "res.config.settings"

    maildesk_ai_enabled = fields.Boolean(
        "AI Features", help="Off: no AI runs anywhere in this database, whatever else is set.")
    maildesk_ai_summarize = fields.Boolean("Summarize", help="Summarize a conversation.")
    maildesk_ai_ask = fields.Boolean("Ask AI", help="Questions about one conversation, answered "
                                                    "by AI and shared with the mailbox's users.")
    maildesk_ai_draft_reply = fields.Boolean("Draft a reply", help="A first draft in the composer; "
                                                                   "recipients are left as they are.")
    maildesk_ai_security_scan = fields.Boolean("Security scan", help="Phishing signals of one "
                                                                     "message, checked by rules and AI.")
    maildesk_ai_attachment_analysis = fields.Boolean(
        "Attachment analysis", help="AI reads one attachment a user asks about, only in mailboxes "
                                    "listed under Mailboxes whose attachments AI may read.")

    @api.model
    def get_values(self):
        values = super().get_values()
        values["maildesk_ai_enabled"] = ai_guard.is_ai_enabled_global(self.env)
        values.update({name: ai_guard.is_feature_enabled(self.env, feature)
                       for name, feature in FEATURE_FIELDS.items()})
        return values

    def set_values(self):
        super().set_values()  # Basic's: administrators only
        params = self.env["ir.config_parameter"]
        params.set_param(ai_guard.GLOBAL_SWITCH, str(bool(self.maildesk_ai_enabled)))
        for name, feature in FEATURE_FIELDS.items():
            params.set_param(ai_guard.feature_switch(feature), str(bool(self[name])))
