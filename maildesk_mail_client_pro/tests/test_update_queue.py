"""The outbound update queue: send later, snooze and bulk changes, each applied by the cron;
users only create entries (a cancellation is one), nobody deletes one.

The cron runs here as Odoo runs it, on cursors of its own that share this test's transaction
(production_tests/ proves what its real commits do). Time passing is written into the rows.
"""
from datetime import timedelta

from odoo import fields
from odoo.addons.maildesk_mail_client.tests.common_imap import ImapHttpCase, rfc822
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..application.services import update_queue

ACCESS_ERROR = "odoo.exceptions.AccessError"


def later(**delta):
    return fields.Datetime.to_string(fields.Datetime.now() + timedelta(**delta))


@tagged("post_install", "-at_install", "maildesk_pro")
class TestUpdateQueue(ImapHttpCase):

    def setUp(self):
        super().setUp()
        self.Sync = self.env["mailbox.sync"].with_user(self.member)
        self.Queue = self.env["maildesk.update_queue"]
        self.env["ir.config_parameter"].set_param("maildesk.undo_send_seconds", "0")

    # -- helpers ----------------------------------------------------------------------------------
    def time_passes(self, entry_id):
        """The entry's time has come (written as superuser: nobody else may touch the queue)."""
        self.Queue.browse(entry_id).scheduled_at = fields.Datetime.now() - timedelta(seconds=1)

    def snooze_time_passes(self, rows):
        """The time the rows were snoozed until has come."""
        past = fields.Datetime.now() - timedelta(seconds=1)
        self.Queue.search([("action", "=", "snooze"), ("index_ids", "in", rows.ids)]).scheduled_at = past
        rows.snoozed_until = past

    def run_queue(self, **kwargs):
        result = update_queue.process_due(self.env, **kwargs)
        self.env.invalidate_all()
        return result

    def run_send_worker(self):
        self.env.flush_all()
        self.env["maildesk.draft"]._cron_send_queue()
        self.env.invalidate_all()

    def received_by(self, address):
        return [m for m in self.smtp.messages if address in m["rcpt_tos"]]

    def draft(self, subject="Later"):
        address = f"{self.dovecot.new_user('rcpt')}@example.org"
        draft_id = self.Sync.save_draft(account_id=self.account.id, subject=subject,
                                        to_emails=address, body_html="<p>At its time.</p>")
        return draft_id, address

    def inbox_subjects(self, **filters):
        page = self.Sync.message_search_load(account_id=self.account.id, filters=filters,
                                             threaded=False)
        return sorted(r["subject"] for r in page["records"])

    # -- send later -------------------------------------------------------------------------------
    def test_a_message_sent_later_goes_out_at_its_time_through_the_send_queue_once(self):
        draft_id, address = self.draft()
        answer = self.Sync.schedule_send(later(hours=2), draft_id=draft_id)
        self.assertEqual(answer["draft_id"], draft_id)
        self.assertEqual(self.Sync.list_scheduled(self.account.id), [{
            "queue_id": answer["queue_id"], "draft_id": draft_id, "subject": "Later",
            "to": address, "scheduled_at": answer["scheduled_at"], "state": "pending"}])
        self.run_queue()
        self.run_send_worker()
        self.assertEqual(self.received_by(address), [], "not before its time")
        self.assertEqual(self.Sync.send_status(draft_id)["state"], "draft")
        self.time_passes(answer["queue_id"])
        self.run_queue()
        self.assertEqual(self.Sync.send_status(draft_id)["state"], "queued")
        self.run_send_worker()
        self.run_queue()
        self.run_send_worker()
        [sent] = self.received_by(address)
        self.assertIn(b"Subject: Later", sent["data"])
        self.assertEqual(self.Sync.send_status(draft_id)["state"], "sent")
        self.assertEqual(self.Sync.list_scheduled(), [])

    def test_a_cancellation_is_an_entry_and_stops_the_message(self):
        draft_id, address = self.draft()
        queue_id = self.Sync.schedule_send(later(hours=1), draft_id=draft_id)["queue_id"]
        self.assertEqual(self.Sync.cancel_scheduled(queue_id), {"cancelled": True})
        self.time_passes(queue_id)
        self.run_queue()
        self.run_send_worker()
        self.assertEqual(self.received_by(address), [])
        self.assertEqual(self.Sync.send_status(draft_id)["state"], "draft")
        entry = self.Queue.browse(queue_id)
        cancel = self.Queue.search([("cancels_id", "=", queue_id)])
        self.assertEqual((entry.state, cancel.action, cancel.state, cancel.user_id),
                         ("cancelled", "cancel", "done", self.member))
        self.assertEqual(self.Sync.cancel_scheduled(queue_id), {"cancelled": True})  # twice: fine

    def test_scheduling_again_moves_the_time_and_sends_once(self):
        draft_id, address = self.draft()
        first = self.Sync.schedule_send(later(hours=1), draft_id=draft_id)["queue_id"]
        second = self.Sync.schedule_send(later(hours=3), draft_id=draft_id)
        self.assertEqual([s["queue_id"] for s in self.Sync.list_scheduled()], [second["queue_id"]])
        self.assertEqual(self.Queue.browse(first).state, "cancelled")
        for queue_id in (first, second["queue_id"]):
            self.time_passes(queue_id)
        self.run_queue()
        self.run_send_worker()
        self.assertEqual(len(self.received_by(address)), 1)

    def test_cancelling_after_the_time_takes_it_back_while_the_send_queue_waits(self):
        self.env["ir.config_parameter"].set_param("maildesk.undo_send_seconds", "60")
        draft_id, address = self.draft()
        queue_id = self.Sync.schedule_send(later(minutes=5), draft_id=draft_id)["queue_id"]
        self.time_passes(queue_id)
        self.run_queue()
        self.assertEqual(self.Sync.send_status(draft_id)["state"], "queued")
        self.assertEqual(self.Sync.cancel_scheduled(queue_id), {"cancelled": True})
        self.assertEqual(self.Sync.send_status(draft_id)["state"], "draft")

    def test_a_time_in_the_past_or_nonsense_is_refused_with_a_sentence(self):
        draft_id, _address = self.draft()
        for when in (later(hours=-1), "tomorrow", "9999-12-31 23:59:59", None):
            with self.assertRaises(UserError) as caught:
                self.Sync.schedule_send(when, draft_id=draft_id)
            self.assertIn("Pick a time in the future", str(caught.exception))
        # ISO 8601 with an offset, as a browser may send it, is understood as UTC
        soon = fields.Datetime.now().replace(microsecond=0) + timedelta(hours=2)
        answer = self.Sync.schedule_send(soon.strftime("%Y-%m-%dT%H:%M:%S+00:00"), draft_id=draft_id)
        self.assertEqual(answer["scheduled_at"], fields.Datetime.to_string(soon))

    @mute_logger("odoo.addons.maildesk_mail_client.application.services")
    def test_a_message_that_cannot_go_at_its_time_fails_and_tells_its_writer(self):
        draft_id, _address = self.draft()
        queue_id = self.Sync.schedule_send(later(hours=1), draft_id=draft_id)["queue_id"]
        self.account.with_user(self.admin).smtp_host = False  # the mailbox lost its SMTP server
        self.time_passes(queue_id)
        self.run_queue()
        entry = self.Queue.browse(queue_id)
        self.assertEqual(entry.state, "failed")
        self.assertIn("no outgoing (SMTP) server", entry.error_message)
        notices = self.env["mail.message"].search([
            ("model", "=", "mailbox.account"), ("res_id", "=", self.account.id),
            ("partner_ids", "in", self.member.partner_id.id)])
        self.assertTrue(any("was not sent at its time" in (m.body or "") for m in notices))

    # -- snooze -----------------------------------------------------------------------------------------
    def test_a_snoozed_message_leaves_the_inbox_and_comes_back_unread_at_its_time(self):
        self.deliver(rfc822("Snooze me"), rfc822("Stay here"))
        self.sync()
        row = self.rows().filtered(lambda r: r.subject == "Snooze me")
        self.Sync.set_flags(row.ids, is_read=True)
        self.sync()
        self.assertIn(b"\\Seen", self.server_flags("INBOX", row.uid))
        answer = self.Sync.snooze_messages(row.ids, later(days=1))
        self.assertEqual(answer["count"], 1)
        self.assertEqual(self.inbox_subjects(), ["Stay here"])
        self.assertEqual(self.inbox_subjects(snoozed=True), ["Snooze me"])
        self.assertEqual(self.Sync.count_matching(account_id=self.account.id), {"count": 1})
        [inbox] = self.Sync.get_folder_tree(self.account.id)[:1]
        self.assertEqual(inbox["unread_count"], 1)
        self.run_queue()
        self.assertEqual(self.inbox_subjects(), ["Stay here"], "not before its time")
        self.snooze_time_passes(row)
        self.assertEqual(self.inbox_subjects(), ["Stay here"], "until the cron brings it back")
        self.run_queue()
        self.assertEqual(self.inbox_subjects(), ["Snooze me", "Stay here"])
        self.assertEqual(self.inbox_subjects(unread=True), ["Snooze me", "Stay here"])
        self.sync()  # the server hears of it like of any change: \\Seen is gone there too
        self.assertNotIn(b"\\Seen", self.server_flags("INBOX", row.uid))

    def test_unsnoozing_brings_messages_back_at_once_and_their_time_changes_nothing(self):
        self.deliver(rfc822("Back now"))
        self.sync()
        row = self.rows()
        self.Sync.set_flags(row.ids, is_read=True)
        self.Sync.snooze_messages(row.ids, later(hours=4))
        self.Sync.unsnooze_messages(row.ids)
        self.assertEqual(self.inbox_subjects(), ["Back now"])
        self.time_passes(self.Queue.search([("action", "=", "snooze")]).id)
        self.run_queue()
        self.assertTrue(row.is_read, "its old time does not mark it unread any more")

    def test_snoozing_a_conversation_snoozes_all_of_it_and_another_mailbox_is_refused(self):
        self.deliver(rfc822("Thread", message_id="<t1@example.org>"),
                     rfc822("Re: Thread", extra="In-Reply-To: <t1@example.org>\r\n"))
        self.sync()
        head = self.rows().filtered(lambda r: r.subject == "Re: Thread")
        self.assertEqual(self.Sync.snooze_messages(head.ids, later(hours=1), conversations=True)
                         ["count"], 2)
        self.assertEqual(self.inbox_subjects(), [])
        foreign = self.make_index(self.personal_inbox)
        with self.assertRaises(AccessError):
            self.Sync.snooze_messages(foreign.ids, later(hours=1))
        self.assertFalse(foreign.snoozed_until)

    # -- bulk changes ------------------------------------------------------------------------------------
    def test_a_bulk_change_of_3000_messages_is_applied_in_committed_chunks_with_progress(self):
        folder = self.make_folder(self.support)
        Index = self.env["maildesk.message_index"]
        Index.create([{"account_id": self.support.id, "folder_id": folder.id, "uid": str(n),
                       "subject": f"Bulk {n}", "sort_ts": 1_700_000_000 + n} for n in range(3000)])
        with self.assertRaises(UserError):  # the number confirmed must be the number matching
            self.Sync.queue_bulk_change("read", 2999, folder_id=folder.id)
        answer = self.Sync.queue_bulk_change("read", 3000, folder_id=folder.id)
        self.assertEqual(answer["count"], 3000)
        status = self.Sync.bulk_status(answer["queue_id"])
        self.assertEqual(status, {"state": "pending", "done_count": 0, "total": 3000, "error": False})
        self.run_queue(max_steps=1)
        self.assertEqual(self.Sync.bulk_status(answer["queue_id"]),
                         {"state": "running", "done_count": update_queue.CHUNK, "total": 3000,
                          "error": False})
        self.assertEqual(Index.search_count([("folder_id", "=", folder.id), ("is_read", "=", True)]),
                         update_queue.CHUNK)
        self.run_queue()
        self.assertEqual(self.Sync.bulk_status(answer["queue_id"])["state"], "done")
        self.assertEqual(Index.search_count([("folder_id", "=", folder.id), ("is_read", "=", True)]),
                         3000)
        self.assertEqual(self.env["maildesk.email_state"].search_count(
            [("index_id.folder_id", "=", folder.id), ("read_intent", "=", "read")]), 3000)

    def test_a_bulk_move_checks_its_target_and_goes_to_the_folder(self):
        source, target = self.make_folder(self.support), self.make_folder(self.support)
        rows = self.make_index(source) | self.make_index(source)
        with self.assertRaises(AccessError):
            self.Sync.queue_bulk_change("move", 2, folder_id=source.id,
                                        target_folder_id=self.personal_inbox.id)
        answer = self.Sync.queue_bulk_change("move", 2, folder_id=source.id,
                                             target_folder_id=target.id)
        self.run_queue()
        self.assertEqual(rows.mapped("pending_move_to_id"), target)
        self.assertEqual(self.Sync.bulk_status(answer["queue_id"])["done_count"], 2)
        with self.assertRaises(UserError):
            self.Sync.queue_bulk_change("read", 0)  # the unified view: one mailbox at a time

    def test_a_bulk_change_runs_as_its_requester_who_lost_access_meanwhile(self):
        folder = self.make_folder(self.support)
        self.make_index(folder)
        answer = self.Sync.queue_bulk_change("star", 1, folder_id=folder.id)
        self.support.write({"owner_id": self.outsider.id})
        self.support.write({"access_user_ids": [(3, self.member.id)]})
        self.run_queue()
        self.assertFalse(self.env["maildesk.message_index"].search(
            [("folder_id", "=", folder.id), ("is_starred", "=", True)]))
        self.assertEqual(self.Queue.browse(answer["queue_id"]).state, "done")

    # -- who may do what with the queue ------------------------------------------------------------
    def entry_vals(self, **extra):
        return dict({"account_id": self.support.id, "action": "snooze",
                     "index_ids": [(6, 0, self.make_index().ids)],
                     "scheduled_at": later(hours=1)}, **extra)

    def test_users_only_create_entries_through_the_orm(self):
        Queue = self.Queue.with_user(self.member)
        entry = Queue.create(self.entry_vals(state="done", user_id=self.admin.id, attempts=7))
        as_root = self.Queue.browse(entry.id)
        self.assertEqual((as_root.state, as_root.user_id, as_root.attempts),
                         ("pending", self.member, 0), "what the user wrote is not what the cron trusts")
        for attempt in (lambda: entry.read(["state"]), lambda: entry.write({"state": "done"}),
                        entry.unlink, lambda: Queue.search([])):
            with self.assertRaises(AccessError):
                attempt()
        with self.assertRaises(AccessError):  # nobody deletes an entry, not even an admin
            self.Queue.with_user(self.admin).browse(entry.id).unlink()
        self.assertEqual(self.Queue.with_user(self.admin).browse(entry.id).state, "pending")

    def test_an_entry_about_another_mailbox_is_refused(self):
        Queue = self.Queue.with_user(self.member)
        foreign_row = self.make_index(self.personal_inbox)
        foreign_draft = self.env["maildesk.draft"].create({"account_id": self.personal.id,
                                                            "user_id": self.outsider.id})
        refused = [
            self.entry_vals(account_id=self.personal.id),
            self.entry_vals(index_ids=[(6, 0, foreign_row.ids)]),
            self.entry_vals(index_ids=[(0, 0, {"account_id": self.support.id, "uid": "x",
                                               "folder_id": self.support_inbox.id})]),
            self.entry_vals(action="send_later", draft_id=foreign_draft.id, index_ids=False),
            self.entry_vals(action="bulk_change", payload={
                "change": "move", "target_folder_id": self.personal_inbox.id}),
        ]
        for vals in refused:
            with self.assertRaises(AccessError):
                Queue.create(vals)
        outsiders = self.Queue.with_user(self.outsider).create(dict(
            self.entry_vals(account_id=self.personal.id),
            index_ids=[(6, 0, foreign_row.ids)]))
        with self.assertRaises(AccessError):  # cancelling is for one's own entries only
            Queue.create({"account_id": self.personal.id, "action": "cancel",
                          "cancels_id": outsiders.id})
        with self.assertRaises(AccessError):
            self.Sync.cancel_scheduled(outsiders.id)
        with self.assertRaises(AccessError):
            self.Sync.bulk_status(outsiders.id)

    def test_users_only_create_entries_through_json_rpc(self):
        self.authenticate("md_member", "md_member")
        vals = self.entry_vals()
        entry_id, error = self.rpc("maildesk.update_queue", "create", vals)
        self.assertIsNone(error)
        for method, args in (("read", [[entry_id], ["state"]]), ("write", [[entry_id], {"state": "done"}]),
                             ("unlink", [[entry_id]]), ("search_read", [[]])):
            _result, error = self.rpc("maildesk.update_queue", method, *args)
            self.assertEqual(error[0], ACCESS_ERROR, method)
        foreign = self.make_index(self.personal_inbox)
        _result, error = self.rpc("maildesk.update_queue", "create",
                                  dict(vals, index_ids=[[6, 0, foreign.ids]]))
        self.assertEqual(error[0], ACCESS_ERROR)
        _result, error = self.rpc("mailbox.sync", "snooze_messages", foreign.ids, later(hours=1))
        self.assertEqual(error[0], ACCESS_ERROR)
        self.authenticate("md_plain", "md_plain")
        _result, error = self.rpc("maildesk.update_queue", "create", vals)
        self.assertEqual(error[0], ACCESS_ERROR)
