from odoo import api, fields, models
from odoo.exceptions import ValidationError


class MaildeskDraft(models.Model):
    """A message being written, saved as the user types (addresses one per line)."""
    _name = "maildesk.draft"
    _description = "MailDesk Draft"
    _order = "write_date desc, id desc"
    _rec_name = "subject"

    user_id = fields.Many2one("res.users", required=True, index=True, ondelete="cascade",
                              default=lambda self: self.env.user)
    account_id = fields.Many2one("mailbox.account", required=True, ondelete="cascade", index=True)
    subject = fields.Char()
    body_html = fields.Html(sanitize=True)
    to_emails = fields.Text("To")
    cc_emails = fields.Text("Cc")
    bcc_emails = fields.Text("Bcc")
    attachment_ids = fields.Many2many(
        "ir.attachment", "maildesk_draft_attachment_rel", "draft_id", "attachment_id",
        string="Attachments")
    reply_to_message_id = fields.Char("Replying To (Message-ID)", index=True)
    reply_to_index_id = fields.Many2one("maildesk.message_index", ondelete="set null")
    model = fields.Char("Related Document Model")
    res_id = fields.Many2oneReference("Related Document", model_field="model")
    sender_display_name = fields.Char()
    request_read_receipt = fields.Boolean()
    request_delivery_receipt = fields.Boolean()
    message_id = fields.Char("Message-ID", copy=False)

    @api.constrains("account_id", "reply_to_index_id")
    def _check_reply_in_same_mailbox(self):
        # Rules key on account_id: a draft must not reach into another mailbox's messages.
        for draft in self:
            if draft.reply_to_index_id and draft.reply_to_index_id.account_id != draft.account_id:
                raise ValidationError(self.env._(
                    "A reply must be written from the mailbox that received the message (%s).",
                    draft.reply_to_index_id.account_id.display_name))
