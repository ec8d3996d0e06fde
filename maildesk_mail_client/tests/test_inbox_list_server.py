"""The list side of the inbox against a real Dovecot: the undo window the engine honours,
opening a message as a member or an admin, conversations with Sent, searching bodies on the
server."""
import time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common_imap import rfc822
from .test_inbox_rpc import QUIET, InboxCase


@tagged("post_install", "-at_install", "maildesk_sync")
class TestInboxListServer(InboxCase):

    def server_count(self, path):
        self.other.select_folder(path, readonly=True)
        return len(self.other.search("ALL"))

    def test_the_engine_waits_for_the_undo_window_before_moving(self):
        self.env["ir.config_parameter"].set_param("maildesk.undo_change_seconds", 2)
        row = self.synced(rfc822("Archive me"))
        cron = self.env.ref("maildesk_mail_client.ir_cron_sync_mailboxes")
        before = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        answer = self.Sync.archive_messages(row.ids)
        woken = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]) - before
        held = self.env["maildesk.email_state"].search([("index_id", "=", row.id)]).next_try_at
        self.assertTrue(any(t.call_at > held for t in woken),
                        "the sync is woken when the window ends, not at its next scheduled run")
        self.sync()
        self.assertEqual((self.server_count("INBOX"), self.server_count("Archive")), (1, 0),
                         "inside the undo window the server is not told")
        time.sleep(2.2)
        self.sync()
        self.assertEqual((self.server_count("INBOX"), self.server_count("Archive")), (0, 1))
        with self.assertRaises(UserError) as caught:
            self.Sync.undo_change(answer["undo_token"])
        self.assertIn("Too late", str(caught.exception))

    def test_an_undone_delete_never_reaches_the_server(self):
        self.env["ir.config_parameter"].set_param("maildesk.undo_change_seconds", 30)
        row = self.synced(rfc822("Oops"))
        answer = self.Sync.delete_messages(row.ids)
        self.sync()
        self.assertEqual(self.Sync.undo_change(answer["undo_token"]), {"undone": 1})
        self.env["ir.config_parameter"].set_param("maildesk.undo_change_seconds", 0)
        self.sync()
        self.assertEqual((self.server_count("INBOX"), self.server_count("Trash")), (1, 0))
        self.assertEqual([r["subject"] for r in self.Sync.message_search_load()["records"]],
                         ["Oops"])

    def test_an_admin_reading_another_mailbox_leaves_it_unread(self):
        row = self.synced(rfc822("For the team", sender="Bob Sender <bob@example.org>",
                                 extra="Reply-To: help@example.org\r\n"))
        admin = self.env["mailbox.sync"].with_user(self.admin)
        message = admin.get_message(row.id)
        self.assertFalse(row.is_read, "the admin is not on this mailbox")
        self.assertEqual(message["sender"], {"name": "Bob Sender", "email": "bob@example.org"})
        self.assertIn(self.account.email, message["received_via"])
        self.assertEqual(message["reply_to"], "help@example.org")
        self.Sync.get_message(row.id)
        self.assertTrue(row.is_read, "a member's reading marks it read")

    def test_the_conversation_includes_my_reply_from_sent(self):
        original = self.synced(rfc822("Contract", message_id="<contract-1@example.org>"))
        reply = rfc822("Re: Contract", sender=f"Me <{self.user}@example.com>",
                       message_id="<contract-2@example.com>",
                       extra="In-Reply-To: <contract-1@example.org>\r\n"
                             "References: <contract-1@example.org>\r\n")
        self.other.append("Sent", reply, flags=[b"\\Seen"])
        self.sync()
        thread = self.Sync.get_thread(original.id)
        # a shared mailbox's Sent holds every teammate's replies: sent from another mail
        # program, nobody can tell whose this one is, so it is not labelled "You"
        self.assertEqual([(m["subject"], m["folder_type"], m["is_own"]) for m in thread["messages"]],
                         [("Contract", "inbox", False), ("Re: Contract", "sent", False)])
        self.account.is_shared = False  # in a mailbox of one's own, its Sent is one's own
        self.assertEqual([m["is_own"] for m in self.Sync.get_thread(original.id)["messages"]],
                         [False, True])

    def test_bodies_are_searched_on_the_server_for_rows_the_user_can_read(self):
        self.synced(rfc822("Order", body="The parcel number is 4711-XZ."),
                    rfc822("Note", body="Grüße von Jürgen Müller"), rfc822("Other"))
        inbox = self.folder("inbox")
        found = self.Sync.search_server("4711-xz", folder_id=inbox.id)
        self.assertEqual([r["subject"] for r in found["records"]], ["Order"])
        self.assertEqual(found["total"], 1)
        self.assertEqual([r["subject"] for r in self.Sync.search_server("Müller")["records"]],
                         ["Note"], "UTF-8 text, in the unified inbox")
        self.assertEqual(self.Sync.search_server('") OR ALL (')["records"], [],
                         "the text is a literal, never IMAP syntax")
        with self.assertRaises(AccessError):
            self.env["mailbox.sync"].with_user(self.outsider).search_server(
                "parcel", folder_id=inbox.id)
        self.account.imap_port = 1
        with mute_logger(QUIET), self.assertRaises(UserError) as caught:
            self.Sync.search_server("parcel", folder_id=inbox.id)
        self.assertIn("cannot be reached", str(caught.exception))
