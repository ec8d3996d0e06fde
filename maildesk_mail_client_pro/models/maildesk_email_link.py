from odoo import api, fields, models
from odoo.exceptions import ValidationError


class MaildeskEmailLink(models.Model):
    """A message or a conversation linked to any Odoo record (contact, lead, task...);
    created by service code after checking the user may read both (email_links)."""
    _name = "maildesk.email.link"
    _description = "MailDesk Email Link"
    _order = "id desc"
    _rec_name = "subject"

    account_id = fields.Many2one("mailbox.account", required=True, ondelete="cascade", index=True)
    index_id = fields.Many2one("maildesk.message_index", "Message", ondelete="set null", index=True)
    message_id = fields.Char("Message-ID", index=True)
    thread_key = fields.Char(index=True)
    link_type = fields.Selection([("message", "Message"), ("conversation", "Conversation")],
                                 required=True, default="message")
    subject = fields.Char()
    res_model = fields.Char("Linked Model", required=True, index=True)
    res_id = fields.Many2oneReference("Linked Record", model_field="res_model", required=True,
                                      index=True)
    # A member may not be able to read the record a teammate linked: only admins read the stored
    # name; the inbox shows each user the name only when they may open the record.
    res_name = fields.Char("Linked Record Name", groups="maildesk_mail_client.group_mailbox_admin")
    user_id = fields.Many2one("res.users", "Linked By", ondelete="set null",
                              default=lambda self: self.env.user)

    @api.constrains("account_id", "index_id", "res_model")
    def _check_link(self):
        # Rules key on account_id: a link must not name a message of another mailbox.
        for link in self:
            if link.index_id and link.index_id.account_id != link.account_id:
                raise ValidationError(self.env._(
                    "A link must be made from the mailbox that holds the message."))
            if link.res_model not in self.env:
                raise ValidationError(self.env._("Mail cannot be linked to this kind of record."))

    def action_open_record(self):
        """The linked record, from the list of links."""
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": self.res_model,
                "res_id": self.res_id, "view_mode": "form", "target": "current"}
