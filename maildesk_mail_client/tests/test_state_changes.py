"""Changes a member makes, against a server that refuses some of them."""
from odoo.tests import tagged

from .common_imap import ImapCase, rfc822

# A server with neither MOVE nor UIDPLUS: MailDesk cannot delete without expunging
# other clients' mail, so it must refuse the delete, and say so.
OLD_SERVER = "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE SPECIAL-USE NAMESPACE"


@tagged("post_install", "-at_install")
class TestRefusedChanges(ImapCase):
    dovecot_capabilities = OLD_SERVER

    def test_a_change_the_server_refuses_is_reported_to_its_author_and_skipped(self):
        self.deliver(rfc822("Keep me"), rfc822("Read me"))
        self.sync()
        rows = {r.subject: r for r in self.rows()}
        facade = self.env["mailbox.sync"].with_user(self.member)
        facade.delete_messages([rows["Keep me"].id])
        facade.set_flags([rows["Read me"].id], is_read=True)
        before = self.env["mail.message"].search_count([])

        result = self.sync()

        self.assertEqual(result["status"], "ok", "a refused change does not stop the sync")
        self.assertIn(b"\\Seen", self.server_flags("INBOX", rows["Read me"].uid))
        self.other.select_folder("INBOX", readonly=True)
        self.assertEqual(len(self.other.search("ALL")), 2, "the refused delete touched nothing")
        keep = self.env["maildesk.message_index"].browse(rows["Keep me"].id)
        self.assertTrue(keep.exists() and keep.folder_id.folder_type == "inbox")
        self.assertFalse(keep.pending_delete, "the message shows again as the server has it")
        self.assertFalse(self.env["maildesk.email_state"].search([("index_id", "=", keep.id)]))
        told = self.env["mail.message"].search(
            [("partner_ids", "in", self.member.partner_id.ids)], order="id desc", limit=1)
        self.assertGreater(told.id, before)
        self.assertIn("refused your change", told.body)
        self.assertIn("delete", told.body)
        # Not tried again: the next sync is clean and the member is not told twice.
        self.assertEqual(self.sync()["status"], "ok")
        self.assertEqual(self.env["mail.message"].search_count(
            [("partner_ids", "in", self.member.partner_id.ids), ("id", ">", told.id)]), 0)

    def test_a_move_to_a_folder_of_another_mailbox_is_refused_when_recorded(self):
        self.deliver(rfc822("Stay"))
        self.sync()
        other = self.env["mailbox.account"].with_user(self.admin).create({
            "name": "Other", "email": "other@example.com", "owner_id": self.admin.id,
            "imap_host": "127.0.0.1", "imap_port": self.dovecot.imap_port})
        foreign = self.env["mailbox.folder"].sudo().create(
            {"account_id": other.id, "name": "X", "imap_name": "X"})
        row = self.rows()
        with self.assertRaises(Exception):  # noqa: B017 (AccessError or UserError: both refuse)
            self.env["mailbox.sync"].with_user(self.member).move_messages(row.ids, foreign.id)
        self.assertFalse(self.env["maildesk.email_state"].search([("index_id", "=", row.id)]))
