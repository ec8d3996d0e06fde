"""Where Google and Microsoft are, and MailDesk's app registrations with them.

An administrator sets the client ids and secrets in Settings › MailDesk (system parameters; the
secrets sealed with the server's key ring like every other secret). The endpoints default to
the real services; they are system parameters too, so a test (or a sovereign cloud) can point
them elsewhere. Only administrators can read or write system parameters. An endpoint that is
not https:// is refused (the real service's is used, with a warning): codes, tokens and client
secrets travel to these URLs.
"""
import logging
from urllib.parse import urlsplit

from ...infrastructure import oauth_flow
from ...infrastructure.oauth_flow import (
    GMAIL_API_ENDPOINT,
    GOOGLE_AUTH_URI,
    GOOGLE_TOKEN_URI,
    MICROSOFT_AUTHORITY_HOST,
)
from ...infrastructure.providers.graph_api import GRAPH_BASE_URL
from . import secrets_vault

_logger = logging.getLogger(__name__)

PREFIX = "maildesk."
GOOGLE_CLIENT_ID = PREFIX + "google_client_id"
GOOGLE_CLIENT_SECRET = PREFIX + "google_client_secret"  # sealed
MICROSOFT_CLIENT_ID = PREFIX + "microsoft_client_id"
MICROSOFT_CLIENT_SECRET = PREFIX + "microsoft_client_secret"  # sealed
MICROSOFT_TENANT = PREFIX + "microsoft_tenant"
# Endpoints (defaults: the real services)
GOOGLE_AUTH_URI_PARAM = PREFIX + "google_auth_uri"
GOOGLE_TOKEN_URI_PARAM = PREFIX + "google_token_uri"
GOOGLE_API_ENDPOINT_PARAM = PREFIX + "google_api_endpoint"
MICROSOFT_AUTHORITY_PARAM = PREFIX + "microsoft_authority_host"
GRAPH_BASE_URL_PARAM = PREFIX + "graph_base_url"
# Whether Mailbox Users may connect a new Gmail / Outlook mailbox of their own (default off:
# seed 003 lets only Mailbox Admins create mailboxes; the administrator may open it).
USERS_CONNECT_OWN_PARAM = PREFIX + "users_connect_own_mailboxes"

SERVICES = {"gmail": "Google", "outlook": "Microsoft"}  # who signs a mailbox of each provider in


def service_of(account):
    """"Google" or "Microsoft" for a mailbox that signs in; else "The mail server"."""
    return SERVICES.get(account.provider) or account.env._("The mail server")


CALLBACK_PATHS = {"gmail": "/maildesk/oauth/google/callback",
                  "outlook": "/maildesk/oauth/microsoft/callback"}


def _params(env):
    # sudo: app registrations and endpoints are read by service code on behalf of any user
    # whose mailbox uses them; they never leave the server.
    return env["ir.config_parameter"].sudo()


def _secret(env, key):
    sealed = _params(env).get_param(key) or ""
    return secrets_vault.unseal(env, sealed) if sealed else ""


def is_https_url(value):
    """An absolute https:// URL with a host, and nothing a URL never holds."""
    if not isinstance(value, str) or any(c in value for c in "\r\n\0 \t"):
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme.lower() == "https" and bool(parts.hostname)
    except ValueError:
        return False


def _endpoint(env, key, default):
    """The endpoint a system parameter names, or the real service's when it is unset or not
    https:// (a plain-http endpoint would carry codes, tokens and the client secret in clear)."""
    value = (_params(env).get_param(key) or "").strip()
    if not value:
        return default
    if not is_https_url(value):
        # the value itself is not logged: it may hold credentials
        _logger.warning("MailDesk: system parameter %s is not an https:// URL and is ignored; "
                        "%s is used instead", key, default)
        return default
    return value


def google_config(env):
    get = _params(env).get_param
    return {
        "client_id": (get(GOOGLE_CLIENT_ID) or "").strip(),
        "client_secret": _secret(env, GOOGLE_CLIENT_SECRET),
        "auth_uri": _endpoint(env, GOOGLE_AUTH_URI_PARAM, GOOGLE_AUTH_URI),
        "token_uri": _endpoint(env, GOOGLE_TOKEN_URI_PARAM, GOOGLE_TOKEN_URI),
        "api_endpoint": _endpoint(env, GOOGLE_API_ENDPOINT_PARAM, GMAIL_API_ENDPOINT),
    }


def microsoft_config(env):
    get = _params(env).get_param
    return {
        "client_id": (get(MICROSOFT_CLIENT_ID) or "").strip(),
        "client_secret": _secret(env, MICROSOFT_CLIENT_SECRET),
        "tenant": (get(MICROSOFT_TENANT) or "common").strip(),
        "authority_host": _endpoint(env, MICROSOFT_AUTHORITY_PARAM, MICROSOFT_AUTHORITY_HOST),
        "graph_base_url": _endpoint(env, GRAPH_BASE_URL_PARAM, GRAPH_BASE_URL),
    }


def users_connect_own(env):
    """Whether Mailbox Users may connect a new Gmail or Outlook mailbox of their own."""
    value = (_params(env).get_param(USERS_CONNECT_OWN_PARAM) or "").strip().lower()
    return value in ("1", "true", "yes", "on")


def redirect_uri(env, provider):
    """The callback URL to register with Google (provider 'gmail') or Microsoft ('outlook')."""
    base = (_params(env).get_param("web.base.url") or "").rstrip("/")
    return base + CALLBACK_PATHS[provider]


# -- what Settings › MailDesk shows and saves (administrators only) ------------------------------
def settings_values(env):
    """The non-secret settings, and whether each secret is stored (never the secret itself)."""
    get = _params(env).get_param
    return {
        "google_client_id": (get(GOOGLE_CLIENT_ID) or "").strip(),
        "google_client_secret_set": bool(get(GOOGLE_CLIENT_SECRET)),
        "microsoft_client_id": (get(MICROSOFT_CLIENT_ID) or "").strip(),
        "microsoft_client_secret_set": bool(get(MICROSOFT_CLIENT_SECRET)),
        "microsoft_tenant": (get(MICROSOFT_TENANT) or "common").strip(),
    }


def save_client_ids(env, google_client_id, microsoft_client_id, microsoft_tenant):
    """Store the client ids and the tenant; the caller checked the administrator."""
    tenant = check_tenant((microsoft_tenant or "").strip() or "common")
    params = _params(env)
    params.set_param(GOOGLE_CLIENT_ID, (google_client_id or "").strip())
    params.set_param(MICROSOFT_CLIENT_ID, (microsoft_client_id or "").strip())
    params.set_param(MICROSOFT_TENANT, tenant)


def save_secret(env, provider, plaintext):
    """Seal and store a client secret; an empty value keeps the one stored."""
    if plaintext and plaintext.strip():
        key = GOOGLE_CLIENT_SECRET if provider == "gmail" else MICROSOFT_CLIENT_SECRET
        _params(env).set_param(key, secrets_vault.seal(env, plaintext.strip()))


def check_tenant(tenant):
    """The tenant, or ValueError with a sentence an administrator can act on."""
    try:
        return oauth_flow.check_tenant(tenant)
    except ValueError:
        raise ValueError(
            f"'{tenant}' is not a Microsoft tenant MailDesk can use: enter common (work, school and "
            "personal accounts), organizations (work and school accounts only), or your tenant's "
            "id (a GUID) or verified domain (contoso.onmicrosoft.com).") from None
