"""The traffic cop of a shared mailbox: a reply to a conversation that got a message its author
has not read asks first, and is queued only once they confirm; against real servers."""
import uuid
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common_imap import ImapCase, rfc822
from .common_live import LiveMixin

QUESTION = "<question-42@customer.example>"


@tagged("post_install", "-at_install", "maildesk_sync")
class TestTrafficCop(LiveMixin, ImapCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpColleague()

    def setUp(self):
        super().setUp()
        self.add_member(self.account, self.colleague)
        self.deliver(rfc822("Where is my order?", message_id=QUESTION,
                            sender="Cora Customer <cora@customer.example>"))
        self.sync()
        self.question = self.rows()
        self.customer = f"{self.dovecot.new_user('cora')}@example.org"

    def api(self, user):
        return self.env["mailbox.sync"].with_user(user)

    def start_reply(self, user):
        """``user`` opens the question and starts answering it (the draft is saved)."""
        self.api(user).get_message(self.question.id)
        return self.api(user).save_draft(
            account_id=self.account.id, subject="Re: Where is my order?", to_emails=self.customer,
            body_html="<p>It left today.</p>", reply_to_index_id=self.question.id)

    def customer_writes_again(self):
        self.deliver(rfc822("Re: Where is my order?", sender="Cora Customer <cora@customer.example>",
                            body="Any news?",
                            extra=f"In-Reply-To: {QUESTION}\r\nReferences: {QUESTION}\r\n"))
        self.sync()
        follow_up = self.rows(subject="Re: Where is my order?")
        self.assertEqual(follow_up.thread_id, self.question.thread_id, "one conversation")
        return follow_up

    def state(self, draft_id):
        return self.env["maildesk.draft"].browse(draft_id).send_state

    def test_a_message_the_author_has_not_read_stops_the_reply_until_confirmed(self):
        mia_draft = self.start_reply(self.member)
        carl_draft = self.start_reply(self.colleague)
        follow_up = self.customer_writes_again()
        self.api(self.colleague).get_message(follow_up.id)  # Carl read it, Mia did not
        asked = self.api(self.member).send_email(draft_id=mia_draft)
        self.assertEqual(asked["needs_confirmation"], "unseen_messages")
        self.assertEqual(asked["unseen"], 1)
        self.assertIn("1 message(s) you have not read", asked["message"])
        self.assertEqual(self.state(mia_draft), "draft", "nothing queued")
        self.assertEqual(self.api(self.colleague).send_email(draft_id=carl_draft)["state"],
                         "queued", "Carl has read everything: no question")
        sent = self.api(self.member).send_email(draft_id=mia_draft, confirm_unseen=True)
        self.assertEqual((sent["state"], self.state(mia_draft)), ("queued", "queued"))

    def test_reading_the_new_message_first_lets_the_reply_go(self):
        draft = self.start_reply(self.member)
        follow_up = self.customer_writes_again()
        self.api(self.member).get_message(follow_up.id)
        self.assertEqual(self.api(self.member).send_email(draft_id=draft)["state"], "queued")

    def test_a_colleagues_reply_filed_in_sent_counts_the_authors_own_does_not(self):
        mia_draft = self.start_reply(self.member)
        carl_draft = self.start_reply(self.colleague)
        self.api(self.colleague).send_email(draft_id=carl_draft)
        self.env["maildesk.draft"].browse(carl_draft).send_after = \
            fields.Datetime.now() - timedelta(seconds=1)
        self.env["maildesk.draft"]._cron_send_queue()  # sent, its copy filed in Sent
        self.env.invalidate_all()
        self.assertEqual(self.state(carl_draft), "sent")
        self.assertEqual(len(self.rows("sent")), 1)
        self.assertEqual(self.api(self.member).send_email(draft_id=mia_draft)["unseen"], 1,
                         "Carl answered meanwhile: Mia is asked")
        carl_again = self.start_reply(self.colleague)
        self.assertEqual(self.api(self.colleague).send_email(draft_id=carl_again)["state"],
                         "queued", "his own answer is no news to Carl")

    def test_a_send_without_a_saved_draft_is_asked_too_and_its_confirmation_finds_it(self):
        self.api(self.member).get_message(self.question.id)
        self.customer_writes_again()
        values = dict(account_id=self.account.id, subject="Re: Where is my order?",
                      to_emails=self.customer, body_html="<p>Soon.</p>",
                      reply_to_index_id=self.question.id, client_token=uuid.uuid4().hex)
        self.assertEqual(self.api(self.member).send_email(**values)["unseen"], 1)
        sent = self.api(self.member).send_email(confirm_unseen=True, **values)
        self.assertEqual(sent["state"], "queued")
        drafts = self.env["maildesk.draft"].search([("client_token", "=", values["client_token"])])
        self.assertEqual(len(drafts), 1, "the question and the confirmation made one draft")
