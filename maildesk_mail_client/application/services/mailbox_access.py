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
    try:  # a list that names an id twice is fine; one that is no id is refused like the rest
        ids = list(dict.fromkeys(int(i or 0) for i in ids))
    except (TypeError, ValueError):
        raise AccessError(refusal) from None
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


def reference_refusal(env):
    """The one answer for a reference to something foreign or missing: it reveals neither."""
    return env._("This refers to a mailbox, folder, message or document you do not have access "
                 "to, or that no longer exists. Nothing was saved.")


def require_references_readable(records, vals_list, references):
    """Refuse values that point at records the caller may not read.

    ``references`` maps a Many2one field name to its model. Service code running as
    superuser has checked its targets already and is not refused here.
    """
    env = records.env
    if env.su:
        return
    for model, field_names in _by_model(references).items():
        ids = {vals[name] for vals in vals_list for name in field_names if vals.get(name)}
        if ids:
            require_readable(env, model, ids, reference_refusal(env))


def _by_model(references):
    grouped = {}
    for name, model in references.items():
        grouped.setdefault(model, []).append(name)
    return grouped


def require_still_writable(records):
    """Record rules hold after a write too: a row the caller moved out of their mailboxes is
    refused as a whole. Odoo checks rules before a write and after a create only."""
    env = records.env
    if env.su or not records:
        return
    try:
        records.check_access("write")
    except AccessError:
        raise AccessError(env._(
            "This change would move the record out of the mailboxes you have access to. "
            "Nothing was saved.")) from None
