"""A refusal says nothing about what was refused: not its subject, not whether it exists."""
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import MailDeskFixture


@tagged("post_install", "-at_install", "maildesk_security")
class TestRefusalsRevealNothing(MailDeskFixture, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()
        # Odoo's debug mode ("Technical Features") makes access errors list the refused
        # records by name and the rules that refused them.
        cls.outsider.group_ids += cls.env.ref("base.group_no_one")

    def test_a_foreign_message_or_draft_is_not_named_in_debug_mode(self):
        secret = self.make_index()
        secret.subject = "Merger with Globex, strictly confidential"
        draft = self.env["maildesk.draft"].create({
            "account_id": self.support.id, "user_id": self.member.id,
            "subject": "Layoffs list, do not forward"})
        for record in (secret, draft):
            with self.subTest(model=record._name), self.assertRaises(AccessError) as caught:
                record.with_user(self.outsider).read(["subject"])
            self.assertNotIn(record.subject.split(",")[0], str(caught.exception))
            self.assertNotIn("users with access only", str(caught.exception).lower())
        self.authenticate("md_outsider", "md_outsider")
        self.url_open("/odoo?debug=1")  # the session is in debug mode from now on
        for record in (secret, draft):
            with self.subTest(rpc=record._name):
                _result, error = self.rpc(record._name, "read", [record.id], ["subject"])
                self.assertEqual(error[0], "odoo.exceptions.AccessError")
                self.assertNotIn(record.subject.split(",")[0], error[1])
                self.assertNotIn("users with access only", error[1].lower())

    def test_a_foreign_draft_and_a_missing_one_get_the_same_answer(self):
        draft = self.env["maildesk.draft"].create({
            "account_id": self.support.id, "user_id": self.member.id, "subject": "Ours"})
        missing = draft.id + 1000
        self.authenticate("md_outsider", "md_outsider")
        for method in ("send_status", "cancel_send", "load_draft", "delete_draft", "send_email"):
            with self.subTest(method=method):
                _r, foreign = self.rpc("mailbox.sync", method, draft.id)
                _r, absent = self.rpc("mailbox.sync", method, missing)
                self.assertEqual(foreign, absent)
                self.assertEqual(foreign[0], "odoo.exceptions.AccessError")
        self.assertTrue(draft.exists(), "nothing was done to the foreign draft")
