"""An Outlook / Microsoft 365 mailbox on real Odoo, against the Microsoft stand-in over HTTPS:
sync through Graph delta, the inbox, state changes, sending, an expired delta and a revoked grant."""
from odoo.tests import tagged

from ..application.services import cursor_sync, secrets_vault
from .common_oauth import OutlookCase


@tagged("post_install", "-at_install")
class TestOutlookSync(OutlookCase):

    @property
    def mailbox(self):
        return self.standin.mailbox()

    def in_folder(self, well_known):
        folder_id = self.mailbox.well_known[well_known]
        return {mid for mid, m in self.mailbox.messages.items() if m.folder == folder_id}

    def delta_calls(self):
        return [c for c in self.standin.calls if c.path.endswith("/messages/delta")]

    def test_first_sync_shows_the_folder_tree_and_every_message(self):
        result = self.sync()
        self.assertEqual(result["status"], "ok", result)
        self.assertEqual(self.account.connection_state, "connected")
        self.assertCountEqual(self.rows("inbox").mapped("uid"), self.in_folder("inbox"))
        self.assertCountEqual(self.rows("sent").mapped("uid"), self.in_folder("sentitems"))
        unread = {mid for mid in self.in_folder("inbox") if not self.mailbox.messages[mid].is_read}
        self.assertEqual(set(self.rows("inbox").filtered(lambda r: not r.is_read).mapped("uid")),
                         unread)
        inbox = self.folder("inbox")
        projects = self.folder(path=inbox.imap_name + "/Projects")
        self.assertEqual(projects.parent_id, inbox)
        self.assertTrue(projects.outlook_graph_id)
        self.assertEqual(self.folder(path=projects.imap_name + "/2026").parent_id, projects)
        self.assertEqual(self.folder("trash").outlook_graph_id,
                         self.mailbox.well_known["deleteditems"])
        # nothing was marked read on the server
        self.assertFalse([c for c in self.standin.calls if c.method == "PATCH"])
        page = self.as_member().message_search_load(
            account_id=self.account.id, folder_id=inbox.id, threaded=False)
        self.assertEqual(page["total"], len(self.in_folder("inbox")))
        row = self.env["maildesk.message_index"].browse(page["records"][0]["id"])
        shown = self.as_member().get_message(row.id, mark_read=False)
        self.assertTrue(shown["body_html"])

    def test_a_resync_with_nothing_changed_costs_one_delta_call_per_folder(self):
        self.sync()
        synced = self.env["mailbox.folder"].search_count(
            [("account_id", "=", self.account.id), ("sync_state", "=", "incremental")])
        self.standin.clear_calls()
        result = self.sync()
        self.assertEqual(result["status"], "ok", result)
        graph = [c for c in self.standin.calls if c.path.startswith("/v1.0/")]
        self.assertEqual(len(self.delta_calls()), synced)
        self.assertEqual(len(graph), synced, [c.path for c in graph])

    def test_new_changed_moved_and_deleted_messages_follow(self):
        self.sync()
        box = self.mailbox
        inbox_ids = sorted(self.in_folder("inbox"))
        arrived = box.add_raw(b"From: Bo <bo@example.org>\r\nTo: owner@contoso.example\r\n"
                              b"Subject: Fresh from Outlook\r\nMessage-ID: <fresh@example.org>\r\n"
                              b"\r\nHello.\r\n", box.well_known["inbox"], is_read=False)
        changed = inbox_ids[0]
        box.messages[changed].is_read = not box.messages[changed].is_read
        box.touch(changed)
        moved_old = inbox_ids[1]
        moved_new = box.move(moved_old, box.well_known["archive"])
        deleted = inbox_ids[2]
        box.remove(deleted)
        result = self.sync()
        self.assertEqual(result["status"], "ok", result)
        inbox = self.rows("inbox")
        uids = inbox.mapped("uid")
        self.assertIn(arrived, uids)
        self.assertEqual(inbox.filtered(lambda r: r.uid == arrived).subject, "Fresh from Outlook")
        self.assertEqual(inbox.filtered(lambda r: r.uid == changed).is_read,
                         box.messages[changed].is_read)
        self.assertNotIn(moved_old, uids)
        self.assertNotIn(deleted, uids)
        self.assertIn(moved_new, self.rows("archive").mapped("uid"))
        self.assertEqual(len(uids), len(set(uids)))

    def test_an_expired_delta_lists_the_folder_again_without_duplicates(self):
        self.sync()
        before = set(self.rows("inbox").mapped("uid"))
        gone = sorted(before)[0]
        self.mailbox.remove(gone)
        self.standin.expire_delta_tokens()
        result = self.sync()
        self.assertEqual(result["status"], "ok", result)
        after = self.rows("inbox").mapped("uid")
        self.assertEqual(len(after), len(set(after)))
        self.assertEqual(set(after), before - {gone})

    def test_a_folder_renamed_and_a_new_one_made_under_its_old_name_keep_their_own_mail(self):
        self.sync()
        box = self.mailbox
        inbox = self.folder("inbox")
        old = self.folder(path=inbox.imap_name + "/Projects")
        old_rows = self.env["maildesk.message_index"].search([("folder_id", "=", old.id)])
        self.assertTrue(old_rows)
        tag = self.env["mail.message.tag"].create({"name": "Keep"})
        self.as_member().update_tags([old_rows[0].id], [tag.id])
        box.folders[old.outlook_graph_id]["name"] = "Old Projects"
        new_id = box.add_folder("Projects", parent=box.well_known["inbox"])
        cursor_sync.forget_listing(self.env, self.account.id)  # the folder list is older now
        result = self.sync()
        self.assertEqual(result["status"], "ok", result)
        old.invalidate_recordset()
        self.assertEqual(old.imap_name, inbox.imap_name + "/Old Projects")
        self.assertEqual(old.sync_state, "incremental")
        self.assertEqual(set(self.env["maildesk.message_index"].search(
            [("folder_id", "=", old.id)]).mapped("uid")), set(old_rows.mapped("uid")))
        self.assertIn(tag, old_rows[0].tag_ids)
        fresh = self.folder(path=inbox.imap_name + "/Projects")
        self.assertEqual(fresh.outlook_graph_id, new_id)
        self.assertNotEqual(fresh, old)
        self.assertFalse(self.env["maildesk.message_index"].search([("folder_id", "=", fresh.id)]))
        uids = self.env["maildesk.message_index"].search(
            [("account_id", "=", self.account.id)]).mapped("uid")
        self.assertEqual(len(uids), len(set(uids)), "no message indexed twice")

    def test_read_flag_move_and_delete_reach_outlook(self):
        self.sync()
        Sync = self.as_member()
        unread = self.rows("inbox").filtered(lambda r: not r.is_read)
        first, second, third = unread[:3]
        second_uid, third_uid = second.uid, third.uid
        Sync.set_flags([first.id], is_read=True, is_starred=True)
        Sync.archive_messages([second.id])
        Sync.delete_messages([third.id])
        result = self.sync()
        self.assertEqual(result["status"], "ok", result)
        box = self.mailbox
        self.assertTrue(box.messages[first.uid].is_read)
        self.assertTrue(box.messages[first.uid].flagged)
        self.assertNotIn(second_uid, box.messages)  # moved: Exchange gave it a new id
        self.assertNotIn(third_uid, box.messages)
        self.assertIn(second.uid, box.messages)  # the row follows the message to its new id
        self.assertEqual(box.messages[second.uid].folder, box.well_known["archive"])
        self.assertEqual(box.messages[third.uid].folder, box.well_known["deleteditems"])
        archived = self.rows("archive")
        self.assertIn(second.subject, archived.mapped("subject"))
        self.assertIn(third.subject, self.rows("trash").mapped("subject"))
        self.assertEqual(set(self.rows("inbox").mapped("uid")), self.in_folder("inbox"))
        self.assertTrue(self.rows("inbox").filtered(lambda r: r.uid == first.uid).is_starred)

    def test_sending_goes_through_graph_which_saves_the_sent_copy(self):
        self.env["ir.config_parameter"].sudo().set_param("maildesk.undo_send_seconds", "0")
        self.sync()
        draft_id = self.as_member().save_draft(
            account_id=self.account.id, subject="Quarterly figures", to_emails="cfo@example.org",
            bcc_emails="auditor@example.org", body_html="<p>Attached soon.</p>")
        self.as_member().send_email(draft_id=draft_id)
        self.run_send_worker()
        draft = self.env["maildesk.draft"].browse(draft_id)
        self.assertEqual(draft.send_state, "sent", draft.send_error)
        [out] = self.mailbox.outbox
        self.assertTrue(out["saved"])
        self.assertIn(b"auditor@example.org", out["raw"])
        self.sync()
        self.assertIn("Quarterly figures", self.rows("sent").mapped("subject"))

    def test_searching_the_server_finds_mail_by_its_text(self):
        box = self.mailbox
        new_id = box.add_raw(b"From: a@example.org\r\nSubject: Invoice 77\r\n\r\nInvoice 77 body\r\n",
                             box.well_known["inbox"])
        self.sync()
        found = self.as_member().search_server("Invoice 77", account_id=self.account.id)
        self.assertIn(new_id, self.env["maildesk.message_index"].browse(
            [r["id"] for r in found["records"]]).mapped("uid"))
        self.assertFalse(found["problems"])

    def test_a_revoked_grant_asks_to_sign_in_again_and_loses_nothing(self):
        self.sync()
        indexed = self.rows("inbox")
        self.standin.revoke_grants()
        cursor_sync.forget_listing(self.env, self.account.id)
        result = self.sync()
        self.assertEqual(result["status"], "error")
        self.assertEqual(self.account.connection_state, "reauth_required")
        self.assertEqual(self.rows("inbox"), indexed)
        self.assertTrue(self.notices())
        [listed] = [a for a in self.as_member().get_account_list() if a["id"] == self.account.id]
        self.assertEqual(listed["problem"]["title"], "Sign in again")

    def test_a_rotated_refresh_token_is_kept_sealed(self):
        self.standin.rotate_refresh_tokens = True
        first = secrets_vault.reveal(self.account.sudo(), "outlook_graph_refresh_token")
        self.assertEqual(self.sync()["status"], "ok")
        second = secrets_vault.reveal(self.account.sudo(), "outlook_graph_refresh_token")
        self.assertNotEqual(first, second)
        self.standin.expire_access_tokens()
        cursor_sync.forget_listing(self.env, self.account.id)
        self.assertEqual(self.sync()["status"], "ok", "the rotated token still works")


@tagged("post_install", "-at_install")
class TestOutlookSharedMailbox(OutlookCase):
    standin_kwargs = {"shared": {"support@contoso.example": {"name": "Support", "messages": 12}}}

    def make_service_account(self, standin, **values):
        values = dict(values, email="support@contoso.example")
        if "outlook_shared_mailbox" in self.env["mailbox.account"]._fields:
            values["outlook_shared_mailbox"] = True
        account = self.env["mailbox.account"].with_user(self.admin).create({
            "name": "Support", "provider": "outlook", "is_shared": True,
            "owner_id": self.member.id, "access_user_ids": [(6, 0, [self.member.id])], **values})
        secrets_vault.store(account, "outlook_graph_refresh_token", standin.grant(
            scope="Mail.ReadWrite Mail.Send User.Read Mail.ReadWrite.Shared Mail.Send.Shared "
                  "offline_access openid profile"))
        return account.with_user(self.env.user)

    def test_a_shared_mailbox_opens_as_users_address(self):
        if "outlook_shared_mailbox" not in self.env["mailbox.account"]._fields:
            self.fail("mailbox.account has no outlook_shared_mailbox field")
        result = self.sync()
        self.assertEqual(result["status"], "ok", result)
        shared = self.standin.mailbox("support@contoso.example")
        inbox_id = shared.well_known["inbox"]
        self.assertCountEqual(self.rows("inbox").mapped("uid"),
                              [mid for mid, m in shared.messages.items() if m.folder == inbox_id])
        self.assertTrue(all("/users/support%40contoso.example/" in c.path
                            or "/users/support@contoso.example/" in c.path
                            for c in self.standin.calls if c.path.startswith("/v1.0/")))

