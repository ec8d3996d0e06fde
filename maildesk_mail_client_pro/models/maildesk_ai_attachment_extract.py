from odoo import fields, models


class MaildeskAiAttachmentExtract(models.Model):
    """What AI said about one attachment, asked for by a user on a mailbox opted in."""
    _name = "maildesk.ai.attachment.extract"
    _description = "MailDesk AI Attachment Extract"
    _order = "id desc"

    account_id = fields.Many2one("mailbox.account", required=True, ondelete="cascade", index=True)
    index_id = fields.Many2one("maildesk.message_index", "Message", required=True,
                               ondelete="cascade", index=True)
    attachment_key = fields.Char(required=True)
    attachment_name = fields.Char()
    mimetype = fields.Char()
    user_id = fields.Many2one("res.users", "Requested By", ondelete="set null")
    text = fields.Text("Analysis")
    removed = fields.Json()
    model_name = fields.Char()
    source_hash = fields.Char(index=True)
