"""What the AI tests share: a real local stand-in of the OpenAI API behind an active provider,
the AI switches, and mail in a real Dovecot mailbox (Basic's fixtures).

The stand-in is a real HTTP server (tests/standins/openai_api.py); MailDesk's code runs
unchanged against it, and every request it received is there to look at.
"""
import secrets

from odoo.addons.maildesk_mail_client.tests.common import MailDeskFixture
from odoo.addons.maildesk_mail_client.tests.common_imap import ImapCase, ImapHttpCase, rfc822

from ..application.services import ai_guard
from ..application.services.ai_providers import key_parameter
from .standins.openai_api import OpenAIStandIn

ENTRY_POINTS = ("ai_summarize", "ai_ask", "ai_get_conversation", "ai_draft_reply", "ai_security_scan",
                "ai_analyse_attachment")
FEATURE_OF = {"ai_summarize": "summarize", "ai_ask": "ask", "ai_get_conversation": "ask",
              "ai_draft_reply": "draft_reply", "ai_security_scan": "security_scan",
              "ai_analyse_attachment": "attachment_analysis"}
# What the gate says (seed 003 section 5 names the mailbox's and the provider's sentences).
GLOBAL_OFF = "AI is switched off for this database."
FEATURE_OFF = "is switched off for this database."
MAILBOX_OFF = "AI is disabled for this mailbox."
NO_PROVIDER = "No AI provider is configured."
NO_ATTACHMENTS = "This mailbox does not let AI read attachments."


def entry_args(method, index_id):
    """Arguments of one AI entry point, for the message ``index_id``."""
    extra = {"ai_ask": ("What is asked here?",), "ai_analyse_attachment": ("2",)}
    return (index_id, *extra.get(method, ()))


def html_mail(subject, html, sender="Alice <alice@example.org>", extra="", **kw):
    return rfc822(subject=subject, sender=sender, body=html,
                  extra=f"Content-Type: text/html; charset=utf-8\r\n{extra}", **kw)


def mail_with_attachment(subject, text, name, content, mimetype="text/plain"):
    body = (f"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
            f"--b1\r\nContent-Type: {mimetype}; name=\"{name}\"\r\n"
            f"Content-Disposition: attachment; filename=\"{name}\"\r\n\r\n{content}\r\n--b1--")
    return rfc822(subject=subject, body=body,
                  extra="MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n")


class AIStandInMixin:
    """An active provider of kind "custom" whose base URL is a running OpenAIStandIn."""

    @classmethod
    def _request_handler(cls, session, request, /, **kw):
        # Odoo's guard against external requests in tests compares the timeout with a number;
        # requests also takes (connect, read), which the AI client uses.
        if isinstance(kw.get("timeout"), tuple):
            kw["timeout"] = max(t for t in kw["timeout"] if t)
        return super()._request_handler(session, request, **kw)

    @classmethod
    def setUpAIProvider(cls):
        cls.api_key = "sk-test-" + secrets.token_hex(12)
        cls.standin = OpenAIStandIn(api_key=cls.api_key).start()
        cls.addClassCleanup(cls.standin.stop)
        cls.provider = cls.env["maildesk.ai.provider"].create({
            "name": "Stand-in", "kind": "custom", "base_url": cls.standin.base_url,
            "model": "stand-in-model", "timeout_seconds": 10, "max_retries": 0})
        cls.env["ir.config_parameter"].set_param(key_parameter(cls.provider.id), cls.api_key)
        cls.provider.is_active = True

    def setUp(self):
        super().setUp()
        self.standin.requests.clear()
        self.standin.answers.clear()
        self.standin.responder = None
        self.standin.reject_json_schema = False

    # -- the switches ----------------------------------------------------------------------
    def set_switch(self, key, on):
        self.env["ir.config_parameter"].set_param(key, "True" if on else "False")

    def switch_off(self, gate, account, feature):
        """Close one of the gate's doors: global, feature, mailbox, provider, attachments."""
        if gate == "global":
            self.set_switch(ai_guard.GLOBAL_SWITCH, False)
        elif gate == "feature":
            self.set_switch(ai_guard.feature_switch(feature), False)
        elif gate == "mailbox":
            account.allow_ai = False
        elif gate == "provider":
            self.provider.is_active = False
        elif gate == "attachments":
            account.allow_ai_attachments = False
        else:
            raise KeyError(gate)

    def expected_refusal(self, gate, feature):
        if gate == "feature":
            return f"{ai_guard.feature_label(self.env, feature)} {FEATURE_OFF}"
        return {"global": GLOBAL_OFF, "mailbox": MAILBOX_OFF, "provider": NO_PROVIDER,
                "attachments": NO_ATTACHMENTS}[gate]

    # -- calling -----------------------------------------------------------------------------
    def ai(self, user, method, *args, **kwargs):
        """A mailbox.sync AI method through the ORM, as ``user`` (the jobs commit on cursors of
        their own: what this test's environment had cached is read again)."""
        self.env.flush_all()
        try:
            return getattr(self.env["mailbox.sync"].with_user(user), method)(*args, **kwargs)
        finally:
            self.env.invalidate_all()

    def sent(self):
        """The text of every chat request the stand-in received, in order."""
        return [r.text for r in self.standin.chat_requests]

    def run_ai_cron(self):
        """The AI cron, as the scheduler runs it (its runs take cursors of their own)."""
        self.env.flush_all()
        result = self.env["mailbox.sync"]._cron_run_ai_jobs()
        self.env.invalidate_all()
        return result

    def make_due(self, job_id):
        self.env["maildesk.ai.job"].browse(job_id).next_attempt_at = "2000-01-01 00:00:00"
        self.env.flush_all()


class AIGateFixture(AIStandInMixin, MailDeskFixture):
    """Personas, the support@ mailbox with one message, an active stand-in provider."""

    @classmethod
    def setUpAIGate(cls):
        cls.setUpMailDesk()
        cls.setUpAIProvider()
        cls.support.allow_ai_attachments = True
        if not getattr(cls, "registry_test_mode", False):
            cls.registry_enter_test_mode_cls()  # AI jobs run on cursors of their own


class AIMailMixin(AIStandInMixin):
    """Mail delivered to a fresh Dovecot mailbox per test (Basic's ImapMixin) and synced."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpAIProvider()

    def synced(self, *messages):
        self.deliver(*messages)
        self.sync()
        return self.rows()

    def row(self, subject):
        rows = self.rows(subject=subject)
        self.assertEqual(len(rows), 1, f"one message {subject!r} in the inbox")
        return rows


class AIMailCase(AIMailMixin, ImapCase):
    pass


class AIMailHttpCase(AIMailMixin, ImapHttpCase):
    pass
