"""Forwarding from the composer carries the original's attachments, against real servers."""
import base64
import email
from datetime import timedelta

from imapclient import IMAPClient

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common_imap import ImapCase
from .mailservers import PASSWORD

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


def with_attachments(subject="Quarterly report"):
    png = base64.b64encode(PNG).decode()
    return (
        f"From: Carol <carol@example.org>\r\nTo: team@example.com\r\nSubject: {subject}\r\n"
        "Message-ID: <report-1@example.org>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0100\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n"
        "--outer\r\nContent-Type: multipart/related; boundary=inner\r\n\r\n"
        "--inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        '<p>Figures attached. <img src="cid:logo@x"></p>\r\n'
        "--inner\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\n"
        "Content-Disposition: inline; filename=logo.png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        f"{png}\r\n--inner--\r\n"
        "--outer\r\nContent-Type: application/pdf\r\n"
        "Content-Disposition: attachment; filename=report.pdf\r\n\r\n%PDF-1.4 figures\r\n"
        "--outer--\r\n").encode()


@tagged("post_install", "-at_install", "maildesk_sync")
class TestInboxComposeForward(ImapCase):

    def setUp(self):
        super().setUp()
        self.Sync = self.env["mailbox.sync"].with_user(self.member)
        self.deliver(with_attachments())
        self.sync()
        self.original = self.rows()

    def received(self, name):
        client = IMAPClient("127.0.0.1", self.dovecot.imap_port, ssl=False)
        client.login(name, PASSWORD)
        try:
            client.select_folder("INBOX", readonly=True)
            uids = client.search("ALL")
            fetched = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
            return [email.message_from_bytes(fetched[u][b"BODY[]"]) for u in uids]
        finally:
            client.logout()

    def test_a_forward_starts_with_the_original_attachments_and_sends_them(self):
        forward = self.Sync.prepare_forward(self.original.id)
        self.assertEqual([a["name"] for a in forward["attachments"]], ["report.pdf"],
                         "the inline logo belongs to the quoted body, not to the list")
        self.assertEqual(forward["attachment_ids"], [a["id"] for a in forward["attachments"]])
        recipient = self.dovecot.new_user("fwd")
        status = self.Sync.send_email(**dict(forward, to_emails=f"{recipient}@example.org"))
        draft = self.env["maildesk.draft"].browse(status["draft_id"])
        self.assertEqual(draft.attachment_ids.mapped("name"), ["report.pdf"])
        draft.write({"send_after": fields.Datetime.now() - timedelta(seconds=1)})
        self.env["maildesk.draft"]._cron_send_queue()
        [message] = self.received(recipient)
        parts = {p.get_filename(): p.get_payload(decode=True) for p in message.walk()
                 if p.get_filename()}
        self.assertEqual(parts, {"report.pdf": b"%PDF-1.4 figures"})

    def test_forwarded_attachments_are_readable_by_their_forwarder_only(self):
        forward = self.Sync.prepare_forward(self.original.id)
        attachment = self.env["ir.attachment"].browse(forward["attachment_ids"])
        self.assertEqual(attachment.with_user(self.member).raw, b"%PDF-1.4 figures")
        with self.assertRaises(AccessError):
            attachment.with_user(self.outsider).check_access("read")
        # and a user who cannot read the message cannot prepare its forward at all
        with self.assertRaises(AccessError):
            self.env["mailbox.sync"].with_user(self.outsider).prepare_forward(self.original.id)

    def test_a_saved_forward_owns_its_copies_and_an_abandoned_one_is_cleaned_up(self):
        colleague = self.admin  # a Mailbox Admin on this mailbox, reading the shared draft
        self.account.access_user_ids |= colleague
        kept = self.Sync.prepare_forward(self.original.id)
        draft_id = self.Sync.save_draft(account_id=kept["account_id"], subject=kept["subject"],
                                        attachment_ids=kept["attachment_ids"])
        attachment = self.env["ir.attachment"].browse(kept["attachment_ids"])
        self.assertEqual((attachment.res_model, attachment.res_id), ("maildesk.draft", draft_id))
        self.assertEqual(attachment.with_user(colleague).raw, b"%PDF-1.4 figures",
                         "the team working the draft can open what it carries")
        abandoned = self.env["ir.attachment"].browse(
            self.Sync.prepare_forward(self.original.id)["attachment_ids"])
        self.env.flush_all()
        self.env.cr.execute("UPDATE ir_attachment SET create_date = now() - interval '2 days' "
                            "WHERE id IN %s", [tuple((attachment | abandoned).ids)])
        self.env["maildesk.ui_cache"]._cron_cleanup_expired_cache()
        self.assertFalse(abandoned.exists(), "a forward closed unsaved leaves nothing behind")
        self.assertTrue(attachment.exists(), "a draft's attachments stay")
        self.Sync.delete_draft(draft_id)
        self.assertFalse(attachment.exists(), "and go with the draft")
