"""Seed 003's Pro rows over HTTP: the same matrix as each persona logged in, calling JSON-RPC."""
from odoo import fields
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common_pro_security import EXPECTED_PRO, OPERATIONS, ROLES, ProSecurityFixture

ACCESS_ERROR = "odoo.exceptions.AccessError"


def _jsonable(vals):
    return {k: fields.Datetime.to_string(v) if hasattr(v, "isoformat") else v
            for k, v in vals.items()}


@tagged("post_install", "-at_install", "maildesk_security")
class TestProAccessMatrixJsonRpc(ProSecurityFixture, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()

    def call(self, model, method, *args, **kwargs):
        self.env.flush_all()
        return self.make_jsonrpc_request(f"/web/dataset/call_kw/{model}/{method}", {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs})

    @mute_logger("odoo.http")
    def attempt(self, operation, model, role):
        try:
            if operation == "create":
                self.call(model, "create", _jsonable(self.pro_create_vals(model)))
            else:
                record = self.pro_target(model, role)
                if operation == "read":
                    self.call(model, "read", record.ids, ["display_name"])
                elif operation == "write":
                    self.call(model, "write", record.ids, _jsonable(self.pro_write_vals(model)))
                else:
                    self.call(model, "unlink", record.ids)
        except JsonRpcException as exc:
            if str(exc) == ACCESS_ERROR:
                return False
            raise
        return True

    def test_every_pro_model_every_persona_every_operation(self):
        for role in ROLES:
            user = self.users[role]
            self.authenticate(user.login, user.login)
            for model, by_role in EXPECTED_PRO.items():
                for operation in OPERATIONS:
                    with self.subTest(model=model, role=role, operation=operation):
                        self.assertEqual(self.attempt(operation, model, role),
                                         by_role[role][operation])

    @mute_logger("odoo.http")
    def test_a_mailbox_user_cannot_open_the_key_or_removal_wizards(self):
        self.authenticate("md_member", "md_member")
        provider = self.pro_target("maildesk.ai.provider", "member")
        for model, vals in (("maildesk.ai.set.key.wizard", {"provider_id": provider.id,
                                                            "api_key": "sk-planted"}),
                            ("maildesk.account.remove.wizard", {"account_id": self.support.id})):
            with self.subTest(model=model), self.assertRaises(JsonRpcException) as caught:
                self.call(model, "create", vals)
            self.assertEqual(str(caught.exception), ACCESS_ERROR)
        self.assertFalse(self.env["ir.config_parameter"].sudo().search(
            [("value", "=", "sk-planted")]))
