"""Reset Sync State: cursors forgotten, index marked for re-sync, nothing a person did lost."""
from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged

from .common import MailDeskFixture


@tagged("post_install", "-at_install")
class TestResetSyncState(MailDeskFixture, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()
        # Leases run on their own cursor: let it see this test's uncommitted accounts.
        cls.registry_enter_test_mode_cls()

    def test_reset_clears_cursors_and_marks_the_index_for_resync(self):
        env = self.env
        self.support.write({"gmail_last_history_id": "991", "backoff_until": fields.Datetime.now(),
                            "last_error": "boom", "sync_failure_count": 3})
        self.support_inbox.write({"uid_validity": "17", "last_uid": 420, "last_uidnext": 421,
                                  "last_highest_modseq": "9000", "sync_state": "incremental"})
        tagged_row, pending_row, plain_row = self.make_index(), self.make_index(), self.make_index()
        tag = self.make_tag()
        tagged_row.tag_ids = tag
        local = env["maildesk.message_index"].create({
            "account_id": self.support.id, "folder_id": self.support_inbox.id,
            "uid": "local-1", "local_pending": True})
        env["maildesk.ui_cache"].create({"index_id": plain_row.id, "json_cache": {"body": {}}})
        done = env["maildesk.ingest_queue"].create({"index_id": tagged_row.id, "state": "done"})
        env["maildesk.ingest_queue"].create({"index_id": plain_row.id, "state": "failed"})
        applied = env["maildesk.email_state"].create({
            "account_id": self.support.id, "index_id": plain_row.id})
        unapplied = env["maildesk.email_state"].create({
            "account_id": self.support.id, "index_id": pending_row.id, "place_intent": "move",
            "target_folder_id": self.make_folder().id})
        env["maildesk.account_lease"].try_acquire(self.support.id, 300)
        other_row = self.make_index(self.personal_inbox)

        action = self.support.with_user(self.admin).action_reset_mailbox_sync_state()

        self.assertEqual(action["params"]["type"], "warning")
        self.assertFalse(self.support.gmail_last_history_id)
        self.assertFalse(self.support.backoff_until)
        self.assertFalse(self.support.last_error)
        self.assertTrue(self.support.maildesk_sync_requested_at)
        self.assertEqual(self.support_inbox.sync_state, "backfill_pending")
        self.assertEqual((self.support_inbox.last_uid, self.support_inbox.last_uidnext), (0, 0))
        self.assertFalse(self.support_inbox.uid_validity)
        self.assertTrue(all((tagged_row | pending_row | plain_row).mapped("deleted_on_server")))
        self.assertFalse(local.deleted_on_server)
        self.assertFalse(other_row.deleted_on_server)
        self.assertEqual(tagged_row.tag_ids, tag)
        self.assertFalse(env["maildesk.ui_cache"].search([("index_id", "=", plain_row.id)]))
        self.assertEqual(env["maildesk.ingest_queue"].search(
            [("index_id.account_id", "=", self.support.id)]), done)
        self.assertFalse(applied.exists())
        self.assertTrue(unapplied.exists())
        self.assertFalse(env["maildesk.account_lease"].search([("account_id", "=", self.support.id)]))

    def test_only_a_mailbox_admin_can_reset(self):
        with self.assertRaises(AccessError):
            self.support.with_user(self.member).action_reset_mailbox_sync_state()
