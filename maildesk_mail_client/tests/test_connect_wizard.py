"""Connect Mailbox: joining a shared mailbox with its address and password."""
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import SUPPORT_PASSWORD, MailDeskFixture


@tagged("post_install", "-at_install")
class TestConnectWizard(MailDeskFixture, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()

    def connect(self, user, email, password):
        wizard = self.env["mailbox.account.wizard"].with_user(user).create(
            {"email": email, "password": password})
        return wizard, wizard.action_connect_mailbox()

    def test_the_right_password_grants_access(self):
        wizard, action = self.connect(self.outsider, " Support@Example.com ", SUPPORT_PASSWORD)
        self.assertIn(self.outsider, self.support.access_user_ids)
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn(self.support, self.env["mailbox.account"].with_user(self.outsider).search([]))
        self.assertNotEqual(wizard.sudo().password, SUPPORT_PASSWORD)

    def test_a_wrong_password_is_refused_and_grants_nothing(self):
        with self.assertRaises(UserError) as caught:
            self.connect(self.outsider, "support@example.com", "guess")
        self.assertIn("No mailbox open to personal connection", str(caught.exception))
        self.assertNotIn(self.outsider, self.support.access_user_ids)

    def test_an_unknown_address_gets_the_same_answer_as_a_wrong_password(self):
        with self.assertRaises(UserError) as unknown:
            self.connect(self.outsider, "nobody@example.com", SUPPORT_PASSWORD)
        with self.assertRaises(UserError) as wrong:
            self.connect(self.outsider, "support@example.com", "guess")
        self.assertEqual(str(unknown.exception), str(wrong.exception))

    def test_a_mailbox_closed_to_personal_connection_is_refused(self):
        self.support.allow_personal_connection = False
        with self.assertRaises(UserError):
            self.connect(self.outsider, "support@example.com", SUPPORT_PASSWORD)
        self.assertNotIn(self.outsider, self.support.access_user_ids)

    def test_a_member_is_told_they_already_have_access(self):
        with self.assertRaises(UserError) as caught:
            self.connect(self.member, "support@example.com", SUPPORT_PASSWORD)
        self.assertIn("already have access", str(caught.exception))

    def test_a_user_without_a_maildesk_group_cannot_use_the_wizard(self):
        with self.assertRaises(AccessError):
            self.connect(self.plain, "support@example.com", SUPPORT_PASSWORD)

    @mute_logger("odoo.addons.maildesk_mail_client.application.services.personal_connection")
    def test_repeated_guessing_is_stopped_even_with_the_right_password(self):
        Wizard = self.env["mailbox.account.wizard"].with_user(self.outsider)
        for _attempt in range(10):
            Wizard.create({"email": "support@example.com", "password": "guess"})
        with self.assertRaises(UserError) as caught:
            self.connect(self.outsider, "support@example.com", SUPPORT_PASSWORD)
        self.assertIn("Too many connection attempts", str(caught.exception))
        self.assertNotIn(self.outsider, self.support.access_user_ids)
        # another user is not affected
        self.connect(self.admin, "support@example.com", SUPPORT_PASSWORD)
        self.assertIn(self.admin, self.support.access_user_ids)
