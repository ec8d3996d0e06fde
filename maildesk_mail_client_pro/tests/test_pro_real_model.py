"""The AI features from the inbox, end to end: headless Chromium, mail synced from a real
Dovecot, and the real small model (SmolLM2-135M on llama.cpp's OpenAI-compatible server) behind
the active provider. The model is tiny and often wrong: this proves the path, not the prose."""
from odoo.addons.maildesk_mail_client.tests.common_inbox import InboxTourCase
from odoo.addons.maildesk_mail_client.tests.test_inbox_tours import mail
from odoo.tests import tagged

from ..application.services import ai_providers
from ..application.services.ai_providers import key_parameter
from .common_ai import AIStandInMixin
from .standins.local_model import API_KEY, MODEL_ALIAS, LocalModelMissing, LocalModelServer

THREAD_HTML = ("<p>Hi Rita,</p><p>the pallets for order 4711 leave Hamburg on Thursday at 15:00. "
               "The truck is booked with Nordfracht.</p><p>Best regards,<br>Anna</p>")


@tagged("post_install", "-at_install", "maildesk_tours")
class TestProRealModel(AIStandInMixin, InboxTourCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpAIProvider()  # the stand-in's provider, replaced below by the real model's
        try:
            cls.model_server = LocalModelServer().start()
        except LocalModelMissing as exc:
            raise AssertionError(str(exc)) from None  # never a skip: CI builds it (.ci/run)
        cls.addClassCleanup(cls.model_server.stop)
        cls.provider = cls.env["maildesk.ai.provider"].create({
            "name": "SmolLM2 (local)", "kind": "custom", "base_url": cls.model_server.base_url,
            "model": MODEL_ALIAS, "timeout_seconds": 120, "max_retries": 1})
        cls.env["ir.config_parameter"].set_param(key_parameter(cls.provider.id), API_KEY)
        ai_providers.set_active(cls.provider)

    def test_summary_question_scan_and_draft_from_the_inbox_with_a_real_model(self):
        self.synced(mail("Pallets for order 4711", html=THREAD_HTML))
        self.env.flush_all()
        self.start_tour("/odoo/maildesk", "maildesk_pro_ai_real_model", login="md_reader",
                        timeout=600)
        self.env.invalidate_all()
        Job = self.env["maildesk.ai.job"]
        done = Job.search([("account_id", "=", self.account.id), ("state", "=", "done")])
        self.assertEqual(set(done.mapped("feature")),
                         {"summarize", "ask", "security_scan", "draft_reply"})
        summary = self.env["maildesk.ai.thread.insight"].search(
            [("account_id", "=", self.account.id), ("kind", "=", "summary")])
        self.assertTrue(summary.text.strip())
        self.assertEqual(summary.model_name, MODEL_ALIAS)
