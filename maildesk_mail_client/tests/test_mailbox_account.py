"""Bad input on a mailbox account is refused with a sentence that says what to fix."""
from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged

from .common import MailDeskFixture


@tagged("post_install", "-at_install")
class TestMailboxAccount(MailDeskFixture, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()

    def create_as_admin(self, **overrides):
        vals = {"name": "Sales", "email": "sales@example.com", "imap_host": "imap.example.com",
                "owner_id": self.admin.id}
        vals.update(overrides)
        return self.env["mailbox.account"].with_user(self.admin).create(vals)

    def assertRefused(self, fragment, **overrides):
        with self.assertRaises(ValidationError) as caught:
            self.create_as_admin(**overrides)
        self.assertIn(fragment, str(caught.exception))

    def test_the_owner_is_always_among_users_with_access(self):
        account = self.create_as_admin(owner_id=self.outsider.id,
                                       access_user_ids=[(6, 0, [self.member.id])])
        self.assertEqual(account.access_user_ids, self.member | self.outsider)
        account.owner_id = self.member
        self.assertIn(self.member, account.access_user_ids)

    def test_the_owner_cannot_be_removed_from_users_with_access(self):
        with self.assertRaises(ValidationError) as caught:
            self.support.with_user(self.admin).access_user_ids = [(3, self.member.id)]
        self.assertIn("first make someone else the owner", str(caught.exception))
        self.assertIn(self.member, self.support.access_user_ids)

    def test_missing_owner_is_refused(self):
        self.assertRefused("needs an owner", owner_id=False)
        with self.assertRaises(ValidationError):
            self.support.with_user(self.admin).owner_id = False

    def test_the_creator_is_the_default_owner(self):
        account = self.env["mailbox.account"].with_user(self.admin).create(
            {"email": "hello@example.com", "imap_host": "imap.example.com"})
        self.assertEqual(account.owner_id, self.admin)
        self.assertEqual(account.name, "hello@example.com")

    def test_malformed_email_is_refused(self):
        for bad in ("not-an-address", "a@", "@example.com", "two@@example.com"):
            with self.subTest(email=bad):
                self.assertRefused("is not a valid email address", email=bad)

    def test_ports_out_of_range_are_refused(self):
        self.assertRefused("IMAP port between 1 and 65535", imap_port=70000)
        self.assertRefused("IMAP port between 1 and 65535", imap_port=0)
        self.assertRefused("SMTP port between 1 and 65535", smtp_host="smtp.example.com",
                           smtp_port=-1)

    def test_imap_mailbox_without_server_is_refused(self):
        self.assertRefused("needs an IMAP server", imap_host=False)
        self.assertRefused("needs an IMAP server", imap_host="   ")

    def test_oauth_mailboxes_need_no_imap_server(self):
        account = self.create_as_admin(provider="gmail", imap_host=False,
                                       email="team@gmail.com")
        self.assertEqual(account.provider, "gmail")
