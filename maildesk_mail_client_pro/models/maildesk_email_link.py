from odoo import fields, models


class MaildeskEmailLink(models.Model):
    """A message or a conversation linked to any Odoo record (contact, lead, task...);
    created by service code after checking the user may read both."""
    _name = "maildesk.email.link"
    _description = "MailDesk Email Link"
    _order = "id desc"

    account_id = fields.Many2one("mailbox.account", required=True, ondelete="cascade", index=True)
    index_id = fields.Many2one("maildesk.message_index", "Message", ondelete="set null")
    message_id = fields.Char("Message-ID", index=True)
    thread_key = fields.Char(index=True)
    link_type = fields.Selection([("message", "Message"), ("conversation", "Conversation")],
                                 required=True, default="message")
    subject = fields.Char()
    res_model = fields.Char("Linked Model", required=True, index=True)
    res_id = fields.Many2oneReference("Linked Record", model_field="res_model", required=True,
                                      index=True)
    res_name = fields.Char("Linked Record Name")
    user_id = fields.Many2one("res.users", "Linked By", ondelete="set null",
                              default=lambda self: self.env.user)
