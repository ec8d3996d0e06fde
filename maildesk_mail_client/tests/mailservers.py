"""Real mail servers for tests: a private Dovecot (IMAP, IMAPS, LMTP) and an SMTP receiver.

No Odoo import: used by the Odoo-free suite (tests/) and by the addon's Odoo tests alike.
Dovecot runs from its own configuration on loopback ports, in its own session, and accepts
any user name with the password ``PASSWORD``, so each test gets a fresh, empty mailbox by
picking a new name. The SMTP receiver (aiosmtpd) records what it receives and delivers it
into Dovecot over LMTP, so "send, then find it in INBOX" is real.
"""
import base64
import contextlib
import itertools
import json
import logging
import os
import pwd
import re
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PASSWORD = "secret"
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
_names = itertools.count(1)


class ServerUnavailable(Exception):
    """The server software is not installed here; tests should skip with this reason."""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5) as s:
            if s.recv(64):
                return
        time.sleep(0.02)
    raise RuntimeError(f"nothing answered on port {port}")


def _self_signed_certificate(directory):
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
         "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", key, "-out", cert],
        check=True, capture_output=True)
    return cert, key


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login{oauth_mechanisms}
auth_username_format = %Ln
mail_location = maildir:{root}/mail/%n/Maildir:LAYOUT=fs
default_login_user = {user}
default_internal_user = {user}
default_internal_group = {group}
first_valid_uid = 0
mail_max_userip_connections = 200
{oauth_passdb}passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={root}/home/%n
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
  mailbox Junk {{
    special_use = \\Junk
    auto = subscribe
  }}
  mailbox Archive {{
    special_use = \\Archive
    auto = subscribe
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
protocol imap {{
  mail_max_userip_connections = 200
{imap_capability}
}}
"""

# What a plain IMAP4rev1 server offers: no CONDSTORE, QRESYNC, LIST-STATUS or PREVIEW.
BASIC_CAPABILITIES = "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE UIDPLUS MOVE SPECIAL-USE NAMESPACE"


class OAuthTokens:
    """Bearer tokens as a provider's authorisation server knows them, for XOAUTH2 sign-in.

    ``tokens`` maps token -> user name; remove one to revoke it. ``start()`` serves the RFC 7662
    introspection endpoint that Dovecot's oauth2 passdb asks; SmtpReceiver reads ``tokens``.
    """

    def __init__(self):
        self.tokens = {}
        self.httpd = None
        self.url = None

    def issue(self, user):
        token = f"ya29.test-{uuid.uuid4().hex}"
        self.tokens[token] = user
        return token

    def start(self):
        tokens = self.tokens

        class Introspection(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                fields = dict(p.split("=", 1) for p in body.split("&") if "=" in p)
                user = tokens.get(fields.get("token", ""))
                answer = json.dumps({"active": True, "username": user} if user
                                    else {"active": False}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Introspection)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/introspect"
        return self

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None


def xoauth2_fields(blob):
    """(user, token) from a base64 XOAUTH2 initial response, or (None, None)."""
    try:
        text = base64.b64decode(blob).decode()
        fields = dict(p.split("=", 1) for p in text.split("\x01") if "=" in p)
        return fields.get("user"), fields.get("auth", "").removeprefix("Bearer ")
    except (ValueError, UnicodeDecodeError):
        return None, None


class Dovecot:
    """A private Dovecot instance. Use ``with Dovecot() as server:`` or start()/stop()."""

    def __init__(self, capabilities=None, oauth=None, root=None):
        self.capabilities = capabilities
        self.oauth = oauth  # an OAuthTokens: XOAUTH2 / OAUTHBEARER sign-in is then offered too
        # root: a folder of its own that keeps the mail after stop() (scripts/demo); without
        # it, a fresh temporary folder removed at stop()
        self.keep_root = root
        self.root = None
        self.process = None
        self.imap_port = self.imaps_port = self.lmtp_port = None
        self.cert = None

    def start(self):
        if not os.path.exists(DOVECOT):
            raise ServerUnavailable("Dovecot is not installed (Debian package dovecot-imapd)")
        if not shutil.which("openssl"):
            raise ServerUnavailable("openssl is not installed")
        # Dovecot's processes run unprivileged: the directory must be reachable by them,
        # so not under a root-only temporary folder.
        self.root = self.keep_root or tempfile.mkdtemp(prefix="maildesk-dovecot-", dir="/tmp")
        os.makedirs(self.root, exist_ok=True)
        os.chmod(self.root, 0o755)
        if os.geteuid() == 0:
            user, group = "dovecot", "dovecot"
        else:
            user = pwd.getpwuid(os.geteuid()).pw_name
            group = user
        for sub in ("run", "state", "mail", "home"):
            os.makedirs(os.path.join(self.root, sub), exist_ok=bool(self.keep_root))
        self.cert, key = _self_signed_certificate(self.root)
        self.imap_port, self.imaps_port, self.lmtp_port = free_port(), free_port(), free_port()
        config = os.path.join(self.root, "dovecot.conf")
        oauth_mechanisms = oauth_passdb = ""
        if self.oauth:
            # Dovecot asks the token's issuer about every bearer token (RFC 7662 introspection)
            oauth_conf = os.path.join(self.root, "oauth2.conf.ext")
            with open(oauth_conf, "w") as handle:
                handle.write(f"introspection_mode = post\nintrospection_url = {self.oauth.url}\n"
                             "username_attribute = username\nactive_attribute = active\n"
                             "active_value = true\n")
            oauth_mechanisms = " xoauth2 oauthbearer"
            oauth_passdb = ("passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
                            f"  args = {oauth_conf}\n}}\n")
        with open(config, "w") as handle:
            handle.write(CONFIG.format(
                root=self.root, cert=self.cert, key=key, user=user, group=group,
                password=PASSWORD, imap_port=self.imap_port, imaps_port=self.imaps_port,
                lmtp_port=self.lmtp_port, oauth_mechanisms=oauth_mechanisms,
                oauth_passdb=oauth_passdb,
                imap_capability=f"  imap_capability = {self.capabilities}" if self.capabilities else ""))
        if os.geteuid() == 0:
            for sub in ("mail", "home"):
                shutil.chown(os.path.join(self.root, sub), user, group)
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", config], start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _wait_for_port(self.imap_port)
        except RuntimeError:
            self.stop()
            raise
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        self.process = None
        if self.root and not self.keep_root:
            shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- helpers for tests ---------------------------------------------------------------
    @staticmethod
    def new_user(prefix="user"):
        """A fresh, empty mailbox: Dovecot creates it on first login."""
        return f"{prefix}{next(_names)}x{uuid.uuid4().hex[:6]}"

    def deliver(self, user, raw, sender="sender@example.org"):
        """Deliver one message to ``user``'s INBOX over LMTP, as an MTA would."""
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        with smtplib.LMTP("127.0.0.1", self.lmtp_port, timeout=10) as lmtp:
            lmtp.sendmail(sender, [f"{user}@localhost"], raw)

    def tls_context(self):
        context = ssl.create_default_context(cafile=self.cert)
        return context

    def log(self):
        path = os.path.join(self.root, "dovecot.log") if self.root else None
        return open(path).read() if path and os.path.exists(path) else ""


class SmtpReceiver:
    """An SMTP server on loopback that requires AUTH, records messages and delivers them.

    ``users`` maps login -> password; omitted, any login with ``PASSWORD`` is accepted.
    With ``dovecot``, each recipient ``name@anything`` is delivered to Dovecot user ``name``.
    ``implicit_tls`` serves SMTPS; otherwise STARTTLS is offered when ``tls_cert`` is given.
    ``refuse`` / ``defer``: a regular expression; a recipient matching it is refused with 550
    (permanent) / 450 (try later), as a real server refuses an unknown or over-quota mailbox.
    ``cut_after_data``: take and deliver each message, then drop the connection instead of
    answering, as when a network fails at the worst moment.
    """

    def __init__(self, dovecot=None, tls_cert=None, implicit_tls=False, oauth=None, refuse=None,
                 defer=None, cut_after_data=False):
        self.refuse = re.compile(refuse, re.I) if refuse else None
        self.defer = re.compile(defer, re.I) if defer else None
        self.cut_after_data = cut_after_data
        self.dovecot = dovecot
        self.oauth = oauth  # an OAuthTokens: AUTH XOAUTH2 is then accepted too
        self.tls_cert = tls_cert
        self.implicit_tls = implicit_tls
        self.messages = []
        self.controller = None
        self.port = None

    def start(self):
        try:
            from aiosmtpd.controller import Controller  # noqa: PLC0415 (optional test dep)
            from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: PLC0415
        except ImportError as exc:
            raise ServerUnavailable("aiosmtpd is not installed") from exc
        receiver = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
                if receiver.refuse and receiver.refuse.search(address):
                    return f"550 5.1.1 <{address}>: Recipient address rejected: no such user"
                if receiver.defer and receiver.defer.search(address):
                    return f"450 4.2.2 <{address}>: Mailbox over quota, try again later"
                envelope.rcpt_tos.append(address)
                envelope.rcpt_options.extend(rcpt_options)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                receiver.messages.append({
                    "mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                    "data": envelope.original_content or envelope.content,
                    "login": session.authenticated and session.auth_data,
                })
                if receiver.dovecot:
                    for rcpt in envelope.rcpt_tos:
                        receiver.dovecot.deliver(rcpt.split("@")[0], envelope.original_content,
                                                 envelope.mail_from)
                if receiver.cut_after_data:
                    server.transport.abort()
                return "250 OK"

            async def auth_XOAUTH2(self, server, args):  # noqa: N802 (aiosmtpd's hook name)
                user, token = xoauth2_fields(args[1]) if len(args) > 1 else (None, None)
                if receiver.oauth and token and receiver.oauth.tokens.get(token) == user:
                    return AuthResult(success=True, handled=False, auth_data=user)
                # as Gmail does: a JSON error in a challenge, then the client's empty line
                await server.challenge_auth(b'{"status":"401","schemes":"Bearer"}')
                return AuthResult(success=False, handled=False,
                                  message="535 5.7.8 Username and Password not accepted")

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
            return AuthResult(success=ok, handled=False,
                              auth_data=auth_data.login.decode() if ok else None)

        context = None
        if self.tls_cert:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.tls_cert, os.path.join(os.path.dirname(self.tls_cert),
                                                                "key.pem"))
        self.port = free_port()
        kwargs = {"hostname": "127.0.0.1", "port": self.port, "authenticator": authenticator,
                  "auth_require_tls": False, "auth_required": True}
        if context and self.implicit_tls:
            kwargs["ssl_context"] = context
        elif context:
            kwargs["tls_context"] = context
        # Loopback test server: AUTH without TLS is intended here, not worth a warning.
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.controller = Controller(Handler(), **kwargs)
            self.controller.start()
        return self

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class DroppingProxy:
    """A TCP proxy to ``port`` that cuts every connection after ``drop_after`` bytes from the
    server have gone through (``None``: never), like a network that fails mid-transfer."""

    def __init__(self, port, drop_after=None):
        self.target = port
        self.drop_after = drop_after
        self.port = free_port()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(16)
        self.dropped = 0
        self.bytes_from_server = 0
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _accept(self):
        while not self._stop:
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            budget = [self.drop_after]
            threading.Thread(target=self._pipe, args=(client, server, None), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, budget), daemon=True).start()

    def _pipe(self, source, sink, budget):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if budget is not None:
                    self.bytes_from_server += len(data)
                if budget is not None and budget[0] is not None:
                    if len(data) >= budget[0]:
                        sink.sendall(data[:budget[0]])
                        self.dropped += 1
                        break
                    budget[0] -= len(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()

    def stop(self):
        self._stop = True
        with contextlib.suppress(OSError):
            self.listener.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
