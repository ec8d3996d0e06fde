"""The sync engine against a real Dovecot: what a user of the mailbox would notice."""
import time

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..application.services import sync
from .common_imap import ImapCase, rfc822
from .hostile_corpus import corpus
from .mailservers import DroppingProxy

QUIET = "odoo.addons.maildesk_mail_client.application.services.sync"


@tagged("post_install", "-at_install", "maildesk_sync")
class TestImapSync(ImapCase):

    def test_first_sync_indexes_everything_newest_first_and_marks_nothing_read(self):
        self.deliver(*(rfc822(f"Message {n}", body=f"Body {n}") for n in range(5)))
        self.other.append("Archive", rfc822("Filed away"))
        result = self.sync()
        self.assertEqual(result["status"], "ok")
        inbox = self.rows()
        self.assertEqual(inbox.mapped("subject"), [f"Message {n}" for n in range(4, -1, -1)])
        self.assertEqual(self.rows("archive").subject, "Filed away")
        self.assertFalse(any(inbox.mapped("is_read")))
        self.assertNotIn(b"\\Seen", self.server_flags("INBOX", 1))
        self.assertEqual(set(self.account.folder_ids.mapped("folder_type")),
                         {"inbox", "sent", "drafts", "trash", "spam", "archive"})
        inbox_folder = self.folder("inbox")
        self.assertEqual((inbox_folder.sync_state, inbox_folder.total_count,
                          inbox_folder.unread_count), ("incremental", 5, 5))
        self.assertEqual(self.account.connection_state, "connected")
        self.assertFalse(any(inbox.mapped("ingest_allowed")), "history is not filed into Odoo")

    def test_new_mail_arrives_on_the_next_sync(self):
        self.deliver(rfc822("Old"))
        self.sync()
        self.deliver(rfc822("New one", body="Fresh news"))
        result = self.sync()
        new = self.rows(subject="New one")
        self.assertEqual(len(self.rows()), 2)
        self.assertEqual(new.preview, "Fresh news")
        self.assertTrue(new.ingest_allowed, "new mail may be filed into Odoo records")
        self.assertEqual(result["new"], 1)

    def test_a_sync_without_changes_sends_no_folder_command(self):
        self.deliver(rfc822("Only"))
        self.sync()
        result = self.sync()
        # greeting + login + ENABLE, then one LIST-STATUS for all six folders, and nothing else
        self.assertEqual(result["round_trips"], 4)
        self.assertEqual((result["new"], result["updated"], result["removed"]), (0, 0, 0))

    def test_changes_made_by_another_client_are_followed(self):
        self.deliver(rfc822("Flag me"), rfc822("Move me"), rfc822("Delete me"))
        self.sync()
        self.other.select_folder("INBOX")
        self.other.add_flags([1], [b"\\Seen", b"\\Flagged"])
        self.other.move([2], "Archive")
        self.other.delete_messages([3])
        self.other.expunge()
        self.sync()
        inbox = self.rows()
        self.assertEqual(inbox.subject, "Flag me")
        self.assertTrue(inbox.is_read and inbox.is_starred)
        self.assertEqual(self.rows("archive").subject, "Move me")
        self.assertFalse(self.rows(subject="Delete me"))
        self.assertEqual(self.folder("inbox").unread_count, 0)

    def test_a_uidvalidity_change_reindexes_the_folder_without_duplicates(self):
        self.other.create_folder("Clients")
        for n in range(3):
            self.other.append("Clients", rfc822(f"Client {n}", message_id=f"<client{n}@x>"))
        self.sync()
        clients = self.folder_at("Clients")
        tag = self.make_tag()
        self.env["maildesk.message_index"].search([("folder_id", "=", clients.id),
                                                   ("message_id", "=", "<client1@x>")]).tag_ids = tag
        old_validity = clients.uid_validity
        self.other.delete_folder("Clients")
        time.sleep(1.1)  # Dovecot derives UIDVALIDITY from the clock
        self.other.create_folder("Clients")
        for n in range(3):
            self.other.append("Clients", rfc822(f"Client {n}", message_id=f"<client{n}@x>"))
        self.sync()
        clients = self.folder_at("Clients")
        rows = self.env["maildesk.message_index"].search([("folder_id", "=", clients.id)])
        self.assertNotEqual(clients.uid_validity, old_validity)
        self.assertEqual(sorted(rows.mapped("subject")), ["Client 0", "Client 1", "Client 2"])
        self.assertEqual(rows.filtered(lambda r: r.message_id == "<client1@x>").tag_ids, tag)

    def test_a_second_worker_skips_a_mailbox_being_synced(self):
        self.deliver(rfc822("Busy"))
        Lease = self.env["maildesk.account_lease"]
        self.assertTrue(Lease.try_acquire(self.account.id, 300, owner="worker-a"))
        self.assertEqual(self.sync()["status"], "busy")
        self.assertFalse(self.rows())
        Lease.release(self.account.id, owner="worker-a")
        self.assertEqual(self.sync()["status"], "ok")
        self.assertEqual(len(self.rows()), 1)

    @mute_logger(QUIET)
    def test_a_connection_dropped_mid_sync_loses_and_doubles_nothing(self):
        self.deliver(*(rfc822(f"Bulk {n} " + "subject words " * 50, body="x" * 1500)
                       for n in range(45)))
        # How much a whole first sync reads, measured on a clone of this mailbox's user ...
        twin = self.dovecot.new_user()
        for n in range(45):
            self.dovecot.deliver(twin, rfc822(f"Bulk {n} " + "subject words " * 50, body="x" * 1500))
        with DroppingProxy(self.dovecot.imap_port) as meter:
            twin_account = self.account.copy({"email": f"{twin}@example.com", "imap_login": twin,
                                              "imap_port": meter.port, "password": "secret"})
            self.assertEqual(sync.sync_account(self.env, twin_account.id, batch_size=10)["status"], "ok")
        # ... then the real mailbox loses its connection a little before half of that.
        with DroppingProxy(self.dovecot.imap_port, drop_after=meter.bytes_from_server * 45 // 100) as proxy:
            self.account.imap_port = proxy.port
            first = self.sync(batch_size=10)
        self.assertEqual(first["status"], "error")
        self.assertEqual(self.account.connection_state, "unreachable")
        kept = len(self.rows())
        self.assertTrue(0 < kept < 45, f"some batches committed before the drop ({kept})")
        self.account.imap_port = self.dovecot.imap_port
        self.assertEqual(self.sync(batch_size=10)["status"], "ok")
        rows = self.rows()
        self.assertEqual(len(rows), 45)
        self.assertEqual(len(set(rows.mapped("uid"))), 45)

    @mute_logger(QUIET)
    def test_a_wrong_password_is_shown_and_the_owner_told_and_nothing_lost(self):
        self.deliver(rfc822("Kept"))
        self.sync()
        self.account.with_user(self.admin).password = "not-the-password"
        result = self.sync()
        self.assertEqual(result["status"], "error")
        self.assertEqual(self.account.connection_state, "auth_failed")
        self.assertIn("refused the sign-in", self.account.last_error)
        self.assertIn("Authentication failed", self.account.last_error)
        self.assertTrue(self.account.backoff_until)
        self.assertEqual(len(self.rows()), 1, "what was indexed stays")
        note = self.account.message_ids[:1]
        self.assertIn(self.member.partner_id, note.partner_ids)
        self.assertIn("refused the sign-in", note.body)
        # a second failure with the same words does not tell the owner again
        self.sync()
        self.assertEqual(self.account.message_ids[:1], note)
        # fixing the password lifts the back-off and the next sync recovers
        self.account.with_user(self.admin).password = "secret"
        self.assertFalse(self.account.backoff_until)
        self.assertEqual(self.sync()["status"], "ok")
        self.assertEqual(self.account.connection_state, "connected")

    def test_hostile_and_malformed_mail_is_indexed_without_stopping_the_sync(self):
        messages = corpus()
        for _name, raw in messages:
            self.other.append("INBOX", raw or b"\r\n")
        self.deliver(rfc822("After the junk"))
        self.assertEqual(self.sync()["status"], "ok")
        self.assertEqual(len(self.rows()), len(messages) + 1)
        self.assertTrue(self.rows(subject="After the junk"))
        # Dates nobody can believe keep what the sender wrote, but sort by their arrival:
        # spam dated 2999 does not sit on top of the inbox for ever.
        future, past = self.rows(subject="from the future"), self.rows(subject="from the past")
        self.assertEqual((future.date.year, past.date.year), (2999, 1900))
        now = time.time()
        for row in future | past:
            self.assertLess(abs(row.sort_ts - now), 3600, row.subject)

    def test_folders_created_and_removed_on_the_server_follow(self):
        self.other.create_folder("Projects/2026")
        self.sync()
        paths = set(self.account.folder_ids.mapped("imap_name"))
        self.assertIn("Projects/2026", paths)
        child = self.account.folder_ids.filtered(lambda f: f.imap_name == "Projects/2026")
        self.assertEqual(child.parent_id.imap_name, "Projects")
        self.other.delete_folder("Projects/2026")
        self.sync()
        self.assertNotIn("Projects/2026", set(self.account.folder_ids.mapped("imap_name")))

    def test_backslashes_tabs_and_accents_are_indexed_as_written(self):
        raw = (b"From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@example.de>\r\n"
               b"To: =?utf-8?q?Ren=C3=A9?= <rene@example.fr>, \"Doe, John\" <john@example.org>\r\n"
               b"Subject: =?utf-8?q?Pfad_C:\\temp\\neu_=E2=80=94_Gr=C3=BC=C3=9Fe?=\r\n"
               b"Message-ID: <path@example.de>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0100\r\n"
               b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
               b"Datei:\tC:\\temp\\neu\\bericht.txt \\N\r\n")
        self.other.append("INBOX", raw)
        self.sync()
        row = self.rows()
        self.assertEqual(row.subject, "Pfad C:\\temp\\neu — Grüße")
        self.assertEqual(row.sender_display_name, "Jürgen Müller")
        self.assertEqual(row.to_addrs, 'René <rene@example.fr>, "Doe, John" <john@example.org>')
        self.assertIn("C:\\temp\\neu\\bericht.txt \\N", row.preview)
        page = self.env["mailbox.sync"].message_search_load(
            folder_id=self.folder("inbox").id, search="rené")
        self.assertEqual([m["id"] for m in page["records"]], row.ids)

    def test_fetching_indexed_messages_again_refreshes_them_and_keeps_what_users_own(self):
        self.deliver(*(rfc822(f"Message {n}") for n in range(3)))
        self.sync()
        rows = self.rows()
        tag = self.env["mail.message.tag"].create({"name": "Follow up"})
        rows[0].tag_ids = tag
        rows[1].subject = "Stale"
        inbox = self.folder("inbox")
        # as if the folder's cursor had been lost: every message comes back as "new"
        inbox.write({"last_uid": 0, "last_uidnext": 1})
        self.env.flush_all()
        result = self.sync()
        self.assertEqual(result["status"], "ok")
        again = self.rows()
        self.assertEqual(again, rows, "no message doubled")
        self.assertEqual(sorted(again.mapped("subject")), ["Message 0", "Message 1", "Message 2"])
        self.assertEqual(rows[0].tag_ids, tag)
        self.assertFalse(any(again.mapped("ingest_allowed")), "old mail is not filed into Odoo")

    def test_a_sent_copy_filed_locally_becomes_the_servers_row(self):
        # What sending files when the server does not say which UID it gave the Sent copy.
        self.sync()
        sent = self.folder("sent")
        local = self.env["maildesk.message_index"].create({
            "account_id": self.account.id, "folder_id": sent.id, "uid": "local-<out@example.com>",
            "local_pending": True, "message_id": "<out@example.com>", "subject": "Our answer",
            "is_read": True})
        self.other.append("Sent", rfc822("Our answer", message_id="<out@example.com>"),
                          flags=[b"\\Seen"])
        self.sync()
        rows = self.rows("sent")
        self.assertEqual(len(rows), 1)
        self.assertFalse(local.exists())
        self.assertEqual((rows.uid, rows.subject, rows.local_pending), ("1", "Our answer", False))

    def test_an_unexpected_failure_is_reported_backs_off_and_keeps_what_was_indexed(self):
        self.deliver(rfc822("Kept"))
        self.sync()
        # the database refuses one row, as a defect of ours would make it do
        self.env.cr.execute("""ALTER TABLE maildesk_message_index ADD CONSTRAINT maildesk_test_refuse
                               CHECK (subject IS DISTINCT FROM 'Poison')""")
        self.deliver(rfc822("Poison"))
        with mute_logger(QUIET):
            result = self.sync()
        self.assertEqual(result["status"], "error")
        self.assertIn("unexpected problem while synchronising (CheckViolation)", self.account.last_error)
        self.assertTrue(self.account.backoff_until)
        self.assertEqual(self.rows().mapped("subject"), ["Kept"])
        self.assertIn("unexpected problem", self.account.message_ids[0].body)
        self.env.cr.execute("ALTER TABLE maildesk_message_index DROP CONSTRAINT maildesk_test_refuse")
        self.assertEqual(self.sync()["status"], "ok")
        self.assertEqual(sorted(self.rows().mapped("subject")), ["Kept", "Poison"])
