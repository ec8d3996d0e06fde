"""Removing a mailbox (Mailbox Admins only): Google's grant revoked at its revocation
endpoint, Microsoft's tokens destroyed with a sentence saying where to remove the app, every
row MailDesk kept for the mailbox gone, and a message listing what went, against the HTTPS
stand-ins of Google and Microsoft."""
import base64
from datetime import timedelta

from odoo import fields
from odoo.addons.maildesk_mail_client.tests.common_oauth import GmailCase, OutlookCase
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..application.services import account_removal
from ..infrastructure.oauth_revoke import RevokeFailed, revoke_google

QUIET = "odoo.addons.maildesk_mail_client_pro.application.services.account_removal"


class RemovalMixin:
    """A signed-in mailbox with something of every kind MailDesk keeps for it."""

    def fill(self):
        self.sync()
        rows = self.rows()
        Sync = self.as_member()
        Sync.get_message(rows[0].id)  # its body is cached
        Sync.set_flags(rows[:2].ids, is_starred=True)  # a change not yet on the server
        draft_id = Sync.save_draft(account_id=self.account.id, subject="Unfinished",
                                   to_emails="someone@example.org")
        attachment = self.env["ir.attachment"].create({
            "name": "quote.pdf", "datas": base64.b64encode(b"%PDF-1.4 quote"),
            "res_model": "maildesk.draft", "res_id": draft_id})
        self.env["maildesk.draft"].browse(draft_id).attachment_ids = attachment
        env = self.env
        env["maildesk.ai.job"].create({"account_id": self.account.id, "user_id": self.member.id,
                                       "feature": "summarize", "index_id": rows[0].id})
        env["maildesk.ai.thread.insight"].create({"account_id": self.account.id, "kind": "summary",
                                                  "thread_key": "t1", "text": "A summary"})
        env["maildesk.ai.conversation"].create({"account_id": self.account.id,
                                                "user_id": self.member.id})
        partner = env["res.partner"].create({"name": "A customer"})
        Sync.link_to_record(rows[0].id, "res.partner", partner.id)
        Sync.snooze_messages(rows[2:3].ids, fields.Datetime.now() + timedelta(days=2))
        env["mailbox.signature"].with_user(self.admin).create({
            "name": "Team", "account_id": self.account.id, "is_shared": True})
        self.env.flush_all()
        messages = env["maildesk.message_index"].search_count([("account_id", "=", self.account.id)])
        return {"rows": rows, "attachment": attachment, "messages": messages}

    def remove_as_admin(self, typed=None):
        wizard = self.env["maildesk.account.remove.wizard"].with_user(self.admin).create({
            "account_id": self.account.id, "confirm_email": typed or self.account.email})
        return wizard.action_remove()["params"]

    def assert_nothing_left(self, account_id, filled):
        for model, path, _label in account_removal.REMOVED:
            self.assertEqual(self.env[model].with_context(active_test=False).search_count(
                [(path, "=", account_id)]), 0, model)
        self.assertFalse(self.env["mailbox.account"].with_context(active_test=False).search(
            [("id", "=", account_id)]))
        self.assertFalse(filled["rows"].exists())
        self.assertFalse(filled["attachment"].exists(), "a draft's attachment goes with it")
        self.assertFalse(self.env["maildesk.ui_cache"].search([("index_id", "in", filled["rows"].ids)]))


@tagged("post_install", "-at_install", "maildesk_pro")
class TestGmailRemoval(RemovalMixin, GmailCase):

    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].set_param(account_removal.GOOGLE_REVOKE_URI_PARAM,
                                                  self.standin.base_url + "/revoke")
        self.refresh_token = next(iter(self.standin.refresh_tokens))

    def test_removing_a_gmail_mailbox_revokes_the_grant_and_deletes_everything(self):
        filled = self.fill()
        account_id, address = self.account.id, self.account.email
        messages = filled["messages"]
        params = self.remove_as_admin()
        self.assertEqual(self.standin.revoked, [self.refresh_token])
        self.assertTrue(self.standin.refresh_tokens[self.refresh_token]["revoked"])
        self.assertEqual(params["type"], "success")
        text = params["message"]
        self.assertIn(f"Mailbox {address} was removed.", text)
        self.assertIn("MailDesk's access to it at Google was revoked.", text)
        for what in (f"messages ({messages:,})", "drafts (1)", "email links (1)", "signatures (1)",
                     "AI summaries (1)", "Ask AI conversations (1)", "AI requests (1)",
                     "cached message bodies (1)", "changes not yet on the server (", "queued changes (1)",
                     "folders ("):
            self.assertIn(what, text)
        self.assertNotIn(self.refresh_token, text)
        self.assert_nothing_left(account_id, filled)

    @mute_logger(QUIET)
    def test_a_revocation_google_refuses_still_removes_the_data_and_says_so(self):
        filled = self.fill()
        account_id = self.account.id
        self.standin.fail_next(1, 503, {"error": "backend_error"})
        params = self.remove_as_admin()
        self.assertEqual(params["type"], "warning")
        self.assertIn("Google did not confirm that MailDesk's access was revoked (Google answered "
                      "HTTP 503 backend_error): the data was removed anyway. Remove MailDesk's access "
                      "at https://myaccount.google.com/permissions.", params["message"])
        self.assertFalse(self.standin.refresh_tokens[self.refresh_token]["revoked"])
        self.assert_nothing_left(account_id, filled)

    def test_a_grant_revoked_already_is_said_so(self):
        self.standin.revoke_grants()
        params = self.remove_as_admin()
        self.assertIn("Google no longer knew its access", params["message"])
        self.assertIn("It held no mail or other data in Odoo.", params["message"])

    def test_only_a_mailbox_admin_removes_a_mailbox_and_only_after_typing_its_address(self):
        for user in (self.member, self.outsider, self.plain):
            with self.assertRaises(AccessError):
                self.env["maildesk.account.remove.wizard"].with_user(user).create(
                    {"account_id": self.account.id, "confirm_email": self.account.email})
        with self.assertRaises(AccessError):
            account_removal.remove(self.account.with_user(self.member))
        with self.assertRaises(UserError) as caught:
            self.remove_as_admin(typed="someone-else@example.com")
        self.assertIn(f"Type the mailbox's address, {self.account.email}, to confirm",
                      str(caught.exception))
        self.assertTrue(self.account.exists())
        self.assertEqual(self.standin.revoked, [])
        self.authenticate("md_member", "md_member")
        _result, error = self.rpc("maildesk.account.remove.wizard", "create",
                                  {"account_id": self.account.id,
                                   "confirm_email": self.account.email})
        self.assertEqual(error[0], "odoo.exceptions.AccessError")
        self.assertTrue(self.account.exists())

    def test_the_revocation_call_itself(self):
        """The infrastructure function against the stand-in: the token goes as a form field."""
        self.assertEqual(revoke_google(self.refresh_token, self.standin.base_url + "/revoke"),
                         "revoked")
        [call] = self.standin.calls_to(r"^/revoke$", "POST")
        self.assertEqual(call.query, {})  # not in the URL, where logs would keep it
        self.assertEqual(revoke_google(self.refresh_token, self.standin.base_url + "/revoke"),
                         "already")
        with self.assertRaises(RevokeFailed) as caught:
            revoke_google(self.refresh_token, "https://127.0.0.1:9/revoke", timeout=2)
        self.assertNotIn(self.refresh_token, str(caught.exception))


@tagged("post_install", "-at_install", "maildesk_pro")
class TestOutlookRemoval(RemovalMixin, OutlookCase):

    def test_removing_an_outlook_mailbox_destroys_the_tokens_and_says_where_to_remove_the_app(self):
        filled = self.fill()
        account_id = self.account.id
        self.standin.clear_calls()
        params = self.remove_as_admin()
        text = params["message"]
        self.assertIn("Its Microsoft sign-in tokens were destroyed.", text)
        self.assertIn("https://myapps.microsoft.com", text)
        self.assertIn("https://account.live.com/consent/Manage", text)
        self.assertIn("Enterprise applications", text)
        self.assertEqual(self.standin.calls, [], "Microsoft offers nothing to call")
        self.assert_nothing_left(account_id, filled)
