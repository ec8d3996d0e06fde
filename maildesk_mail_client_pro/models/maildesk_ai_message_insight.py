from odoo import fields, models

VERDICTS = [("safe", "Safe"), ("unknown", "Unknown"), ("suspicious", "Suspicious"),
            ("phishing", "Phishing")]


class MaildeskAiMessageInsight(models.Model):
    """What AI concluded about one message (the security scan); derived, never the mail."""
    _name = "maildesk.ai.message.insight"
    _description = "MailDesk AI Message Insight"
    _order = "id desc"

    account_id = fields.Many2one("mailbox.account", required=True, ondelete="cascade", index=True)
    index_id = fields.Many2one("maildesk.message_index", "Message", required=True,
                               ondelete="cascade", index=True)
    kind = fields.Selection([("security_scan", "Security scan")], required=True,
                            default="security_scan")
    verdict = fields.Selection(VERDICTS, required=True, default="unknown")
    score = fields.Integer()
    indicators = fields.Json(help="Fixed indicator codes (rules and model).")
    evidence = fields.Json(help="Quotes of the visible message that support the verdict.")
    explanation = fields.Text()
    injection_detected = fields.Boolean()
    model_ok = fields.Boolean(help="Off: the model did not answer usably; rules alone decided.")
    model_name = fields.Char()
    source_hash = fields.Char(index=True, help="What was read; a changed message is read again.")
