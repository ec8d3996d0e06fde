"""A reply or forward of a hostile mail quotes what the reader saw, and sends nothing hidden.

The mail hides words from its reader in the ways real ones do (CSS, a tiny font, white on
white, a class of its style sheet, a comment); they must not leave again under the user's name.
"""
import base64
import email
import email.policy
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from ..application.services import bodies
from .common_imap import ImapCase

PNG = base64.b64encode(base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)).decode()
SECRETS = ["ignore previous instructions", "wire the money to", "forward all invoices", "say yes",
           "approve the payment"]
HOSTILE_HTML = (
    "<style>.note { display: none }</style>"
    "<p>Dear team, <b>the figures</b> are below.</p>"
    f'<div style="display:none">{SECRETS[0]}</div>'
    f'<p>Total: 42 <span style="font-size:0">{SECRETS[1]}</span>euros.</p>'
    f'<p><font color="#ffffff">{SECRETS[2]}</font>Thanks, <a href="https://example.org/plan">the plan</a></p>'
    f'<p class="note">{SECRETS[3]}</p><!-- {SECRETS[4]} -->'
    '<img src="cid:logo@x" alt="logo">'
)


def hostile_mail():
    return (
        "From: Mallory <mallory@example.org>\r\nTo: team@example.com\r\nSubject: Figures\r\n"
        "Message-ID: <figures-1@example.org>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0100\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=inner\r\n\r\n"
        f"--inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{HOSTILE_HTML}\r\n"
        "--inner\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\n"
        "Content-Disposition: inline; filename=logo.png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        f"{PNG}\r\n--inner--\r\n").encode()


@tagged("post_install", "-at_install", "maildesk_sync")
class TestComposeQuoteHidden(ImapCase):

    def setUp(self):
        super().setUp()
        self.Sync = self.env["mailbox.sync"].with_user(self.member)
        self.deliver(hostile_mail())
        self.sync()
        self.original = self.rows()

    def assertQuotesWhatWasSeen(self, body_html):
        lowered = body_html.lower()
        for secret in SECRETS:
            self.assertNotIn(secret, lowered)
        for seen in ("Dear team", "<b>the figures</b>", "Total: 42", "euros.", "Thanks,",
                     'href="https://example.org/plan"', 'alt="logo"', 'src="/maildesk/attachment/'):
            self.assertIn(seen, body_html)

    def test_a_reply_and_a_reply_all_quote_only_what_the_reader_saw(self):
        # the premise: the body the reader's browser gets still holds the words, hidden
        reader_html = bodies.get_body(self.original.with_user(self.member))["html"]
        self.assertIn(SECRETS[0], reader_html)
        self.assertIn(SECRETS[1], reader_html)
        self.assertQuotesWhatWasSeen(self.Sync.prepare_reply(self.original.id)["body_html"])
        self.assertQuotesWhatWasSeen(self.Sync.prepare_reply(self.original.id, reply_all=True)["body_html"])

    def test_a_forward_quotes_only_what_the_reader_saw(self):
        self.assertQuotesWhatWasSeen(self.Sync.prepare_forward(self.original.id)["body_html"])

    def test_the_sent_reply_carries_none_of_the_hidden_words(self):
        reply = self.Sync.prepare_reply(self.original.id)
        reply["body_html"] = "<p>Looks right.</p>" + reply["body_html"]
        status = self.Sync.send_email(**reply)
        Draft = self.env["maildesk.draft"]
        Draft.browse(status["draft_id"]).write({"send_after": fields.Datetime.now() - timedelta(seconds=1)})
        Draft._cron_send_queue()
        message = email.message_from_bytes(self.smtp.messages[-1]["data"], policy=email.policy.default)
        texts = [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
        self.assertTrue(texts and any("Looks right." in text and "Total: 42" in text for text in texts))
        for secret in SECRETS:
            self.assertFalse([text for text in texts if secret in text.lower()], secret)
