"""Downloading an attachment over HTTP, as the people of seed 001, and as an attacker's mail."""
import base64
import re
from urllib.parse import unquote

from odoo.tests import tagged

from .common_imap import ImapHttpCase

REPORT = (b"From: a@example.org\r\nSubject: Report\r\nMIME-Version: 1.0\r\n"
          b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\n"
          b"See attached\r\n--zz\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment;"
          b" filename=\"Q3 r\xc3\xa9sum\xc3\xa9.pdf\"\r\n\r\n%PDF-fake\r\n--zz--\r\n")
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGA"
                       "WjR9awAAAABJRU5ErkJggg==")
PAGE = b"<html><body><script>parent.document.title='owned'</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'


def part(content_type, disposition, payload, encoding="base64"):
    body = base64.b64encode(payload) if encoding == "base64" else payload
    return (f"--zz\r\nContent-Type: {content_type}\r\nContent-Disposition: {disposition}\r\n"
            f"Content-Transfer-Encoding: {encoding}\r\n\r\n").encode() + body + b"\r\n"


HOSTILE = (b"From: eve@example.org\r\nSubject: Files\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\n"
           b"Open these\r\n"
           + part("text/html", 'inline; filename="page.html"', PAGE)
           + part("image/svg+xml", 'inline; filename="logo.svg"', SVG)
           + part("image/png", 'inline; filename="pixel.png"', PNG)
           + part("image/png", 'inline; filename="liar.png"', PAGE)
           + part("text/html", 'attachment; filename="../../etc/passwd"', PAGE)
           + part("application/octet-stream", "attachment; filename*=utf-8''bell%07%0D%0Aname%E2"
                                              "%80%AEgnp.exe",
                  b"MZ")
           + part("text/html", 'attachment; filename="\\"; filename=evil.html"', PAGE)
           + b"--zz--\r\n")


def disposition_params(header):
    """(type, {param: value}) of a Content-Disposition header, read the way RFC 6266 says."""
    kind, _, rest = header.partition(";")
    params = {}
    for match in re.finditer(r'\s*([\w*]+)=("(?:[^"\\]|\\.)*"|[^;]*)\s*(?:;|$)', rest):
        name, value = match.group(1).lower(), match.group(2)
        assert name not in params, f"{name} given twice in {header!r}"
        params[name] = value[1:-1] if value.startswith('"') else value
    return kind.strip(), params


@tagged("post_install", "-at_install", "maildesk_sync")
class TestAttachmentRoute(ImapHttpCase):

    def served(self, part_id, download="0"):
        return self.url_open(f"/maildesk/attachment/{self.row.id}/{part_id}?download={download}")

    def assertSandboxed(self, response):
        csp = response.headers.get("Content-Security-Policy", "")
        self.assertIn("sandbox", [d.strip().split(" ")[0] for d in csp.split(";")], csp)
        self.assertIn("default-src 'none'", csp)
        self.assertEqual(response.headers.get("X-Content-Type-Options"), "nosniff")
        self.assertIn("no-store", response.headers.get("Cache-Control", ""))

    def hostile_row(self):
        self.deliver(HOSTILE)
        self.sync()
        self.row = self.rows()
        listed = self.env["mailbox.sync"].with_user(self.member).get_message(self.row.id)["attachments"]
        self.authenticate("md_member", "md_member")
        return [(a["name"], a["part_id"]) for a in listed]

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
        self.assertSandboxed(response)
        self.assertEqual(self.url_open(url + "?download=0").headers["Content-Disposition"].split(";")[0],
                         "attachment", "a PDF is not shown inside Odoo's origin")
        self.authenticate("md_outsider", "md_outsider")
        foreign = self.url_open(url)
        self.assertEqual(foreign.status_code, 404)
        self.assertSandboxed(foreign)
        missing = self.url_open(f"/maildesk/attachment/{row.id + 100000}/2")
        self.assertEqual((missing.status_code, missing.content), (404, foreign.content),
                         "a message that exists and one that does not get the same answer")
        self.authenticate("md_member", "md_member")
        gone = self.url_open(f"/maildesk/attachment/{row.id}/9")
        self.assertEqual(gone.status_code, 409)
        self.assertSandboxed(gone)

    def test_html_and_svg_download_sandboxed_a_png_shows_inline(self):
        parts = dict(self.hostile_row())
        for name in ("page.html", "logo.svg", "liar.png"):
            with self.subTest(name):
                response = self.served(parts[name])
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.headers["Content-Type"], "application/octet-stream")
                kind, params = disposition_params(response.headers["Content-Disposition"])
                self.assertEqual(kind, "attachment")
                self.assertEqual(unquote(params["filename*"].split("''", 1)[1]), name)
                self.assertSandboxed(response)
        png = self.served(parts["pixel.png"])
        self.assertEqual((png.status_code, png.headers["Content-Type"], png.content), (200, "image/png", PNG))
        self.assertEqual(disposition_params(png.headers["Content-Disposition"])[0], "inline")
        self.assertSandboxed(png)
        self.assertEqual(disposition_params(self.served(parts["pixel.png"], download="1")
                                            .headers["Content-Disposition"])[0], "attachment")

    def test_hostile_file_names_become_plain_names(self):
        parts = self.hostile_row()
        self.assertEqual(len(parts), 7, parts)
        names = []
        for _listed, part_id in parts[4:]:
            response = self.served(part_id, download="1")
            header = response.headers["Content-Disposition"]
            self.assertFalse(re.search(r"[\x00-\x1f\x7f]", header), header)
            kind, params = disposition_params(header)
            self.assertEqual((kind, set(params)), ("attachment", {"filename", "filename*"}), header)
            charset, _, encoded = params["filename*"].partition("''")
            self.assertEqual(charset, "UTF-8")
            name = unquote(encoded)
            self.assertFalse(re.search(r'[/\\"\x00-\x1f\x7f\u202e;]', name), name)
            self.assertFalse(re.search(r'[/\\"\x00-\x1f\x7f]', params["filename"]), params["filename"])
            names.append(name)
        self.assertEqual(names[0], "passwd")
        self.assertTrue(names[1].startswith("bell") and "gnp.exe" in names[1], names[1])
        self.assertNotIn("=", names[2])
        self.assertTrue(names[2].endswith("evil.html"), names[2])

    def test_an_inline_image_in_the_body_is_served_by_the_route_to_members_only(self):
        raw = (b"From: a@example.org\r\nSubject: Logo\r\nMIME-Version: 1.0\r\n"
               b"Content-Type: multipart/related; boundary=zz\r\n\r\n"
               b"--zz\r\nContent-Type: text/html\r\n\r\n<p><img src=\"cid:logo@mail.example\"></p>\r\n"
               + part("image/png", 'inline; filename="logo.png"', PNG).replace(
                   b"Content-Disposition", b"Content-ID: <logo@mail.example>\r\nContent-Disposition")
               + b"--zz--\r\n")
        self.deliver(raw)
        self.sync()
        row = self.rows()
        body = self.env["mailbox.sync"].with_user(self.member).get_message(row.id)["body_html"]
        source = re.search(r'<img src="([^"]+)"', body).group(1).replace("&amp;", "&")
        self.assertTrue(source.startswith(f"/maildesk/attachment/{row.id}/"), body)
        self.authenticate("md_member", "md_member")
        image = self.url_open(source)
        self.assertEqual((image.status_code, image.headers["Content-Type"], image.content),
                         (200, "image/png", PNG))
        self.assertEqual(disposition_params(image.headers["Content-Disposition"])[0], "inline")
        self.assertSandboxed(image)
        # the body and its image came from one download of the message: one sign-in
        logins = self.dovecot.log().count(f"Login: user=<{self.user}>")
        self.assertEqual(logins, 3, "sync, body and inline image: the image reused the body's "
                                    "download")
        self.authenticate("md_outsider", "md_outsider")
        self.assertEqual(self.url_open(source).status_code, 404)
