"""Who else is viewing or answering a conversation: seen by the other readers of that mailbox,
live, and by nobody else, not even through the presence model's own records."""
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, TransactionCase, tagged

from .common import MailDeskFixture
from .common_live import LiveMixin

PRESENCE = "maildesk/presence"
# all a presence record says: who had the inbox open, and when
OWN_FIELDS = {"id", "user_id", "last_ping_at", "display_name", "create_uid", "create_date",
              "write_uid", "write_date"}
REFUSAL = "You do not have access to this message, or it no longer exists."


class PresenceMixin(MailDeskFixture, LiveMixin):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()
        cls.setUpColleague(cls.support)

    def setUp(self):
        super().setUp()
        Index = self.env["maildesk.message_index"]
        # a conversation of two messages in support@, and one in Otto's personal mailbox
        self.question = self.make_index()
        self.answer = self.make_index()
        (self.question | self.answer).thread_id = "<question@example.org>"
        self.private = Index.create({
            "account_id": self.personal.id, "folder_id": self.personal_inbox.id, "uid": "1",
            "subject": "Private", "thread_id": "<question@example.org>"})
        self.forget_bus()

    def ping(self, user, index_id=False, mode="viewing"):
        return self.env["mailbox.sync"].with_user(user).presence_ping(index_id=index_id, mode=mode)

    def presence(self, user, rows):
        return self.env["mailbox.sync"].with_user(user).get_presence(rows.ids)


@tagged("post_install", "-at_install")
class TestPresence(PresenceMixin, TransactionCase):

    def test_two_members_of_a_shared_mailbox_see_each_other(self):
        self.assertEqual(self.ping(self.member, self.question.id), {"others": []})
        mia = {"user_id": self.member.id, "name": "Mia Member", "mode": "viewing"}
        self.assertEqual(self.ping(self.colleague, self.answer.id, "replying"), {"others": [mia]},
                         "another message of the same conversation is the same conversation")
        carl = {"user_id": self.colleague.id, "name": "Carl Colleague", "mode": "replying"}
        self.assertEqual(self.presence(self.member, self.question | self.answer),
                         {self.question.id: [carl], self.answer.id: [carl]})
        self.assertEqual(self.presence(self.colleague, self.question), {self.question.id: [mia]})
        # Mia heard Carl arrive, on the bus, with the rows of the conversation
        self.assertEqual(self.bus_payloads(self.member, PRESENCE)[-1], {
            "account_id": self.support.id, "thread_id": "<question@example.org>",
            "index_ids": sorted((self.question | self.answer).ids, reverse=True),
            "users": [carl]})

    def test_a_message_outside_any_thread_is_a_conversation_of_its_own(self):
        lone = self.make_index()
        self.ping(self.member, lone.id)
        self.ping(self.colleague, lone.id)
        self.assertEqual(self.presence(self.member, lone | self.question), {lone.id: [
            {"user_id": self.colleague.id, "name": "Carl Colleague", "mode": "viewing"}]})
        heard = self.bus_payloads(self.member, PRESENCE)[-1]
        self.assertEqual((heard["thread_id"], heard["index_ids"]), (False, lone.ids))

    def test_a_user_of_another_mailbox_sees_and_hears_nothing(self):
        self.open_inbox(self.outsider)
        self.ping(self.member, self.question.id)
        self.ping(self.outsider, self.private.id)  # same thread key, another mailbox
        self.assertEqual(self.presence(self.outsider, self.private), {})
        self.assertEqual(self.presence(self.member, self.question), {})
        # rows of a mailbox one may not read are left out, like rows nobody looks at
        self.assertEqual(self.presence(self.outsider, self.question | self.private), {})
        self.assertEqual(self.bus_payloads(self.outsider, PRESENCE), [])
        for index_id in (self.question.id, 999999):
            with self.subTest(index_id=index_id), self.assertRaisesRegex(AccessError, REFUSAL):
                self.ping(self.outsider, index_id)

    def test_leaving_and_going_quiet_end_the_presence(self):
        self.ping(self.member, self.question.id)
        self.ping(self.colleague, self.question.id)
        self.ping(self.member, mode="none")  # closed the conversation
        self.assertEqual(self.presence(self.colleague, self.question), {})
        self.assertEqual(self.bus_payloads(self.colleague, PRESENCE)[-1]["users"], [])
        self.ping(self.member, self.question.id)
        self.env.cr.execute("""UPDATE maildesk_presence_conversation
                                  SET pinged_at = pinged_at - interval '91 seconds'
                                WHERE user_id = %s""", [self.member.id])
        self.assertEqual(self.presence(self.colleague, self.question), {},
                         "no heartbeat for longer than the TTL: gone")

    def test_a_heartbeat_on_the_same_conversation_sends_nothing_new(self):
        self.open_inbox(self.colleague)
        self.ping(self.member, self.question.id)
        heard = len(self.bus_payloads(self.colleague, PRESENCE))
        self.ping(self.member, self.question.id)
        self.ping(self.member, self.answer.id)  # same conversation, same mode
        self.assertEqual(len(self.bus_payloads(self.colleague, PRESENCE)), heard)
        self.ping(self.member, self.answer.id, "replying")
        self.assertEqual(len(self.bus_payloads(self.colleague, PRESENCE)), heard + 1)

    def test_someone_removed_from_the_mailbox_no_longer_shows(self):
        self.ping(self.colleague, self.question.id)
        self.support.with_user(self.admin).access_user_ids = [(3, self.colleague.id)]
        self.assertEqual(self.presence(self.member, self.question), {})

    def test_a_mailbox_admin_viewing_is_shown_to_the_members(self):
        self.ping(self.admin, self.question.id)
        self.assertEqual(self.presence(self.member, self.question), {self.question.id: [
            {"user_id": self.admin.id, "name": "Ada Admin", "mode": "viewing"}]})

    def test_an_unknown_mode_and_a_user_without_maildesk_are_refused(self):
        with self.assertRaises(UserError):
            self.ping(self.member, self.question.id, "typing")
        with self.assertRaises(AccessError):
            self.ping(self.plain)

    def test_presence_records_name_no_mailbox_or_conversation(self):
        self.ping(self.colleague, self.question.id, "replying")
        Presence = self.env["maildesk.ui_presence"].with_user(self.outsider)
        rows = Presence.search_read([])
        self.assertIn(self.colleague.id, [r["user_id"][0] for r in rows])
        for row in rows:
            self.assertLessEqual(set(row), OWN_FIELDS)


@tagged("post_install", "-at_install")
class TestPresenceOverJsonRpc(PresenceMixin, HttpCase):

    def test_json_rpc_reveals_nobodys_conversation_to_another_mailbox(self):
        self.ping(self.colleague, self.question.id, "replying")
        self.authenticate("md_outsider", "md_outsider")
        rows, error = self.rpc("maildesk.ui_presence", "search_read", [], [])
        self.assertIsNone(error)
        self.assertTrue(rows)
        for row in rows:
            self.assertLessEqual(set(row), OWN_FIELDS)
        self.assertNotIn("question@example.org", repr(rows))
        self.assertNotIn("replying", repr(rows))
        answer, error = self.rpc("mailbox.sync", "get_presence", [self.question.id])
        self.assertEqual((answer, error), ({}, None))
        _answer, error = self.rpc("mailbox.sync", "presence_ping", index_id=self.question.id)
        self.assertEqual(error, ("odoo.exceptions.AccessError", REFUSAL))
