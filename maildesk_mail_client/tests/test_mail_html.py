"""Mail HTML through mailbox.sync as a Mailbox User gets it: read, reply, forward, cache."""
import base64

from lxml import html

from odoo import fields
from odoo.tests import tagged

from .common_imap import ImapCase, rfc822

HTML = "Content-Type: text/html; charset=utf-8\r\n"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGA"
                       "WjR9awAAAABJRU5ErkJggg==")


def live_markup(markup):
    """Elements and attributes in ``markup`` that could run script, as a parser builds them."""
    found = []
    for element in html.fragment_fromstring(markup, create_parent="div").iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag in ("script", "iframe", "object", "embed", "svg", "math", "base", "meta",
                           "link", "form", "frame", "input", "button", "textarea", "noscript"):
            found.append(element.tag)
        if element.tag == "img" and element.get("src") not in (None, "") \
                and not element.get("src").startswith("/maildesk/attachment/"):
            found.append(f"img src={element.get('src')}")
        found += [f"{element.tag} {name}" for name in element.attrib if name.startswith("on")]
    return found


@tagged("post_install", "-at_install", "maildesk_sync")
class TestMailHtml(ImapCase):

    def setUp(self):
        super().setUp()
        self.Sync = self.env["mailbox.sync"].with_user(self.member)

    def synced(self, raw):
        self.deliver(raw)
        self.sync()
        return self.rows()[-1:]

    def test_escaped_markup_stays_text_when_read_replied_and_forwarded(self):
        row = self.synced(rfc822(
            "<script>alert(5)</script>", sender='"<img src=x onerror=alert(2)>" <eve@example.org>',
            body=f"<html><body>{ESCAPED} said the sender.<p>Also &lt;script&gt;alert(3)&lt;/script&gt;</p>"
                 "</body></html>", extra=HTML))
        message = self.Sync.get_message(row.id)
        reply = self.Sync.prepare_reply(row.id)
        forward = self.Sync.prepare_forward(row.id)
        for name, markup in (("body", message["body_html"]), ("reply", reply["body_html"]),
                             ("forward", forward["body_html"])):
            with self.subTest(name):
                self.assertEqual(live_markup(markup), [])
                text = html.fragment_fromstring(markup, create_parent="div").text_content()
                self.assertIn("<img src=x onerror=alert(1)> said the sender.", text)
                self.assertIn("<script>alert(3)</script>", text)
        for markup in (reply["body_html"], forward["body_html"]):
            text = html.fragment_fromstring(markup, create_parent="div").text_content()
            self.assertIn("<img src=x onerror=alert(2)>", text, "the sender's name is quoted as text")
        self.assertIn("Subject: <script>alert(5)</script>",
                      html.fragment_fromstring(forward["body_html"], create_parent="div").text_content())

    def test_a_body_cached_by_older_code_is_rendered_again(self):
        row = self.synced(rfc822("Cached", body="<p>Fresh from the server</p>", extra=HTML))
        until = fields.Datetime.now().replace(year=fields.Datetime.now().year + 1)
        stale = {"html": '<img src=x onerror="alert(1)">', "text": "", "attachments": [],
                 "remote_images_blocked": 0, "problems": [], "reply_to": ""}
        self.env["maildesk.ui_cache"].create({"index_id": row.id, "json_cache": {"body": stale},
                                              "json_cache_until": until, "cache_until": until})
        message = self.Sync.get_message(row.id)
        self.assertEqual(live_markup(message["body_html"]), [])
        self.assertIn("Fresh from the server", message["body_html"])
        cache = self.env["maildesk.ui_cache"].search([("index_id", "=", row.id)])
        self.assertNotIn("body", cache.json_cache, "the old entry is dropped")
        # whatever is cached is sanitised again on the way out
        cached = dict(cache.json_cache["body_v2"], source_html='<p onclick="x()">Hi<script>alert(1)</script>'
                                                               '<img src="https://tracker.example/p"></p>')
        cache.json_cache = dict(cache.json_cache, body_v2=cached)
        for allow in (False, True):
            markup = self.Sync.get_message(row.id, allow_remote_images=allow)["body_html"]
            self.assertNotIn("onclick", markup)
            self.assertNotIn("<script", markup)
            self.assertEqual("tracker.example" in markup, allow)

    def test_inline_images_use_the_route_remote_ones_wait_for_the_reader(self):
        raw = (b"From: a@example.org\r\nSubject: Logo\r\nMIME-Version: 1.0\r\n"
               b"Content-Type: multipart/related; boundary=rr\r\n\r\n--rr\r\n" + HTML.encode() + b"\r\n"
               b'<p><img src="cid:logo@mail.example" alt="logo"><img src="https://tracker.example/p.gif">'
               b'<span style="background:\\75rl(https://tracker.example/css)">x</span>'
               b'<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="'
               b' data-maildesk-src="https://tracker.example/f">'
               b"</p>\r\n--rr\r\nContent-Type: image/png\r\nContent-ID: <logo@mail.example>\r\n"
               b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(PNG) + b"\r\n--rr--\r\n")
        row = self.synced(raw)
        message = self.Sync.get_message(row.id)
        part = next(a["part_id"] for a in message["attachments"] if a["content_id"] == "logo@mail.example")
        tree = html.fragment_fromstring(message["body_html"], create_parent="div")
        sources = [img.get("src") for img in tree.iter("img")]
        self.assertEqual(sources[0], f"/maildesk/attachment/{row.id}/{part}?download=0")
        self.assertNotIn("tracker.example", message["body_html"])
        self.assertEqual(message["remote_images_blocked"], 1)
        allowed = self.Sync.get_message(row.id, allow_remote_images=True)
        sources = [img.get("src") for img in html.fragment_fromstring(
            allowed["body_html"], create_parent="div").iter("img")]
        self.assertIn("https://tracker.example/p.gif", sources)
        self.assertNotIn("tracker.example/css", allowed["body_html"], "CSS never loads anything")
        self.assertNotIn("tracker.example/f", allowed["body_html"], "the sender's attribute is not ours")
        self.assertEqual(allowed["remote_images_blocked"], 0)
