from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..application.services import mailbox_access

ADMIN_GROUP = "maildesk_mail_client.group_mailbox_admin"
# What a draft points at; the caller must be able to read each one.
REFERENCES = {"account_id": "mailbox.account", "reply_to_index_id": "maildesk.message_index"}


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

    @api.model_create_multi
    def create(self, vals_list):
        self._check_caller_values(vals_list)
        drafts = super().create(vals_list)
        drafts._check_related_documents_readable()
        return drafts

    def write(self, vals):
        self._check_caller_values([vals])
        result = super().write(vals)
        mailbox_access.require_still_writable(self)
        if {"model", "res_id"} & set(vals):
            self._check_related_documents_readable()
        return result

    def _check_caller_values(self, vals_list):
        """A user writes drafts as themselves, in mailboxes and replies they may read."""
        mailbox_access.require_references_readable(self, vals_list, REFERENCES)
        if self.env.su or self.env.user.has_group(ADMIN_GROUP):
            return
        if any(vals.get("user_id") not in (None, self.env.uid) for vals in vals_list):
            raise AccessError(self.env._("A draft is always written in your own name."))

    def _check_related_documents_readable(self):
        # A draft may be filed on an Odoo document only by someone who can read it (not a
        # constraint: Odoo runs those as superuser).
        if self.env.su:
            return
        for draft in self.filtered(lambda d: d.model and d.res_id):
            if draft.model not in self.env:
                raise ValidationError(self.env._("This draft refers to an unknown kind of document."))
            mailbox_access.require_readable(
                self.env, draft.model, [draft.res_id], mailbox_access.reference_refusal(self.env))

    @api.constrains("account_id", "reply_to_index_id")
    def _check_reply_in_same_mailbox(self):
        # Rules key on account_id: a draft must not reach into another mailbox's messages. The
        # message names no mailbox: the caller may not be allowed to know the other one.
        for draft in self:
            if draft.reply_to_index_id and draft.reply_to_index_id.account_id != draft.account_id:
                raise ValidationError(self.env._(
                    "A reply must be written from the mailbox that received the message."))
