"""Downloading an attachment over HTTP, as the people of seed 001."""
from odoo.tests import tagged

from .common_imap import ImapHttpCase

REPORT = (b"From: a@example.org\r\nSubject: Report\r\nMIME-Version: 1.0\r\n"
          b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\n"
          b"See attached\r\n--zz\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment;"
          b" filename=\"Q3 r\xc3\xa9sum\xc3\xa9.pdf\"\r\n\r\n%PDF-fake\r\n--zz--\r\n")


@tagged("post_install", "-at_install", "maildesk_sync")
class TestAttachmentRoute(ImapHttpCase):

    def test_a_member_downloads_an_outsider_gets_nothing(self):
        self.deliver(REPORT)
        self.sync()
        row = self.rows()
        url = f"/maildesk/attachment/{row.id}/2"
        self.authenticate("md_member", "md_member")
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"%PDF-fake")
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        self.assertIn("attachment", response.headers["Content-Disposition"])
        self.assertIn("no-store", response.headers["Cache-Control"])
        self.authenticate("md_outsider", "md_outsider")
        self.assertEqual(self.url_open(url).status_code, 404)
        self.authenticate("md_member", "md_member")
        self.assertEqual(self.url_open(f"/maildesk/attachment/{row.id}/9").status_code, 409)
