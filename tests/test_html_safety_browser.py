"""The hostile corpus, sanitised, in a real browser: nothing runs and, while blocked, nothing loads.

Each vector is rewritten to reach a local HTTP server (its tracker and evil addresses point
there, its ``alert(...)`` becomes a request), sanitised, and opened in headless Chromium twice:
as the page itself and inserted with ``innerHTML`` as a web client does. The server records
every request. The unsanitised corpus is the control: it must reach the server, or the test
could not see anything.
"""
import html
import json
import re
import shutil
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from test_html_safety import HOSTILE

from maildesk_mail_client.infrastructure import html_safety

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="no Chromium: install Debian's chromium to run the "
                                                      "browser checks")


class _Recorder(BaseHTTPRequestHandler):
    pages = {}
    hits = []

    def do_GET(self):
        page = self.pages.get(self.path)
        if page is None:
            if self.path != "/favicon.ico":
                self.hits.append((self.path, self.headers.get("Sec-Fetch-Dest", "")))
            page = ""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(page.encode("utf-8", "replace"))

    def log_message(self, *_args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()


def localised(payload, port):
    here = f"http://127.0.0.1:{port}"
    payload = re.sub(r"(?:https?:)?//(?:tracker|evil)\.example", here + "/t", payload, flags=re.I)
    return re.sub(r"alert\((?:\d|document\.cookie)\)", "fetch('/xss')", payload)


def visit(server, path, html):
    _Recorder.pages[path] = html
    _Recorder.hits.clear()
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom",
                        f"http://127.0.0.1:{server.server_address[1]}{path}"],
                       capture_output=True, text=True, timeout=120)
    return list(_Recorder.hits)


def as_page(bodies):
    return "<!doctype html><html><body>" + "".join(f"<section>{b}</section>" for b in bodies) + \
        "</body></html>"


def as_inserted(bodies):
    return ("<!doctype html><html><body><div id=mail></div><script>"
            f"document.getElementById('mail').innerHTML = {json.dumps(''.join(bodies))};"
            "</script></body></html>")


def test_the_unsanitised_corpus_does_reach_the_server(server):
    port = server.server_address[1]
    # one document per vector: a raw <plaintext>, <base> or <meta refresh> would end the page
    frames = "".join(f'<iframe srcdoc="{html.escape(localised(p, port), quote=True)}"></iframe>'
                     for _, p in HOSTILE)
    hits = visit(server, "/control", f"<!doctype html><html><body>{frames}</body></html>")
    assert any(path.startswith("/xss") for path, _ in hits), hits
    assert any(path.startswith("/t") for path, _ in hits), hits


@pytest.mark.parametrize("shape", [as_page, as_inserted], ids=["page", "innerHTML"])
def test_sanitised_mail_runs_nothing_and_loads_nothing_while_blocked(server, shape):
    port = server.server_address[1]
    bodies = [html_safety.sanitize(localised(p, port)).html for _, p in HOSTILE]
    assert visit(server, f"/blocked-{shape.__name__}", shape(bodies)) == []


@pytest.mark.parametrize("shape", [as_page, as_inserted], ids=["page", "innerHTML"])
def test_allowed_remote_content_is_images_only(server, shape):
    port = server.server_address[1]
    bodies = [html_safety.sanitize(localised(p, port), allow_remote=True).html for _, p in HOSTILE]
    hits = visit(server, f"/allowed-{shape.__name__}", shape(bodies))
    assert hits, "remote images load once allowed"
    assert {dest for _, dest in hits} == {"image"}, hits
    assert not any(path.startswith("/xss") for path, _ in hits)
