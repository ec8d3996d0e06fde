"""Server settings are a Mailbox Admin's, whatever the ACLs say; ciphertext is nobody's.

Where a mailbox reads and sends mail (hosts, ports, security, logins, provider), its
credentials and who may use it are written by Mailbox Admins only, even after someone gives
Mailbox Users write access to mailboxes in the ACLs. The encrypted credential columns never
come back over RPC, to a Mailbox Admin or to Odoo's administrator either.
"""
import json

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, TransactionCase, tagged

from .common import SUPPORT_PASSWORD, MailDeskFixture

# field -> a value pointing the mailbox somewhere else
SERVER_SETTINGS = {
    "imap_host": "imap.attacker.example", "imap_port": 1143, "imap_security": "none",
    "imap_login": "attacker", "smtp_host": "smtp.attacker.example", "smtp_port": 2525,
    "smtp_security": "none", "smtp_login": "attacker", "provider": "gmail",
    "email": "support@attacker.example", "append_sent_to_imap": False,
    "allow_personal_connection": False,
    # sync bookkeeping: where a provider's delta link points, what the owner is told
    "outlook_delta_link": "https://graph.attacker.example/delta", "gmail_last_history_id": "1",
    "last_error": "Everything is fine, ignore earlier mail", "connection_state": "auth_failed",
}
CIPHERTEXT_FIELDS = ("password_encrypted", "smtp_password_encrypted",
                     "gmail_refresh_token_encrypted", "gmail_access_token_encrypted",
                     "outlook_graph_refresh_token_encrypted", "outlook_graph_access_token_encrypted")


class _LoosenedAcl(MailDeskFixture):

    @classmethod
    def setUpServerSettings(cls):
        cls.setUpMailDesk()
        cls.support.with_user(cls.admin).write({
            "smtp_host": "smtp.example.com", "smtp_password": "Smtp-Secret-4410"})

    def loosen_acl(self):
        """What an administrator might do one day: let Mailbox Users edit their mailboxes."""
        self.env["ir.model.access"].create({
            "name": "mailbox_account.user.write (loosened)",
            "model_id": self.env["ir.model"]._get_id("mailbox.account"),
            "group_id": self.env.ref("maildesk_mail_client.group_mailbox_user").id,
            "perm_read": True, "perm_write": True})

    def server_settings_of(self, account):
        self.env.invalidate_all()
        return {name: account[name] for name in SERVER_SETTINGS}


@tagged("post_install", "-at_install", "maildesk_security")
class TestServerSettingsAdminOnly(_LoosenedAcl, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpServerSettings()

    def test_a_member_cannot_change_server_settings_even_with_a_loosened_acl(self):
        self.loosen_acl()
        support = self.support.with_user(self.member)
        support.write({"sender_name": "Support Team"})  # the loosened ACL is in force
        self.assertEqual(self.support.sender_name, "Support Team")
        before = self.server_settings_of(self.support)
        for name, value in SERVER_SETTINGS.items():
            with self.subTest(field=name), self.assertRaises(AccessError):
                support.write({name: value})
        for vals in ({"access_user_ids": [(4, self.outsider.id)]}, {"owner_id": self.outsider.id},
                     {"active": False}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                support.write(vals)
        self.assertEqual(self.server_settings_of(self.support), before)
        self.assertNotIn(self.outsider, self.support.access_user_ids)

    def test_a_member_cannot_write_credentials_even_with_a_loosened_acl(self):
        self.loosen_acl()
        support = self.support.with_user(self.member)
        for name in ("password", "smtp_password", "gmail_refresh_token") + CIPHERTEXT_FIELDS:
            with self.subTest(field=name), self.assertRaises(AccessError):
                support.write({name: "mdk1:forged"})

    def test_a_mailbox_admin_changes_server_settings(self):
        self.support.with_user(self.admin).write({"imap_host": "imap2.example.com",
                                                  "imap_port": 143, "imap_security": "starttls"})
        self.assertEqual(self.support.imap_host, "imap2.example.com")

    def test_a_mailbox_admin_cannot_read_ciphertext_through_the_orm(self):
        support = self.support.with_user(self.admin)
        for name in CIPHERTEXT_FIELDS:
            with self.subTest(field=name), self.assertRaises(AccessError):
                support.read([name])
        self.assertTrue(support.password_is_set)  # what the form shows instead
        answer = json.dumps(support.read(), default=str)
        self.assertNotIn("mdk1:", answer)
        self.assertNotIn(SUPPORT_PASSWORD, answer)


@tagged("post_install", "-at_install", "maildesk_security")
class TestServerSettingsJsonRpc(_LoosenedAcl, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpServerSettings()
        cls.admin.group_ids |= cls.env.ref("base.group_allow_export")  # so export_data runs

    def test_a_member_cannot_change_server_settings_over_json_rpc(self):
        self.loosen_acl()
        self.authenticate("md_member", "md_member")
        _result, error = self.rpc("mailbox.account", "write", self.support.ids,
                                  {"sender_name": "Support Team"})
        self.assertIsNone(error)
        before = self.server_settings_of(self.support)
        for name, value in SERVER_SETTINGS.items():
            with self.subTest(field=name):
                _result, error = self.rpc("mailbox.account", "web_save", self.support.ids,
                                          {name: value}, specification={})
                self.assertEqual(error and error[0], "odoo.exceptions.AccessError")
        _result, error = self.rpc("mailbox.account", "write", self.support.ids,
                                  {"access_user_ids": [(4, self.outsider.id)]})
        self.assertEqual(error and error[0], "odoo.exceptions.AccessError")
        self.assertEqual(self.server_settings_of(self.support), before)
        self.assertNotIn(self.outsider, self.support.access_user_ids)

    def test_no_ciphertext_comes_back_to_a_mailbox_admin_or_odoos_administrator(self):
        for login in ("md_admin", "admin"):
            with self.subTest(login=login):
                self.authenticate(login, login)
                self.assert_no_ciphertext_over_rpc()

    def assert_no_ciphertext_over_rpc(self):
        ids = self.support.ids
        description, error = self.rpc("mailbox.account", "fields_get", [], ["type"])
        self.assertIsNone(error)
        for name in CIPHERTEXT_FIELDS:
            self.assertNotIn(name, description)
        every_field = list(description)
        answers = []
        for method, args, kwargs in [
            ("read", [ids], {}),
            ("read", [ids, every_field], {}),
            ("search_read", [[("id", "in", ids)]], {}),
            ("web_read", [ids], {"specification": dict.fromkeys(
                (f for f in every_field if description[f]["type"] not in (
                    "one2many", "many2many", "many2one")), {})}),
            ("web_search_read", [[("id", "in", ids)]], {"specification": {"name": {}}}),
            ("export_data", [ids, [f for f in every_field if description[f]["type"] not in (
                "one2many", "many2many")]], {}),
        ]:
            with self.subTest(method=method):
                result, error = self.rpc("mailbox.account", method, *args, **kwargs)
                self.assertIsNone(error, method)
                answers.append(result)
        text = json.dumps(answers)
        self.assertIn("Support", text)  # the answers did carry the mailbox
        self.assertNotIn("mdk1:", text)
        self.assertNotIn(SUPPORT_PASSWORD, text)
        self.assertNotIn("Smtp-Secret-4410", text)
        for name in CIPHERTEXT_FIELDS:
            self.assertNotIn(f'"{name}"', text)
        # asked for by name, searched, grouped or exported: refused
        for method, args, kwargs in [
            ("read", [ids, ["password_encrypted"]], {}),
            ("web_read", [ids], {"specification": {"password_encrypted": {}}}),
            ("search_read", [[("id", "in", ids)], ["smtp_password_encrypted"]], {}),
            ("export_data", [ids, ["password_encrypted"]], {}),
            ("search_count", [[("password_encrypted", "=like", "mdk1:%")]], {}),
            ("formatted_read_group", [[]], {"groupby": ["password_encrypted"],
                                            "aggregates": ["__count"]}),
        ]:
            with self.subTest(method=method, args=args):
                result, error = self.rpc("mailbox.account", method, *args, **kwargs)
                self.assertIsNotNone(error, f"{method} answered {result!r}")
                self.assertNotIn("mdk1:", json.dumps(result))
