from odoo import fields, models


class MaildeskAiThreadInsight(models.Model):
    """AI output about a whole conversation: its summary (shared with the mailbox) or a
    reply drafted for one user; kept until the conversation changes."""
    _name = "maildesk.ai.thread.insight"
    _description = "MailDesk AI Thread Insight"
    _order = "id desc"

    account_id = fields.Many2one("mailbox.account", required=True, ondelete="cascade", index=True)
    thread_key = fields.Char(required=True, index=True)
    index_id = fields.Many2one("maildesk.message_index", "Opened From", ondelete="set null")
    kind = fields.Selection([("summary", "Summary"), ("draft_reply", "Draft reply")],
                            required=True)
    user_id = fields.Many2one("res.users", ondelete="cascade",
                              help="Draft replies belong to who asked; summaries to the mailbox.")
    text = fields.Text()
    removed = fields.Json(help="The kinds of what the output filter took out (link, phone...), "
                               "never the values: those came from the mail's sender.")
    model_name = fields.Char()
    source_hash = fields.Char(index=True, help="The thread as it was read; a new message invalidates it.")
