"""Signatures (seed 003 §3.3): a user's own, for one mailbox or for all of theirs, and a
mailbox's shared ones, which only a Mailbox Admin manages. The record rules let users read
their own and their mailboxes' shared ones and write only their own; what the rules cannot
say (a shared signature belongs to a mailbox, not to a person; a user signs only for
mailboxes they work in) is checked here, on every create and write."""
from odoo.addons.maildesk_mail_client.application.services import mailbox_access
from odoo.exceptions import AccessError


def check_values(records, vals):
    """Refuse what a user may not set; a shared signature is nobody's own (``vals`` changed)."""
    env = records.env
    if vals.get("is_shared"):
        vals["user_id"] = False  # else its author could edit it through the "own" rule
    if env.su or env.user.has_group(mailbox_access.ADMIN_GROUP):
        return
    if vals.get("is_shared"):
        raise AccessError(env._("Only a Mailbox Admin can share a signature with a mailbox. "
                                "Save it as your own signature instead."))
    if "user_id" in vals and vals["user_id"] != env.uid:
        raise AccessError(env._("Your signatures are always in your own name."))
    if vals.get("account_id"):
        mailbox_access.require_account(env, vals["account_id"])


def scope_domain(signature):
    """The signatures among which ``signature`` may be the only default."""
    if signature.is_shared:
        return [("is_shared", "=", True), ("account_id", "=", signature.account_id.id)]
    return [("is_shared", "=", False), ("user_id", "=", signature.user_id.id),
            ("account_id", "=", signature.account_id.id)]


def for_composer(account, basic):
    """What the composer offers for mail from ``account``: the caller's own signatures (for
    this mailbox first, then those for all), the mailbox's shared ones, then Basic's mailbox
    signature (``basic``, Basic's answer). The default: the caller's own for this mailbox,
    else their own for all, else the mailbox's shared one, else Basic's."""
    env = account.env
    Signature = env["mailbox.signature"]  # as the caller: the record rules decide
    own_here, own_everywhere, shared = (Signature.search(domain) for domain in (
        [("user_id", "=", env.uid), ("is_shared", "=", False), ("account_id", "=", account.id)],
        [("user_id", "=", env.uid), ("is_shared", "=", False), ("account_id", "=", False)],
        [("is_shared", "=", True), ("account_id", "=", account.id)]))
    offered = own_here | own_everywhere | shared
    entries = [{"id": s.id, "name": s.name, "html": s.body_html or "", "is_shared": s.is_shared}
               for s in offered]
    entries += [dict(entry, is_shared=True) for entry in basic["signatures"]]
    default = next((group.filtered("is_default")[:1]
                    for group in (own_here, own_everywhere, shared) if group.filtered("is_default")),
                   None)
    return {"signatures": entries, "default_id": default.id if default else basic["default_id"]}
