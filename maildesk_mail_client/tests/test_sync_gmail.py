"""A Gmail mailbox on real Odoo, against the Google stand-in over HTTPS: sync, inbox, state
changes, sending and a revoked grant, through the same services the IMAP mailboxes use."""
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..application.services import cursor_sync, secrets_vault, sync
from .common_oauth import GmailCase


@tagged("post_install", "-at_install")
class TestGmailSync(GmailCase):

    def labelled(self, *labels):
        return {gid for gid, m in self.standin.messages.items() if set(labels) <= m.labels}

    def api_calls(self, fragment):
        return [c for c in self.standin.calls if fragment in c.path]

    def test_first_sync_shows_labels_as_folders_and_every_message_as_gmail_has_it(self):
        result = self.sync()
        self.assertEqual(result["status"], "ok", result)
        self.assertTrue(result["complete"])
        self.assertEqual(self.account.connection_state, "connected")
        self.assertCountEqual(self.rows("inbox").mapped("uid"), self.labelled("INBOX"))
        self.assertCountEqual(self.rows("sent").mapped("uid"), self.labelled("SENT"))
        unread = self.labelled("INBOX", "UNREAD")
        self.assertEqual(set(self.rows("inbox").filtered(lambda r: not r.is_read).mapped("uid")),
                         unread)
        # user labels are folders nested by their paths; one message sits in two of them
        projects, year = self.folder(path="Projects"), self.folder(path="Projects/2026")
        self.assertEqual(year.parent_id, projects)
        self.assertEqual(projects.gmail_label_id, "Label_1")
        both = self.labelled("INBOX", "Label_1")
        self.assertTrue(both)
        in_projects = self.env["maildesk.message_index"].search(
            [("folder_id", "=", projects.id)]).mapped("uid")
        self.assertCountEqual(in_projects, self.labelled("Label_1"))
        self.assertTrue(both <= set(self.rows("inbox").mapped("uid")))
        # the first sync never marks anything read on Gmail
        self.assertFalse(self.api_calls("modify"))
        self.assertEqual(unread, {gid for gid, m in self.standin.messages.items()
                                  if "UNREAD" in m.labels and "INBOX" in m.labels})
        # the member sees the mailbox in the inbox, newest first, with sender and subject
        page = self.as_member().message_search_load(
            account_id=self.account.id, folder_id=self.folder("inbox").id, threaded=False)
        newest = max((m for m in self.standin.messages.values() if "INBOX" in m.labels),
                     key=lambda m: (m.date, m.number))
        self.assertEqual(page["records"][0]["subject"], newest.subject)
        self.assertEqual(page["total"], len(self.labelled("INBOX")))
        # a body opens from Gmail (raw format), for a member
        row = self.rows("inbox").filtered(lambda r: r.subject == newest.subject)[:1]
        shown = self.as_member().get_message(row.id, mark_read=False)
        self.assertIn(newest.text.split()[0], shown["body_html"] + shown.get("text", ""))

    def test_a_resync_with_nothing_changed_costs_one_history_call(self):
        self.sync()
        self.standin.clear_calls()
        result = self.sync()
        self.assertEqual(result["status"], "ok", result)
        api = [c for c in self.standin.calls if c.path.startswith("/gmail/")]
        self.assertEqual([c.path.rsplit("/", 1)[-1] for c in api], ["history"], api)

    def test_changes_made_in_gmail_arrive_with_the_next_sync(self):
        self.sync()
        arrived = self.standin.deliver(subject="Fresh from Gmail")
        new_id = self.standin.gmail_id(arrived)
        [was_unread] = sorted(self.labelled("INBOX", "UNREAD"))[:1]
        self.standin.change_labels(was_unread, remove=["UNREAD"])  # read on the phone
        [gone] = sorted(self.labelled("INBOX") - self.labelled("UNREAD") - {was_unread})[:1]
        self.standin.delete_forever(gone)
        [filed] = sorted(self.labelled("INBOX") - self.labelled("Label_3") - {was_unread})[:1]
        self.standin.change_labels(filed, add=["Label_3"], remove=["INBOX"])  # moved to Receipts
        result = self.sync()
        self.assertEqual(result["status"], "ok", result)
        inbox = self.rows("inbox")
        self.assertIn(new_id, inbox.mapped("uid"))
        fresh = inbox.filtered(lambda r: r.uid == new_id)
        self.assertEqual((fresh.subject, fresh.is_read), ("Fresh from Gmail", False))
        self.assertTrue(inbox.filtered(lambda r: r.uid == was_unread).is_read)
        self.assertNotIn(gone, self.env["maildesk.message_index"].search(
            [("account_id", "=", self.account.id)]).mapped("uid"))
        self.assertNotIn(filed, inbox.mapped("uid"))
        receipts = self.folder(path="Receipts")
        self.assertIn(filed, self.env["maildesk.message_index"].search(
            [("folder_id", "=", receipts.id)]).mapped("uid"))
        self.assertEqual(len(inbox), len(set(inbox.mapped("uid"))))

    def test_an_expired_history_lists_again_without_duplicates_and_keeps_tags(self):
        self.sync()
        Index = self.env["maildesk.message_index"]
        tag = self.env["mail.message.tag"].create({"name": "Follow up"})
        row = self.rows("inbox")[:1]
        self.as_member().update_tags([row.id], [tag.id])
        [gone] = sorted(self.labelled("INBOX") - {row.uid})[:1]
        rows_of_gone = Index.search_count([("account_id", "=", self.account.id), ("uid", "=", gone)])
        before = Index.search_count([("account_id", "=", self.account.id)])
        self.standin.delete_forever(gone)  # happens while the history is lost
        self.standin.expire_history()
        result = self.sync()
        self.assertEqual(result["status"], "ok", result)
        after = Index.search([("account_id", "=", self.account.id)])
        self.assertEqual(len(after), before - rows_of_gone)
        keys = [(r.folder_id.id, r.uid) for r in after]
        self.assertEqual(len(keys), len(set(keys)))
        self.assertNotIn(gone, after.mapped("uid"))
        kept = after.filtered(lambda r: r.uid == row.uid and r.folder_id == row.folder_id)
        self.assertIn(tag, kept.tag_ids)
        self.assertTrue(self.folder("inbox").sync_state == "incremental")

    def test_a_renamed_label_keeps_its_folder_tags_and_messages(self):
        self.sync()
        year = self.folder(path="Projects/2026")
        rows = self.env["maildesk.message_index"].search([("folder_id", "=", year.id)])
        self.assertTrue(rows)
        tag = self.env["mail.message.tag"].create({"name": "Tax"})
        tagged = rows[:1]
        self.as_member().update_tags(tagged.ids, [tag.id])
        self.standin.user_labels["Label_2"]["name"] = "Bills/2026"
        self.standin.add_label("Projects/2026")  # a new label takes the old name
        cursor_sync.forget_listing(self.env, self.account.id)
        self.assertEqual(self.sync()["status"], "ok")
        year.invalidate_recordset()
        self.assertEqual(year.imap_name, "Bills/2026")
        self.assertEqual(year.parent_id.imap_name, "Bills")
        self.assertEqual(self.env["maildesk.message_index"].search(
            [("folder_id", "=", year.id)]), rows)
        self.assertIn(tag, tagged.tag_ids)
        fresh = self.folder(path="Projects/2026")
        self.assertNotEqual(fresh, year)
        self.assertFalse(self.env["maildesk.message_index"].search([("folder_id", "=", fresh.id)]))

    def test_a_long_history_is_applied_in_committed_chunks(self):
        self.sync()
        arrived = [self.standin.gmail_id(self.standin.deliver(subject=f"Batch {n}"))
                   for n in range(12)]
        for gid in arrived[:4]:
            self.standin.change_labels(gid, add=["Label_1"])  # in two folders: fetched once
        self.standin.clear_calls()
        with patch.object(cursor_sync, "HISTORY_CHUNK", 5):
            result = self.sync()
        self.assertEqual(result["status"], "ok", result)
        self.assertTrue(set(arrived) <= set(self.rows("inbox").mapped("uid")))
        projects = self.folder(path="Projects")
        self.assertTrue(set(arrived[:4]) <= set(self.env["maildesk.message_index"].search(
            [("folder_id", "=", projects.id)]).mapped("uid")))
        self.assertGreater(len(self.api_calls("/history")), 1, "several chunks")
        gets = [c for c in self.standin.calls if getattr(c, "batch_part", False)
                and "/messages/" in c.path]
        fetched = [c.path.rsplit("/", 1)[-1] for c in gets]
        self.assertEqual(len(fetched), len(set(fetched)), "each message fetched once")
        self.assertEqual(self.account.gmail_last_history_id, str(self.standin.history_id))

    def test_read_star_move_archive_and_delete_reach_gmail(self):
        self.sync()
        Sync = self.as_member()
        unread = self.rows("inbox").filtered(lambda r: not r.is_read)
        first, second, third, fourth = unread[:4]
        Sync.set_flags([first.id], is_read=True, is_starred=True)
        Sync.move_messages([second.id], self.folder(path="Receipts").id)
        Sync.archive_messages([third.id])
        Sync.delete_messages([fourth.id])
        result = self.sync()
        self.assertEqual(result["status"], "ok", result)
        labels = {gid: self.standin.messages[gid].labels for gid in
                  (first.uid, second.uid, third.uid, fourth.uid)}
        self.assertNotIn("UNREAD", labels[first.uid])
        self.assertIn("STARRED", labels[first.uid])
        self.assertIn("Label_3", labels[second.uid])
        self.assertNotIn("INBOX", labels[second.uid])
        self.assertNotIn("INBOX", labels[third.uid])
        self.assertIn("TRASH", labels[fourth.uid])
        inbox = self.rows("inbox").mapped("uid")
        for moved in (second.uid, third.uid, fourth.uid):
            self.assertNotIn(moved, inbox)
        self.assertIn(fourth.uid, self.rows("trash").mapped("uid"))
        self.assertIn(second.uid, self.env["maildesk.message_index"].search(
            [("folder_id", "=", self.folder(path="Receipts").id)]).mapped("uid"))
        # a message with two labels is read in both folders once Gmail says so
        both = next(iter(self.labelled("INBOX", "Label_1", "UNREAD")), None)
        if both:
            row = self.rows("inbox").filtered(lambda r: r.uid == both)
            Sync.set_flags([row.id], is_read=True)
            self.sync()
            rows = self.env["maildesk.message_index"].search(
                [("account_id", "=", self.account.id), ("uid", "=", both)])
            self.assertEqual(len(rows), 2)
            self.assertTrue(all(rows.mapped("is_read")))

    def test_a_sent_message_filed_under_a_label_stays_in_sent_as_in_gmail(self):
        self.sync()
        sent = self.rows("sent")[:1]
        uid = sent.uid
        self.as_member().move_messages([sent.id], self.folder(path="Receipts").id)
        self.assertEqual(self.sync()["status"], "ok")
        self.assertEqual(self.standin.messages[uid].labels & {"SENT", "Label_3"}, {"SENT", "Label_3"})
        self.assertIn(uid, self.rows("sent").mapped("uid"))
        self.assertIn(uid, self.env["maildesk.message_index"].search(
            [("folder_id", "=", self.folder(path="Receipts").id)]).mapped("uid"))

    def test_sending_goes_through_gmail_which_files_the_sent_copy(self):
        self.env["ir.config_parameter"].sudo().set_param("maildesk.undo_send_seconds", "0")
        self.sync()
        parent = self.rows("inbox")[:1]
        reply = self.as_member().prepare_reply(parent.id)
        draft_id = self.as_member().save_draft(
            account_id=self.account.id, subject=reply.get("subject") or "Re: hello",
            to_emails="friend@example.org", bcc_emails="hidden@example.org",
            body_html="<p>Thanks a lot!</p>", reply_to_index_id=parent.id)
        self.as_member().send_email(draft_id=draft_id)
        self.run_send_worker()
        sent = self.env["maildesk.draft"].browse(draft_id)
        self.assertEqual(sent.send_state, "sent", sent.send_error)
        self.assertEqual(len(self.api_calls("/messages/send")), 1)
        copy = next(m for m in self.standin.messages.values()
                    if b"Thanks a lot!" in (m.raw_override or b""))
        self.assertIn("SENT", copy.labels)
        raw = copy.raw_override.decode("utf-8", "replace")
        self.assertIn("hidden@example.org", raw)  # Bcc handed to Gmail, which strips it
        self.assertEqual(self.standin.thread_id(copy),
                         self.standin.thread_id(self.standin.messages[parent.uid]))
        self.sync()
        self.assertIn(self.standin.gmail_id(copy), self.rows("sent").mapped("uid"))

    def test_searching_the_server_finds_mail_by_its_text(self):
        arrived = self.standin.deliver(subject="Invoice 77")
        self.sync()
        found = self.as_member().search_server("Invoice 77 body", account_id=self.account.id)
        self.assertIn(self.standin.gmail_id(arrived), self.env["maildesk.message_index"].browse(
            [r["id"] for r in found["records"]]).mapped("uid"))
        self.assertFalse(found["problems"])

    def test_a_revoked_grant_asks_to_sign_in_again_and_loses_nothing(self):
        self.sync()
        indexed = self.rows("inbox")
        self.standin.revoke_grants()
        self.standin.expire_access_tokens()
        cursor_sync.forget_listing(self.env, self.account.id)
        result = self.sync()
        self.assertEqual(result["status"], "error")
        self.assertEqual(self.account.connection_state, "reauth_required")
        self.assertIn("sign in again", self.account.last_error.lower())
        self.assertEqual(self.rows("inbox"), indexed)
        self.assertTrue(self.notices(), "the owner is told")
        [listed] = [a for a in self.as_member().get_account_list() if a["id"] == self.account.id]
        self.assertEqual(listed["problem"]["title"], "Sign in again")
        self.assertEqual(listed["problem"]["action"], "open_account")
        # a message never opened says what to do; the list stays
        with self.assertRaisesRegex(UserError, "until the mailbox is signed in again"):
            self.as_member().get_message(indexed[:1].id)
        # the cron leaves the mailbox alone until someone signs in again
        self.env.flush_all()
        self.assertNotIn(self.account.id, sync.due_account_ids(self.env, 100))

    def test_an_expired_access_token_is_renewed_and_stored_sealed(self):
        self.sync()
        old = secrets_vault.reveal(self.account.sudo(), "gmail_access_token")
        self.standin.expire_access_tokens()
        result = self.sync()
        self.assertEqual(result["status"], "ok", result)
        new = secrets_vault.reveal(self.account.sudo(), "gmail_access_token")
        self.assertTrue(new)
        self.assertNotEqual(new, old)
        self.assertNotIn(new, self.account.sudo().gmail_access_token_encrypted)

    def test_a_member_cannot_read_another_gmail_mailbox(self):
        self.sync()
        row = self.rows("inbox")[:1]
        with self.assertRaises(Exception):  # noqa: B017 (AccessError or MissingError, as for IMAP)
            self.env["mailbox.sync"].with_user(self.outsider).get_message(row.id)
