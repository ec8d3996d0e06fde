from odoo import api, fields, models

from ..application.services import ingest

STATES = [
    ("pending", "Pending"),
    ("in_progress", "In Progress"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("skipped", "Skipped"),
]


class MaildeskIngestQueue(models.Model):
    """Messages waiting to be posted into an Odoo record's chatter (replies, aliases)."""
    _name = "maildesk.ingest_queue"
    _description = "MailDesk Ingest Queue"
    _order = "priority, id"

    index_id = fields.Many2one(
        "maildesk.message_index", required=True, ondelete="cascade", index=True)
    state = fields.Selection(STATES, default="pending", required=True, index=True)
    priority = fields.Integer(default=10)
    retry_count = fields.Integer()
    next_try_at = fields.Datetime(index=True)
    started_at = fields.Datetime()
    error_message = fields.Text()
    processed_at = fields.Datetime()
    processed_model = fields.Char()
    processed_res_id = fields.Integer()

    _index_unique = models.Constraint(
        "UNIQUE(index_id)", "This message is already queued for import.")

    @api.model
    def _cron_ingest(self, scan_batch=500, import_batch=40):
        return ingest.run_cron(self.env, scan_batch=scan_batch, import_batch=import_batch)

    def action_requeue(self):
        self.filtered(lambda j: j.state in ("failed", "skipped")).write(
            {"state": "pending", "retry_count": 0, "next_try_at": False, "error_message": False})
