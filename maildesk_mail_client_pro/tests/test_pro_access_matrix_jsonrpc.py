"""Seed 003's Pro rows over HTTP: the same matrix as each persona logged in, calling JSON-RPC."""
from odoo.addons.maildesk_mail_client.tests.test_access_matrix_jsonrpc import (
    ACCESS_ERROR,
    JsonRpcMatrix,
)
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common_pro_security import EXPECTED_PRO, ProSecurityFixture


@tagged("post_install", "-at_install", "maildesk_security")
class TestProAccessMatrixJsonRpc(JsonRpcMatrix, ProSecurityFixture, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()

    def test_every_pro_model_every_persona_every_operation(self):
        self.assert_matrix(EXPECTED_PRO)

    @mute_logger("odoo.http")
    def test_a_mailbox_user_cannot_open_the_key_or_removal_wizards(self):
        self.authenticate("md_member", "md_member")
        provider = self.target("maildesk.ai.provider", "member")
        for model, vals in (("maildesk.ai.set.key.wizard", {"provider_id": provider.id,
                                                            "api_key": "sk-planted"}),
                            ("maildesk.account.remove.wizard", {"account_id": self.support.id})):
            with self.subTest(model=model), self.assertRaises(JsonRpcException) as caught:
                self.call(model, "create", vals)
            self.assertEqual(str(caught.exception), ACCESS_ERROR)
        self.assertFalse(self.env["ir.config_parameter"].sudo().search(
            [("value", "=", "sk-planted")]))
