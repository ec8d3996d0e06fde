"""Which mailboxes the calling user may use: asked of the ORM as that user, never sudo."""
from odoo.exceptions import AccessError, MissingError

ADMIN_GROUP = "maildesk_mail_client.group_mailbox_admin"
USER_GROUP = "maildesk_mail_client.group_mailbox_user"


def accessible_accounts(env):
    """The active mailboxes the user may see (record rules decide)."""
    return env["mailbox.account"].search([])


def require_readable(env, model, ids, refusal):
    """``model`` records the calling user may read, or AccessError(``refusal``) for all of them.

    A record the user may not read gets the same answer as one that does not exist, so ids
    of other people's mailboxes, folders and messages are not revealed.
    """
    ids = list(dict.fromkeys(int(i or 0) for i in ids))  # a list that names an id twice is fine
    records = env[model].browse(ids)
    try:
        records.check_access("read")
        if len(records.exists()) != len(ids):
            raise MissingError("")
    except (AccessError, MissingError):
        raise AccessError(refusal) from None
    return records


def require_account(env, account_id):
    """The account as the calling user, or AccessError if it is not theirs to use."""
    return require_readable(env, "mailbox.account", [account_id], env._(
        "You do not have access to this mailbox. Ask a Mailbox Admin to add you to its "
        "Users with Access."))


def require_admin(env):
    if not env.user.has_group(ADMIN_GROUP):
        raise AccessError(env._("Only a Mailbox Admin can do this."))
