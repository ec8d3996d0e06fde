"""Sending exactly once, through the outbox and its worker, against real SMTP and Dovecot.

The send worker runs here as the cron runs it (``_cron_send_queue``), on cursors of its own
that share this test's transaction; what its real commits do is proven in production_tests/.
"""
import base64
import email
from datetime import timedelta

from imapclient import IMAPClient

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..application.services import sending
from .common_imap import ImapCase, rfc822
from .mailservers import PASSWORD, SmtpReceiver

QUIET = "odoo.addons.maildesk_mail_client.application.services"


@tagged("post_install", "-at_install", "maildesk_sync")
class TestSending(ImapCase):

    def setUp(self):
        super().setUp()
        self.Sync = self.env["mailbox.sync"].with_user(self.member)
        self.Draft = self.env["maildesk.draft"]

    # -- helpers ---------------------------------------------------------------------------------
    def recipient(self, prefix="rcpt"):
        name = self.dovecot.new_user(prefix)
        return name, f"{name}@example.org"

    def received(self, name, folder="INBOX"):
        """The messages in a Dovecot user's folder, read by a client of its own."""
        client = IMAPClient("127.0.0.1", self.dovecot.imap_port, ssl=False)
        client.login(name, PASSWORD)
        try:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            fetched = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
            return [email.message_from_bytes(fetched[u][b"BODY[]"]) for u in uids]
        finally:
            client.logout()

    def draft(self, to, subject="Hello", **values):
        return self.Sync.save_draft(account_id=self.account.id, subject=subject, to_emails=to,
                                    body_html="<p>Hi.</p>", **values)

    def make_due(self, draft_id):
        """The undo delay is over (as superuser: nobody else may touch the outbox)."""
        self.Draft.browse(draft_id).write({"send_after": fields.Datetime.now() - timedelta(seconds=1)})

    def run_worker(self):
        result = self.Draft._cron_send_queue()
        self.env.invalidate_all()
        return result

    def send_now(self, draft_id, **kwargs):
        status = self.Sync.send_email(draft_id=draft_id, **kwargs)
        self.make_due(draft_id)
        self.run_worker()
        return status

    def use_smtp(self, receiver):
        self.account.with_user(self.admin).smtp_port = receiver.port

    def notices(self):
        return self.account.message_ids.filtered(
            lambda m: self.member.partner_id in m.partner_ids).mapped("body")

    def leave_sending(self, draft_id):
        """What a worker killed in the middle of the SMTP conversation leaves behind."""
        self.Draft.browse(draft_id).write({
            "send_state": "sending", "send_attempts": 1,
            "send_started_at": fields.Datetime.now() - sending.STALE_AFTER - timedelta(minutes=1)})

    # -- queued, then sent by the worker -----------------------------------------------------------
    def test_sending_queues_the_message_and_only_the_worker_sends_it_after_the_undo_delay(self):
        name, address = self.recipient()
        draft_id = self.draft(address, subject="Later")
        before = len(self.smtp.messages)
        status = self.Sync.send_email(draft_id=draft_id)
        self.assertEqual(status["state"], "queued")
        self.assertEqual(len(self.smtp.messages), before, "no SMTP inside the user's request")
        send_after = fields.Datetime.to_datetime(status["send_after"])
        self.assertAlmostEqual(send_after, fields.Datetime.now() + timedelta(seconds=10),
                               delta=timedelta(seconds=5))
        self.run_worker()
        self.assertEqual(self.received(name), [], "not before the undo delay is over")
        self.make_due(draft_id)
        self.run_worker()
        [message] = self.received(name)
        self.assertEqual(message["Subject"], "Later")
        self.assertEqual(message["Message-ID"], status["message_id"])
        done = self.Sync.send_status(draft_id)
        self.assertEqual((done["state"], done["accepted"], done["refused"]), ("sent", [address], []))

    def test_a_send_without_a_saved_draft_is_replay_safe_only_with_a_client_token(self):
        self.env["ir.config_parameter"].set_param("maildesk.undo_send_seconds", "0")
        name, address = self.recipient()
        values = {"account_id": self.account.id, "to_emails": address, "subject": "Token",
                  "body_html": "<p>Once.</p>", "client_token": "compose-7f3a9c21"}
        first = self.Sync.send_email(**values)
        replayed = self.Sync.send_email(**values)  # the browser retried the request
        self.assertEqual(replayed["draft_id"], first["draft_id"])
        self.run_worker()
        self.run_worker()
        self.assertEqual([m["Subject"] for m in self.received(name)], ["Token"])
        with self.assertRaises(UserError) as caught:
            self.Sync.send_email(**dict(values, client_token=None))
        self.assertIn("client_token", str(caught.exception))

    def test_the_undo_delay_is_a_setting(self):
        self.env["ir.config_parameter"].set_param("maildesk.undo_send_seconds", "0")
        name, address = self.recipient()
        draft_id = self.draft(address)
        self.Sync.send_email(draft_id=draft_id)
        self.run_worker()
        self.assertEqual(len(self.received(name)), 1)

    def test_sending_twice_or_replaying_the_request_sends_one_message(self):
        name, address = self.recipient()
        draft_id = self.draft(address, subject="Once")
        first = self.Sync.send_email(draft_id=draft_id)
        second = self.Sync.send_email(draft_id=draft_id)  # the double click
        self.assertEqual(second["message_id"], first["message_id"])
        self.assertEqual(second["send_after"], first["send_after"])
        self.make_due(draft_id)
        self.run_worker()
        self.run_worker()
        replayed = self.Sync.send_email(draft_id=draft_id)  # the same request, replayed later
        self.assertEqual(replayed["state"], "sent")
        self.make_due(draft_id)
        self.run_worker()
        self.assertEqual([m["Subject"] for m in self.received(name)], ["Once"])

    def test_undo_before_the_delay_is_over_sends_nothing_and_gives_the_draft_back(self):
        name, address = self.recipient()
        draft_id = self.draft(address, subject="Oops")
        self.Sync.send_email(draft_id=draft_id)
        with self.assertRaises(UserError):
            self.Sync.save_draft(draft_id=draft_id, subject="Changed while queued")
        undone = self.Sync.cancel_send(draft_id)
        self.assertEqual((undone["cancelled"], undone["state"]), (True, "draft"))
        self.make_due(draft_id)
        self.run_worker()
        self.assertEqual(self.received(name), [])
        self.Sync.save_draft(draft_id=draft_id, subject="Better")
        self.send_now(draft_id)
        self.assertEqual([m["Subject"] for m in self.received(name)], ["Better"])
        too_late = self.Sync.cancel_send(draft_id)
        self.assertEqual((too_late["cancelled"], too_late["state"]), (False, "sent"))

    def test_deleting_a_queued_draft_cancels_it(self):
        name, address = self.recipient()
        draft_id = self.draft(address)
        self.Sync.send_email(draft_id=draft_id)
        self.Sync.delete_draft(draft_id)
        self.run_worker()
        self.assertEqual(self.received(name), [])

    # -- what the server said ------------------------------------------------------------------------
    @mute_logger(QUIET)
    def test_a_partial_refusal_says_exactly_who_got_it_and_who_did_not(self):
        with SmtpReceiver(dovecot=self.dovecot, refuse=r"^gone") as picky:
            self.use_smtp(picky)
            kept_name, kept = self.recipient()
            gone_name, gone = self.recipient("gone")
            draft_id = self.draft(f"{kept}, {gone}", subject="Half")
            self.send_now(draft_id)
        status = self.Sync.send_status(draft_id)
        self.assertEqual(status["state"], "partly_sent")
        self.assertEqual(status["accepted"], [kept])
        [refused] = status["refused"]
        self.assertTrue(refused.startswith(f"{gone}: 550 5.1.1"), refused)
        self.assertIn("no such user", refused)
        self.assertEqual(len(self.received(kept_name)), 1)
        self.assertEqual(self.received(gone_name), [])
        self.assertTrue(any(gone in body and "NOT" in body for body in self.notices()))
        # nobody is sent it again, neither the ones who got it nor the ones refused
        self.assertEqual(self.Sync.send_email(draft_id=draft_id)["state"], "partly_sent")
        self.run_worker()
        self.assertEqual(len(self.received(kept_name)), 1)

    @mute_logger(QUIET)
    def test_a_permanent_refusal_of_everyone_fails_with_the_servers_words_and_keeps_the_draft(self):
        with SmtpReceiver(dovecot=self.dovecot, refuse=r"^gone") as picky:
            self.use_smtp(picky)
            _name, gone = self.recipient("gone")
            draft_id = self.draft(gone)
            self.send_now(draft_id)
            status = self.Sync.send_status(draft_id)
            self.assertEqual(status["state"], "failed")
            self.assertIn("550 5.1.1", status["error"])
            self.assertEqual(picky.messages, [])
        # the draft is the user's again: corrected and sent
        name, address = self.recipient()
        self.Sync.save_draft(draft_id=draft_id, to_emails=address)
        self.use_smtp(self.smtp)
        self.send_now(draft_id)
        self.assertEqual(len(self.received(name)), 1)

    @mute_logger(QUIET)
    def test_an_unreachable_server_is_retried_later_a_bounded_number_of_times(self):
        self.account.with_user(self.admin).smtp_port = 1
        _name, address = self.recipient()
        draft_id = self.draft(address)
        self.send_now(draft_id)
        status = self.Sync.send_status(draft_id)
        self.assertEqual((status["state"], status["attempts"]), ("queued", 1))
        self.assertIn("trying again", status["error"])
        retry_at = fields.Datetime.to_datetime(status["send_after"])
        self.assertAlmostEqual(retry_at, fields.Datetime.now() + sending.RETRY_START,
                               delta=timedelta(seconds=30))
        self.run_worker()
        self.assertEqual(self.Sync.send_status(draft_id)["attempts"], 1, "not before the back-off")
        for _attempt in range(sending.MAX_ATTEMPTS - 1):
            self.make_due(draft_id)
            self.run_worker()
        status = self.Sync.send_status(draft_id)
        self.assertEqual((status["state"], status["attempts"]), ("failed", sending.MAX_ATTEMPTS))
        self.assertIn("Your draft is kept", status["error"])

    @mute_logger(QUIET)
    def test_a_connection_cut_after_the_message_went_out_is_uncertain_and_never_resent(self):
        with SmtpReceiver(dovecot=self.dovecot, cut_after_data=True) as flaky:
            self.use_smtp(flaky)
            name, address = self.recipient()
            draft_id = self.draft(address, subject="Did it go?")
            self.send_now(draft_id)
            self.make_due(draft_id)
            self.run_worker()
        status = self.Sync.send_status(draft_id)
        self.assertEqual(status["state"], "uncertain")
        self.assertIn("may or may not have been sent", status["error"])
        self.assertEqual(len(self.received(name)), 1, "delivered once, not retried")
        self.assertTrue(any("may or may not have been sent" in b for b in self.notices()))

    def test_validation_errors_are_said_at_once_and_nothing_is_queued(self):
        with self.assertRaises(UserError) as caught:
            self.Sync.send_email(account_id=self.account.id, to_emails="not-an-address",
                                 client_token="validation-0001")
        self.assertIn("not valid", str(caught.exception))
        self.assertFalse(self.Draft.search([("account_id", "=", self.account.id),
                                            ("send_state", "!=", "draft")]))

    # -- a worker that died mid-conversation -----------------------------------------------------------
    @mute_logger(QUIET)
    def test_a_message_left_sending_by_a_dead_worker_and_found_in_sent_is_marked_sent_not_resent(self):
        self.sync()  # the index knows the Sent folder
        name, address = self.recipient()
        draft_id = self.draft(address, subject="Went out")
        self.Sync.send_email(draft_id=draft_id)
        self.leave_sending(draft_id)
        draft = self.Draft.browse(draft_id)
        # the server filed its copy in Sent (as Gmail does) before the worker died
        self.other.append("Sent", base64.b64decode(draft.outgoing_mime), flags=[b"\\Seen"])
        before = len(self.smtp.messages)
        self.run_worker()
        self.assertEqual(self.Sync.send_status(draft_id)["state"], "sent")
        self.assertEqual(len(self.smtp.messages), before)
        self.assertEqual(self.received(name), [])

    @mute_logger(QUIET)
    def test_a_message_left_sending_and_not_in_sent_is_uncertain_until_the_user_sends_again(self):
        self.sync()
        name, address = self.recipient()
        draft_id = self.draft(address, subject="Lost worker")
        first = self.Sync.send_email(draft_id=draft_id)
        self.leave_sending(draft_id)
        before = len(self.smtp.messages)
        self.run_worker()
        status = self.Sync.send_status(draft_id)
        self.assertEqual(status["state"], "uncertain")
        self.assertIn("Check the Sent folder", status["error"])
        self.assertTrue(any("may or may not have been sent" in b for b in self.notices()))
        self.assertEqual(len(self.smtp.messages), before)
        # a replayed request does not send it; the person asking explicitly does, once
        self.assertEqual(self.Sync.send_email(draft_id=draft_id)["state"], "uncertain")
        self.run_worker()
        self.assertEqual(len(self.smtp.messages), before)
        again = self.send_now(draft_id, resend_uncertain=True)
        self.assertEqual(again["message_id"], first["message_id"], "the same Message-ID")
        self.assertEqual(len(self.received(name)), 1)

    # -- replies and forwards ------------------------------------------------------------------------
    def test_a_reply_is_sent_threaded_filed_in_sent_once_and_marks_the_original_answered(self):
        original = self.synced(rfc822(
            "Question", sender=f"Customer <{self.user}@example.com>", message_id="<q2@customer>",
            extra="References: <q1@customer>\r\nIn-Reply-To: <q1@customer>\r\n"))
        reply = self.Sync.prepare_reply(original.id)
        self.assertEqual(reply["subject"], "Re: Question")
        reply["body_html"] = "<p>Here is the answer.</p>" + reply["body_html"]
        status = self.Sync.send_email(**reply)
        self.send_now(status["draft_id"])
        sent = self.smtp.messages[-1]
        message = email.message_from_bytes(sent["data"])
        self.assertEqual(message["In-Reply-To"], "<q2@customer>")
        self.assertEqual(message["References"], "<q1@customer> <q2@customer>")
        self.assertEqual(message["Message-ID"], status["message_id"])
        self.assertEqual(sent["login"], self.user)
        self.assertEqual(len(self.rows("sent")), 1)
        self.assertIn(b"\\Answered", self.server_flags("INBOX", original.uid))
        self.sync()
        self.assertEqual(len(self.rows("sent")), 1, "the server's copy is the same row")
        self.other.select_folder("Sent", readonly=True)
        self.assertEqual(len(self.other.search("ALL")), 1)
        self.assertEqual(len(self.rows(subject="Re: Question")), 1, "the recipient received it")
        self.assertIn("\\Answered", self.env["maildesk.message_index"].browse(original.id).flags)

    def test_a_forward_marks_the_original_forwarded_on_the_server(self):
        original = self.synced(rfc822("Pass this on"))
        forward = self.Sync.prepare_forward(original.id)
        _name, address = self.recipient()
        forward.pop("forward_attachments", None)
        status = self.Sync.send_email(**dict(forward, to_emails=address))
        self.send_now(status["draft_id"])
        self.assertIn(b"$Forwarded", self.server_flags("INBOX", original.uid))
        self.assertNotIn(b"\\Answered", self.server_flags("INBOX", original.uid))

    def synced(self, *messages):
        self.deliver(*messages)
        self.sync()
        return self.rows()

    # -- the outbox belongs to MailDesk ------------------------------------------------------------------
    def test_users_cannot_write_the_sending_state_or_change_what_is_being_sent(self):
        _name, address = self.recipient()
        draft_id = self.draft(address)
        mine = self.Draft.with_user(self.member).browse(draft_id)
        for vals in ({"send_state": "sent"}, {"outgoing_mime": "aGVsbG8="},
                     {"refused_recipients": "x"}, {"send_after": fields.Datetime.now()}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                mine.write(vals)
        with self.assertRaises(AccessError):
            self.Draft.with_user(self.member).with_context(default_send_state="queued").create(
                {"account_id": self.account.id, "subject": "Sneaky"})
        with self.assertRaises(AccessError):
            self.Draft.with_user(self.member).create({"account_id": self.account.id,
                                                      "send_state": "sending"})
        self.Sync.send_email(draft_id=draft_id)
        with self.assertRaises(UserError):
            mine.write({"bcc_emails": "spy@example.org"})
        self.leave_sending(draft_id)
        with self.assertRaises(UserError):
            mine.unlink()

    def test_a_worker_that_outlived_its_attempt_cannot_overwrite_the_next_attempts_outcome(self):
        """"Send again" on an uncertain message counts attempts from 1 again: the old worker,
        still alive, must not write its result over the new attempt's."""
        _name, address = self.recipient()
        draft = self.Draft.browse(self.draft(address))
        now = fields.Datetime.now()
        old_attempt = (1, now - timedelta(minutes=20))
        draft.write({"send_state": "sending", "send_attempts": 1, "send_started_at": now})
        self.env.flush_all()
        self.assertFalse(sending._record(self.env, draft.id, old_attempt, {"send_state": "failed"}))
        self.assertEqual(draft.send_state, "sending")
        self.assertTrue(sending._record(self.env, draft.id, (1, now), {"send_state": "sent"}))
        self.assertEqual(draft.send_state, "sent")
