from odoo import fields, models


class MaildeskAiConversation(models.Model):
    """Ask AI: a chat grounded in one thread, shared with the mailbox's members; private to
    its creator when it belongs to no mailbox (seed 003 §3.2)."""
    _name = "maildesk.ai.conversation"
    _description = "MailDesk AI Conversation"
    _order = "id desc"

    name = fields.Char()
    account_id = fields.Many2one("mailbox.account", ondelete="cascade", index=True)
    user_id = fields.Many2one("res.users", "Started By", required=True, ondelete="cascade",
                              default=lambda self: self.env.user, index=True)
    thread_key = fields.Char(index=True)
    index_id = fields.Many2one("maildesk.message_index", "Opened From", ondelete="set null")
    message_ids = fields.One2many("maildesk.ai.conversation.message", "conversation_id")
