"""The inbox in headless Chromium against real servers: people, mailboxes and a request counter.

Mailbox A ("Team Alpha") is the Dovecot user of ImapMixin, shared by two Mailbox Users:
Rita Reader and Colin Colleague. Mailbox B ("Bravo Sales") is another Dovecot user that only
Otto Outsider is on. Tours run as Rita; what they change is then looked for on the servers.
"""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.tests import new_test_user

from ..application.services import sync
from .common import USER
from .common_imap import ImapHttpCase
from .mailservers import PASSWORD

# The smallest GIF there is: what a tracking pixel answers.
PIXEL = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
         b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


class RequestCounter:
    """A loopback HTTP server standing for the senders' image servers: it counts every request.

    A mail's remote image points here; the count says whether the browser (or Odoo on its
    behalf) fetched it.
    """

    def __init__(self):
        self.paths = []
        self.httpd = None

    def start(self):
        paths = self.paths

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's hook name)
                paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/gif")
                self.send_header("Content-Length", str(len(PIXEL)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(PIXEL)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def url(self, path):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None


class InboxTourCase(ImapHttpCase):
    """Mailbox A synced from Dovecot, two of its users, and mailbox B that they are not on."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        groups = "base.group_user," + USER
        cls.reader = new_test_user(cls.env, "md_reader", groups=groups, name="Rita Reader",
                                   password="md_reader", tz="UTC")
        cls.colleague = new_test_user(cls.env, "md_colleague", groups=groups,
                                      name="Colin Colleague", password="md_colleague", tz="UTC")

    def setUp(self):
        super().setUp()
        # Mailbox A: Rita and Colin only (ImapMixin made it for Mia Member).
        self.account.with_user(self.admin).write({
            "name": "Team Alpha", "owner_id": self.reader.id,
            "access_user_ids": [(6, 0, [self.reader.id, self.colleague.id])]})
        # Mia's Support mailbox of the shared fixture must not be Rita's: she is on A only.
        self.assertNotIn(self.reader, self.support.access_user_ids)
        self.env["ir.config_parameter"].set_param("maildesk.undo_send_seconds", "0")

    # -- mailboxes and mail --------------------------------------------------------------
    def make_mailbox_b(self, *messages):
        """Mailbox B on a Dovecot user of its own, synced, that Rita is not on."""
        login = self.dovecot.new_user("bravo")
        for raw in messages:
            self.dovecot.deliver(login, raw)
        account = self.env["mailbox.account"].with_user(self.admin).create({
            "name": "Bravo Sales", "email": f"{login}@example.com", "is_shared": True,
            "owner_id": self.outsider.id, "imap_host": "127.0.0.1",
            "imap_port": self.dovecot.imap_port, "imap_security": "none", "imap_login": login,
            "password": PASSWORD, "smtp_host": "127.0.0.1", "smtp_port": self.smtp.port,
            "smtp_security": "none", "smtp_login": login})
        sync.sync_account(self.env, account.id)
        self.env.invalidate_all()
        return account

    def synced(self, *messages, folders=()):
        """Deliver to A's INBOX (and create server folders), then sync: A's inbox rows."""
        for name in folders:
            self.other.create_folder(name)
        self.deliver(*messages)
        self.sync()
        return self.rows()

    def row(self, subject, folder_type="inbox"):
        rows = self.rows(folder_type, subject=subject)
        self.assertEqual(len(rows), 1, f"one {folder_type} row for {subject!r}")
        return rows

    def apply_changes(self):
        """What the engine does after the browser asked: moves and deletes waiting out their
        undo window are made due (as the clock would), then a sync run applies every change."""
        self.env.flush_all()
        self.env["maildesk.email_state"].search([
            ("account_id", "=", self.account.id), ("place_intent", "!=", False),
            ("apply_attempts", "=", 0)]).write({"next_try_at": False})
        return self.sync()

    # -- the server, as another client sees it -------------------------------------------
    def server_messages(self, folder):
        """{uid: (subject, flags)} of a server folder, as another IMAP client reads it."""
        self.other.select_folder(folder, readonly=True)
        uids = self.other.search("ALL")
        fetched = self.other.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]", "FLAGS"]) if uids else {}
        return {uid: (value[b"BODY[HEADER.FIELDS (SUBJECT)]"].decode().split(":", 1)[1].strip(),
                      set(value[b"FLAGS"]))
                for uid, value in fetched.items()}

    def server_subjects(self, folder):
        return sorted(subject for subject, _flags in self.server_messages(folder).values())

    def server_flags_of(self, folder, subject):
        [flags] = [f for s, f in self.server_messages(folder).values() if s == subject]
        return flags

    # -- sending -------------------------------------------------------------------------
    def run_send_worker(self):
        self.env.flush_all()
        result = self.env["maildesk.draft"]._cron_send_queue()
        self.env.invalidate_all()
        return result

    def tour(self, name, login="md_reader", url="/odoo/maildesk"):
        self.env.flush_all()
        self.start_tour(url, name, login=login, timeout=180)
        self.env.invalidate_all()
