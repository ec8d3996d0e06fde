"""What a Mailbox User does in the inbox, through mailbox.sync, against real servers."""
import re

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..application.services import bodies
from .common_imap import ImapCase, rfc822

QUIET = "odoo.addons.maildesk_mail_client.application.services"


class InboxCase(ImapCase):
    """The member's facade, and mail delivered then synced."""

    def setUp(self):
        super().setUp()
        self.Sync = self.env["mailbox.sync"].with_user(self.member)

    def synced(self, *messages):
        self.deliver(*messages)
        self.sync()
        return self.rows()


@tagged("post_install", "-at_install", "maildesk_sync")
class TestInbox(InboxCase):

    # -- reading ---------------------------------------------------------------------------
    def test_the_list_pages_filters_and_searches(self):
        rows = self.synced(*(rfc822(f"Invoice {n}", sender=f"Billing <bill{n}@vendor.example>")
                             for n in range(5)), rfc822("Lunch on Friday?", body="Pizza or sushi"))
        inbox = self.folder("inbox")
        page = self.Sync.message_search_load(folder_id=inbox.id, limit=4)
        self.assertEqual((len(page["records"]), page["total"], page["hasMore"]), (4, 6, True))
        self.assertEqual(self.Sync.message_search_load(folder_id=inbox.id, search="friday")
                         ["records"][0]["subject"], "Lunch on Friday?")
        # words of the body: the list searches subject and addresses, the server the rest
        self.assertEqual(self.Sync.message_search_load(folder_id=inbox.id, search="sushi")
                         ["records"], [])
        self.assertEqual([r["subject"] for r in self.Sync.search_server("sushi")["records"]],
                         ["Lunch on Friday?"])
        found = self.Sync.message_search_load(folder_id=inbox.id, filters={"from": "bill3@"})
        self.assertEqual([r["subject"] for r in found["records"]], ["Invoice 3"])
        rows.filtered(lambda r: r.subject == "Invoice 1").is_starred = True
        starred = self.Sync.message_search_load(folder_id=inbox.id, filters={"starred": True})
        self.assertEqual(starred["total"], 1)
        unified = self.Sync.message_search_load()
        self.assertEqual(unified["total"], 6)
        tree = self.Sync.get_folder_tree(self.account.id)
        self.assertEqual(tree[0]["name"], "Inbox")
        self.assertEqual(tree[0]["unread_count"], 6)

    def test_opening_a_message_sanitises_it_blocks_remote_images_and_caches_it(self):
        html = ('<p onclick="steal()">Hello<script>alert(1)</script>'
                '<img src="https://tracker.example/pixel.gif"></p>')
        row = self.synced(rfc822("Newsletter", body=html,
                                 extra="Content-Type: text/html; charset=utf-8\r\n"))
        message = self.Sync.get_message(row.id)
        self.assertIn("Hello", message["body_html"])
        self.assertNotIn("<script", message["body_html"])
        self.assertNotIn("onclick", message["body_html"])
        self.assertFalse(re.search(r'(?<![-\w])src="https://tracker', message["body_html"]))
        self.assertEqual(message["remote_images_blocked"], 1)
        allowed = self.Sync.get_message(row.id, allow_remote_images=True)
        self.assertIn("https://tracker.example/pixel.gif", allowed["body_html"])
        self.assertTrue(row.is_read, "opening marks it read")
        # the cached body still opens when the server is unreachable
        self.account.imap_port = 1
        self.assertIn("Hello", self.Sync.get_message(row.id)["body_html"])

    def test_cached_bodies_expire(self):
        row = self.synced(rfc822("Cache me"))
        self.Sync.get_message(row.id)
        cache = self.env["maildesk.ui_cache"].search([("index_id", "=", row.id)])
        self.assertEqual(cache.json_cache_until.date(),
                         (fields.Datetime.now() + bodies.retention(self.env)).date())
        cache.cache_until = fields.Datetime.now().replace(year=2000)
        self.env["maildesk.ui_cache"]._cron_cleanup_expired_cache()
        self.assertFalse(cache.exists())

    def test_attachments_are_listed(self):
        raw = (b"From: a@example.org\r\nSubject: Report\r\nMIME-Version: 1.0\r\n"
               b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n"
               b"\r\nSee attached\r\n--zz\r\nContent-Type: application/pdf\r\nContent-Disposition: "
               b"attachment; filename=report.pdf\r\n\r\n%PDF-fake\r\n--zz--\r\n")
        row = self.synced(raw)
        self.assertTrue(row.has_attachments)
        message = self.Sync.get_message(row.id)
        self.assertEqual([a["name"] for a in message["attachments"]], ["report.pdf"])
        name, mimetype, data = bodies.attachment_bytes(row.with_user(self.member), "2")
        self.assertEqual((name, mimetype, data), ("report.pdf", "application/pdf", b"%PDF-fake"))

    # -- changing --------------------------------------------------------------------------------
    def test_read_star_move_archive_and_delete_reach_the_server(self):
        rows = self.synced(*(rfc822(f"Act {n}") for n in range(4)))
        by_subject = {r.subject: r for r in rows}
        tag = self.make_tag()
        self.Sync.update_tags([by_subject["Act 1"].id], [tag.id])
        # a selection may name a message twice (shift-click over a range it already held)
        self.Sync.set_flags([by_subject["Act 0"].id] * 2, is_read=True, is_starred=True)
        self.Sync.move_messages([by_subject["Act 1"].id], self.folder("drafts").id)
        self.Sync.archive_messages([by_subject["Act 2"].id])
        self.Sync.delete_messages([by_subject["Act 3"].id])
        # the inbox shows the changes at once, before any sync
        listed = self.Sync.message_search_load(folder_id=self.folder("inbox").id)["records"]
        self.assertEqual([r["subject"] for r in listed], ["Act 0"])
        self.assertTrue(listed[0]["is_read"] and listed[0]["is_starred"])
        self.sync()
        self.assertTrue({b"\\Seen", b"\\Flagged"} <= self.server_flags("INBOX", 1))
        self.other.select_folder("INBOX", readonly=True)
        self.assertEqual(self.other.search("ALL"), [1])
        for path in ("Archive", "Trash", "Drafts"):
            self.other.select_folder(path, readonly=True)
            self.assertEqual(len(self.other.search("ALL")), 1, path)
        moved = self.env["maildesk.message_index"].browse(by_subject["Act 1"].id)
        self.assertEqual(moved.folder_id.folder_type, "drafts")
        self.assertEqual(moved.tag_ids, tag, "a moved message keeps its tags")
        self.assertFalse(self.env["maildesk.email_state"].search(
            [("account_id", "=", self.account.id)]), "applied changes leave no state behind")
        # a further sync changes nothing: the server agrees with the index
        self.sync()
        self.assertTrue(self.env["maildesk.message_index"].browse(by_subject["Act 0"].id).is_read)

    @mute_logger(QUIET)
    def test_changes_made_while_the_server_is_down_are_kept_and_applied_later(self):
        row = self.synced(rfc822("Offline"))
        self.account.imap_port = 1
        self.Sync.set_flags([row.id], is_read=True)
        self.assertEqual(self.sync()["status"], "error")
        state = self.env["maildesk.email_state"].search([("index_id", "=", row.id)])
        self.assertTrue(state.read_intent == "read" and row.is_read)
        self.account.write({"imap_port": self.dovecot.imap_port})
        self.sync()
        self.assertIn(b"\\Seen", self.server_flags("INBOX", row.uid))
        self.assertFalse(state.exists())

    def test_a_pending_change_is_not_undone_by_a_sync(self):
        row = self.synced(rfc822("Mine"))
        self.Sync.set_flags([row.id], is_starred=True)
        # another client changes something else meanwhile
        self.other.select_folder("INBOX")
        self.other.add_flags([int(row.uid)], [b"\\Seen"])
        self.sync()
        self.assertTrue(row.is_starred)
        self.assertTrue({b"\\Seen", b"\\Flagged"} <= self.server_flags("INBOX", row.uid))

    def test_unread_and_unstar_reach_the_server_and_only_what_was_asked_changes(self):
        seen_flagged, plain = self.synced(rfc822("Read and starred"), rfc822("Plain"))
        self.other.select_folder("INBOX")
        self.other.add_flags([int(seen_flagged.uid)], [b"\\Seen", b"\\Flagged"])
        self.sync()
        self.assertTrue(seen_flagged.is_read and seen_flagged.is_starred)
        self.Sync.set_flags(seen_flagged.ids, is_read=False)
        self.Sync.set_flags(plain.ids, is_starred=True)
        self.Sync.set_flags(seen_flagged.ids, is_starred=False)  # a second change, same message
        self.sync()
        self.assertFalse({b"\\Seen", b"\\Flagged"} & self.server_flags("INBOX", seen_flagged.uid))
        self.assertEqual(self.server_flags("INBOX", plain.uid) & {b"\\Seen", b"\\Flagged"},
                         {b"\\Flagged"}, "marking a star leaves the read state as it was")
        self.assertFalse(seen_flagged.is_read or seen_flagged.is_starred)
        self.assertFalse(self.env["maildesk.email_state"].search(
            [("account_id", "=", self.account.id)]))

    def test_the_last_place_asked_for_a_message_wins(self):
        rows = self.synced(rfc822("Delete then archive"), rfc822("Archive then delete"))
        by_subject = {r.subject: r for r in rows}
        first, second = by_subject["Delete then archive"], by_subject["Archive then delete"]
        self.Sync.delete_messages(first.ids)
        self.Sync.archive_messages(first.ids)
        self.Sync.archive_messages(second.ids)
        self.Sync.delete_messages(second.ids)
        self.assertEqual((first.pending_move_to_id, first.pending_delete),
                         (self.folder("archive"), False))
        self.assertEqual((second.pending_move_to_id.id, second.pending_delete), (False, True))
        self.sync()
        for path, subject in (("Archive", "Delete then archive"), ("Trash", "Archive then delete")):
            self.other.select_folder(path, readonly=True)
            uids = self.other.search("ALL")
            self.assertEqual(len(uids), 1, path)
            header = self.other.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])[uids[0]]
            self.assertIn(subject, header[b"BODY[HEADER.FIELDS (SUBJECT)]"].decode(), path)
        self.other.select_folder("INBOX", readonly=True)
        self.assertEqual(self.other.search("ALL"), [])

    # -- composing (sending itself: test_sending.py) ------------------------------------------
    def test_reply_all_leaves_out_our_own_addresses(self):
        row = self.synced(rfc822("Team thread", sender="Boss <boss@example.org>",
                                 to=f"{self.user}@example.com, Ann <ann@example.org>"))
        reply = self.Sync.prepare_reply(row.id, reply_all=True)
        self.assertEqual(reply["to_emails"], "boss@example.org")
        self.assertEqual(reply["cc_emails"], "Ann <ann@example.org>")
        with_reply_to = self.synced(rfc822("Support case", sender="noreply@vendor.example",
                                           extra="Reply-To: Help Desk <help@vendor.example>\r\n"))
        with_reply_to = with_reply_to.filtered(lambda r: r.subject == "Support case")
        self.assertEqual(self.Sync.prepare_reply(with_reply_to.id)["to_emails"],
                         "Help Desk <help@vendor.example>")
        forward = self.Sync.prepare_forward(row.id)
        self.assertEqual(forward["subject"], "Fwd: Team thread")

    # -- access ----------------------------------------------------------------------------------
    def test_another_mailboxs_ids_are_refused_everywhere(self):
        row = self.synced(rfc822("Private"))
        outsider = self.env["mailbox.sync"].with_user(self.outsider)
        foreign_folder = self.folder("inbox").id
        calls = [
            ("get_message", (row.id,)), ("set_flags", ([row.id], True)),
            ("move_messages", ([row.id], foreign_folder)), ("delete_messages", ([row.id],)),
            ("archive_messages", ([row.id],)), ("update_tags", ([row.id], [])),
            ("prepare_reply", (row.id,)), ("prepare_forward", (row.id,)),
            ("message_search_load", (None, foreign_folder)), ("get_folder_tree", (self.account.id,)),
            ("poll_for_updates", (self.account.id,)),
            ("save_draft", ()),
        ]
        for method, args in calls:
            with self.subTest(method=method), self.assertRaises(AccessError):
                kwargs = {"account_id": self.account.id} if method == "save_draft" else {}
                getattr(outsider, method)(*args, **kwargs)
        # moving one's own message into another mailbox's folder is refused too
        own = self.env["maildesk.message_index"].create({
            "account_id": self.personal.id, "folder_id": self.personal_inbox.id, "uid": "77"})
        with self.assertRaises(AccessError):
            outsider.move_messages([own.id], foreign_folder)
        self.assertFalse(row.is_read)

    # -- into Odoo -----------------------------------------------------------------------------------
    def test_a_reply_to_odoo_mail_lands_in_the_records_chatter(self):
        partner = self.env["res.partner"].create({"name": "ACME Corp"})
        odoo_mail = partner.message_post(body="Our offer", message_type="comment")
        self.sync()
        self.deliver(rfc822("Re: Our offer", sender="Buyer <buyer@acme.example>",
                            body="We accept the offer.",
                            extra=f"In-Reply-To: {odoo_mail.message_id}\r\n"
                                  f"References: {odoo_mail.message_id}\r\n"))
        self.deliver(rfc822("Unrelated"))
        self.sync()
        result = self.run_ingest_cron()
        self.assertEqual((result["queued"], result["done"]), (1, 1))
        posted = partner.message_ids.filtered(lambda m: "We accept the offer" in (m.body or ""))
        self.assertEqual(len(posted), 1)
        job = self.env["maildesk.ingest_queue"].search([("index_id.subject", "=", "Re: Our offer")])
        self.assertEqual((job.state, job.processed_model, job.processed_res_id),
                         ("done", "res.partner", partner.id))
        # running again files nothing twice
        self.assertEqual(self.run_ingest_cron()["queued"], 0)
