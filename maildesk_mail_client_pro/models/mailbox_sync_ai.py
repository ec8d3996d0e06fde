from odoo import api, models
from odoo.addons.maildesk_mail_client.application.services import mailbox_access
from odoo.exceptions import UserError

from ..application.services import ai_features, ai_guard, ai_jobs, ai_mail

MAX_QUESTION = 2000  # characters of one Ask AI question
MAX_INSTRUCTIONS = 1000  # characters of a draft's instructions


class MailboxSync(models.AbstractModel):
    """The AI RPCs of the inbox (see docs/developer: the RPC contract). Each reads the message
    as the calling user, then asks the AI gate before anything else happens; the job asks it
    again when it runs. Every feature answers {state, job_id, error, cached, result}."""
    _inherit = "mailbox.sync"

    def _ai_row(self, index_id, feature, attachments=False):
        row = self._rows([index_id])
        ai_guard.assert_ai_allowed(self.env, feature, row.account_id, attachments=attachments)
        return row

    def _ai_cached(self, feature, record):
        return {"state": "done", "job_id": False, "error": False, "cached": True,
                "result": ai_features.FEATURES[feature].present(None, record)}

    def _ai_run(self, row, feature, dedup_key, prepare=None, **vals):
        """Queue the work (or join the same work already queued), run it now when no other
        worker has it, and answer with its state."""
        job_id = ai_jobs.submit(self.env, dict(
            vals, feature=feature, account_id=row.account_id.id, user_id=self.env.uid,
            index_id=row.id, thread_key=ai_mail.thread_key(row), dedup_key=dedup_key), prepare)
        ai_jobs.run(self.env, job_id, ai_features.FEATURES)
        return ai_jobs.answer(self.env, job_id, ai_features.FEATURES)

    def _user_text(self, text, limit, required_message=None):
        text = text.strip() if isinstance(text, str) else ""
        if required_message and not text:
            raise UserError(required_message)
        if len(text) > limit:
            raise UserError(self.env._("Keep it under %s characters.", limit))
        return text

    @api.model
    def ai_status(self, account_id):
        """For the reading pane: which AI features may run on this mailbox, and why not."""
        self.check_access("read")
        account = mailbox_access.require_account(self.env, account_id)
        provider = ai_guard.active_provider(self.env)
        return {"features": ai_guard.ai_status(self.env, account), "provider": provider.name or False}

    @api.model
    def ai_summarize(self, index_id, refresh=False):
        row = self._ai_row(index_id, "summarize")
        source = ai_mail.thread_hash(ai_mail.thread_rows(row))
        cached = not refresh and ai_features.cached_summary(self.env, row, source)
        if cached:
            return self._ai_cached("summarize", cached)
        return self._ai_run(row, "summarize", f"summarize:{row.account_id.id}:{ai_mail.thread_key(row)}:"
                                              f"{source}", source_hash=source)

    @api.model
    def ai_ask(self, index_id, question):
        row = self._ai_row(index_id, "ask")
        question = self._user_text(question, MAX_QUESTION, self.env._("Type a question first."))
        return self._ai_run(row, "ask", dedup_key=None,
                            prepare=lambda own: ai_features.add_question(own, row.with_env(own), question))

    @api.model
    def ai_get_conversation(self, index_id):
        """The thread's Ask AI conversation; while a question waits for its answer, that job."""
        row = self._ai_row(index_id, "ask")
        conversation = ai_features.conversation_of(self.env, row)
        pending = conversation and self.env["maildesk.ai.job"].search([
            ("conversation_id", "=", conversation.id), ("state", "in", ai_jobs.ACTIVE)], limit=1)
        if pending:
            return ai_jobs.describe(pending, ai_features.FEATURES)
        return {"state": "done", "job_id": False, "error": False, "cached": False,
                "result": ai_features.present_conversation(conversation)}

    @api.model
    def ai_draft_reply(self, index_id, instructions=""):
        row = self._ai_row(index_id, "draft_reply")
        instructions = self._user_text(instructions, MAX_INSTRUCTIONS)
        return self._ai_run(row, "draft_reply",
                            f"draft_reply:{self.env.uid}:{row.id}:{ai_mail.source_hash(instructions)}",
                            instructions=instructions)

    @api.model
    def ai_security_scan(self, index_id, refresh=False):
        row = self._ai_row(index_id, "security_scan")
        cached = not refresh and ai_features.cached_scan(self.env, row)
        if cached:
            return self._ai_cached("security_scan", cached)
        source = ai_mail.message_hash(row)
        return self._ai_run(row, "security_scan", f"security_scan:{row.id}:{source}", source_hash=source)

    @api.model
    def ai_analyse_attachment(self, index_id, attachment_key):
        row = self._ai_row(index_id, "attachment_analysis", attachments=True)
        ai_mail.attachment_name(row, attachment_key)  # refuses a key the message does not have
        cached = ai_features.cached_attachment(self.env, row, attachment_key)
        if cached:
            return self._ai_cached("attachment_analysis", cached)
        source = ai_features.attachment_hash(row, attachment_key)
        return self._ai_run(row, "attachment_analysis", f"attachment_analysis:{row.id}:{source}",
                            attachment_key=attachment_key, source_hash=source)

    @api.model
    def ai_job_status(self, job_id):
        """A job's answer; a job that is due runs now (the UI polls while queued or running)."""
        self.check_access("read")
        job = mailbox_access.require_readable(self.env, "maildesk.ai.job", [job_id], self.env._(
            "This AI request does not exist, or you do not have access to it."))
        if job.state in ai_jobs.ACTIVE:
            ai_jobs.run(self.env, job.id, ai_features.FEATURES)
        return ai_jobs.answer(self.env, job.id, ai_features.FEATURES)

    @api.model
    def _cron_run_ai_jobs(self):
        """The AI cron: queued jobs that are due, and jobs whose worker died."""
        return ai_jobs.run_due(self.env, ai_features.FEATURES)
