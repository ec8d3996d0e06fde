"""Email links: a message, or its whole conversation, linked to an Odoo record (a contact, a
lead, a task, a sale order...).

A link needs read access on both ends, asked as the user: the message (its mailbox) and the
record (that model's own access rights and rules). Users only read links (seed 003 §4.2), so
this service writes them once it has checked both. The record shows its links: a note in its
chatter names the message and opens it in the inbox, and the "Linked Emails" action lists
them. The note is the user's choice to tell the record's readers about that message; the
message itself still opens only for the people of its mailbox.
"""
from markupsafe import Markup

from odoo.addons.maildesk_mail_client.application.services import mailbox_access
from odoo.exceptions import AccessError

# Documents with a chatter are what people link mail to; these are MailDesk's own records
# and Odoo's technical ones, which nobody files mail on.
NOT_LINKABLE = ("mailbox.", "maildesk.", "mail.", "ir.", "res.users", "discuss.", "bus.",
                "base.", "res.config", "res.groups")
MAX_FOUND = 20
MAX_TERM = 100


def linkable_models(env):
    """[{model, name}] the user may link mail to: non-technical models with a chatter that
    they may read, by name."""
    # sudo: which models exist is no secret; whether the user may read each is asked below.
    found = env["ir.model"].sudo().search([("is_mail_thread", "=", True),
                                           ("transient", "=", False)])
    offered = [{"model": m.model, "name": m.name} for m in found
               if not m.model.startswith(NOT_LINKABLE) and m.model in env
               and not env[m.model]._abstract and env[m.model].has_access("read")]
    return sorted(offered, key=lambda entry: entry["name"].lower())


def require_linkable(env, model):
    if not isinstance(model, str) or model not in {m["model"] for m in linkable_models(env)}:
        raise AccessError(env._("Mail cannot be linked to this kind of record, or you may not "
                                "read records of that kind."))
    return env[model]


def search_records(env, model, term, limit=8):
    """[{id, name}] of the records of ``model`` the user may read whose name matches."""
    Model = require_linkable(env, model)
    limit = max(1, min(limit if isinstance(limit, int) else 8, MAX_FOUND))
    term = term[:MAX_TERM] if isinstance(term, str) else ""
    return [{"id": rid, "name": name} for rid, name in Model.name_search(term, limit=limit)]


def _refusal(env):
    return env._("You do not have access to this record, or it no longer exists.")


def link(row, res_model, res_id, whole_conversation=False):
    """Link ``row`` (read by the caller) to a record the caller may read; the link (one per
    message, or per conversation, and record: asking twice gives the first)."""
    env = row.env
    require_linkable(env, res_model)
    record = mailbox_access.require_readable(env, res_model, [res_id], _refusal(env))
    conversation = bool(whole_conversation and row.thread_id)
    key = [("thread_key", "=", row.thread_id)] if conversation else [("index_id", "=", row.id)]
    Link = env["maildesk.email.link"]
    existing = Link.search([("account_id", "=", row.account_id.id), ("res_model", "=", res_model),
                            ("res_id", "=", record.id),
                            ("link_type", "=", "conversation" if conversation else "message"),
                            *key], limit=1)
    if existing:
        return existing
    # sudo: users only read links (seed 003 §4.2); the caller read the message and the record.
    created = Link.sudo().create({
        "account_id": row.account_id.id, "index_id": row.id, "message_id": row.message_id,
        "thread_key": row.thread_id, "subject": row.subject,
        "link_type": "conversation" if conversation else "message",
        "res_model": res_model, "res_id": record.id, "res_name": record.display_name,
        "user_id": env.uid})
    _note_on(record, row, conversation)
    return created.with_env(env)


def inbox_url(row):
    return f"/odoo/maildesk?folder={row.folder_id.id}&message={row.id}"


def _note_on(record, row, conversation):
    """The link, told on the record's chatter when it has one."""
    if not hasattr(record, "message_post"):
        return
    env = record.env
    text = (env._("linked the conversation %(link)s from %(sender)s (mailbox %(mailbox)s).")
            if conversation else
            env._("linked the email %(link)s from %(sender)s (mailbox %(mailbox)s)."))
    anchor = Markup('<a href="%s">%s</a>') % (inbox_url(row), row.subject or env._("(no subject)"))
    body = Markup("<p>%s</p>") % (Markup(text) % {
        "link": anchor, "sender": row.sender_display_name or row.from_addr or "?",
        "mailbox": row.account_id.email})
    # sudo: the caller may read the record (checked); a note needs write access, and this
    # one, in the caller's name, only says what they linked.
    record.sudo().message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_note",
                               author_id=env.user.partner_id.id)


def links_of(row):
    """The links of ``row`` and of its conversation, as the caller may see them."""
    Link = row.env["maildesk.email.link"]
    mine = [("index_id", "=", row.id)]
    if row.thread_id:  # a message without a thread has no conversation links
        mine = ["|", *mine, "&", ("link_type", "=", "conversation"), ("thread_key", "=", row.thread_id)]
    found = Link.search([("account_id", "=", row.account_id.id), *mine])
    return [describe(one) for one in found]


def describe(link_):
    """What the inbox shows of a link. A record the caller may not read is not named."""
    env = link_.env
    record = env[link_.res_model].browse(link_.res_id) if link_.res_model in env else None
    readable = bool(record and record.exists() and record.has_access("read"))
    return {"id": link_.id, "res_model": link_.res_model, "res_id": link_.res_id,
            "res_name": record.display_name if readable else env._("A record you cannot open"),
            "model_name": record._description if record is not None else link_.res_model,
            "link_type": link_.link_type,
            "url": f"/odoo/{link_.res_model}/{link_.res_id}" if readable else False}


def unlink(link_):
    """Remove a link the caller may see (a user of its mailbox)."""
    # sudo: users only read links (seed 003 §4.2); the caller may read this one (checked).
    link_.sudo().unlink()
    return {"removed": True}
