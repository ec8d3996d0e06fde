from odoo import fields, models


class MailboxAccount(models.Model):
    _inherit = "mailbox.account"

    allow_ai = fields.Boolean(
        "Enable AI features", default=True,
        help="Off: nobody can use AI on this mailbox, whatever the other AI settings say.")
    # Not on the standard form on purpose (seed 003 §5): attachment content reaches a model
    # only for mailboxes an administrator opted in, and only when a user asks, file by file.
    allow_ai_attachments = fields.Boolean(
        "Allow AI to read attachments", default=False,
        groups="maildesk_mail_client.group_mailbox_admin",
        help="On: a user may ask AI to read one attachment at a time.")
    signature_ids = fields.One2many(
        "mailbox.signature", "account_id", "Signatures",
        domain=[("is_shared", "=", True)])
