"""What the attachment route sends for a sender's file: type, disposition, name, headers."""
import base64
import re
import shutil
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

import pytest

from maildesk_mail_client.infrastructure import attachment_serving as serving

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
                       "AAAABJRU5ErkJggg==")
PAGE = b"<!doctype html><script>alert(document.cookie)</script>"


@pytest.mark.parametrize("declared,data,want_inline,expected", [
    ("image/png", PNG, True, ("image/png", "inline")),
    ("application/octet-stream", PNG, True, ("image/png", "inline")),  # the bytes decide
    ("image/jpeg", b"\xff\xd8\xff\xe0rest", True, ("image/jpeg", "inline")),
    ("image/gif", b"GIF89a....", True, ("image/gif", "inline")),
    ("image/webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ", True, ("image/webp", "inline")),
    ("image/png", PNG, False, ("image/png", "attachment")),
    ("text/plain; charset=latin-1", "Grüße".encode(), True, ("text/plain; charset=utf-8", "inline")),
    ("text/plain", b"caf\xe9", True, ("application/octet-stream", "attachment")),
    ("application/pdf", b"%PDF-1.7 ...", True, ("application/pdf", "attachment")),
    ("text/html", PAGE, True, ("application/octet-stream", "attachment")),
    ("image/png", PAGE, True, ("application/octet-stream", "attachment")),  # a lying type
    ("image/svg+xml", b"<svg onload=alert(1)>", True, ("application/octet-stream", "attachment")),
    ("application/xhtml+xml", PAGE, True, ("application/octet-stream", "attachment")),
    ("text/xml", b"<?xml version='1.0'?><x/>", True, ("application/octet-stream", "attachment")),
    ("application/javascript", b"alert(1)", True, ("application/octet-stream", "attachment")),
    ("text/plain", PAGE, True, ("text/plain; charset=utf-8", "inline")),  # shown as text, nosniff
    ("", b"", True, ("application/octet-stream", "attachment")),
    ("x/unknown", b"\x00\x01", True, ("application/octet-stream", "attachment")),
])
def test_the_type_is_ours_and_only_safe_types_show_inline(declared, data, want_inline, expected):
    assert serving.decide(declared, data, want_inline) == expected


@pytest.mark.parametrize("raw,plain", [
    ("report.pdf", "report.pdf"),
    ("../../etc/passwd", "passwd"),
    ("..\\..\\Windows\\system.ini", "system.ini"),
    ("C:\\Users\\eve\\x.exe", "x.exe"),
    ('"; filename=evil.html', "__ filename_evil.html"),
    ("a\r\nContent-Type: text/html\r\n\r\n<b>.txt", "html_b_.txt"),  # "/" ends a folder
    ("bell\x07\x00name.txt", "bellname.txt"),
    ("invoice\u202egpj.exe", "invoicegpj.exe"),  # a right-to-left override hides .exe
    ("   ...   ", "attachment"),
    ("", "attachment"),
    (None, "attachment"),
    (".bashrc", "bashrc"),
    ("CON.txt", "_CON.txt"),
    ("Q3 résumé.pdf", "Q3 résumé.pdf"),
    ("x" * 400 + ".pdf", "x" * 176 + ".pdf"),
])
def test_file_names_become_plain_names(raw, plain):
    assert serving.safe_filename(raw) == plain


def parse_disposition(header):
    kind, _, rest = header.partition(";")
    params = re.findall(r'\s*([\w*]+)=("(?:[^"\\]|\\.)*"|[^;]*)\s*(?:;|$)', rest)
    return kind, [(name, value) for name, value in params]


@pytest.mark.parametrize("raw", ['"; filename=evil.html', "Q3 résumé.pdf", "a;b=c\\d\".txt",
                                 "%41%42.txt", "日本語.txt"])
def test_the_disposition_header_names_one_plain_file(raw):
    header = serving.content_disposition("attachment", raw)
    assert not re.search(r"[\x00-\x1f\x7f]", header)
    kind, params = parse_disposition(header)
    assert kind == "attachment"
    assert [name for name, _ in params] == ["filename", "filename*"]
    fallback, extended = params[0][1], params[1][1]
    assert fallback.startswith('"') and fallback.endswith('"') and '"' not in fallback[1:-1]
    assert all(0x20 <= ord(c) < 0x7F for c in fallback)
    assert extended.startswith("UTF-8''") and re.fullmatch(r"[A-Za-z0-9%._~-]*", extended[7:])
    assert unquote(extended[7:]) == serving.safe_filename(raw)


def test_every_answer_is_sandboxed_and_not_sniffed():
    headers = dict(serving.headers("image/png", "inline", "a.png"))
    assert headers["X-Content-Type-Options"] == "nosniff"
    directives = [d.strip() for d in headers["Content-Security-Policy"].split(";")]
    assert "sandbox" in directives and "default-src 'none'" in directives
    assert dict(serving.SECURITY_HEADERS) == {k: v for k, v in headers.items()
                                              if k not in ("Content-Type", "Content-Disposition")}


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
PAGE_WITH_SCRIPT = (b"<p id=x>attachment</p>"
                    b"<script>document.getElementById('x').setAttribute('data-ran', 'yes')</script>")


class _PageHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        if self.path == "/ours":
            for name, value in serving.SECURITY_HEADERS:
                self.send_header(name, value)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(PAGE_WITH_SCRIPT)

    def log_message(self, *_args):
        pass


@pytest.mark.skipif(not CHROMIUM, reason="no Chromium: install Debian's chromium to run the browser check")
def test_a_page_served_with_our_headers_runs_no_script_even_when_rendered():
    """Worst case: a browser that renders an attachment as HTML despite type and disposition.
    With our headers its script does not run; without them (the control) it does."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PageHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        def dom(path):
            with tempfile.TemporaryDirectory() as profile:
                return subprocess.run(
                    [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     f"--user-data-dir={profile}", "--dump-dom",
                     f"http://127.0.0.1:{server.server_address[1]}{path}"],
                    capture_output=True, text=True, timeout=90).stdout
        assert 'data-ran="yes"' in dom("/plain"), "the control: without our headers the script runs"
        ours = dom("/ours")
        assert '<p id="x">attachment</p>' in ours, ours
    finally:
        server.shutdown()
