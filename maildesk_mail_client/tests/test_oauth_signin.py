"""Sign in with Google / Microsoft over real HTTP: Odoo's routes, google-auth-oauthlib and msal,
against the HTTPS stand-ins, driven as a browser would (start, the provider's authorize page,
the callback), as the people of seed 001, and as an attacker replaying or forging callbacks."""
import contextlib
import html
import logging
import re
import secrets
import threading
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import psycopg2
import requests
from markupsafe import escape

from odoo import api
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tests.common import TEST_CURSOR_COOKIE_NAME, HttpCase, TransactionCase
from odoo.tools import mute_logger

from ..application.services import oauth_config, oauth_signin, secrets_vault
from ..controllers import oauth as oauth_routes
from ..infrastructure import oauth_flow
from .common import MailDeskFixture
from .common_oauth import point_at_google, point_at_microsoft, trust_standins
from .standins import GoogleStandIn, MicrosoftStandIn
from .standins.google import _jwt
from .standins.microsoft import TENANT_ID, GraphMailbox

SERVICE_LOG = "odoo.addons.maildesk_mail_client.application.services.oauth_signin"
CONFIG_LOG = "odoo.addons.maildesk_mail_client.application.services.oauth_config"
GMAIL_SCOPE = "https://www.googleapis.com/auth/gmail.modify"
_INPUT = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)"\s*/?>')


def hidden_inputs(page):
    return {html.unescape(k): html.unescape(v) for k, v in _INPUT.findall(page)}


class NOAuthMicrosoft(MicrosoftStandIn):
    """Microsoft, where a tenant's administrator may put any address in a user's email and
    preferred_username claims (nOAuth: Microsoft does not verify them): ``forged_claims``
    replace the id token's; ``me_answer`` replaces what Graph's /me says of the user."""

    forged_claims = me_answer = None

    def _tokens(self, user, scope, nonce, refresh=None):
        answer = super()._tokens(user, scope, nonce, refresh)
        if self.forged_claims:
            claims = dict(oauth_flow.id_token_claims(answer["id_token"]), **self.forged_claims)
            answer["id_token"] = _jwt(claims)
        return answer

    def me(self, request, mailbox):
        response = super().me(request, mailbox)
        if self.me_answer is not None:
            response.body = dict(response.body, **self.me_answer)
        return response


@tagged("post_install", "-at_install")
class TestOAuthSignIn(MailDeskFixture, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()
        trust_standins(cls)  # the libraries trust the stand-ins' private CA for this class only
        cls.google = GoogleStandIn(messages=3, owner="mia@gmail.example").start()
        cls.microsoft = NOAuthMicrosoft(
            messages=3, owner="mia@contoso.example",
            shared={"team@contoso.example": {"delegates": ["mia@contoso.example"]}}).start()
        # eve has a mailbox of her own at Microsoft, and no access to team@
        cls.microsoft.mailboxes["eve@contoso.example"] = GraphMailbox(
            "eve@contoso.example", "Eve", 0, seed=3)
        env = cls.env
        point_at_google(env, cls.google)
        point_at_microsoft(env, cls.microsoft)
        oauth_config.save_client_ids(env, cls.google.client_id, cls.microsoft.client_id, TENANT_ID)
        oauth_config.save_secret(env, "gmail", cls.google.client_secret)
        oauth_config.save_secret(env, "outlook", cls.microsoft.client_secret)
        Account = env["mailbox.account"]
        cls.gmail = Account.create({
            "name": "Mia (Gmail)", "email": "mia@gmail.example", "provider": "gmail",
            "owner_id": cls.member.id})
        cls.outlook = Account.create({
            "name": "Mia (Outlook)", "email": "mia@contoso.example", "provider": "outlook",
            "owner_id": cls.member.id})
        cls.team = Account.create({
            "name": "Team", "email": "team@contoso.example", "provider": "outlook",
            "is_shared": True, "outlook_shared_mailbox": True, "owner_id": cls.member.id})
        cls.gmail.write({"connection_state": "reauth_required", "last_error": "Access revoked",
                         "sync_failure_count": 3})

    @classmethod
    def tearDownClass(cls):
        cls.google.stop()
        cls.microsoft.stop()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.google.signed_in, self.microsoft.signed_in = "mia@gmail.example", "mia@contoso.example"
        self.google.withheld_scopes = set()
        self.microsoft.forged_claims = self.microsoft.me_answer = None
        self.google.clear_calls()
        self.microsoft.clear_calls()

    # -- the browser --------------------------------------------------------------------------
    def open_start(self, route, account_id=""):
        self.env.flush_all()
        return self.url_open(f"/maildesk/oauth/{route}/start?" + urlencode({"account_id": account_id}),
                             allow_redirects=False)

    def authorize(self, route, account_id=""):
        """Click Sign in, consent at the provider; the callback the provider sends back:
        (method, url, form fields)."""
        started = self.open_start(route, account_id)
        self.assertEqual(started.status_code, 303, started.text[:500])
        at_provider = requests.get(started.headers["Location"], allow_redirects=False, timeout=30)
        if route == "google":
            self.assertEqual(at_provider.status_code, 302, at_provider.text)
            return "GET", at_provider.headers["Location"], None
        self.assertEqual(at_provider.status_code, 200, at_provider.text)  # Microsoft's form_post page
        action = html.unescape(re.search(r'action="([^"]*)"', at_provider.text).group(1))
        return "POST", action, hidden_inputs(at_provider.text)

    def callback(self, method, url, fields=None, quiet=True):
        self.env.flush_all()
        with mute_logger(SERVICE_LOG) if quiet else contextlib.nullcontext():
            if method == "GET":
                answer = self.url_open(url, allow_redirects=False)
            else:
                answer = self.url_open(url, data=fields, allow_redirects=False)
        self.env.invalidate_all()
        return answer

    def sign_in(self, route, account_id=""):
        return self.callback(*self.authorize(route, account_id))

    def connect_new(self, route, address):
        """Connect Mailbox's Sign in: the mailbox it signed in, found by its address."""
        answer = self.sign_in(route)
        account = self.env["mailbox.account"].search([("email", "=", address)])
        self.assertSignedIn(answer, account)
        return account

    def state_of(self, url):
        return parse_qs(urlsplit(url).query)["state"][0]

    def allow_users_to_connect_own(self, allowed=True):
        self.env["ir.config_parameter"].set_param(oauth_config.USERS_CONNECT_OWN_PARAM, allowed)

    def pending(self, user):
        self.env.cr.execute("SELECT count(*) FROM maildesk_oauth_pending WHERE user_id = %s",
                            [user.id])
        return self.env.cr.fetchone()[0]

    # -- what the user and the database show -----------------------------------------------------
    def assertSignedIn(self, answer, account):
        self.assertEqual(answer.status_code, 303, answer.text[:500])
        self.assertTrue(answer.headers["Location"].endswith(oauth_signin.back_url(account.id)))

    def assertRefused(self, answer, status, sentence):
        self.assertEqual(answer.status_code, status)
        self.assertIn("The sign-in did not complete", answer.text)
        self.assertIn(str(escape(sentence)), answer.text)
        self.assertEqual(answer.headers["Cache-Control"], "no-store")

    def sync_requested(self, account):
        self.env.cr.execute("SELECT count(*) FROM maildesk_sync_request WHERE account_id = %s",
                            [account.id])
        return bool(self.env.cr.fetchone()[0])

    def assertNothingStored(self, account, refresh_field="gmail_refresh_token"):
        self.assertFalse(secrets_vault.is_stored(account, refresh_field))
        self.assertFalse(secrets_vault.is_stored(account, refresh_field.replace("refresh", "access")))
        self.assertFalse(self.sync_requested(account))

    # -- Google ---------------------------------------------------------------------------------
    def test_a_member_signs_in_with_google_and_the_mailbox_starts_syncing(self):
        self.authenticate("md_member", "md_member")
        button, error = self.rpc("mailbox.account", "action_sign_in_google", [self.gmail.id])
        self.assertIsNone(error)
        self.assertEqual(button["type"], "ir.actions.act_url")
        self.assertEqual(button["url"], f"/maildesk/oauth/google/start?account_id={self.gmail.id}")
        started = self.url_open(button["url"], allow_redirects=False)
        authorize = started.headers["Location"]
        self.assertTrue(authorize.startswith(self.google.base_url + "/o/oauth2/auth?"))
        query = parse_qs(urlsplit(authorize).query)
        self.assertEqual(query["code_challenge_method"], ["S256"])
        self.assertEqual(query["access_type"], ["offline"])
        self.assertEqual(query["redirect_uri"], [self.base_url() + "/maildesk/oauth/google/callback"])
        self.assertEqual(query["login_hint"], ["mia@gmail.example"])

        answer = self.sign_in("google", self.gmail.id)

        self.assertSignedIn(answer, self.gmail)
        refresh = secrets_vault.reveal(self.gmail, "gmail_refresh_token")
        access = secrets_vault.reveal(self.gmail, "gmail_access_token")
        self.assertEqual(self.google.refresh_tokens[refresh]["user"], "mia@gmail.example")
        self.assertEqual(self.google.access_tokens[access][0], "mia@gmail.example")
        # sealed at rest: the column holds no token in clear
        self.assertNotIn(refresh, self.gmail.sudo().gmail_refresh_token_encrypted)
        self.assertGreater(self.gmail.sudo().gmail_access_token_expiration, time.time() + 3000)
        self.assertEqual(self.gmail.connection_state, "not_connected")
        self.assertFalse(self.gmail.last_error)
        self.assertEqual(self.gmail.sync_failure_count, 0)
        self.assertTrue(self.sync_requested(self.gmail))

    def test_a_tampered_state_is_refused_and_nothing_is_redeemed(self):
        self.authenticate("md_member", "md_member")
        method, url, _ = self.authorize("google", self.gmail.id)
        state = self.state_of(url)
        payload, mac = state.split(".")
        forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + mac
        answer = self.callback(method, url.replace(urlencode({"state": state}),
                                                   urlencode({"state": forged})))
        self.assertRefused(answer, 400, oauth_signin.state_refusal(self.env))
        self.assertFalse(self.google.calls_to(r"^/token$"))
        self.assertNothingStored(self.gmail)

    def test_a_callback_works_once(self):
        self.authenticate("md_member", "md_member")
        method, url, _ = self.authorize("google", self.gmail.id)
        code = parse_qs(urlsplit(url).query)["code"][0]
        with self.assertLogs(SERVICE_LOG, "INFO") as logged:
            self.assertSignedIn(self.callback(method, url, quiet=False), self.gmail)
            stored = secrets_vault.reveal(self.gmail, "gmail_refresh_token")
            replayed = self.callback(method, url, quiet=False)
        self.assertIn("state replayed", logged.output[-1])
        for secret in (code, stored, secrets_vault.reveal(self.gmail, "gmail_access_token")):
            self.assertNotIn(secret, "\n".join(logged.output))

        self.assertRefused(replayed, 400, oauth_signin.state_refusal(self.env))
        self.assertEqual(len(self.google.calls_to(r"^/token$")), 1)
        self.assertEqual(secrets_vault.reveal(self.gmail, "gmail_refresh_token"), stored)

    def test_a_sign_in_left_too_long_is_refused(self):
        self.authenticate("md_member", "md_member")
        method, url, _ = self.authorize("google", self.gmail.id)
        self.env.cr.execute("UPDATE maildesk_oauth_pending SET expires_at = expires_at - interval '1 hour'")
        self.assertRefused(self.callback(method, url), 400, oauth_signin.state_refusal(self.env))
        self.assertNothingStored(self.gmail)

    def test_a_state_whose_lifetime_is_over_is_refused(self):
        self.authenticate("md_member", "md_member")
        an_hour_ago = oauth_signin.state_signer(self.env, clock=lambda: time.time() - 3600)
        state, _ = an_hour_ago.issue(self.member.id, self.gmail.id, "gmail")
        answer = self.callback("GET", "/maildesk/oauth/google/callback?" + urlencode(
            {"state": state, "code": "4/0Aanything"}))
        self.assertRefused(answer, 400, oauth_signin.state_refusal(self.env))
        self.assertNothingStored(self.gmail)

    def test_a_state_issued_to_another_user_is_refused(self):
        self.allow_users_to_connect_own()
        self.authenticate("md_member", "md_member")
        method, url, _ = self.authorize("google")  # a new mailbox: no account to be refused on
        self.authenticate("md_outsider", "md_outsider")
        self.assertRefused(self.callback(method, url), 400, oauth_signin.state_refusal(self.env))
        self.assertFalse(self.env["mailbox.account"].search([("owner_id", "=", self.outsider.id),
                                                             ("provider", "=", "gmail")]))
        self.assertFalse(self.google.calls_to(r"^/token$"))

    def test_someone_elses_mailbox_gets_the_answer_of_a_missing_one(self):
        self.authenticate("md_outsider", "md_outsider")
        with mute_logger(SERVICE_LOG):
            foreign = self.open_start("google", self.gmail.id)
            missing = self.open_start("google", 987654321)
            garbage = self.open_start("google", "1 OR 1=1")
        self.assertEqual(foreign.status_code, 403)
        self.assertEqual(foreign.text, missing.text)
        self.assertEqual(foreign.text, garbage.text)
        self.assertIn("it does not exist, or you are not one of its users", foreign.text)
        self.assertFalse(self.google.calls)

    def test_losing_access_before_the_callback_gets_the_answer_of_a_missing_mailbox(self):
        self.gmail.access_user_ids = [(4, self.outsider.id)]
        self.authenticate("md_outsider", "md_outsider")
        method, url, _ = self.authorize("google", self.gmail.id)
        self.gmail.access_user_ids = [(3, self.outsider.id)]
        self.env.flush_all()
        answer = self.callback(method, url)
        self.assertEqual(answer.status_code, 403)
        self.assertIn("it does not exist, or you are not one of its users", answer.text)
        self.assertFalse(self.google.calls_to(r"^/token$"))
        self.assertNothingStored(self.gmail)

    def test_signing_in_as_another_google_address_is_refused(self):
        self.authenticate("md_member", "md_member")
        self.google.signed_in = "eve@gmail.example"
        answer = self.sign_in("google", self.gmail.id)
        self.assertRefused(answer, 400, "You signed in with Google as eve@gmail.example, but this "
                                        "mailbox is mia@gmail.example.")
        self.assertNothingStored(self.gmail)

    def test_cancelling_at_google_says_so_and_stores_nothing(self):
        self.authenticate("md_member", "md_member")
        started = self.open_start("google", self.gmail.id)
        state = self.state_of(started.headers["Location"])
        answer = self.callback("GET", "/maildesk/oauth/google/callback?" + urlencode(
            {"error": "access_denied", "state": state}))
        self.assertRefused(answer, 400, "The sign-in with Google was cancelled")
        self.assertIn(f'href="{oauth_signin.back_url(self.gmail.id)}"', answer.text)
        self.assertNothingStored(self.gmail)

    def test_unticking_gmail_access_on_the_consent_screen_is_refused(self):
        self.authenticate("md_member", "md_member")
        self.google.withheld_scopes = {GMAIL_SCOPE}
        answer = self.sign_in("google", self.gmail.id)
        self.assertRefused(answer, 400, "Access to Gmail was not granted")
        self.assertNothingStored(self.gmail)

    def test_an_answer_without_a_refresh_token_is_refused_when_none_is_stored(self):
        self.authenticate("md_member", "md_member")
        method, url, _ = self.authorize("google", self.gmail.id)
        code = parse_qs(urlsplit(url).query)["code"][0]
        self.google.codes[code]["offline"] = False  # Google answers a repeated consent so
        answer = self.callback(method, url)
        self.assertRefused(answer, 400, "Google did not give MailDesk lasting access")
        self.assertNothingStored(self.gmail)

    def test_a_member_connects_their_own_gmail_as_a_new_mailbox(self):
        self.allow_users_to_connect_own()
        self.authenticate("md_outsider", "md_outsider")
        self.google.signed_in = "otto@gmail.example"
        account = self.connect_new("google", "otto@gmail.example")
        self.assertEqual((account.provider, account.name, account.owner_id),
                         ("gmail", "otto@gmail.example", self.outsider))
        self.assertEqual(account.access_user_ids, self.outsider)
        self.assertEqual(self.google.refresh_tokens[secrets_vault.reveal(
            account, "gmail_refresh_token")]["user"], "otto@gmail.example")
        self.assertTrue(self.sync_requested(account))

    def test_an_address_connected_by_others_is_not_taken_over(self):
        self.allow_users_to_connect_own()
        self.authenticate("md_outsider", "md_outsider")
        answer = self.sign_in("google")  # signs in as mia@gmail.example, not the outsider's
        self.assertRefused(answer, 400, "mia@gmail.example is already connected in MailDesk.")
        self.assertEqual(self.gmail.access_user_ids, self.member)
        self.assertNothingStored(self.gmail)

    def test_a_member_renews_a_mailbox_they_use_from_connect_mailbox(self):
        self.allow_users_to_connect_own()
        self.authenticate("md_member", "md_member")
        count = self.env["mailbox.account"].search_count([])
        self.assertSignedIn(self.sign_in("google"), self.gmail)
        self.assertEqual(self.env["mailbox.account"].search_count([]), count)
        self.assertTrue(secrets_vault.is_stored(self.gmail, "gmail_refresh_token"))

    def test_a_token_endpoint_answering_nonsense_gets_a_page_not_a_traceback(self):
        self.authenticate("md_member", "md_member")
        method, url, _ = self.authorize("google", self.gmail.id)
        self.env["ir.config_parameter"].set_param(oauth_config.GOOGLE_TOKEN_URI_PARAM,
                                                  self.google.base_url + "/no/such/endpoint")
        with mute_logger("odoo.addons.maildesk_mail_client.controllers.oauth"):
            answer = self.callback(method, url)
        self.assertIn(answer.status_code, (400, 500))
        self.assertIn("The sign-in did not complete", answer.text)
        self.assertNotIn("Traceback", answer.text)
        self.assertNothingStored(self.gmail)
        self.assertRefused(self.callback(method, url), 400, oauth_signin.state_refusal(self.env))

    def test_a_user_without_maildesk_cannot_start_a_sign_in(self):
        self.authenticate("md_plain", "md_plain")
        with mute_logger(SERVICE_LOG):
            answer = self.open_start("google")
        self.assertEqual(answer.status_code, 403)
        self.assertFalse(self.google.calls)

    def test_sign_in_before_the_administrator_set_it_up_says_who_does_what(self):
        self.env["ir.config_parameter"].set_param(oauth_config.GOOGLE_CLIENT_ID, "")
        self.authenticate("md_member", "md_member")
        answer = self.open_start("google", self.gmail.id)
        self.assertRefused(answer, 400, "Sign-in with Google is not set up yet")

    def test_the_forms_offer_sign_in_to_members(self):
        arch = self.env["mailbox.account"].with_user(self.member).get_views(
            [(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="action_sign_in_google"', arch)
        self.assertIn('name="action_sign_in_microsoft"', arch)
        self.assertIn("connection_state != 'reauth_required'", arch)  # the Sign in again banner
        self.assertNotIn("outlook_shared_mailbox", arch)  # set by Mailbox Admins only
        admin_arch = self.env["mailbox.account"].with_user(self.admin).get_views(
            [(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="outlook_shared_mailbox"', admin_arch)

    def test_connect_mailbox_offers_sign_in_to_admins_and_to_users_once_allowed(self):
        wizard = self.env["mailbox.account.wizard"].with_user(self.member).get_views(
            [(False, "form")])["views"]["form"]["arch"]
        self.assertIn(f'href="{oauth_signin.start_url("gmail")}"', wizard)
        self.assertIn(f'href="{oauth_signin.start_url("outlook")}"', wizard)
        self.assertIn('invisible="not may_connect_new"', wizard)

        def shown(user):
            return self.env["mailbox.account.wizard"].with_user(user).new({}).may_connect_new

        self.assertEqual((shown(self.member), shown(self.outsider), shown(self.admin)),
                         (False, False, True))
        self.allow_users_to_connect_own()
        self.assertEqual((shown(self.member), shown(self.outsider), shown(self.admin)),
                         (True, True, True))
        self.assertFalse(shown(self.plain))

    # -- who may connect a new mailbox (seed 003: users create no mailboxes) ---------------------
    def test_by_default_a_mailbox_user_cannot_connect_a_new_mailbox(self):
        refusal = ("Only a Mailbox Admin can connect a new Gmail or Outlook mailbox here. Ask a "
                   "Mailbox Admin to create the mailbox for you, or to allow users to connect "
                   "their own mailboxes in Settings › MailDesk.")
        self.authenticate("md_outsider", "md_outsider")
        count = self.env["mailbox.account"].search_count([])
        for route in ("google", "microsoft"):
            with self.subTest(route):
                self.assertRefused(self.open_start(route), 403, refusal)
        self.assertEqual(self.pending(self.outsider), 0)
        self.assertFalse(self.google.calls)
        self.assertFalse(self.microsoft.calls)
        self.assertEqual(self.env["mailbox.account"].search_count([]), count)
        # the mailboxes they use are signed in again as before
        self.authenticate("md_member", "md_member")
        self.assertSignedIn(self.sign_in("google", self.gmail.id), self.gmail)

    def test_a_sign_in_started_while_allowed_is_refused_once_disallowed(self):
        self.allow_users_to_connect_own()
        self.authenticate("md_outsider", "md_outsider")
        self.google.signed_in = "otto@gmail.example"
        method, url, _ = self.authorize("google")
        self.allow_users_to_connect_own(False)
        self.assertRefused(self.callback(method, url), 403, "Only a Mailbox Admin can connect")
        self.assertFalse(self.env["mailbox.account"].search([("email", "=", "otto@gmail.example")]))
        self.assertFalse(self.google.calls_to(r"^/token$"))

    def test_a_mailbox_admin_connects_a_new_mailbox_without_the_setting(self):
        self.authenticate("md_admin", "md_admin")
        self.microsoft.signed_in = "eve@contoso.example"
        account = self.connect_new("microsoft", "eve@contoso.example")
        self.assertEqual((account.provider, account.owner_id, account.access_user_ids),
                         ("outlook", self.admin, self.admin))
        self.assertTrue(secrets_vault.is_stored(account, "outlook_graph_refresh_token"))

    def test_too_many_sign_ins_in_progress_are_refused_until_one_finishes_or_expires(self):
        self.authenticate("md_member", "md_member")
        started = [self.open_start("google", self.gmail.id) for _ in range(oauth_signin.MAX_PENDING_PER_USER)]
        self.assertEqual({answer.status_code for answer in started}, {303})
        too_many = self.open_start("google", self.gmail.id)
        self.assertRefused(too_many, 429, "You have too many sign-ins in progress: finish one, or "
                                          "wait ten minutes and start again.")
        self.assertRefused(self.open_start("microsoft", self.outlook.id), 429, "too many sign-ins")
        self.assertEqual(self.pending(self.member), oauth_signin.MAX_PENDING_PER_USER)
        # others are not held up by this user's sign-ins
        self.authenticate("md_admin", "md_admin")
        self.assertEqual(self.open_start("google", self.gmail.id).status_code, 303)

        # finishing one makes room for one
        self.authenticate("md_member", "md_member")
        at_google = requests.get(started[0].headers["Location"], allow_redirects=False, timeout=30)
        self.assertSignedIn(self.callback("GET", at_google.headers["Location"]), self.gmail)
        self.assertEqual(self.open_start("google", self.gmail.id).status_code, 303)
        self.assertEqual(self.open_start("google", self.gmail.id).status_code, 429)

        # once they expired, they are purged at the next start, which is accepted
        self.env.cr.execute(
            "UPDATE maildesk_oauth_pending SET expires_at = expires_at - interval '11 minutes'")
        self.assertEqual(self.open_start("google", self.gmail.id).status_code, 303)
        self.assertEqual(self.pending(self.member), 1)
        self.assertEqual(self.pending(self.admin), 0)

    # -- the access log --------------------------------------------------------------------------
    def test_a_google_callback_leaves_no_code_or_state_in_the_access_log(self):
        self.authenticate("md_member", "md_member")
        method, url, _ = self.authorize("google", self.gmail.id)
        query = parse_qs(urlsplit(url).query)
        # logging.INFO (20), not "INFO": Odoo gives that name to its level 25
        with self.assertLogs("werkzeug", logging.INFO) as logged:
            self.assertSignedIn(self.callback(method, url), self.gmail)
        lines = [record.getMessage() for record in logged.records]
        self.assertTrue(any("/maildesk/oauth/google/callback?<redacted> HTTP/1.1" in line
                            for line in lines), lines)
        for secret in (query["code"][0], query["state"][0], "code=", "state="):
            self.assertNotIn(secret, "\n".join(lines))

    def test_the_access_log_filter_is_installed_once_and_leaves_other_lines_alone(self):
        werkzeug_log = logging.getLogger("werkzeug")
        oauth_routes.install_log_redaction()
        self.assertEqual(sum(isinstance(f, oauth_routes.RedactSignInCallbacks)
                             for f in werkzeug_log.filters), 1)
        self.authenticate("md_member", "md_member")
        with self.assertLogs("werkzeug", logging.INFO) as logged:
            self.open_start("google", self.gmail.id)
        self.assertIn(f"/maildesk/oauth/google/start?account_id={self.gmail.id} HTTP/1.1",
                      "\n".join(record.getMessage() for record in logged.records))

    # -- endpoints -------------------------------------------------------------------------------
    def test_an_endpoint_that_is_not_https_is_ignored_for_the_real_services(self):
        params = self.env["ir.config_parameter"]
        plain = self.google.base_url.replace("https://", "http://")
        params.set_param(oauth_config.GOOGLE_AUTH_URI_PARAM, plain + "/o/oauth2/auth")
        self.authenticate("md_member", "md_member")
        with self.assertLogs(CONFIG_LOG, "WARNING") as logged:
            started = self.open_start("google", self.gmail.id)
        self.assertEqual(started.status_code, 303)
        self.assertTrue(started.headers["Location"].startswith(oauth_flow.GOOGLE_AUTH_URI + "?"))
        self.assertIn(oauth_config.GOOGLE_AUTH_URI_PARAM, logged.output[0])
        self.assertNotIn(plain, "\n".join(logged.output))
        self.assertFalse(self.google.calls)

        defaults = {
            oauth_config.GOOGLE_TOKEN_URI_PARAM: ("gmail", "token_uri", oauth_flow.GOOGLE_TOKEN_URI),
            oauth_config.GOOGLE_API_ENDPOINT_PARAM: ("gmail", "api_endpoint", "https://gmail.googleapis.com/"),
            oauth_config.MICROSOFT_AUTHORITY_PARAM: ("outlook", "authority_host",
                                                     oauth_flow.MICROSOFT_AUTHORITY_HOST),
            oauth_config.GRAPH_BASE_URL_PARAM: ("outlook", "graph_base_url",
                                                "https://graph.microsoft.com/v1.0"),
        }
        for wrong in (plain, "javascript:alert(1)//", "https://", "ftp://127.0.0.1/x", "//127.0.0.1/x"):
            for key, (provider, name, default) in defaults.items():
                with self.subTest(wrong=wrong, key=key):
                    params.set_param(key, wrong)
                    read = {"gmail": oauth_config.google_config,
                            "outlook": oauth_config.microsoft_config}[provider]
                    with mute_logger(CONFIG_LOG):
                        self.assertEqual(read(self.env)[name], default)
        params.set_param(oauth_config.GRAPH_BASE_URL_PARAM, self.microsoft.base_url + "/v1.0")
        self.assertEqual(oauth_config.microsoft_config(self.env)["graph_base_url"],
                         self.microsoft.base_url + "/v1.0")

    # -- Microsoft ------------------------------------------------------------------------------
    def test_a_tenant_microsoft_does_not_know_is_named_for_the_administrator(self):
        self.env["ir.config_parameter"].set_param(oauth_config.MICROSOFT_TENANT, "unknown.example")
        self.authenticate("md_member", "md_member")
        with mute_logger(SERVICE_LOG):
            answer = self.open_start("microsoft", self.outlook.id)
        self.assertRefused(answer, 400, "Microsoft does not know the tenant unknown.example set "
                                        "for MailDesk.")
        self.env.cr.execute("SELECT count(*) FROM maildesk_oauth_pending")
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_a_member_signs_in_with_microsoft(self):
        self.authenticate("md_member", "md_member")
        button, _error = self.rpc("mailbox.account", "action_sign_in_microsoft", [self.outlook.id])
        self.assertEqual(button["url"], f"/maildesk/oauth/microsoft/start?account_id={self.outlook.id}")
        method, url, fields = self.authorize("microsoft", self.outlook.id)
        self.assertEqual(url, self.base_url() + "/maildesk/oauth/microsoft/callback")
        self.assertEqual(set(fields), {"code", "state", "session_state"})

        answer = self.callback(method, url, fields)

        self.assertSignedIn(answer, self.outlook)
        refresh = secrets_vault.reveal(self.outlook, "outlook_graph_refresh_token")
        access = secrets_vault.reveal(self.outlook, "outlook_graph_access_token")
        self.assertEqual(self.microsoft.refresh_tokens[refresh]["user"], "mia@contoso.example")
        self.assertEqual(self.microsoft.access_tokens[access][0], "mia@contoso.example")
        self.assertTrue(self.sync_requested(self.outlook))

    def test_microsofts_cross_site_post_without_the_odoo_session_is_relayed_with_it(self):
        self.authenticate("md_member", "md_member")
        method, url, fields = self.authorize("microsoft", self.outlook.id)
        # The browser leaves Odoo's SameSite=Lax session cookie off a POST from Microsoft's site.
        self.env.flush_all()
        with self.allow_requests():  # a session of its own: the test cursor's cookie, no Odoo session
            relay = requests.post(url, data=fields, allow_redirects=False, timeout=30,
                                  cookies={TEST_CURSOR_COOKIE_NAME: self.http_request_key})
        self.assertEqual(relay.status_code, 200)
        self.assertNotIn("session_id", relay.cookies)
        self.assertEqual(relay.headers["Cache-Control"], "no-store")
        relayed = hidden_inputs(relay.text)
        self.assertEqual(relayed, dict(fields, relayed="1"))
        self.assertNothingStored(self.outlook, "outlook_graph_refresh_token")

        self.assertSignedIn(self.callback(method, url, relayed), self.outlook)
        self.assertTrue(secrets_vault.is_stored(self.outlook, "outlook_graph_refresh_token"))

    def test_a_microsoft_id_token_claiming_the_mailboxs_address_is_not_believed(self):
        self.authenticate("md_member", "md_member")
        self.microsoft.signed_in = "eve@contoso.example"  # eve's tenant says she is mia@
        self.microsoft.forged_claims = {"preferred_username": "mia@contoso.example",
                                        "email": "mia@contoso.example"}
        answer = self.sign_in("microsoft", self.outlook.id)
        self.assertRefused(answer, 400, "You signed in with Microsoft as eve@contoso.example, but "
                                        "this mailbox is mia@contoso.example.")
        self.assertNothingStored(self.outlook, "outlook_graph_refresh_token")
        self.assertTrue(self.microsoft.calls_to(r"^/v1\.0/me$"))

    def test_a_new_microsoft_mailbox_takes_the_address_graph_confirms(self):
        self.allow_users_to_connect_own()
        self.authenticate("md_outsider", "md_outsider")
        self.microsoft.signed_in = "eve@contoso.example"
        self.microsoft.forged_claims = {"preferred_username": "ceo@contoso.example",
                                        "email": "ceo@contoso.example"}
        account = self.connect_new("microsoft", "eve@contoso.example")
        self.assertEqual(account.access_user_ids, self.outsider)
        self.assertFalse(self.env["mailbox.account"].with_context(active_test=False).search(
            [("email", "ilike", "ceo@")]))

    def test_graphs_mail_is_the_address_and_the_user_principal_name_only_without_it(self):
        self.authenticate("md_member", "md_member")
        self.microsoft.me_answer = {"mail": "eve@contoso.example"}  # UPN mia@, mail eve@
        self.assertRefused(self.sign_in("microsoft", self.outlook.id), 400,
                           "You signed in with Microsoft as eve@contoso.example")
        self.assertNothingStored(self.outlook, "outlook_graph_refresh_token")
        self.microsoft.me_answer = {"mail": None}  # no mailbox address: the UPN, mia@
        self.assertSignedIn(self.sign_in("microsoft", self.outlook.id), self.outlook)

    def test_graph_not_saying_who_signed_in_stores_nothing(self):
        self.authenticate("md_member", "md_member")
        self.microsoft.me_answer = {"mail": "", "userPrincipalName": None}
        answer = self.sign_in("microsoft", self.outlook.id)
        self.assertRefused(answer, 400, "Microsoft did not confirm which address you signed in with.")
        self.assertNothingStored(self.outlook, "outlook_graph_refresh_token")

    def test_signing_in_as_another_microsoft_account_is_refused(self):
        self.authenticate("md_member", "md_member")
        self.microsoft.signed_in = "eve@contoso.example"
        answer = self.sign_in("microsoft", self.outlook.id)
        self.assertRefused(answer, 400, "You signed in with Microsoft as eve@contoso.example, but "
                                        "this mailbox is mia@contoso.example.")
        self.assertNothingStored(self.outlook, "outlook_graph_refresh_token")

    def test_cancelling_at_microsoft_says_so_and_stores_nothing(self):
        self.authenticate("md_member", "md_member")
        method, url, fields = self.authorize("microsoft", self.outlook.id)
        answer = self.callback(method, url, {
            "error": "access_denied", "state": fields["state"],
            "error_description": "AADSTS65004: User declined to consent to access the app."})
        self.assertRefused(answer, 400, "The sign-in with Microsoft was cancelled")
        self.assertNothingStored(self.outlook, "outlook_graph_refresh_token")

    def test_a_microsoft_callback_works_once(self):
        self.authenticate("md_member", "md_member")
        method, url, fields = self.authorize("microsoft", self.outlook.id)
        self.assertSignedIn(self.callback(method, url, fields), self.outlook)
        self.assertRefused(self.callback(method, url, fields), 400, oauth_signin.state_refusal(self.env))
        self.assertEqual(len(self.microsoft.calls_to(r"/oauth2/v2\.0/token$")), 1)

    def test_a_delegate_signs_in_for_a_microsoft_365_shared_mailbox(self):
        self.authenticate("md_member", "md_member")
        started = self.open_start("microsoft", self.team.id)
        scopes = parse_qs(urlsplit(started.headers["Location"]).query)["scope"][0].split()
        self.assertIn("Mail.ReadWrite.Shared", scopes)
        self.assertIn("Mail.Send.Shared", scopes)

        answer = self.sign_in("microsoft", self.team.id)  # as mia@, a delegate of team@

        self.assertSignedIn(answer, self.team)
        self.assertTrue(self.microsoft.calls_to(r"^/v1\.0/users/team@contoso\.example/mailFolders/inbox$"))
        refresh = secrets_vault.reveal(self.team, "outlook_graph_refresh_token")
        self.assertEqual(self.microsoft.refresh_tokens[refresh]["user"], "mia@contoso.example")
        self.assertTrue(self.sync_requested(self.team))

    def test_someone_without_access_to_the_shared_mailbox_is_refused(self):
        self.authenticate("md_member", "md_member")
        self.microsoft.signed_in = "eve@contoso.example"  # not a delegate of team@
        answer = self.sign_in("microsoft", self.team.id)
        self.assertRefused(answer, 400, "You signed in as eve@contoso.example, who cannot open the "
                                        "shared mailbox team@contoso.example.")
        self.assertNothingStored(self.team, "outlook_graph_refresh_token")

    def test_a_google_state_is_not_accepted_by_the_microsoft_callback(self):
        self.authenticate("md_member", "md_member")
        started = self.open_start("google", self.gmail.id)
        state = self.state_of(started.headers["Location"])
        answer = self.callback("POST", "/maildesk/oauth/microsoft/callback",
                               {"state": state, "code": "0.AXkAanything"})
        self.assertRefused(answer, 400, oauth_signin.state_refusal(self.env))


@tagged("post_install", "-at_install")
class TestOAuthSettings(MailDeskFixture, HttpCase):
    """Settings › MailDesk: MailDesk's app registrations with Google and Microsoft."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpMailDesk()

    def save(self, **values):
        settings = self.env["res.config.settings"].create(values)
        settings.execute()
        return settings

    def stored(self, key):
        return self.env["ir.config_parameter"].get_param(key) or ""

    def test_an_administrator_sets_the_registrations_and_secrets_stay_write_only(self):
        self.save(maildesk_google_client_id=" 123-abc.apps.googleusercontent.com ",
                  maildesk_google_client_secret="GOCSPX-top-secret",
                  maildesk_microsoft_client_id="11111111-2222-3333-4444-555555555555",
                  maildesk_microsoft_client_secret="ms~secret~value",
                  maildesk_microsoft_tenant="contoso.onmicrosoft.com")
        self.assertEqual(oauth_config.google_config(self.env)["client_id"],
                         "123-abc.apps.googleusercontent.com")
        self.assertEqual(oauth_config.google_config(self.env)["client_secret"], "GOCSPX-top-secret")
        self.assertEqual(oauth_config.microsoft_config(self.env)["client_secret"], "ms~secret~value")
        self.assertEqual(oauth_config.microsoft_config(self.env)["tenant"], "contoso.onmicrosoft.com")
        # sealed at rest, and never read back
        self.assertNotIn("top-secret", self.stored(oauth_config.GOOGLE_CLIENT_SECRET))
        self.assertNotIn("ms~secret", self.stored(oauth_config.MICROSOFT_CLIENT_SECRET))
        self.env.cr.execute("SELECT count(*) FROM res_config_settings WHERE "
                            "row_to_json(res_config_settings)::text LIKE '%%top-secret%%'")
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        fresh = self.env["res.config.settings"].create({})
        self.assertFalse(fresh.maildesk_google_client_secret)
        self.assertTrue(fresh.maildesk_google_client_secret_set)
        self.assertTrue(fresh.maildesk_microsoft_client_secret_set)
        self.assertEqual(fresh.maildesk_microsoft_tenant, "contoso.onmicrosoft.com")
        values = fresh.get_values()
        self.assertNotIn("top-secret", repr(values))
        self.assertEqual(fresh.maildesk_google_redirect_uri,
                         self.base_url() + "/maildesk/oauth/google/callback")
        self.assertEqual(fresh.maildesk_microsoft_redirect_uri,
                         self.base_url() + "/maildesk/oauth/microsoft/callback")

        # saving with the secret fields left empty keeps the secrets
        self.save(maildesk_google_client_id="123-abc.apps.googleusercontent.com",
                  maildesk_microsoft_tenant="organizations")
        self.assertEqual(oauth_config.google_config(self.env)["client_secret"], "GOCSPX-top-secret")
        self.assertEqual(oauth_config.microsoft_config(self.env)["client_secret"], "ms~secret~value")
        self.assertEqual(oauth_config.microsoft_config(self.env)["tenant"], "organizations")

    def test_an_administrator_lets_users_connect_their_own_mailboxes_which_is_off_by_default(self):
        params = self.env["ir.config_parameter"]
        params.set_param(oauth_config.USERS_CONNECT_OWN_PARAM, False)  # as installed: no parameter
        self.assertFalse(oauth_config.users_connect_own(self.env))
        self.assertFalse(self.env["res.config.settings"].create({}).maildesk_users_connect_own)
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="maildesk_users_connect_own"', arch)
        self.assertIn("Users may connect their own Gmail and Outlook mailboxes", arch)

        self.save(maildesk_users_connect_own=True)
        self.assertTrue(oauth_config.users_connect_own(self.env))
        self.assertTrue(oauth_signin.may_connect_new(self.env(user=self.outsider)))
        self.assertTrue(self.env["res.config.settings"].create({}).maildesk_users_connect_own)
        self.save(maildesk_users_connect_own=False)
        self.assertFalse(oauth_config.users_connect_own(self.env))
        self.assertFalse(oauth_signin.may_connect_new(self.env(user=self.outsider)))
        self.assertTrue(oauth_signin.may_connect_new(self.env(user=self.admin)))

    def test_a_mailbox_admin_cannot_let_users_connect_their_own_mailboxes(self):
        before = self.stored(oauth_config.USERS_CONNECT_OWN_PARAM)
        self.authenticate("md_admin", "md_admin")  # a Mailbox Admin is no Settings administrator
        _result, error = self.rpc("res.config.settings", "create", {"maildesk_users_connect_own": True})
        self.assertEqual(error[0], "odoo.exceptions.AccessError")
        _result, error = self.rpc("ir.config_parameter", "set_param",
                                  oauth_config.USERS_CONNECT_OWN_PARAM, "True")
        self.assertEqual(error[0], "odoo.exceptions.AccessError")
        self.assertEqual(self.stored(oauth_config.USERS_CONNECT_OWN_PARAM), before)

    def test_a_tenant_that_is_no_tenant_is_refused_with_what_to_enter(self):
        before = oauth_config.microsoft_config(self.env)["tenant"]
        for wrong in ("contoso/../evil", "https://login.example", "not a tenant"):
            with self.subTest(wrong), self.assertRaisesRegex(ValidationError, "enter common"):
                self.save(maildesk_microsoft_tenant=wrong)
        self.assertEqual(oauth_config.microsoft_config(self.env)["tenant"], before)

    def test_the_secrets_are_not_in_any_answer_over_json_rpc(self):
        self.env["res.config.settings"].create({"maildesk_google_client_secret": "GOCSPX-top-secret"})
        self.authenticate("admin", "admin")
        result, error = self.rpc("res.config.settings", "onchange", [], {}, [], {
            "maildesk_google_client_secret": {}, "maildesk_google_client_secret_set": {},
            "maildesk_google_client_id": {}})
        self.assertIsNone(error)
        self.assertNotIn("top-secret", repr(result))
        self.assertTrue(result["value"]["maildesk_google_client_secret_set"])

    def test_a_mailbox_user_cannot_set_a_client_secret(self):
        before = self.stored(oauth_config.GOOGLE_CLIENT_SECRET)
        self.authenticate("md_admin", "md_admin")  # a Mailbox Admin is no Settings administrator
        _result, error = self.rpc("res.config.settings", "create",
                                  {"maildesk_google_client_secret": "attacker-secret"})
        self.assertEqual(error[0], "odoo.exceptions.AccessError")
        self.assertEqual(self.stored(oauth_config.GOOGLE_CLIENT_SECRET), before)
        self.assertNotEqual(oauth_config.google_config(self.env)["client_secret"], "attacker-secret")


@tagged("post_install", "-at_install")
class TestOAuthPendingRace(TransactionCase):
    """Two callbacks with the same state at the same moment (a double click, or an attacker
    racing the user): the sign-in is consumed once, on real cursors with real commits."""

    def drop(self, nonce):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM maildesk_oauth_pending WHERE nonce = %s", [nonce])

    def test_two_callbacks_at_once_consume_a_sign_in_once(self):
        nonce = "race-" + secrets.token_urlsafe(8)
        uid = self.env.ref("base.user_admin").id
        with self.registry.cursor() as cr:
            cr.execute("""INSERT INTO maildesk_oauth_pending (nonce, user_id, provider, expires_at)
                          VALUES (%s, %s, 'gmail', now() AT TIME ZONE 'UTC' + interval '10 minutes')""",
                       [nonce, uid])
        self.addCleanup(self.drop, nonce)

        def consumer(cr):
            return oauth_signin._consumer(api.Environment(cr, uid, {}), "gmail", {}, time.time)

        outcome = {}

        def second_callback(cr, consume):
            try:
                with mute_logger("odoo.sql_db"):
                    outcome["second"] = consume(nonce)
            except psycopg2.errors.SerializationFailure:
                # Odoo runs the request again in a new transaction, which sees the first's commit
                cr.rollback()
                outcome["second"] = consume(nonce)

        with self.registry.cursor() as first, self.registry.cursor() as second:
            self.assertTrue(consumer(first)(nonce))  # the row stays locked until the first commits
            second_pid = second._cnx.get_backend_pid()
            # the environment is made here: the loading registry's lock belongs to this thread
            racer = threading.Thread(target=second_callback, args=(second, consumer(second)))
            racer.start()
            with self.registry.cursor() as watch:  # wait until the second is blocked on the row
                for _attempt in range(1000):
                    watch.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                                  [second_pid])
                    if watch.fetchone()[0] == "Lock":
                        break
                    watch.rollback()
                    time.sleep(0.01)
                else:
                    self.fail("the second callback never reached the pending row")
            first.commit()
            racer.join()
            second.commit()
        self.assertIs(outcome["second"], False)
        with self.registry.cursor() as cr:
            cr.execute("SELECT used FROM maildesk_oauth_pending WHERE nonce = %s", [nonce])
            self.assertTrue(cr.fetchone()[0])

