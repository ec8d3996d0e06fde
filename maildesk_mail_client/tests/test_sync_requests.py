"""Asking for a sync: cheap for a busy shared mailbox, honoured during back-off, told truly."""
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from ..application.services import sync
from .common_imap import ImapCase, rfc822


@tagged("post_install", "-at_install")
class TestSyncRequests(ImapCase):

    def _triggers(self):
        cron = self.env.ref("maildesk_mail_client.ir_cron_sync_mailboxes")
        return self.env["ir.cron.trigger"].sudo().search_count([("cron_id", "=", cron.id)])

    def test_members_polling_a_mailbox_never_write_its_account_row(self):
        self.env.flush_all()
        self.env.cr.execute("SELECT write_date FROM mailbox_account WHERE id = %s", [self.account.id])
        written = self.env.cr.fetchone()[0]
        triggers = self._triggers()
        facade = self.env["mailbox.sync"].with_user(self.member)
        for _ in range(5):
            facade.poll_for_updates(self.account.id)
        self.env.flush_all()
        self.env.cr.execute("SELECT write_date FROM mailbox_account WHERE id = %s", [self.account.id])
        self.assertEqual(self.env.cr.fetchone()[0], written, "a poll wrote the shared account row")
        self.assertTrue(self.account.maildesk_sync_requested_at)
        self.assertEqual(self._triggers(), triggers + 1, "one request wakes the cron once")
        # the sync takes the request; the next poll asks again
        self.sync()
        self.assertFalse(self.account.maildesk_sync_requested_at)
        facade.poll_for_updates(self.account.id)
        self.assertEqual(self._triggers(), triggers + 2)

    def _back_off(self, minutes_ago):
        now = fields.Datetime.now()
        self.account.sudo().write({
            "connection_state": "unreachable", "last_error": "Connection refused.",
            "last_error_at": now - timedelta(minutes=minutes_ago),
            "backoff_until": now + timedelta(hours=2), "sync_failure_count": 4})

    def _due(self):
        self.env.flush_all()
        with self.registry.cursor() as cr:
            env = self.env(cr=cr)
            env.cr.execute("SELECT id FROM mailbox_account WHERE id != %s", [self.account.id])
            others = [r[0] for r in env.cr.fetchall()]
            env.cr.execute("UPDATE mailbox_account SET active = FALSE WHERE id = ANY(%s)", [others])
            sync.run_due_accounts(env)
        self.env.invalidate_all()

    def test_sync_now_runs_during_back_off_at_most_once_a_minute_and_says_so(self):
        self.deliver(rfc822("Waiting"))
        self._back_off(minutes_ago=5)
        self._due()
        self.assertFalse(self.rows(), "backing off: the cron leaves the mailbox alone")
        action = self.account.with_user(self.member).action_sync_now()
        self.assertIn("tries again now", action["params"]["message"])
        self._due()
        self.assertEqual(len(self.rows()), 1, "Sync Now was honoured despite the back-off")
        self.assertEqual(self.account.connection_state, "connected")
        # a failure a few seconds ago: asking again waits for the minute, and says when
        self._back_off(minutes_ago=0)
        self.deliver(rfc822("Later"))
        action = self.account.with_user(self.member).action_sync_now()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("the next try is at", action["params"]["message"])
        self._due()
        self.assertEqual(len(self.rows()), 1, "hammering Sync Now does not hammer the server")
