"""Odoo tests against a real Dovecot and a real SMTP receiver, started for the test class."""
import re
import time

from imapclient import IMAPClient

from odoo.tests import HttpCase, TransactionCase

from ..application.services import sync
from .common import MailDeskFixture
from .mailservers import PASSWORD, Dovecot, ServerUnavailable, SmtpReceiver


def rfc822(subject="Hello", sender="Alice <alice@example.org>", to="team@example.com", body="Hi.",
           extra="", message_id=None):
    message_id = message_id or f"<{re.sub(r'[^A-Za-z0-9]+', '-', subject)}-{time.time_ns()}@example.org>"
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
            f"Date: Mon, 23 Nov 2026 10:00:00 +0100\r\n{extra}\r\n{body}\r\n").encode()


class ImapMixin(MailDeskFixture):
    """A mailbox account per test, backed by a fresh Dovecot user."""

    dovecot_capabilities = None  # e.g. a server without MOVE: the capability line it announces

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dovecot = Dovecot(capabilities=cls.dovecot_capabilities)
        try:
            cls.dovecot.start()
        except ServerUnavailable as exc:
            cls.skipTest(cls, str(exc))
        cls.addClassCleanup(cls.dovecot.stop)
        cls.smtp = SmtpReceiver(dovecot=cls.dovecot).start()
        cls.addClassCleanup(cls.smtp.stop)
        cls.setUpMailDesk()
        # The sync runs on cursors of its own: let them see this test's data.
        if not getattr(cls, "registry_test_mode", False):
            cls.registry_enter_test_mode_cls()

    def setUp(self):
        super().setUp()
        self.user = self.dovecot.new_user()
        self.account = self.env["mailbox.account"].with_user(self.admin).create({
            "name": "Team", "email": f"{self.user}@example.com", "is_shared": True,
            "owner_id": self.member.id, "imap_host": "127.0.0.1",
            "imap_port": self.dovecot.imap_port, "imap_security": "none", "imap_login": self.user,
            "password": PASSWORD, "smtp_host": "127.0.0.1", "smtp_port": self.smtp.port,
            "smtp_security": "none", "smtp_login": self.user,
        }).with_user(self.env.user)
        self.other = IMAPClient("127.0.0.1", self.dovecot.imap_port, ssl=False)
        self.other.login(self.user, PASSWORD)
        self.addCleanup(self.other.logout)

    def deliver(self, *messages):
        for raw in messages:
            self.dovecot.deliver(self.user, raw)

    def sync(self, **kwargs):
        result = sync.sync_account(self.env, self.account.id, **kwargs)
        self.env.invalidate_all()
        return result

    def run_ingest_cron(self):
        """The ingest cron commits between its steps: run it on a cursor of its own."""
        self.env.flush_all()
        with self.registry.cursor() as cr:
            result = self.env(cr=cr)["maildesk.ingest_queue"]._cron_ingest()
        self.env.invalidate_all()
        return result

    def rows(self, folder_type="inbox", **extra):
        domain = [("account_id", "=", self.account.id), ("folder_id.folder_type", "=", folder_type)]
        domain += [(k, "=", v) for k, v in extra.items()]
        return self.env["maildesk.message_index"].search(domain)

    def folder(self, folder_type):
        return self.env["mailbox.folder"].search(
            [("account_id", "=", self.account.id), ("folder_type", "=", folder_type)])

    def folder_at(self, path):
        return self.env["mailbox.folder"].search(
            [("account_id", "=", self.account.id), ("imap_name", "=", path)])

    def server_flags(self, path, uid):
        self.other.select_folder(path, readonly=True)
        return set(self.other.get_flags([int(uid)]).get(int(uid), ()))


class ImapCase(ImapMixin, TransactionCase):
    pass


class ImapHttpCase(ImapMixin, HttpCase):
    pass
