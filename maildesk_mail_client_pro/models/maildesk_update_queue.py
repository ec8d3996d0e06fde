from odoo import api, fields, models

from ..application.services import update_queue

QUEUE_ACTIONS = [
    ("send_later", "Send later"),
    ("snooze", "Snooze"),
    ("bulk_change", "Bulk change"),
    ("cancel", "Cancel an earlier entry"),
]
QUEUE_STATES = [
    ("pending", "Pending"),
    ("running", "Running"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]


class MaildeskUpdateQueue(models.Model):
    """Outbound changes a cron applies later. Users only create entries (seed 003 §4.2: no
    read, no write, no unlink), a cancellation is an entry of its own, and nobody deletes one.
    What a user's entry may say is checked on create (update_queue.check_new)."""
    _name = "maildesk.update_queue"
    _description = "MailDesk Outbound Update Queue"
    _order = "scheduled_at, id"

    account_id = fields.Many2one("mailbox.account", required=True, ondelete="cascade", index=True)
    user_id = fields.Many2one("res.users", "Requested By", required=True, ondelete="cascade",
                              default=lambda self: self.env.user, index=True)
    action = fields.Selection(QUEUE_ACTIONS, required=True)
    scheduled_at = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    draft_id = fields.Many2one("maildesk.draft", ondelete="set null")
    index_ids = fields.Many2many("maildesk.message_index", "maildesk_update_queue_index_rel",
                                 "queue_id", "index_id", string="Messages")
    payload = fields.Json(help="What to do: the change of a bulk entry, its filters, the count.")
    # set null, not restrict: the entries of a removed mailbox go in one cascade
    cancels_id = fields.Many2one("maildesk.update_queue", "Cancels", ondelete="set null")
    state = fields.Selection(QUEUE_STATES, default="pending", required=True, index=True)
    attempts = fields.Integer()
    done_count = fields.Integer(help="Messages already changed (a bulk entry goes in chunks).")
    resume_after_id = fields.Integer(
        help="A bulk entry's progress: the messages up to this id are done, each chunk committed "
             "with it, so a cron that stopped goes on without doing one twice.")
    applied_at = fields.Datetime()
    error_message = fields.Text()

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            vals_list = [update_queue.check_new(self.env, vals) for vals in vals_list]
        entries = super().create(vals_list)
        update_queue.entries_created(entries)
        return entries

    @api.model
    def _cron_process_queue(self):
        return update_queue.process_due(self.env)
