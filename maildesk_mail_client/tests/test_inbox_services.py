"""Gmail and Outlook mailboxes in the inbox, in Chromium: a member reads and stars mail of a
mailbox synced from the Google / Microsoft stand-in, and the star reaches the service."""
from odoo.tests import tagged

from ..application.services import cursor_sync
from .common_oauth import GmailCase, OutlookCase


class _InBrowser:
    def tour(self, name):
        self.env.flush_all()
        self.start_tour("/odoo/maildesk", name, login="md_member", timeout=180)
        self.env.invalidate_all()


@tagged("post_install", "-at_install", "maildesk_tours")
class TestGmailInTheInbox(_InBrowser, GmailCase):

    def test_a_member_reads_and_stars_gmail_mail_in_the_inbox(self):
        arrived = self.standin.deliver(subject="Hello from the service")
        self.assertEqual(self.sync()["status"], "ok")
        self.tour("maildesk_inbox_gmail")
        self.sync()  # the star goes to Gmail with the next sync
        self.assertIn("STARRED", self.standin.messages[self.standin.gmail_id(arrived)].labels)
        self.assertNotIn("UNREAD", self.standin.messages[self.standin.gmail_id(arrived)].labels)

    def test_a_revoked_mailbox_says_sign_in_again_and_stays_readable(self):
        self.standin.deliver(subject="Hello from the service")
        self.assertEqual(self.sync()["status"], "ok")
        self.standin.revoke_grants()
        self.standin.expire_access_tokens()
        cursor_sync.forget_listing(self.env, self.account.id)
        self.assertEqual(self.sync()["status"], "error")
        self.tour("maildesk_inbox_sign_in_again")


@tagged("post_install", "-at_install", "maildesk_tours")
class TestOutlookInTheInbox(_InBrowser, OutlookCase):

    def test_a_member_reads_and_stars_outlook_mail_in_the_inbox(self):
        box = self.standin.mailbox()
        new_id = box.add_raw(
            b"From: Bo <bo@example.org>\r\nTo: owner@contoso.example\r\n"
            b"Subject: Hello from the service\r\nMessage-ID: <hello-service@example.org>\r\n"
            b"Date: Tue, 01 Dec 2026 09:00:00 +0000\r\n\r\nHello from the service body\r\n",
            box.well_known["inbox"], is_read=False)
        self.assertEqual(self.sync()["status"], "ok")
        self.tour("maildesk_inbox_outlook")
        self.sync()
        self.assertTrue(box.messages[new_id].flagged)
        self.assertTrue(box.messages[new_id].is_read)
