"""The inbox in real headless Chromium, against mail synced from a real Dovecot.

Each test delivers mail to Dovecot, syncs it, runs a tour (static/tests/tours/) as a Mailbox
User, then runs the engine (sync, send worker) from Python and asks the servers themselves
(IMAP flags and folders, the SMTP receiver, the outbox rows) whether what the person did in the
browser reached them. Odoo skips these tests without Chromium or websocket-client;
scripts/run-tests lists such a skip, and CI fails on it.
"""
import email
import email.utils
from datetime import datetime, timedelta, timezone

from odoo import fields
from odoo.tests import tagged

from .common_inbox import InboxTourCase, RequestCounter
from .hostile_corpus import corpus

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


def mail(subject, age=0, sender="Alice Customer <alice@example.org>", body="Hello.",
         html=None, to="team@example.com", message_id=None):
    """One message; ``age`` in minutes before NOW, so the list order is known."""
    date = email.utils.format_datetime(NOW - timedelta(minutes=age))
    message_id = message_id or email.utils.make_msgid(domain="example.org")
    kind = "text/html" if html else "text/plain"
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {date}\r\n"
            f"Message-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: {kind}; charset=utf-8\r\n\r\n{html or body}\r\n").encode()


def hostile_vectors(counter):
    """Ways a body tries to run script or phone home, each setting __pwned if it ever runs.
    The text after the last one must still show (a void element once swallowed the rest)."""
    image = counter.url("/vector.gif")
    return f"""<html><head>
<meta http-equiv="refresh" content="0;url=javascript:top.__pwned='meta'">
<link rel="stylesheet" href="{counter.url('/style.css')}">
<style>@import url("{counter.url('/import.css')}"); p {{ background: url({counter.url('/bg.gif')}) }}</style>
<script>top.__pwned = 'script'; window.__pwned = 'script';</script>
</head><body onload="top.__pwned='body onload'">
<p>Vectors start here</p>
<img src="{image}" onload="top.__pwned='img onload'" onerror="top.__pwned='img onerror'">
<img src="x" onerror="top.__pwned='onerror'">
<svg onload="top.__pwned='svg'"><script>top.__pwned='svg script'</script></svg>
<iframe srcdoc="&lt;script&gt;top.__pwned='srcdoc'&lt;/script&gt;"></iframe>
<iframe src="javascript:top.__pwned='iframe src'"></iframe>
<object data="javascript:top.__pwned='object'"></object>
<embed src="javascript:top.__pwned='embed'">
<a href="javascript:top.__pwned='href'">a link</a>
<form action="javascript:top.__pwned='form'"><button>go</button></form>
<div style="background-image: url({counter.url('/inline-style.gif')})">styled</div>
<math><mtext><table><mglyph><style><img src=x onerror="top.__pwned='mxss'">
</style></mglyph></table></mtext></math>
<details open ontoggle="top.__pwned='ontoggle'">details</details>
<video poster="{counter.url('/poster.gif')}"></video>
<p>Vectors end here</p>
</body></html>"""


@tagged("post_install", "-at_install", "maildesk_tours")
class TestInboxTours(InboxTourCase):

    def test_a_mailbox_user_sees_only_the_mailboxes_granted(self):
        self.synced(mail("Alpha weekly news"))
        bravo = self.make_mailbox_b(mail("Bravo pipeline review"), mail("Bravo secret pricing"))
        self.assertEqual(len(self.env["maildesk.message_index"].search(
            [("account_id", "=", bravo.id)])), 2, "B's mail is in the index")
        self.tour("maildesk_inbox_access")
        # What the browser was shown is what the server gives Rita, and no more.
        unified = self.env["mailbox.sync"].with_user(self.reader).message_search_load()
        self.assertEqual({r["account_id"] for r in unified["records"]}, {self.account.id})

    def test_read_star_archive_move_and_delete_reach_the_server(self):
        subjects = ["Read me", "Unread me", "Star me", "Archive me", "Move me", "Delete me"]
        self.synced(*(mail(s, age=n) for n, s in enumerate(subjects)), folders=["Projects"])
        self.tour("maildesk_inbox_actions")
        self.apply_changes()
        self.assertEqual(self.server_subjects("INBOX"), ["Read me", "Star me", "Unread me"])
        self.assertIn(b"\\Seen", self.server_flags_of("INBOX", "Read me"))
        self.assertNotIn(b"\\Seen", self.server_flags_of("INBOX", "Unread me"))
        self.assertIn(b"\\Flagged", self.server_flags_of("INBOX", "Star me"))
        self.assertEqual(self.server_subjects("Archive"), ["Archive me"])
        self.assertEqual(self.server_subjects("Projects"), ["Move me"])
        self.assertNotIn("Delete me", self.server_subjects("Archive") + self.server_subjects("Projects"))
        self.assertIn("Delete me", self.server_subjects("Trash"))
        # and the index agrees with the server after the sync
        self.assertEqual(sorted(self.rows().mapped("subject")), ["Read me", "Star me", "Unread me"])

    def test_a_reply_sent_with_ctrl_enter_is_found_in_sent_on_the_server(self):
        customer = self.dovecot.new_user("customer")
        self.synced(mail("Question about pricing", sender=f"Carla Customer <{customer}@example.org>",
                         message_id="<pricing-1@customer.example>"))
        self.tour("maildesk_inbox_reply")
        draft = self.env["maildesk.draft"].search([("account_id", "=", self.account.id)])
        self.assertEqual((draft.subject, draft.send_state), ("Re: Question about pricing", "queued"))
        self.run_send_worker()
        self.assertEqual(self.env["maildesk.draft"].browse(draft.id).send_state, "sent")
        [sent] = [m for m in self.smtp.messages if f"{customer}@example.org" in m["rcpt_tos"]]
        message = email.message_from_bytes(sent["data"])
        self.assertEqual(message["In-Reply-To"], "<pricing-1@customer.example>")
        self.assertIn("page 4", sent["data"].decode(errors="replace"))
        self.assertEqual(self.server_subjects("Sent"), ["Re: Question about pricing"])
        self.assertIn(b"\\Answered", self.server_flags_of("INBOX", "Question about pricing"))

    def test_undo_send_stops_the_message_and_gives_the_draft_back(self):
        self.env["ir.config_parameter"].set_param("maildesk.undo_send_seconds", "30")
        customer = self.dovecot.new_user("customer")
        self.synced(mail("Please confirm", sender=f"Carla Customer <{customer}@example.org>"))
        sent_before = len(self.smtp.messages)
        self.tour("maildesk_inbox_undo_send")
        draft = self.env["maildesk.draft"].search([("account_id", "=", self.account.id)])
        self.assertEqual((draft.subject, draft.send_state), ("Re: Please confirm", "draft"))
        self.assertIn("by mistake", draft.body_html)
        # Even once the delay is over, the worker has nothing to send.
        draft.send_after = fields.Datetime.now() - timedelta(minutes=1)
        self.run_send_worker()
        self.assertEqual(len(self.smtp.messages), sent_before, "nothing reached the SMTP server")
        self.assertEqual(self.server_subjects("Sent"), [])
        self.assertEqual(self.env["maildesk.draft"].browse(draft.id).send_state, "draft")

    def test_hostile_html_never_runs_and_loads_nothing_remote_before_show_images(self):
        counter = RequestCounter().start()
        self.addCleanup(counter.stop)
        [(_name, script_html)] = [(n, raw) for n, raw in corpus() if n == "script html"]
        newsletter = (b"Subject: Hostile newsletter\r\nDate: Mon, 30 Nov 2026 08:00:00 +0000\r\n"
                      + script_html.replace(b"alert(1)", b"top.__pwned='corpus'")
                      .replace(b"https://tracker.example/p.gif", counter.url("/p.gif").encode()))
        # the whole corpus goes in too: the inbox must list and survive every one of them
        self.synced(newsletter, mail("Hostile vectors", age=5, html=hostile_vectors(counter)),
                    *(raw for name, raw in corpus() if name != "script html"))
        self.tour("maildesk_inbox_hostile")
        self.assertEqual(counter.paths, [], "no remote request before Show images")
        self.tour("maildesk_inbox_show_images")
        self.assertIn("/p.gif", counter.paths, "Show images loaded the remote image")
        self.assertFalse({"/style.css", "/import.css", "/bg.gif", "/inline-style.gif"}
                         & set(counter.paths), "the hostile vectors' mail was never shown with images")


@tagged("post_install", "-at_install", "maildesk_tours")
class TestInboxPresenceTour(InboxTourCase):
    """A class of its own: presence is timed, and the test transaction's clock starts with it."""

    def test_a_colleague_viewing_the_conversation_is_shown(self):
        [row] = self.synced(mail("Shared question"))
        Colin = self.env["mailbox.sync"].with_user(self.colleague)
        Colin.presence_ping(index_id=row.id, mode="viewing")
        self.tour("maildesk_inbox_presence")
        # Rita's browser told the server too: Colin is shown Rita on the same conversation.
        others = Colin.presence_ping(index_id=row.id, mode="viewing")["others"]
        self.assertIn(self.reader.id, [o["user_id"] for o in others])

