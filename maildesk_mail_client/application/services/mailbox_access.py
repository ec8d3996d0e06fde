"""Which mailboxes the calling user may use: asked of the ORM as that user, never sudo."""
from odoo.exceptions import AccessError, MissingError

ADMIN_GROUP = "maildesk_mail_client.group_mailbox_admin"
USER_GROUP = "maildesk_mail_client.group_mailbox_user"


def accessible_accounts(env):
    """The active mailboxes the user may see (record rules decide)."""
    return env["mailbox.account"].search([])


def require_account(env, account_id):
    """The account as the calling user, or AccessError if it is not theirs to use.

    Passing another mailbox's id gets the same answer as passing one that does not exist,
    so ids of mailboxes a user has no access to are not revealed.
    """
    account = env["mailbox.account"].browse(int(account_id or 0))
    try:
        account.check_access("read")
        if not account.exists():
            raise MissingError("")
    except (AccessError, MissingError):
        raise AccessError(env._(
            "You do not have access to this mailbox. Ask a Mailbox Admin to add you to its "
            "Users with Access.")) from None
    return account


def require_admin(env):
    if not env.user.has_group(ADMIN_GROUP):
        raise AccessError(env._("Only a Mailbox Admin can do this."))
