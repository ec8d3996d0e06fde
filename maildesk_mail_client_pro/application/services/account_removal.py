"""Removing a mailbox (Mailbox Admins): MailDesk's access to it ended where the provider lets
us, then every row MailDesk keeps for it deleted, and one message saying what went.

- Gmail: the refresh token is revoked at Google's revocation endpoint, which ends the grant.
- Outlook: Microsoft offers no endpoint that withdraws one app's delegated access with the
  mailbox's own tokens (only a directory administrator, or the user in My Apps, can remove
  the app): the tokens are destroyed with the mailbox, and the message says where to remove
  the app.
- IMAP: the stored password goes with the mailbox.
A revocation that fails does not keep the data: the mailbox is removed anyway and the message
says that the grant is still to be withdrawn, and where. Mail already filed into Odoo
documents (their chatter) stays there: it belongs to those documents now.
"""
import logging

from odoo.addons.maildesk_mail_client.application.services import (
    mailbox_access,
    oauth_config,
    secrets_vault,
)
from odoo.addons.maildesk_mail_client.infrastructure.oauth_flow import GOOGLE_REVOKE_URI
from odoo.exceptions import UserError

from ...infrastructure.oauth_revoke import RevokeFailed, revoke_google

_logger = logging.getLogger(__name__)

GOOGLE_REVOKE_URI_PARAM = "maildesk.google_revoke_uri"  # a test or sovereign cloud points it elsewhere
GOOGLE_PERMISSIONS_URL = "https://myaccount.google.com/permissions"
MICROSOFT_MY_APPS_URL = "https://myapps.microsoft.com"
MICROSOFT_PERSONAL_URL = "https://account.live.com/consent/Manage"

# What goes with a mailbox: (model, the path from it to the mailbox, what people call them).
REMOVED = (
    ("maildesk.message_index", "account_id", lambda env: env._("messages")),
    ("mailbox.folder", "account_id", lambda env: env._("folders")),
    ("maildesk.ui_cache", "index_id.account_id", lambda env: env._("cached message bodies")),
    ("maildesk.email_state", "account_id", lambda env: env._("changes not yet on the server")),
    ("maildesk.ingest_queue", "index_id.account_id", lambda env: env._("messages waiting to be filed")),
    ("maildesk.draft", "account_id", lambda env: env._("drafts")),
    ("maildesk.ai.job", "account_id", lambda env: env._("AI requests")),
    ("maildesk.ai.thread.insight", "account_id", lambda env: env._("AI summaries")),
    ("maildesk.ai.message.insight", "account_id", lambda env: env._("AI security scans")),
    ("maildesk.ai.attachment.extract", "account_id", lambda env: env._("AI attachment analyses")),
    ("maildesk.ai.conversation", "account_id", lambda env: env._("Ask AI conversations")),
    ("maildesk.email.link", "account_id", lambda env: env._("email links")),
    ("maildesk.update_queue", "account_id", lambda env: env._("queued changes")),
    ("mailbox.signature", "account_id", lambda env: env._("signatures")),
)


def check_confirmation(account, typed):
    if (typed or "").strip().lower() != (account.email or "").strip().lower():
        raise UserError(account.env._("Type the mailbox's address, %s, to confirm its removal.",
                                      account.email))


def remove(account):
    """Remove ``account`` for a Mailbox Admin: {message, removed: {model: count}, revoke}."""
    env = account.env
    mailbox_access.require_admin(env)
    # sudo: a Mailbox Admin removes the mailbox (checked just above); its rows, tokens and
    # drafts are read and deleted by this service only.
    system = env(su=True, context=dict(env.context, active_test=False))
    account = account.with_env(system)
    address = account.email
    removed = {model: system[model].search_count([(path, "=", account.id)])
               for model, path, _label in REMOVED if model in system}
    revoke, revoke_words = _end_access(account)
    system["maildesk.draft"].search([("account_id", "=", account.id)]).unlink()  # with their attachments
    account.unlink()  # the rest follows the mailbox (ondelete cascade)
    message = " ".join([
        env._("Mailbox %s was removed.", address), _what_went(env, removed), revoke_words])
    _logger.info("MailDesk: mailbox %s removed by user %s (%s); access: %s",
                 address, env.uid, removed, revoke)
    return {"message": message, "removed": removed, "revoke": revoke}


def _what_went(env, removed):
    labels = {model: label(env) for model, _path, label in REMOVED}
    went = [f"{labels[model]} ({count:,})" for model, count in removed.items() if count]
    if not went:
        return env._("It held no mail or other data in Odoo.")
    return env._("Deleted from Odoo: %s.", ", ".join(went))


def _end_access(account):
    """End MailDesk's access where the provider lets us: (outcome, sentence)."""
    env = account.env
    if account.provider == "gmail":
        return _revoke_at_google(account)
    if account.provider == "outlook":
        return "destroyed", env._(
            "Its Microsoft sign-in tokens were destroyed. Microsoft offers no way to withdraw "
            "one app's access with them: remove MailDesk at %(apps)s (work or school account) or "
            "%(personal)s (personal account), or, as a Microsoft Entra administrator, under "
            "Enterprise applications.", apps=MICROSOFT_MY_APPS_URL, personal=MICROSOFT_PERSONAL_URL)
    return "password_deleted", env._("Its stored password was deleted with it.")


def _revoke_at_google(account):
    env = account.env
    token = secrets_vault.reveal(account, "gmail_refresh_token") or secrets_vault.reveal(
        account, "gmail_access_token")
    if not token:
        return "not_signed_in", env._("It was not signed in with Google: there was no access to "
                                      "revoke.")
    try:
        outcome = revoke_google(token, _google_revoke_uri(env))
    except RevokeFailed as exc:
        _logger.warning("MailDesk: revoking Google access of mailbox %s failed: %s",
                        account.email, exc)
        return "failed", env._(
            "Google did not confirm that MailDesk's access was revoked (%(why)s): the data was "
            "removed anyway. Remove MailDesk's access at %(url)s.",
            why=exc, url=GOOGLE_PERMISSIONS_URL)
    if outcome == "already":
        return outcome, env._("Google no longer knew its access: it was revoked or had expired "
                              "already.")
    return outcome, env._("MailDesk's access to it at Google was revoked.")


def _google_revoke_uri(env):
    # sudo: an endpoint setting, read by this admin-only service; it never leaves the server.
    value = (env["ir.config_parameter"].sudo().get_param(GOOGLE_REVOKE_URI_PARAM) or "").strip()
    return value if oauth_config.is_https_url(value) else GOOGLE_REVOKE_URI
