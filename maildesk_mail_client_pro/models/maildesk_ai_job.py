from odoo import fields, models

AI_FEATURES = [
    ("summarize", "Summarize"),
    ("ask", "Ask AI"),
    ("draft_reply", "Draft a reply"),
    ("security_scan", "Security scan"),
    ("attachment_analysis", "Attachment analysis"),
]
JOB_STATES = [
    ("queued", "Queued"),
    ("running", "Running"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("refused", "Refused"),  # the AI gate said no when the job ran
]


class MaildeskAiJob(models.Model):
    """One AI request: queued by the user's action, run by service code (de-duplicated,
    leased, retried), its output stored in an insight, never the mail it read. The cron that
    runs queued jobs is mailbox.sync's (_cron_run_ai_jobs): ai_guard reads this module."""
    _name = "maildesk.ai.job"
    _description = "MailDesk AI Job"
    _order = "id desc"

    account_id = fields.Many2one("mailbox.account", required=True, ondelete="cascade", index=True)
    user_id = fields.Many2one("res.users", "Requested By", required=True, ondelete="cascade",
                              index=True)
    feature = fields.Selection(AI_FEATURES, required=True)
    index_id = fields.Many2one("maildesk.message_index", "Message", ondelete="cascade")
    thread_key = fields.Char(index=True)
    conversation_id = fields.Many2one("maildesk.ai.conversation", ondelete="cascade")
    question_id = fields.Many2one("maildesk.ai.conversation.message", ondelete="cascade",
                                  help="The question an Ask AI job answers.")
    attachment_key = fields.Char(help="Which attachment of the message (attachment analysis).")
    dedup_key = fields.Char(index=True, help="Same key, same work: a second request joins the first.")
    state = fields.Selection(JOB_STATES, default="queued", required=True, index=True)
    attempts = fields.Integer()
    next_attempt_at = fields.Datetime(default=fields.Datetime.now, index=True)
    lease_token = fields.Char(copy=False)
    lease_until = fields.Datetime(copy=False)
    error_message = fields.Text(readonly=True)
    started_at = fields.Datetime()
    finished_at = fields.Datetime()
    result_ref = fields.Char(help="model,id of the output (insight, conversation message, extract).")
    instructions = fields.Text(help="What the user asked for a draft (their words, never the mail's).")
    source_hash = fields.Char(help="The messages as they were when asked; stored with the output.")

    # Two requests for the same work while it is queued or running make one job: the second
    # joins the first (ai_jobs.submit inserts with ON CONFLICT on this index).
    _dedup_active = models.UniqueIndex("(dedup_key) WHERE state IN ('queued', 'running')")
