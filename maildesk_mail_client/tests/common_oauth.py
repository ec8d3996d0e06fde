"""Odoo tests against the local HTTPS stand-ins of Google and Microsoft.

The stand-ins (``standins/``) speak the real endpoints over TLS with a private CA; the real
client libraries (google-api-python-client, google-auth, msal, requests) run unchanged, with
the CA trusted for the test class and MailDesk's endpoint settings pointed at the stand-in.
Accounts start signed in: their tokens come from the stand-in's ``grant()``, sealed like any
secret (the sign-in itself is tested through the real routes in test_oauth_signin).
"""


from odoo.tests import HttpCase

from ..application.services import cursor_sync, oauth_config, secrets_vault, sync
from .common import MailDeskFixture
from .standins import GoogleStandIn, MicrosoftStandIn
from .standins.tls import trust_everywhere


def trust_standins(cls):
    """Make every client library in this process trust the stand-ins' CA, for the class."""
    cls.addClassCleanup(trust_everywhere())


def point_at_google(env, standin):
    """MailDesk's Google endpoints are the stand-in's."""
    params = env["ir.config_parameter"].sudo()
    params.set_param(oauth_config.GOOGLE_AUTH_URI_PARAM, standin.base_url + "/o/oauth2/auth")
    params.set_param(oauth_config.GOOGLE_TOKEN_URI_PARAM, standin.base_url + "/token")
    params.set_param(oauth_config.GOOGLE_API_ENDPOINT_PARAM, standin.base_url)


def point_at_microsoft(env, standin):
    """MailDesk's Microsoft endpoints are the stand-in's."""
    params = env["ir.config_parameter"].sudo()
    params.set_param(oauth_config.MICROSOFT_AUTHORITY_PARAM, standin.base_url)
    params.set_param(oauth_config.GRAPH_BASE_URL_PARAM, standin.base_url + "/v1.0")


class ServiceMixin(MailDeskFixture):
    provider = None  # "gmail" | "outlook"
    standin_class = None
    standin_kwargs = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        trust_standins(cls)
        cls.setUpMailDesk()
        if not getattr(cls, "registry_test_mode", False):
            cls.registry_enter_test_mode_cls()  # the sync runs on cursors of its own

    def setUp(self):
        super().setUp()
        self.standin = self.standin_class(**self.standin_kwargs)
        self.standin.start()
        self.addCleanup(self.standin.stop)
        self.configure(self.standin)
        self.account = self.make_service_account(self.standin)
        cursor_sync.forget_listing(self.env, self.account.id)

    def configure(self, standin):
        raise NotImplementedError

    def make_service_account(self, standin, **values):
        account = self.env["mailbox.account"].with_user(self.admin).create({
            "name": "Team", "email": standin.owner, "provider": self.provider, "is_shared": True,
            "owner_id": self.member.id, "access_user_ids": [(6, 0, [self.member.id])],
            **values})
        prefix = "gmail" if self.provider == "gmail" else "outlook_graph"
        secrets_vault.store(account, f"{prefix}_refresh_token", standin.grant())
        return account.with_user(self.env.user)

    def sync(self, **kwargs):
        self.env.flush_all()
        result = sync.sync_account(self.env, self.account.id, **kwargs)
        self.env.invalidate_all()
        return result

    def rows(self, folder_type="inbox", **extra):
        domain = [("account_id", "=", self.account.id), ("folder_id.folder_type", "=", folder_type)]
        domain += [(k, "=", v) for k, v in extra.items()]
        return self.env["maildesk.message_index"].search(domain)

    def folder(self, folder_type=None, path=None):
        domain = [("account_id", "=", self.account.id)]
        domain.append(("folder_type", "=", folder_type) if folder_type else ("imap_name", "=", path))
        return self.env["mailbox.folder"].search(domain)

    def as_member(self):
        return self.env["mailbox.sync"].with_user(self.member)

    def run_send_worker(self):
        self.env.flush_all()
        result = self.env["maildesk.draft"]._cron_send_queue()
        self.env.invalidate_all()
        return result

    def notices(self, user=None):
        partner = (user or self.member).partner_id
        return self.account.message_ids.filtered(lambda m: partner in m.partner_ids).mapped("body")


class GmailCase(ServiceMixin, HttpCase):
    provider = "gmail"
    standin_class = GoogleStandIn

    def configure(self, standin):
        self.env["ir.config_parameter"].sudo().set_param(oauth_config.GOOGLE_CLIENT_ID,
                                                         standin.client_id)
        oauth_config.save_secret(self.env, "gmail", standin.client_secret)
        point_at_google(self.env, standin)


class OutlookCase(ServiceMixin, HttpCase):
    provider = "outlook"
    standin_class = MicrosoftStandIn

    def configure(self, standin):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(oauth_config.MICROSOFT_CLIENT_ID, standin.client_id)
        params.set_param(oauth_config.MICROSOFT_TENANT, "common")
        oauth_config.save_secret(self.env, "outlook", standin.client_secret)
        point_at_microsoft(self.env, standin)
