"""Signatures as seed 003 §3.3 has them: a user's own (for one mailbox or for all of theirs),
a mailbox's shared ones, managed by Mailbox Admins, and what the composer offers for each
mailbox, through the ORM and through JSON-RPC as a logged-in user."""
from odoo.addons.maildesk_mail_client.tests.common import MailDeskFixture
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "maildesk_pro")
class TestSignatures(MailDeskFixture, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()
        Signature = cls.env["mailbox.signature"]
        cls.support.signature = "<p>The Support mailbox</p>"
        cls.team = Signature.with_user(cls.admin).create({
            "name": "Team", "account_id": cls.support.id, "is_shared": True,
            "body_html": "<p>-- The support team</p>"})
        cls.team_formal = Signature.with_user(cls.admin).create({
            "name": "Team, formal", "account_id": cls.support.id, "is_shared": True,
            "is_default": True, "body_html": "<p>Kind regards, Support</p>"})
        cls.others_shared = Signature.with_user(cls.admin).create({
            "name": "Otto's mailbox", "account_id": cls.personal.id, "is_shared": True,
            "body_html": "<p>Otto's shared one</p>"})
        cls.mine_here = Signature.with_user(cls.member).create({
            "name": "Mia at Support", "account_id": cls.support.id,
            "body_html": "<p>Mia, Support</p>"})
        cls.mine_everywhere = Signature.with_user(cls.member).create({
            "name": "Mia", "body_html": "<p>Mia</p>"})
        cls.ottos_own = Signature.with_user(cls.outsider).create({
            "name": "Otto", "body_html": "<p>Otto</p>"})

    def composer(self, user, account):
        return self.env["mailbox.sync"].with_user(user).composer_signatures(account.id)

    def names(self, answer):
        return [s["name"] for s in answer["signatures"]]

    # -- what the composer offers ------------------------------------------------------------------
    def test_the_composer_offers_the_users_own_then_the_mailboxs_shared_ones_then_basics(self):
        answer = self.composer(self.member, self.support)
        self.assertEqual(self.names(answer),
                         ["Mia at Support", "Mia", "Team, formal", "Team", "Support"])
        shared = {s["name"]: s["is_shared"] for s in answer["signatures"]}
        self.assertEqual(shared, {"Mia at Support": False, "Mia": False, "Team, formal": True,
                                  "Team": True, "Support": True})
        self.assertEqual(answer["signatures"][2]["html"], "<p>Kind regards, Support</p>")
        # nobody else's own, and no other mailbox's shared one
        self.assertNotIn("Otto", self.names(answer))
        self.assertNotIn("Otto's mailbox", self.names(answer))

    def test_another_users_composer_shows_their_own_and_never_mine(self):
        answer = self.composer(self.outsider, self.personal)
        self.assertEqual(self.names(answer), ["Otto", "Otto's mailbox"])
        with self.assertRaises(AccessError):
            self.composer(self.outsider, self.support)  # not their mailbox at all

    def test_the_default_is_the_users_own_for_the_mailbox_then_for_all_then_the_shared_one(self):
        self.assertEqual(self.composer(self.member, self.support)["default_id"],
                         self.team_formal.id)  # no default of Mia's: the mailbox's
        self.mine_everywhere.with_user(self.member).is_default = True
        self.assertEqual(self.composer(self.member, self.support)["default_id"],
                         self.mine_everywhere.id)
        self.mine_here.with_user(self.member).is_default = True
        self.assertEqual(self.composer(self.member, self.support)["default_id"], self.mine_here.id)
        # Mia's defaults are hers: the mailbox's default is still the shared one for others
        self.team_formal.invalidate_recordset()
        self.assertTrue(self.team_formal.is_default)

    def test_without_pro_signatures_basics_mailbox_signature_is_the_default(self):
        fresh = self.make_account()
        fresh.write({"access_user_ids": [(4, self.member.id)], "signature": "<p>Fresh</p>"})
        self.env["mailbox.signature"].search([("user_id", "=", self.member.id)]).unlink()
        answer = self.composer(self.member, fresh)
        self.assertEqual(answer, {"signatures": [{"id": "account", "name": fresh.name,
                                                  "html": "<p>Fresh</p>", "is_shared": True}],
                                  "default_id": "account"})

    def test_one_default_per_mailbox_and_per_user(self):
        Signature = self.env["mailbox.signature"].with_user(self.member)
        first = Signature.create({"name": "First", "account_id": self.support.id,
                                  "is_default": True})
        second = Signature.create({"name": "Second", "account_id": self.support.id,
                                   "is_default": True})
        self.assertEqual((first.is_default, second.is_default), (False, True))
        # the shared default of the mailbox is another scope: untouched
        self.assertTrue(self.team_formal.is_default)
        self.team.with_user(self.admin).is_default = True
        self.assertEqual((self.team.is_default, self.team_formal.is_default), (True, False))

    def test_a_signature_is_sanitised_before_the_composer_gets_it(self):
        own = self.env["mailbox.signature"].with_user(self.member).create({
            "name": "Sneaky", "account_id": self.support.id,
            "body_html": '<p onmouseover="steal()">Mia<script>alert(1)</script></p>'})
        [html] = [s["html"] for s in self.composer(self.member, self.support)["signatures"]
                  if s["id"] == own.id]
        self.assertNotIn("script", html)
        self.assertNotIn("onmouseover", html)
        self.assertIn("Mia", html)

    # -- who may change what -----------------------------------------------------------------------
    def test_a_user_cannot_edit_share_or_delete_a_shared_signature(self):
        team = self.team.with_user(self.member)
        self.assertEqual(team.name, "Team")  # readable: it is shared with their mailbox
        with self.assertRaises(AccessError):
            team.write({"body_html": "<p>Mine now</p>"})
        with self.assertRaises(AccessError):
            team.unlink()
        with self.assertRaises(AccessError):
            self.mine_here.with_user(self.member).write({"is_shared": True})
        with self.assertRaises(AccessError):
            self.env["mailbox.signature"].with_user(self.member).create({
                "name": "Shared by me", "account_id": self.support.id, "is_shared": True})

    def test_a_user_can_neither_see_nor_touch_another_users_signature(self):
        ottos = self.ottos_own.with_user(self.member)
        self.assertFalse(self.env["mailbox.signature"].with_user(self.member).search(
            [("id", "=", self.ottos_own.id)]))
        for attempt in (lambda: ottos.name, lambda: ottos.write({"name": "Mine"}), ottos.unlink):
            with self.assertRaises(AccessError):
                attempt()
        with self.assertRaises(AccessError):
            self.env["mailbox.signature"].with_user(self.member).create({
                "name": "In Otto's name", "user_id": self.outsider.id})
        with self.assertRaises(AccessError):
            self.mine_here.with_user(self.member).write({"user_id": self.outsider.id})

    def test_a_user_signs_only_for_mailboxes_they_work_in(self):
        Signature = self.env["mailbox.signature"].with_user(self.member)
        with self.assertRaises(AccessError):
            Signature.create({"name": "For Otto's mailbox", "account_id": self.personal.id})
        with self.assertRaises(AccessError):
            self.mine_here.with_user(self.member).write({"account_id": self.personal.id})
        self.assertFalse(Signature.search([("id", "=", self.others_shared.id)]))

    def test_an_admin_manages_a_mailboxs_shared_signatures_and_default_in_the_wizard(self):
        Wizard = self.env["mailbox.signature.wizard"].with_user(self.admin)
        wizard = Wizard.with_context(default_account_id=self.support.id).create({})
        self.assertEqual(wizard.default_signature_id, self.team_formal)
        wizard.write({"signature_ids": [(0, 0, {"name": "Holidays", "is_shared": True,
                                                "body_html": "<p>Back on Monday</p>"})]})
        holidays = self.support.signature_ids.filtered(lambda s: s.name == "Holidays")
        self.assertTrue(holidays.is_shared)
        self.assertFalse(holidays.user_id, "a shared signature is nobody's own")
        wizard.default_signature_id = holidays
        wizard.action_save()
        self.assertEqual(self.support.signature_ids.filtered("is_default"), holidays)
        self.assertEqual(self.composer(self.member, self.support)["default_id"], holidays.id)
        with self.assertRaises(AccessError):  # a user may open it (seed 003: read) but not save
            self.env["mailbox.signature.wizard"].with_user(self.member).create(
                {"account_id": self.support.id})

    # -- over JSON-RPC, logged in ----------------------------------------------------------------------
    def test_the_composer_rpc_as_a_logged_in_user(self):
        self.authenticate("md_member", "md_member")
        answer, error = self.rpc("mailbox.sync", "composer_signatures", self.support.id)
        self.assertIsNone(error)
        self.assertEqual(self.names(answer),
                         ["Mia at Support", "Mia", "Team, formal", "Team", "Support"])
        self.assertEqual(answer["default_id"], self.team_formal.id)
        _answer, error = self.rpc("mailbox.sync", "composer_signatures", self.personal.id)
        self.assertEqual(error[0], "odoo.exceptions.AccessError")
        _answer, error = self.rpc("mailbox.signature", "write", [self.team.id],
                                  {"body_html": "<p>Changed over RPC</p>"})
        self.assertEqual(error[0], "odoo.exceptions.AccessError")
        _answer, error = self.rpc("mailbox.signature", "create", {
            "name": "Shared over RPC", "account_id": self.support.id, "is_shared": True})
        self.assertEqual(error[0], "odoo.exceptions.AccessError")
        created, error = self.rpc("mailbox.signature", "create", {
            "name": "Mine over RPC", "account_id": self.support.id, "is_default": True})
        self.assertIsNone(error)
        answer, _error = self.rpc("mailbox.sync", "composer_signatures", self.support.id)
        self.assertEqual(answer["default_id"], created)
