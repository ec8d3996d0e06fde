"""Connect Mailbox: a Mailbox User who knows a shared address and its password joins it."""
import hmac
import logging
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tools import email_normalize

from . import mailbox_access, secrets_vault

_logger = logging.getLogger(__name__)

# Each attempt leaves a wizard row behind (Odoo vacuums them after an hour), so counting a
# user's recent rows bounds password guessing without a table of its own.
MAX_ATTEMPTS = 10
ATTEMPT_WINDOW = timedelta(minutes=15)


def connect(env, email, password):
    """Add the calling user to the Users with Access of the matching shared mailbox."""
    user = env.user
    if not user.has_group(mailbox_access.USER_GROUP):
        raise UserError(env._("Only Mailbox Users can connect to a mailbox."))
    # sudo: the wizard's record rule hides other rows; we only count the caller's own.
    recent = env["mailbox.account.wizard"].sudo().search_count([
        ("create_uid", "=", user.id),
        ("create_date", ">=", fields.Datetime.now() - ATTEMPT_WINDOW)])
    if recent > MAX_ATTEMPTS:
        _logger.warning("MailDesk: user %s made %s Connect Mailbox attempts in %s", user.id, recent,
                        ATTEMPT_WINDOW)
        raise UserError(env._(
            "Too many connection attempts. Wait a quarter of an hour before trying again, or ask a "
            "Mailbox Admin to add you to the mailbox."))
    normalized = email_normalize(email or "")
    if not normalized or not password:
        raise UserError(env._("Enter the mailbox's email address and its password."))
    # sudo: a user looks up a mailbox they are not yet allowed to see; the password check
    # below is what grants access, and nothing about the mailbox is returned before it.
    candidates = env["mailbox.account"].sudo().search([
        ("allow_personal_connection", "=", True), ("email", "=ilike", normalized)])
    account = candidates.filtered(lambda a: email_normalize(a.email) == normalized)[:1]
    refused = UserError(env._(
        "No mailbox open to personal connection matches this address and password. Check "
        "both, or ask a Mailbox Admin to add you to the mailbox."))
    if not account or account.provider != "imap":
        raise refused
    stored = secrets_vault.reveal(account, "password")
    if not stored or not hmac.compare_digest(stored.encode(), password.encode()):
        _logger.info("MailDesk: refused personal connection of user %s to %s", user.id, normalized)
        raise refused
    if user in account.access_user_ids:
        raise UserError(env._("You already have access to %s.", account.name))
    account.write({"access_user_ids": [(4, user.id)]})
    _logger.info("MailDesk: user %s connected to shared mailbox %s", user.id, account.id)
    return account.with_env(env)
