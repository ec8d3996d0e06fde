"""AI jobs: the gate asked again when a queued job runs, one job for the same work, retries
after a provider's temporary failure (bounded), a job another worker holds, and nothing but
outputs kept in the AI tables."""
from datetime import timedelta

from odoo import fields
from odoo.addons.maildesk_mail_client.tests.common_imap import rfc822
from odoo.tests import tagged

from ..application.services import ai_guard
from ..application.services.ai_providers import key_parameter
from .common_ai import GLOBAL_OFF, MAILBOX_OFF, AIMailCase, mail_with_attachment
from .standins.openai_api import server_error

AI_MODELS = ("maildesk.ai.job", "maildesk.ai.message.insight", "maildesk.ai.thread.insight",
             "maildesk.ai.conversation", "maildesk.ai.conversation.message",
             "maildesk.ai.attachment.extract")


@tagged("post_install", "-at_install", "maildesk_ai")
class TestAIJobs(AIMailCase):

    def setUp(self):
        super().setUp()
        self.message = self.synced(rfc822(subject="Planning", body="Shall we meet on Monday?"))

    def job(self, answer):
        return self.env["maildesk.ai.job"].browse(answer["job_id"])

    def queued_summary(self):
        """A summary whose first run met a provider error: queued for a retry later."""
        self.standin.queue(server_error())
        answer = self.ai(self.member, "ai_summarize", self.message.id)
        self.assertEqual(answer["state"], "queued")
        self.assertIn("had an error (HTTP 500)", answer["error"])
        return self.job(answer)

    def test_a_queued_job_does_not_run_once_ai_was_switched_off(self):
        job = self.queued_summary()
        self.set_switch(ai_guard.GLOBAL_SWITCH, False)
        self.make_due(job.id)
        self.run_ai_cron()
        self.assertEqual(job.state, "refused")
        self.assertIn(GLOBAL_OFF, job.error_message)
        self.assertEqual(len(self.standin.chat_requests), 1, "the refused run asked nothing")
        status = self.ai(self.member, "ai_job_status", job.id)
        self.assertEqual((status["state"], status["result"]), ("refused", False))
        self.assertIn(GLOBAL_OFF, status["error"])

    def test_a_queued_job_does_not_run_once_its_mailbox_said_no_to_ai(self):
        job = self.queued_summary()
        self.account.with_user(self.admin).allow_ai = False
        self.make_due(job.id)
        self.assertEqual(self.ai(self.admin, "ai_job_status", job.id)["state"], "refused")
        self.assertIn(MAILBOX_OFF, job.error_message)
        self.assertEqual(len(self.standin.chat_requests), 1)

    def test_two_requests_for_the_same_work_make_one_job(self):
        first = self.queued_summary()
        colleague = self.ai(self.admin, "ai_summarize", self.message.id)
        self.assertEqual(colleague["job_id"], first.id, "the second request joins the first")
        self.assertEqual(colleague["state"], "queued")
        self.assertEqual(self.env["maildesk.ai.job"].search_count([("feature", "=", "summarize")]), 1)
        self.assertEqual(len(self.standin.chat_requests), 1)

    def test_a_job_is_retried_after_a_server_error_then_done(self):
        job = self.queued_summary()
        self.assertEqual(job.attempts, 1)
        self.assertGreater(job.next_attempt_at, fields.Datetime.now(), "retried later, not at once")
        self.standin.queue("Monday, maybe.")
        self.make_due(job.id)
        status = self.ai(self.member, "ai_job_status", job.id)
        self.assertEqual((status["state"], status["error"]), ("done", False))
        self.assertEqual(status["result"]["text"], "Monday, maybe.")
        self.assertEqual(job.attempts, 2)
        self.assertEqual(len(self.standin.chat_requests), 2)

    def test_attempts_are_bounded_then_the_job_fails_with_the_providers_sentence(self):
        self.standin.respond(lambda body: server_error())
        job = self.queued_summary()
        for _ in range(4):
            self.make_due(job.id)
            self.run_ai_cron()
        self.assertEqual((job.state, job.attempts), ("failed", 3))
        self.assertIn("The AI provider at 127.0.0.1", job.error_message)
        self.assertEqual(len(self.standin.chat_requests), 3)

    def test_a_refused_key_fails_at_once_with_a_sentence_that_names_the_setting(self):
        self.env["ir.config_parameter"].set_param(key_parameter(self.provider.id), "sk-wrong")
        answer = self.ai(self.member, "ai_summarize", self.message.id)
        self.assertEqual(answer["state"], "failed")
        self.assertIn("refused the API key", answer["error"])
        self.assertNotIn("sk-wrong", answer["error"])
        self.assertEqual(self.job(answer).attempts, 1)

    def test_a_job_another_worker_holds_is_answered_running_until_its_lease_expires(self):
        job = self.queued_summary()
        job.write({"state": "running", "lease_token": "another-worker",
                   "lease_until": fields.Datetime.now() + timedelta(minutes=5)})
        self.assertEqual(self.ai(self.member, "ai_summarize", self.message.id)["state"], "running")
        self.assertEqual(self.ai(self.member, "ai_job_status", job.id)["state"], "running")
        self.assertEqual(len(self.standin.chat_requests), 1)
        self.standin.queue("Monday.")
        job.lease_until = fields.Datetime.now() - timedelta(seconds=1)  # that worker died
        self.run_ai_cron()
        self.assertEqual((job.state, job.lease_token), ("done", False))
        self.assertEqual(self.ai(self.member, "ai_summarize", self.message.id)["result"]["text"], "Monday.")

    def test_the_ai_tables_keep_outputs_never_the_mail(self):
        secret = "Zebra-7781 crosses the river at dawn"
        self.account.with_user(self.admin).allow_ai_attachments = True
        self.synced(mail_with_attachment("Secret plan", f"{secret}.", "plan.txt", f"{secret} again."))
        row = self.row("Secret plan")
        self.standin.respond(lambda body: {"verdict": "suspicious", "score": 40, "indicators": [],
                                           "injection_detected": False, "evidence": [],
                                           "explanation": "Odd wording."}
                             if body.get("response_format") else "An output about the plan.")
        part = self.ai(self.member, "get_message", row.id)["attachments"][0]["part_id"]
        for method, args in (("ai_summarize", ()), ("ai_ask", ("What is planned?",)),
                             ("ai_draft_reply", ("Keep it short.",)), ("ai_security_scan", ()),
                             ("ai_analyse_attachment", (part,))):
            self.assertEqual(self.ai(self.member, method, row.id, *args)["state"], "done", method)
        self.assertTrue(all(secret.replace(" ", "\u02c6") in text for text in self.sent()),
                        "every feature read the mail")
        for model in AI_MODELS:
            records = self.env[model].search([])
            self.assertTrue(records, model)
            stored = str(records.read())
            self.assertNotIn("Zebra", stored, f"{model} holds mail text")
