"""Connect Mailbox: a Mailbox User who knows a shared address and its password joins it.

Guessing is bounded per user: each password tried is counted in ``maildesk_connect_attempt``,
a table with no Odoo model (so no ACL, no RPC can write or empty it), outside the wizard's rows
(which a user may create, rewrite and delete at will). An attempt never raises: its outcome is
returned, so the count and the cleared password are committed with it, refusals included.
"""
import hmac
import logging
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tools import email_normalize

from . import mailbox_access, secrets_vault

_logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
ATTEMPT_WINDOW = timedelta(minutes=15)
# First key of pg_advisory_xact_lock(int, int): serialises one user's attempts ("MD" + 1).
ATTEMPT_LOCK_NAMESPACE = 0x4D4401


def ensure_attempt_table(cr):
    """Create the attempt counter (module install and update)."""
    cr.execute("""
        CREATE TABLE IF NOT EXISTS maildesk_connect_attempt (
            user_id integer NOT NULL REFERENCES res_users(id) ON DELETE CASCADE,
            attempted_at timestamp without time zone NOT NULL
        )""")
    cr.execute("""CREATE INDEX IF NOT EXISTS maildesk_connect_attempt_user_idx
                  ON maildesk_connect_attempt (user_id, attempted_at)""")


def recent_attempts(env, user_id):
    env.cr.execute("""SELECT count(*) FROM maildesk_connect_attempt
                      WHERE user_id = %s AND attempted_at >= %s""",
                   [user_id, fields.Datetime.now() - ATTEMPT_WINDOW])
    return env.cr.fetchone()[0]


def _count_attempt(env, user_id):
    """Record one attempt of ``user_id``; False (and nothing recorded) when over the limit."""
    cr = env.cr
    # Raw SQL: the counter has no model on purpose (see the module docstring). The lock makes
    # parallel requests of one user count one after the other.
    cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ATTEMPT_LOCK_NAMESPACE, user_id])
    cr.execute("DELETE FROM maildesk_connect_attempt WHERE user_id = %s AND attempted_at < %s",
               [user_id, fields.Datetime.now() - ATTEMPT_WINDOW])
    if recent_attempts(env, user_id) >= MAX_ATTEMPTS:
        return False
    cr.execute("INSERT INTO maildesk_connect_attempt (user_id, attempted_at) VALUES (%s, %s)",
               [user_id, fields.Datetime.now()])
    return True


def attempt(env, email, password):
    """Try to add the calling user to the Users with Access of the matching shared mailbox.

    Returns ``(account or None, message)``: the account on success, None with the reason
    otherwise. Refusals say nothing about which mailboxes exist.
    """
    user = env.user
    if not user.has_group(mailbox_access.USER_GROUP):
        return None, env._("Only Mailbox Users can connect to a mailbox.")
    normalized = email_normalize(email or "")
    if not normalized or not password:
        return None, env._("Enter the mailbox's email address and its password.")
    if not _count_attempt(env, user.id):
        _logger.warning("MailDesk: user %s made %s Connect Mailbox attempts in %s", user.id,
                        MAX_ATTEMPTS, ATTEMPT_WINDOW)
        return None, env._(
            "Too many connection attempts. Wait a quarter of an hour before trying again, or ask a "
            "Mailbox Admin to add you to the mailbox.")
    refused = env._(
        "No mailbox open to personal connection matches this address and password. Check "
        "both, or ask a Mailbox Admin to add you to the mailbox.")
    # sudo: a user looks up a mailbox they are not yet allowed to see; the password check
    # below is what grants access, and nothing about the mailbox is returned before it.
    candidates = env["mailbox.account"].sudo().search([
        ("allow_personal_connection", "=", True), ("email", "=ilike", normalized)])
    account = candidates.filtered(lambda a: email_normalize(a.email) == normalized)[:1]
    if not account or account.provider != "imap":
        return None, refused
    try:
        stored = secrets_vault.reveal(account, "password")
    except UserError:  # undecryptable: its message names the mailbox, so it stays in the log
        _logger.warning("MailDesk: password of mailbox %s cannot be decrypted", account.id)
        stored = False
    if not stored or not hmac.compare_digest(stored.encode(), password.encode()):
        _logger.info("MailDesk: refused personal connection of user %s to %s", user.id, normalized)
        return None, refused
    if user in account.access_user_ids:
        return None, env._("You already have access to %s.", account.name)
    account.write({"access_user_ids": [(4, user.id)]})
    _logger.info("MailDesk: user %s connected to shared mailbox %s", user.id, account.id)
    return account.with_env(env), env._("You now have access to %s.", account.name)
