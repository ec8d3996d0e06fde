"""The inbox's list as a Mailbox User and a Mailbox Admin see it: views, conversations, the
search box, paging and estimated totals, "all N matching" and undo of changes."""
from datetime import datetime, timezone
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, tagged

from ..application.services import bulk
from ..application.services import mailbox_queries as queries
from .common import MailDeskFixture


def ts(day, hour=10):
    return int(datetime(2026, 3, day, hour, tzinfo=timezone.utc).timestamp())


@tagged("post_install", "-at_install")
class TestInboxListViews(MailDeskFixture, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()
        cls.sent = cls.env["mailbox.folder"].create({
            "account_id": cls.support.id, "name": "Sent", "imap_name": "Sent",
            "folder_type": "sent"})

    def setUp(self):
        super().setUp()
        self.Sync = self.env["mailbox.sync"].with_user(self.member)

    def mail(self, subject, day, folder=None, **vals):
        folder = folder or self.support_inbox
        n = self._n()
        values = {"account_id": folder.account_id.id, "folder_id": folder.id, "uid": str(n),
                  "subject": subject, "from_addr": "customer@example.org",
                  "sender_display_name": "Carla Customer", "to_addrs": "support@example.com",
                  "sort_ts": ts(day), "date": datetime(2026, 3, day, 10),
                  "thread_id": f"<t{n}@example.org>", "message_id": f"<m{n}@example.org>"}
        values.update(vals)
        return self.env["maildesk.message_index"].create(values)

    def subjects(self, **kwargs):
        page = self.Sync.message_search_load(**kwargs)
        return [r["subject"] for r in page["records"]]

    # -- views ------------------------------------------------------------------------------
    def test_the_unified_inbox_is_the_mailboxes_the_user_is_on_even_for_an_admin(self):
        self.mail("To support", 1)
        self.mail("To Otto", 2, folder=self.personal_inbox)
        self.assertEqual(self.subjects(), ["To support"])
        admin = self.env["mailbox.sync"].with_user(self.admin)
        self.assertEqual(admin.message_search_load()["records"], [],
                         "an admin on no mailbox has an empty unified inbox")
        self.assertEqual(admin.message_search_load(folder_id=self.personal_inbox.id)
                         ["records"][0]["subject"], "To Otto", "but may open any mailbox")
        self.support.access_user_ids |= self.admin
        self.assertEqual([r["subject"] for r in admin.message_search_load()["records"]],
                         ["To support"])
        accounts = {a["id"]: a for a in admin.get_account_list()}
        self.assertTrue(accounts[self.support.id]["is_member"])
        self.assertFalse(accounts[self.personal.id]["is_member"])
        self.assertEqual(accounts[self.support.id]["unread_inbox"], 1)
        self.assertEqual(admin.get_unread_counts([self.personal.id]), {self.personal_inbox.id: 1})
        self.assertEqual(self.Sync.get_unread_counts(),
                         {self.support_inbox.id: 1, self.sent.id: 0})
        with self.assertRaises(AccessError):
            self.Sync.get_unread_counts([self.personal.id])

    def test_a_mailbox_in_trouble_says_what_to_do_to_whom(self):
        self.support.sudo().connection_state = "unreachable"
        problem = {a["id"]: a for a in self.Sync.get_account_list()}[self.support.id]["problem"]
        self.assertEqual((problem["title"], problem["action"]), ("Server unreachable", "sync_now"))
        self.support.sudo().connection_state = "auth_failed"
        problem = {a["id"]: a for a in self.Sync.get_account_list()}[self.support.id]["problem"]
        self.assertFalse(problem["action"], "a Mailbox User cannot fix the password")
        self.assertIn("Ask a Mailbox Admin", problem["message"])
        admin = self.env["mailbox.sync"].with_user(self.admin)
        problem = {a["id"]: a for a in admin.get_account_list()}[self.support.id]["problem"]
        self.assertEqual(problem["action"], "open_account")
        self.support.sudo().connection_state = "connected"
        self.assertFalse({a["id"]: a for a in self.Sync.get_account_list()}[self.support.id]["problem"])

    def test_conversations_are_one_row_with_their_size_and_unread_count(self):
        first = self.mail("Question", 1, is_read=True)
        thread = first.thread_id
        self.mail("Re: Question", 2, thread_id=thread)
        self.mail("Re: Question (newest)", 3, thread_id=thread, is_read=True)
        mine = self.mail("Re: Question (my reply)", 4, folder=self.sent, thread_id=thread)
        self.mail("Other", 2)
        # the Sent copy of a reply this member sent through MailDesk
        self.env["maildesk.draft"].create({"account_id": self.support.id, "user_id": self.member.id,
                                           "subject": "Re: Question", "send_state": "sent",
                                           "outgoing_message_id": mine.message_id})
        page = self.Sync.message_search_load(folder_id=self.support_inbox.id)
        rows = {r["subject"]: r for r in page["records"]}
        self.assertEqual(list(rows), ["Re: Question (newest)", "Other"])
        self.assertEqual((rows["Re: Question (newest)"]["thread_size"],
                          rows["Re: Question (newest)"]["thread_unread"]), (3, 1))
        self.assertEqual((rows["Other"]["thread_size"], rows["Other"]["thread_unread"]), (1, 1))
        self.assertEqual(page["total"], 2)
        flat = self.Sync.message_search_load(folder_id=self.support_inbox.id, threaded=False)
        self.assertEqual(flat["total"], 4)
        self.assertNotIn("thread_size", flat["records"][0])
        # a filter finds the conversation by its matching message
        unread = self.subjects(folder_id=self.support_inbox.id, filters={"unread": True})
        self.assertEqual(unread, ["Other", "Re: Question"])
        # the conversation in the reading pane: every folder, my reply from Sent included
        messages = self.Sync.get_thread(first.id)["messages"]
        self.assertEqual([m["subject"] for m in messages],
                         ["Question", "Re: Question", "Re: Question (newest)",
                          "Re: Question (my reply)"])
        self.assertEqual([m["is_own"] for m in messages], [False, False, False, True])
        self.assertEqual(messages[-1]["folder_type"], "sent")
        # the shared mailbox's Sent holds everyone's replies: a teammate sees who wrote mine
        theirs = self.env["mailbox.sync"].with_user(self.admin).get_thread(first.id)["messages"]
        self.assertEqual([(m["is_own"], m["sent_by"]) for m in theirs][-1],
                         (False, self.member.name), "my reply is not 'You' for a teammate")
        self.assertEqual(theirs[0]["sent_by"], False)
        with self.assertRaises(AccessError):
            self.env["mailbox.sync"].with_user(self.outsider).get_thread(first.id)

    def test_the_search_box_syntax_filters_the_list(self):
        tag = self.make_tag()
        self.mail("Invoice March", 5, from_addr="billing@vendor.example",
                  sender_display_name="Vendor Billing", has_attachments=True, tag_ids=tag.ids)
        self.mail("Invoice February", 2, from_addr="billing@vendor.example", is_read=True,
                  is_starred=True)
        self.mail("Lunch plans", 3, preview="Pizza or sushi on friday", cc_addrs="ann@example.org")
        inbox = self.support_inbox.id

        def found(text):
            return self.subjects(folder_id=inbox, search=text, threaded=False)
        self.assertEqual(found("from:vendor invoice"), ["Invoice March", "Invoice February"])
        self.assertEqual(found("from:billing is:unread"), ["Invoice March"])
        self.assertEqual(found("is:read"), ["Invoice February"])
        self.assertEqual(found("is:starred"), ["Invoice February"])
        self.assertEqual(found("has:attachment"), ["Invoice March"])
        self.assertEqual(found(f'tag:"{tag.name.upper()}"'), ["Invoice March"])
        self.assertEqual(found("to:ann@"), ["Lunch plans"])
        self.assertEqual(found('subject:"invoice feb"'), ["Invoice February"])
        self.assertEqual(found("sushi"), [], "the body is searched on the server")
        self.assertEqual(found("carla lunch"), ["Lunch plans"], "words match sender and subject")
        self.assertEqual(found('"march"'), ["Invoice March"])
        self.assertEqual(found("after:2026-03-03 before:2026-03-05"), ["Lunch plans"])
        self.assertEqual(found("after:2026-03-03"), ["Invoice March", "Lunch plans"])
        for odd in ('"unclosed', "foo:bar", "before:never", "%", "_", "\\", "x" * 10_000,
                    "from:" * 500):
            with self.subTest(odd=odd[:20]):
                self.assertEqual(found(odd), [])

    def test_deep_pages_and_estimated_totals(self):
        for n in range(30):
            self.mail(f"Bulk {n:02d}", 1 + n % 28, sort_ts=ts(1) + n)
        inbox = self.support_inbox.id
        page = self.Sync.message_search_load(folder_id=inbox, offset=25, limit=10)
        self.assertEqual([r["subject"] for r in page["records"]],
                         [f"Bulk {n:02d}" for n in range(4, -1, -1)])
        self.assertEqual((page["total"], page["total_is_estimate"], page["hasMore"]),
                         (30, False, False))
        with patch.object(queries, "COUNT_CAP", 10):
            page = self.Sync.message_search_load(folder_id=inbox, offset=0, limit=5)
            self.assertTrue(page["total_is_estimate"] and page["hasMore"])
            self.assertGreater(page["total"], 10, "an estimate beyond what was counted")
            last = self.Sync.message_search_load(folder_id=inbox, offset=28, limit=5)
            self.assertFalse(last["hasMore"])
            self.assertGreaterEqual(last["total"], 30)
        # deep pages seek their sort key first: the same rows as walking the offset
        walked = self.Sync.message_search_load(folder_id=inbox, offset=12, limit=6,
                                               threaded=False)["records"]
        with patch.object(queries, "SEEK_FROM", 5):
            sought = self.Sync.message_search_load(folder_id=inbox, offset=12, limit=6,
                                                   threaded=False)
            unified = self.Sync.message_search_load(offset=12, limit=6, threaded=False)
            self.assertEqual(self.Sync.message_search_load(folder_id=inbox, offset=40)
                             ["records"], [])
        self.assertEqual([r["id"] for r in sought["records"]], [r["id"] for r in walked])
        self.assertEqual(unified["records"], sought["records"])
        self.assertTrue(sought["hasMore"])
        by_subject = self.Sync.message_search_load(folder_id=inbox, order="subject", limit=3)
        self.assertEqual([r["subject"] for r in by_subject["records"]],
                         ["Bulk 00", "Bulk 01", "Bulk 02"])
        # an estimate never hides rows of another mailbox's folder: the folder is refused
        with self.assertRaises(AccessError):
            self.env["mailbox.sync"].with_user(self.outsider).message_search_load(folder_id=inbox)

    # -- all N matching ---------------------------------------------------------------------
    def test_all_matching_changes_what_was_counted_or_nothing(self):
        for n in range(5):
            self.mail(f"Newsletter {n}", 1 + n, from_addr="news@shop.example")
        self.mail("Keep", 9)
        view = {"folder_id": self.support_inbox.id, "search": "from:news@shop"}
        self.assertEqual(self.Sync.count_matching(**view), {"count": 5})
        self.mail("Newsletter late", 10, from_addr="news@shop.example")
        with self.assertRaises(UserError) as caught:
            self.Sync.apply_to_matching("read", 5, **view)
        self.assertIn("6 messages match now", str(caught.exception))
        self.assertEqual(self.Sync.count_matching(folder_id=self.support_inbox.id,
                                                  filters={"unread": True})["count"], 7)
        answer = self.Sync.apply_to_matching("read", 6, **view)
        self.assertEqual(answer["changed"], 6)
        self.assertEqual(self.subjects(folder_id=self.support_inbox.id,
                                       filters={"unread": True}), ["Keep"])
        self.Sync.undo_change(answer["undo_token"])
        self.assertEqual(self.Sync.count_matching(folder_id=self.support_inbox.id,
                                                  filters={"unread": True})["count"], 7)
        with self.assertRaises(UserError):
            self.Sync.apply_to_matching("explode", 6, **view)
        with self.assertRaises(AccessError):
            self.env["mailbox.sync"].with_user(self.outsider).apply_to_matching(
                "delete", 6, **view)

    # -- undo --------------------------------------------------------------------------------
    def test_a_change_to_a_conversation_acts_on_all_of_it_in_that_folder(self):
        first = self.mail("Question", 1)
        second = self.mail("Re: Question", 2, thread_id=first.thread_id)
        in_sent = self.mail("Re: Question (my reply)", 3, folder=self.sent, thread_id=first.thread_id)
        other = self.mail("Other", 2)
        self.env["ir.config_parameter"].set_param("maildesk.undo_change_seconds", 30)
        answer = self.Sync.set_flags(second.ids, is_read=True, conversations=True)
        self.assertEqual(answer["changed"], 2)
        self.assertEqual((first.is_read, second.is_read, other.is_read), (True, True, False))
        self.assertFalse(in_sent.is_read, "the conversation in this folder, not the reply in Sent")
        self.Sync.undo_change(answer["undo_token"])
        self.assertEqual((first.is_read, second.is_read), (False, False))
        self.Sync.delete_messages(second.ids, conversations=True)
        self.assertEqual(self.subjects(folder_id=self.support_inbox.id), ["Other"],
                         "no older message of the conversation is left behind in the list")
        self.assertFalse(in_sent.pending_delete)
        self.assertEqual(self.Sync.set_flags(other.ids, is_starred=True)["changed"], 1,
                         "without the flag an id is one message")

    def test_a_long_conversation_is_changed_whole_and_mail_forging_my_address_is_not_mine(self):
        first = self.mail("Long thread", 1, from_addr=self.member.email)
        for n in range(260):
            self.mail(f"Re: Long thread {n}", 2, thread_id=first.thread_id)
        messages = self.Sync.get_thread(first.id)["messages"]
        self.assertFalse(any(m["is_own"] for m in messages),
                         "anyone can write my address in From: in a shared mailbox")
        answer = self.Sync.set_flags(first.ids, is_read=True, conversations=True)
        self.assertEqual(answer["changed"], 261, "all of it, however long")

    def test_odd_values_from_the_browser_are_refused_or_clamped_not_errors(self):
        self.mail("Only one", 1)
        page = self.Sync.message_search_load(offset=2 ** 63 - 1)
        self.assertEqual(page["records"], [])
        with self.assertRaises(AccessError):
            self.Sync.get_message("not-an-id")
        self.assertEqual(self.subjects(search="only \ud800"), ["Only one"])

    def test_undo_restores_read_star_and_tags_as_they_were(self):
        read, unread = self.mail("Read", 1, is_read=True), self.mail("Unread", 2)
        tag, other_tag = self.make_tag(), self.make_tag()
        read.tag_ids = tag
        answer = self.Sync.set_flags((read | unread).ids, is_read=False, is_starred=True)
        self.assertEqual(answer["changed"], 2)
        self.assertFalse(read.is_read)
        self.assertEqual(self.Sync.undo_change(answer["undo_token"]), {"undone": 2})
        self.assertEqual([(r.is_read, r.is_starred) for r in (read, unread)],
                         [(True, False), (False, False)])
        answer = self.Sync.update_tags(read.ids, [other_tag.id])
        self.assertEqual(answer["tags"][0]["id"], other_tag.id)
        self.Sync.undo_change(answer["undo_token"])
        self.assertEqual(read.tag_ids, tag)

    def test_an_undo_token_is_signed_bound_to_its_user_and_expires(self):
        row = self.mail("Mine", 1)
        token = self.Sync.set_flags(row.ids, is_read=True)["undo_token"]
        payload, signature = token.split(".")
        forged = bulk._b64(bulk._unb64(payload).replace(str(row.id).encode(), b"1"))
        for bad in (f"{forged}.{signature}", token[:-2] + "xx", "junk", "", None, 42, "a.b.c"):
            with self.subTest(bad=bad), self.assertRaises(UserError):
                self.Sync.undo_change(bad)
        colleague = self.make_fresh_user()
        colleague.group_ids |= self.env.ref("maildesk_mail_client.group_mailbox_user")
        self.support.access_user_ids |= colleague
        with self.assertRaises(UserError):
            self.env["mailbox.sync"].with_user(colleague).undo_change(token)
        with patch.object(bulk.time, "time", return_value=bulk.time.time() + bulk.UNDO_TTL + 1):
            with self.assertRaises(UserError):
                self.Sync.undo_change(token)
        # someone taken off the mailbox cannot undo into it any more
        theirs = self.env["mailbox.sync"].with_user(colleague).set_flags(
            row.ids, is_starred=True)["undo_token"]
        self.support.access_user_ids -= colleague
        with self.assertRaises(UserError):
            self.env["mailbox.sync"].with_user(colleague).undo_change(theirs)
        self.assertTrue(row.is_read and row.is_starred)

    def test_a_move_waits_for_its_undo_window_and_undo_brings_it_back(self):
        self.env["ir.config_parameter"].set_param("maildesk.undo_change_seconds", 8)
        row = self.mail("Move me", 1)
        archive = self.env["mailbox.folder"].create({
            "account_id": self.support.id, "name": "Archive", "imap_name": "Archive",
            "folder_type": "archive"})
        answer = self.Sync.archive_messages(row.ids)
        state = self.env["maildesk.email_state"].search([("index_id", "=", row.id)])
        self.assertEqual((state.place_intent, state.target_folder_id), ("move", archive))
        self.assertTrue(state.next_try_at, "held for the undo window")
        self.assertEqual(self.subjects(folder_id=self.support_inbox.id), [])
        self.Sync.set_flags(row.ids, is_read=True)
        self.assertTrue(state.next_try_at, "a later read keeps the move waiting")
        self.assertEqual(self.Sync.undo_change(answer["undo_token"]), {"undone": 1})
        self.assertEqual(self.subjects(folder_id=self.support_inbox.id), ["Move me"])
        self.assertFalse(state.place_intent)
        answer = self.Sync.delete_messages(row.ids)
        self.assertEqual(self.Sync.undo_change(answer["undo_token"]), {"undone": 1})
        self.assertFalse(row.pending_delete)
