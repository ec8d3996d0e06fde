"""AI providers as administrators manage them: which one is active, its key, whether it answers.

The key is typed once into the set-key wizard and kept only in ``ir.config_parameter``
(``key_parameter``): never on a row, never returned, never logged. It is read here, for one
request, into the ``ChatSettings`` of the Odoo-free client.
"""
import logging
from urllib.parse import urlsplit

from odoo import fields
from odoo.addons.maildesk_mail_client.application.services import mailbox_access
from odoo.exceptions import UserError

from ...infrastructure.ai_client import JSON_MODES, AIServiceError, ChatClient, ChatSettings

_logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
MAX_TIMEOUT = 600
MAX_RETRIES = 5
MAX_KEY_LENGTH = 4096


def key_parameter(provider_id):
    """The ir.config_parameter that holds a provider's API key (never a field on a row)."""
    return f"maildesk.ai.provider.{provider_id}.api_key"


def _params(env):
    # sudo: system parameters hold the key; callers are service code that checked who asks
    return env["ir.config_parameter"].sudo()


def has_key(provider):
    """Whether a key is stored: its presence, never its value, is what anyone is told."""
    return bool(provider.id and _params(provider.env).get_param(key_parameter(provider.id)))


def chat_settings(provider):
    """The client's settings for ``provider``, its key included (for this request only)."""
    provider = provider.sudo()  # sudo: the gate or an admin chose this provider; its row is admin-managed
    return ChatSettings(
        base_url=provider.base_url or "", model=provider.model or "",
        api_key=_params(provider.env).get_param(key_parameter(provider.id)) or "",
        kind=provider.kind or "openai",
        timeout=float(min(max(provider.timeout_seconds or 60, 1), MAX_TIMEOUT)),
        connect_timeout=CONNECT_TIMEOUT,
        max_retries=min(max(provider.max_retries, 0), MAX_RETRIES),
        api_version=provider.api_version or "")


def client_for(provider):
    """A client for ``provider``; AIServiceError when its settings cannot work (a base URL
    that is no http(s) address, no model)."""
    client = ChatClient(chat_settings(provider))
    if provider.output_mode in JSON_MODES:
        client.json_mode = provider.output_mode
    return client


def remember_output_mode(provider, client):
    """Keep the JSON mode the server took, so later jobs do not try refused ones first."""
    # sudo: service code records what it found out about an admin-managed row
    provider = provider.sudo()
    if provider.output_mode == "auto" and client.json_mode != JSON_MODES[0]:
        provider.output_mode = client.json_mode


def lease_seconds(provider):
    """How long one run may take with every retry the client makes, plus a margin."""
    settings = chat_settings(provider)
    return int((settings.timeout + settings.connect_timeout + 10) * (settings.max_retries + 1)) + 60


def set_key(provider, key):
    mailbox_access.require_admin(provider.env)
    key = (key or "").strip()
    if not key:
        raise UserError(provider.env._("Type the API key the provider gave you, then save."))
    if len(key) > MAX_KEY_LENGTH or any(c.isspace() or not c.isprintable() for c in key):
        raise UserError(provider.env._(
            "This does not look like an API key: it has spaces or invisible characters, or is "
            "very long. Copy the key again from the provider's site."))
    _params(provider.env).set_param(key_parameter(provider.id), key)
    _logger.info("MailDesk: the API key of AI provider %s was set by user %s",
                 provider.id, provider.env.uid)


def key_host(base_url):
    """Where a key is sent: the base URL's scheme and authority (its path may change)."""
    parts = urlsplit((base_url or "").strip())
    return parts.scheme.lower(), parts.netloc.lower()


def forget_keys(providers):
    """Deleting a provider deletes its key too."""
    params = _params(providers.env)
    params.search([("key", "in", [key_parameter(p.id) for p in providers])]).unlink()


def set_active(provider):
    """Make ``provider`` the one every AI feature uses."""
    mailbox_access.require_admin(provider.env)
    provider.ensure_one()
    others = provider.search([("is_active", "=", True), ("id", "!=", provider.id)])
    others.write({"is_active": False})
    others.flush_recordset()  # the unique index allows one active row at any instant
    provider.is_active = True


def test_connection(provider):
    """One tiny chat with the provider: (ok, a sentence for the administrator), kept on the row."""
    mailbox_access.require_admin(provider.env)
    provider.ensure_one()
    try:
        ok, message = True, client_for(provider).test_connection()
    except AIServiceError as exc:
        ok, message = False, str(exc)
    provider.write({"last_test_at": fields.Datetime.now(), "last_test_ok": ok,
                    "last_test_message": message})
    return ok, message
