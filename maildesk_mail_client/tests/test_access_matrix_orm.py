"""Seed 003 through the ORM: each model, each persona, each of read/write/create/unlink."""
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged

from .common import EXPECTED, OPERATIONS, ROLES, MailDeskFixture


class _Rollback(Exception):
    pass


class OrmMatrix:
    """Seed 003's matrix through the ORM. The fixture (MailDeskFixture, or Pro's) gives
    ``target``, ``create_vals`` and ``write_vals`` for each model it covers."""

    def attempt(self, operation, model, role):
        """Run ``operation`` as ``role`` and roll it back; True when Odoo allowed it."""
        user = self.users[role]
        if model == "mailbox.sync":
            return self.env[model].with_user(user).has_access(operation)
        if operation == "create":
            vals = self.create_vals(model)
        else:
            record = self.target(model, role)
        try:
            with self.env.cr.savepoint():
                if operation == "read":
                    record.with_user(user).read(["display_name"])
                elif operation == "write":
                    record.with_user(user).write(self.write_vals(model))
                elif operation == "create":
                    self.env[model].with_user(user).create(vals)
                else:
                    record.with_user(user).unlink()
                self.env.flush_all()
                raise _Rollback()
        except _Rollback:
            return True
        except AccessError:
            return False
        finally:
            self.env.invalidate_all()

    def assert_matrix(self, expected):
        for model, by_role in expected.items():
            for role in ROLES:
                for operation in OPERATIONS:
                    with self.subTest(model=model, role=role, operation=operation):
                        self.assertEqual(
                            self.attempt(operation, model, role), by_role[role][operation])


@tagged("post_install", "-at_install", "maildesk_security")
class TestAccessMatrixOrm(OrmMatrix, MailDeskFixture, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()

    def test_every_model_every_persona_every_operation(self):
        self.assert_matrix(EXPECTED)

    def test_outsider_and_member_see_only_their_own_mailboxes(self):
        Account = self.env["mailbox.account"]
        self.assertEqual(Account.with_user(self.member).search([]), self.support)
        self.assertEqual(Account.with_user(self.outsider).search([]), self.personal)
        self.assertEqual(Account.with_user(self.admin).search([]) & (self.support | self.personal),
                         self.support | self.personal)
        row = self.make_index()
        Index = self.env["maildesk.message_index"]
        self.assertIn(row, Index.with_user(self.member).search([]))
        self.assertNotIn(row, Index.with_user(self.outsider).search([]))
        self.assertFalse(self.env["mailbox.folder"].with_user(self.outsider).search(
            [("account_id", "=", self.support.id)]))

    def test_removing_a_user_from_the_access_list_takes_effect_at_once(self):
        row = self.make_index()
        self.support.access_user_ids = [(4, self.outsider.id)]
        row.with_user(self.outsider).read(["subject"])
        self.support.with_user(self.admin).access_user_ids = [(3, self.outsider.id)]
        with self.assertRaises(AccessError):
            row.with_user(self.outsider).read(["subject"])
        with self.assertRaises(AccessError):
            self.support.with_user(self.outsider).read(["name"])

    def test_outsider_cannot_point_a_state_change_into_another_mailbox(self):
        """The rule checks account_id; a row of theirs must not reference support@'s mail."""
        foreign_row = self.make_index()
        # refused as an unreadable reference, the same answer as an id that does not exist
        with self.assertRaises(AccessError):
            with self.env.cr.savepoint():
                self.env["maildesk.email_state"].with_user(self.outsider).create({
                    "account_id": self.personal.id, "index_id": foreign_row.id})

    def test_a_user_cannot_see_another_users_connect_wizard(self):
        wizard = self.env["mailbox.account.wizard"].with_user(self.member).create(
            {"email": "support@example.com", "password": "typed secret"})
        with self.assertRaises(AccessError):
            wizard.with_user(self.outsider).read(["password"])
        self.assertFalse(self.env["mailbox.account.wizard"].with_user(self.outsider).search([]))
