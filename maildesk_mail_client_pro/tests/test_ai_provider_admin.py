"""AI providers as administrators manage them: the key goes in through the admin-only wizard,
lives only in ir.config_parameter and comes out nowhere (no row, no read, no log, no error);
one provider is active; Test Connection says what happened."""
import contextlib
import logging
import secrets

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, TransactionCase, tagged

from ..application.services.ai_providers import key_parameter
from .common_ai import AIGateFixture

ACCESS_ERROR = "odoo.exceptions.AccessError"


@contextlib.contextmanager
def every_log_line():
    """Every line logged meanwhile, ours and the HTTP libraries' at DEBUG, Odoo's at INFO (its
    SQL debug log, which an operator turns on by hand, prints query parameters)."""
    lines = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage() + (self.format(record) if record.exc_info else ""))

    handler = Keep(level=logging.DEBUG)
    loud = [logging.getLogger(name)
            for name in ("odoo.addons.maildesk_mail_client_pro", "urllib3", "requests")]
    levels = [logger.level for logger in loud]
    logging.getLogger().addHandler(handler)
    for logger in loud:
        logger.setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        logging.getLogger().removeHandler(handler)
        for logger, level in zip(loud, levels, strict=True):
            logger.setLevel(level)


class ProviderFixture(AIGateFixture):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpAIGate()

    def stored_anywhere(self, key):
        """The tables (MailDesk's and the wizard's) that hold ``key`` in some row."""
        self.env.flush_all()
        self.env.cr.execute("""SELECT tablename FROM pg_tables WHERE schemaname = 'public'
                                AND (tablename LIKE 'maildesk%%' OR tablename LIKE 'mailbox%%')""")
        found = []
        for (table,) in self.env.cr.fetchall():
            self.env.cr.execute(f'SELECT 1 FROM "{table}" t WHERE row_to_json(t)::text LIKE %s LIMIT 1',
                                [f"%{key}%"])
            if self.env.cr.fetchone():
                found.append(table)
        return found


@tagged("post_install", "-at_install", "maildesk_ai")
class TestAIProviderAdmin(ProviderFixture, TransactionCase):

    def set_key(self, user, key):
        wizard = self.env["maildesk.ai.set.key.wizard"].with_user(user).create(
            {"provider_id": self.provider.id, "api_key": key})
        wizard.action_save()
        return wizard

    def test_the_key_is_kept_only_in_a_system_parameter_and_read_back_nowhere(self):
        key = "sk-new-" + secrets.token_hex(16)
        with every_log_line() as lines:
            wizard = self.set_key(self.admin, key)
        self.assertEqual(self.env["ir.config_parameter"].get_param(key_parameter(self.provider.id)), key)
        self.assertEqual(self.stored_anywhere(key), [], "no row of a MailDesk table holds the key")
        self.assertFalse(wizard.read(["api_key"])[0]["api_key"])
        provider_as_admin = self.provider.with_user(self.admin)
        self.assertNotIn(key, str(provider_as_admin.read()))
        self.assertTrue(provider_as_admin.key_is_set)
        self.assertFalse([line for line in lines if key in line])

    def test_users_cannot_set_a_key_test_a_provider_or_make_one_active(self):
        for user in (self.member, self.outsider):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.set_key(user, "sk-user")
                for action in ("action_test_connection", "action_set_active", "action_open_set_key"):
                    with self.assertRaises(AccessError, msg=action):
                        getattr(self.provider.with_user(user), action)()
        self.assertEqual(self.env["ir.config_parameter"].get_param(key_parameter(self.provider.id)),
                         self.api_key)
        self.assertEqual(self.standin.chat_requests, [])

    def test_one_provider_is_active_at_a_time(self):
        other = self.env["maildesk.ai.provider"].with_user(self.admin).create(
            {"name": "Other", "kind": "custom", "base_url": self.standin.base_url, "model": "stand-in-model"})
        other.action_set_active()
        self.assertEqual(self.env["maildesk.ai.provider"].search([("is_active", "=", True)]), other)
        self.assertEqual(self.ai(self.member, "ai_status", self.support.id)["provider"], "Other")
        self.provider.with_user(self.admin).action_set_active()
        self.assertEqual(self.env["maildesk.ai.provider"].search([("is_active", "=", True)]), self.provider)

    def test_test_connection_says_it_works_and_what_to_do_with_a_wrong_key(self):
        notification = self.provider.with_user(self.admin).action_test_connection()["params"]
        self.assertEqual(notification["type"], "success")
        self.assertRegex(notification["message"], r"^Connected: stand-in-model answered in \d+\.\d s\.$")
        self.assertTrue(self.provider.last_test_ok)
        self.assertEqual(self.standin.chat_requests[0].headers["authorization"], f"Bearer {self.api_key}")

        wrong = "sk-wrong-" + secrets.token_hex(16)
        self.set_key(self.admin, wrong)
        with every_log_line() as lines:
            notification = self.provider.with_user(self.admin).action_test_connection()["params"]
        self.assertEqual(notification["type"], "danger")
        self.assertEqual(notification["message"], "The AI provider refused the API key. Set the key again "
                                                  "in Settings > MailDesk > AI providers.")
        self.assertFalse(self.provider.last_test_ok)
        self.assertEqual(self.standin.chat_requests[-1].headers["authorization"], f"Bearer {wrong}")
        self.assertFalse([line for line in lines if wrong in line or wrong[-8:] in line], lines)
        self.assertEqual(self.stored_anywhere(wrong), [])

    def test_deleting_a_provider_deletes_its_key(self):
        self.provider.with_user(self.admin).unlink()
        self.assertFalse(self.env["ir.config_parameter"].get_param(key_parameter(self.provider.id)))


@tagged("post_install", "-at_install", "maildesk_ai")
class TestAIProviderAdminJsonRpc(ProviderFixture, HttpCase):

    def test_users_are_refused_the_wizard_and_the_provider_actions_over_json_rpc(self):
        for login in ("md_member", "md_outsider"):
            self.authenticate(login, login)
            _result, error = self.rpc("maildesk.ai.set.key.wizard", "create",
                                      {"provider_id": self.provider.id, "api_key": "sk-user"})
            self.assertEqual(error[0], ACCESS_ERROR, login)
            for action in ("action_test_connection", "action_set_active"):
                _result, error = self.rpc("maildesk.ai.provider", action, [self.provider.id])
                self.assertEqual(error[0], ACCESS_ERROR, (login, action))
        self.assertEqual(self.env["ir.config_parameter"].get_param(key_parameter(self.provider.id)),
                         self.api_key)
        self.assertEqual(self.standin.chat_requests, [])

    def test_an_admin_sets_a_key_over_json_rpc_and_never_reads_it_back(self):
        self.authenticate("md_admin", "md_admin")
        key = "sk-rpc-" + secrets.token_hex(16)
        wizard_id, error = self.rpc("maildesk.ai.set.key.wizard", "create",
                                    {"provider_id": self.provider.id, "api_key": key})
        self.assertIsNone(error)
        self.rpc("maildesk.ai.set.key.wizard", "action_save", [wizard_id])
        read, _error = self.rpc("maildesk.ai.set.key.wizard", "read", [wizard_id], ["api_key"])
        self.assertFalse(read[0]["api_key"])
        provider, _error = self.rpc("maildesk.ai.provider", "read", [self.provider.id])
        self.assertNotIn(key, str(provider))
        self.assertEqual(self.env["ir.config_parameter"].get_param(key_parameter(self.provider.id)), key)
        self.assertEqual(self.stored_anywhere(key), [])
