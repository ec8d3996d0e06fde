"""Seed 003's Pro rows through the ORM: each model, each persona, each operation."""
from odoo.addons.maildesk_mail_client.tests.test_access_matrix_orm import OrmMatrix
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged

from .common_pro_security import EXPECTED_PRO, ProSecurityFixture


@tagged("post_install", "-at_install", "maildesk_security")
class TestProAccessMatrixOrm(OrmMatrix, ProSecurityFixture, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()

    def test_every_pro_model_every_persona_every_operation(self):
        self.assert_matrix(EXPECTED_PRO)

    def test_users_manage_their_own_signatures_and_read_only_the_shared_ones_they_work_with(self):
        Signature = self.env["mailbox.signature"]
        own = Signature.with_user(self.member).create({"name": "Mia", "body_html": "<p>Mia</p>"})
        own.with_user(self.member).write({"name": "Mia M."})
        shared = self.target("mailbox.signature", "member")
        others = Signature.create({"name": "Otto", "user_id": self.outsider.id})
        visible = Signature.with_user(self.member).search([])
        self.assertIn(own, visible)
        self.assertIn(shared, visible)
        self.assertNotIn(others, visible)
        self.assertNotIn(shared, Signature.with_user(self.outsider).search([]))
        with self.assertRaises(AccessError):
            shared.with_user(self.member).write({"name": "Hijacked"})
        with self.assertRaises(AccessError):
            others.with_user(self.member).unlink()
        own.with_user(self.member).unlink()

    def test_a_conversation_without_a_mailbox_stays_private_to_its_creator(self):
        Conversation = self.env["maildesk.ai.conversation"]
        private = Conversation.create({"user_id": self.member.id, "name": "Mine"})
        answer = self.env["maildesk.ai.conversation.message"].create(
            {"conversation_id": private.id, "role": "assistant", "content": "Private"})
        self.assertEqual(Conversation.with_user(self.member).search([("id", "=", private.id)]),
                         private)
        self.assertFalse(Conversation.with_user(self.outsider).search([("id", "=", private.id)]))
        with self.assertRaises(AccessError):
            answer.with_user(self.outsider).read(["content"])
        answer.with_user(self.member).read(["content"])
        shared = self.target("maildesk.ai.conversation", "member")
        other_member = self.env["res.users"].create({
            "name": "Teammate", "login": "md_teammate",
            "group_ids": [(6, 0, [self.env.ref("base.group_user").id,
                                  self.env.ref("maildesk_mail_client.group_mailbox_user").id])]})
        self.support.access_user_ids = [(4, other_member.id)]
        self.assertEqual(Conversation.with_user(other_member).search([("id", "=", shared.id)]),
                         shared, "a mailbox's conversation is shared with its members")
        self.assertFalse(Conversation.with_user(other_member).search([("id", "=", private.id)]))

    def test_a_mailbox_user_cannot_see_which_mailboxes_may_send_attachments_to_ai(self):
        with self.assertRaises(AccessError):
            self.support.with_user(self.member).read(["allow_ai_attachments"])
        self.assertTrue(self.support.with_user(self.member).read(["allow_ai"])[0]["allow_ai"])
        self.assertFalse(self.support.with_user(self.admin).allow_ai_attachments,
                         "attachments are off until an administrator opts a mailbox in")
        with self.assertRaises(AccessError):
            self.support.with_user(self.member).write({"allow_ai": False})
