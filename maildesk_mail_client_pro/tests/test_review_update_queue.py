"""Review (issue 10): a snooze whose entry is gone (its person deleted, the entry failed)
must still end: the shared mailbox's messages come back at their time."""
from datetime import timedelta

from odoo import fields
from odoo.addons.maildesk_mail_client.tests.common import USER
from odoo.addons.maildesk_mail_client.tests.common_imap import ImapHttpCase, rfc822
from odoo.tests import new_test_user, tagged

from .test_update_queue import later


@tagged("post_install", "-at_install", "maildesk_pro")
class TestReviewSnoozeOrphans(ImapHttpCase):

    def setUp(self):
        super().setUp()
        self.Sync = self.env["mailbox.sync"].with_user(self.member)

    def inbox_subjects(self):
        page = self.Sync.message_search_load(account_id=self.account.id, threaded=False)
        return sorted(r["subject"] for r in page["records"])

    def snooze_time_passes(self, rows):
        past = fields.Datetime.now() - timedelta(seconds=1)
        self.env["maildesk.update_queue"].search([("index_ids", "in", rows.ids)]).scheduled_at = past
        rows.snoozed_until = past

    def test_messages_a_deleted_user_snoozed_come_back_for_the_team_at_their_time(self):
        self.deliver(rfc822("Snoozed by a leaver"), rfc822("Stay here"))
        self.sync()
        row = self.rows().filtered(lambda r: r.subject == "Snoozed by a leaver")
        leaver = new_test_user(self.env, "md_leaver", groups="base.group_user," + USER)
        self.account.with_user(self.admin).access_user_ids = [(4, leaver.id)]
        self.env["mailbox.sync"].with_user(leaver).snooze_messages(row.ids, later(hours=1))
        self.assertEqual(self.inbox_subjects(), ["Stay here"])
        leaver.unlink()  # their queue entries go with them (ondelete cascade)
        self.snooze_time_passes(row)
        self.env["maildesk.update_queue"]._cron_process_queue()
        self.env.invalidate_all()
        self.assertEqual(self.inbox_subjects(), ["Snoozed by a leaver", "Stay here"])

    def test_a_message_still_snoozed_by_a_pending_entry_waits_for_it(self):
        self.deliver(rfc822("Wait for me"))
        self.sync()
        row = self.rows()
        self.Sync.snooze_messages(row.ids, later(hours=1))
        self.env["maildesk.update_queue"]._cron_process_queue()
        self.env.invalidate_all()
        self.assertEqual(self.inbox_subjects(), [])

