"""Seed 003 over HTTP: the same matrix, as each persona logged in and calling JSON-RPC."""
import json

from odoo import fields
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common import EXPECTED, OPERATIONS, ROLES, SUPPORT_PASSWORD, MailDeskFixture

ACCESS_ERROR = "odoo.exceptions.AccessError"
SECRET_FIELDS = ("password", "smtp_password", "password_encrypted", "gmail_refresh_token",
                 "outlook_graph_refresh_token", "outlook_graph_refresh_token_encrypted")


def _jsonable(vals):
    return {k: fields.Datetime.to_string(v) if hasattr(v, "isoformat") else v
            for k, v in vals.items()}


class JsonRpcMatrix:
    """Seed 003's matrix over JSON-RPC, as each persona logged in. The fixture (MailDeskFixture,
    or Pro's) gives ``target``, ``create_vals`` and ``write_vals`` for each model it covers."""

    def call(self, model, method, *args, **kwargs):
        self.env.flush_all()
        return self.make_jsonrpc_request(f"/web/dataset/call_kw/{model}/{method}", {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs})

    @mute_logger("odoo.http")
    def attempt(self, operation, model, role):
        if model == "mailbox.sync":
            return self.call(model, "has_access", [], operation)
        try:
            if operation == "create":
                self.call(model, "create", _jsonable(self.create_vals(model)))
            else:
                record = self.target(model, role)
                if operation == "read":
                    self.call(model, "read", record.ids, ["display_name"])
                elif operation == "write":
                    self.call(model, "write", record.ids, _jsonable(self.write_vals(model)))
                else:
                    self.call(model, "unlink", record.ids)
        except JsonRpcException as exc:
            if str(exc) == ACCESS_ERROR:
                return False
            raise
        return True

    def assert_matrix(self, expected):
        for role in ROLES:
            user = self.users[role]
            self.authenticate(user.login, user.login)
            for model, by_role in expected.items():
                for operation in OPERATIONS:
                    with self.subTest(model=model, role=role, operation=operation):
                        self.assertEqual(
                            self.attempt(operation, model, role), by_role[role][operation])


@tagged("post_install", "-at_install", "maildesk_security")
class TestAccessMatrixJsonRpc(JsonRpcMatrix, MailDeskFixture, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()

    def test_every_model_every_persona_every_operation(self):
        self.assert_matrix(EXPECTED)

    @mute_logger("odoo.http")
    def test_facade_refuses_users_without_a_maildesk_group(self):
        self.authenticate("md_plain", "md_plain")
        with self.assertRaises(JsonRpcException) as caught:
            self.call("mailbox.sync", "get_account_list")
        self.assertEqual(str(caught.exception), ACCESS_ERROR)

    @mute_logger("odoo.http")
    def test_removing_a_user_from_the_access_list_takes_effect_on_the_next_request(self):
        self.support.access_user_ids = [(4, self.outsider.id)]
        self.authenticate("md_outsider", "md_outsider")
        self.assertEqual(self.call("mailbox.account", "read", self.support.ids, ["name"])[0]["name"],
                         "Support")
        self.support.access_user_ids = [(3, self.outsider.id)]
        with self.assertRaises(JsonRpcException) as caught:
            self.call("mailbox.account", "read", self.support.ids, ["name"])
        self.assertEqual(str(caught.exception), ACCESS_ERROR)
        self.assertEqual(self.call("mailbox.account", "search_read", [], ["name"]),
                         [{"id": self.personal.id, "name": "Otto"}])

    def test_a_mailbox_users_answers_never_carry_a_secret(self):
        self.authenticate("md_member", "md_member")
        answers = [
            self.call("mailbox.account", "read", self.support.ids),
            self.call("mailbox.account", "search_read", []),
            self.call("mailbox.account", "web_read", self.support.ids,
                      specification={"name": {}, "email": {}}),
            self.call("mailbox.sync", "get_account_list"),
        ]
        text = json.dumps(answers)
        self.assertNotIn(SUPPORT_PASSWORD, text)
        self.assertNotIn("mdk1:", text)
        for name in SECRET_FIELDS:
            self.assertNotIn(f'"{name}"', text)

    @mute_logger("odoo.http")
    def test_a_mailbox_user_cannot_read_secret_fields_by_name(self):
        self.authenticate("md_member", "md_member")
        for name in ("password", "password_encrypted", "gmail_refresh_token_encrypted"):
            with self.subTest(field=name), self.assertRaises(JsonRpcException) as caught:
                self.call("mailbox.account", "read", self.support.ids, [name])
            self.assertEqual(str(caught.exception), ACCESS_ERROR)

    def test_an_admin_reads_no_plaintext_either(self):
        """Credentials are write-only: even a Mailbox Admin's answer has no plaintext."""
        self.authenticate("md_admin", "md_admin")
        answer = self.call("mailbox.account", "read", self.support.ids,
                           ["password", "password_is_set"])[0]
        self.assertFalse(answer["password"])
        self.assertTrue(answer["password_is_set"])
        self.assertNotIn(SUPPORT_PASSWORD, json.dumps(self.call(
            "mailbox.account", "read", self.support.ids)))
