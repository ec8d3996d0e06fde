from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..application.services import mailbox_access, sending

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
    client_token = fields.Char(
        copy=False, index="btree_not_null",
        help="Chosen by the composer once per message: a save or send that is replayed (a retried "
             "request, a double click) finds this draft again instead of making a second one.")

    _client_token_unique = models.Constraint(
        "UNIQUE(user_id, client_token)", "This message was already saved.")

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


# -- Outbox (issue 7, "sending happens exactly once") ------------------------------------------------
# Kept apart from the class above: these fields are the send queue of
# application/services/sending.py, which alone writes them (as superuser, after its own checks).
# `readonly` is only a hint to forms, so create() and write() refuse them from users; and a
# message that is queued, being sent or sent cannot be changed under the worker's feet.
SEND_STATES = [
    ("draft", "Draft"),
    ("queued", "Queued"),  # waiting for send_after (undo send), then for the send worker
    ("sending", "Sending"),  # a worker committed this before talking to the SMTP server
    ("sent", "Sent"),
    ("partly_sent", "Partly Sent"),  # the server refused some recipients; see the two lists
    ("failed", "Failed"),
    ("uncertain", "May Have Been Sent"),  # the conversation broke off; the user decides
]
OUTBOX_FIELDS = frozenset({
    "send_state", "send_after", "outgoing_message_id", "outgoing_mime", "outgoing_recipients",
    "send_attempts", "send_started_at", "send_error", "accepted_recipients", "refused_recipients",
    "sent_at", "send_followup_pending",
})
FROZEN_STATES = ("queued", "sending", "sent", "partly_sent")  # what is sent no longer changes
FORWARD_REFERENCE = {"forward_of_index_id": "maildesk.message_index"}


class MaildeskDraftOutbox(models.Model):
    _inherit = "maildesk.draft"

    forward_of_index_id = fields.Many2one("maildesk.message_index", ondelete="set null",
                                          string="Forwarding")
    send_state = fields.Selection(SEND_STATES, default="draft", required=True, readonly=True,
                                  copy=False, index=True)
    send_after = fields.Datetime(readonly=True, copy=False,
                                 help="Not sent before this time, so sending can be undone.")
    outgoing_message_id = fields.Char("Outgoing Message-ID", readonly=True, copy=False)
    outgoing_mime = fields.Binary(attachment=False, readonly=True, copy=False,
                                  help="The message exactly as it is sent, built once when queued.")
    outgoing_recipients = fields.Text(readonly=True, copy=False, help="The envelope, Bcc included.")
    send_attempts = fields.Integer(readonly=True, copy=False)
    send_started_at = fields.Datetime(readonly=True, copy=False)
    send_error = fields.Text(readonly=True, copy=False)
    accepted_recipients = fields.Text(readonly=True, copy=False)
    refused_recipients = fields.Text(readonly=True, copy=False,
                                     help="One per line, with the mail server's words.")
    sent_at = fields.Datetime(readonly=True, copy=False)
    send_followup_pending = fields.Boolean(
        readonly=True, copy=False,
        help="Accepted by the mail server; its Sent copy and the \\Answered / $Forwarded marks "
             "are still to be done (a worker that stopped after sending leaves this on).")

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            defaults = {k.removeprefix("default_") for k in self.env.context if k.startswith("default_")}
            if OUTBOX_FIELDS & (defaults | {k for vals in vals_list for k in vals}):
                raise AccessError(self.env._("The sending state of a message is set by MailDesk "
                                             "only: use Send or Undo."))
            mailbox_access.require_references_readable(self, vals_list, FORWARD_REFERENCE)
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            if OUTBOX_FIELDS & set(vals):
                raise AccessError(self.env._("The sending state of a message is set by MailDesk "
                                             "only: use Send or Undo."))
            if any(d.send_state in FROZEN_STATES for d in self):
                raise UserError(self.env._("This message is queued, being sent or already sent: "
                                           "it can no longer be changed. Undo sending first if it "
                                           "is still queued."))
            mailbox_access.require_references_readable(self, [vals], FORWARD_REFERENCE)
        return super().write(vals)

    def unlink(self):
        if not self.env.su and self:
            self.check_access("unlink")  # before locking anything
            # Locked, so a worker cannot take a row between this check and the delete.
            self.env.cr.execute("SELECT send_state FROM maildesk_draft WHERE id IN %s FOR UPDATE",
                                [tuple(self.ids)])
            if ("sending",) in self.env.cr.fetchall():
                raise UserError(self.env._("This message is being sent right now and cannot be "
                                           "deleted; look again in a minute."))
        return super().unlink()

    @api.constrains("account_id", "forward_of_index_id")
    def _check_forward_in_same_mailbox(self):
        for draft in self:
            if draft.forward_of_index_id and draft.forward_of_index_id.account_id != draft.account_id:
                raise ValidationError(self.env._(
                    "A message must be forwarded from the mailbox that holds it."))

    @api.model
    def _cron_send_queue(self):
        return sending.process_send_queue(self.env)
