"""Every AI entry point against each door of the AI gate (seed 003 section 5), through the ORM
as the member and through JSON-RPC as the logged-in member: refused with the sentence that
names the switch, and not one request reaches the AI provider."""
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, TransactionCase, tagged

from ..application.services import ai_guard
from ..application.services.ai_guard import AIDisabledError
from .common_ai import ENTRY_POINTS, FEATURE_OF, AIGateFixture, entry_args

GATES = ("global", "feature", "mailbox", "provider")
AI_DISABLED = "odoo.addons.maildesk_mail_client_pro.application.services.ai_guard.AIDisabledError"


class GateCases(AIGateFixture):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpAIGate()

    def setUp(self):
        super().setUp()
        self.message = self.make_index()

    def open_every_door(self):
        self.set_switch(ai_guard.GLOBAL_SWITCH, True)
        for feature in ai_guard.FEATURES:
            self.set_switch(ai_guard.feature_switch(feature), True)
        self.support.write({"allow_ai": True, "allow_ai_attachments": True})
        self.provider.is_active = True

    def cases(self):
        """(entry point, gate) pairs: the four doors for every entry point, and the attachment
        switch for the one that reads attachments."""
        for method in ENTRY_POINTS:
            for gate in GATES:
                yield method, gate
        yield "ai_analyse_attachment", "attachments"


@tagged("post_install", "-at_install", "maildesk_ai")
class TestAIGateOrm(GateCases, TransactionCase):

    def test_every_entry_point_is_refused_at_each_door_with_its_sentence(self):
        for method, gate in self.cases():
            with self.subTest(method=method, gate=gate):
                self.open_every_door()
                self.switch_off(gate, self.support, FEATURE_OF[method])
                with self.assertRaises(AIDisabledError) as caught:
                    self.ai(self.member, method, *entry_args(method, self.message.id))
                self.assertIn(self.expected_refusal(gate, FEATURE_OF[method]), str(caught.exception))
                self.assertEqual(self.standin.chat_requests, [], "no request may reach the provider")
        self.assertFalse(self.env["maildesk.ai.job"].search([]), "a refused request queues nothing")

    def test_the_reading_pane_is_told_which_features_are_refused_and_why(self):
        self.open_every_door()
        status = self.ai(self.member, "ai_status", self.support.id)
        self.assertEqual(status["provider"], "Stand-in")
        self.assertTrue(all(f["allowed"] for f in status["features"].values()))
        self.support.allow_ai = False
        status = self.ai(self.member, "ai_status", self.support.id)
        for feature, answer in status["features"].items():
            self.assertFalse(answer["allowed"], feature)
            self.assertIn(self.expected_refusal("mailbox", feature), answer["reason"])
        self.open_every_door()
        self.support.allow_ai_attachments = False
        status = self.ai(self.member, "ai_status", self.support.id)["features"]
        self.assertIn(self.expected_refusal("attachments", None), status["attachment_analysis"]["reason"])
        self.assertTrue(status["summarize"]["allowed"])

    def test_switching_a_feature_off_in_settings_refuses_it_and_on_again_allows_it(self):
        self.open_every_door()
        self.env["res.config.settings"].create({"maildesk_ai_summarize": False}).execute()
        params = self.env["ir.config_parameter"]
        self.assertEqual(params.get_param(ai_guard.feature_switch("summarize")), "False",
                         "a switch turned off is kept as a value: a missing one reads as on")
        with self.assertRaises(AIDisabledError) as caught:
            self.ai(self.member, "ai_summarize", self.message.id)
        self.assertIn(self.expected_refusal("feature", "summarize"), str(caught.exception))
        self.assertTrue(self.ai(self.member, "ai_status", self.support.id)["features"]["ask"]["allowed"])
        self.env["res.config.settings"].create({"maildesk_ai_summarize": True}).execute()
        self.assertEqual(params.get_param(ai_guard.feature_switch("summarize")), "True")
        features = self.ai(self.member, "ai_status", self.support.id)["features"]
        self.assertTrue(features["summarize"]["allowed"])

    def test_switching_ai_off_in_settings_refuses_every_feature(self):
        self.open_every_door()
        settings = self.env["res.config.settings"].create({})
        self.assertTrue(settings.maildesk_ai_enabled, "AI is on until an administrator says otherwise")
        settings.maildesk_ai_enabled = False
        settings.execute()
        for method in ENTRY_POINTS:
            with self.subTest(method=method), self.assertRaises(AIDisabledError) as caught:
                self.ai(self.member, method, *entry_args(method, self.message.id))
            self.assertIn(self.expected_refusal("global", None), str(caught.exception))
        self.assertEqual(self.standin.chat_requests, [])

    def test_another_mailbox_message_is_refused_before_the_gate_says_anything(self):
        self.open_every_door()
        self.support.allow_ai = False
        for method in ENTRY_POINTS:
            with self.subTest(method=method), self.assertRaises(AccessError) as caught:
                self.ai(self.outsider, method, *entry_args(method, self.message.id))
            self.assertNotIsInstance(caught.exception, AIDisabledError,
                                     "the gate's answer would tell the outsider about the mailbox")


@tagged("post_install", "-at_install", "maildesk_ai")
class TestAIGateJsonRpc(GateCases, HttpCase):

    def test_every_entry_point_is_refused_at_each_door_over_json_rpc(self):
        self.authenticate("md_member", "md_member")
        for method, gate in self.cases():
            with self.subTest(method=method, gate=gate):
                self.open_every_door()
                self.switch_off(gate, self.support, FEATURE_OF[method])
                result, error = self.rpc("mailbox.sync", method, *entry_args(method, self.message.id))
                self.assertIsNone(result)
                self.assertEqual(error[0], AI_DISABLED)
                self.assertIn(self.expected_refusal(gate, FEATURE_OF[method]), error[1])
                self.assertEqual(self.standin.chat_requests, [], "no request may reach the provider")
        self.assertFalse(self.env["maildesk.ai.job"].search([]))
