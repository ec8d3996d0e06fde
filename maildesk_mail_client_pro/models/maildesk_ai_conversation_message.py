from odoo import fields, models


class MaildeskAiConversationMessage(models.Model):
    _name = "maildesk.ai.conversation.message"
    _description = "MailDesk AI Conversation Message"
    _order = "id"

    conversation_id = fields.Many2one("maildesk.ai.conversation", required=True,
                                      ondelete="cascade", index=True)
    role = fields.Selection([("user", "Question"), ("assistant", "Answer")], required=True)
    author_id = fields.Many2one("res.users", ondelete="set null")
    content = fields.Text()
    removed = fields.Json()
    model_name = fields.Char()
