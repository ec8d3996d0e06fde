"""A conversation: every visible message of a thread in one mailbox, across its folders, the
user's own replies in Sent included. Read as the calling user (record rules apply)."""
from odoo.tools import SQL

from . import mailbox_queries as queries

MAX_MESSAGES = 200  # the newest ones of a longer conversation are shown
MAX_CHANGED = 100_000  # a change to conversations acts on all their messages, up to this


def thread(row):
    """{thread_id, messages: [card + is_own, sent_by, folder_type]} oldest first, for a row
    the caller may read. ``is_own``: the caller wrote it; ``sent_by``: the teammate who sent it
    through MailDesk from a shared mailbox (False when unknown or the caller)."""
    env = row.env
    Index = env["maildesk.message_index"]
    Index.flush_model()  # visible_sql is raw SQL
    if row.thread_id:
        query = Index._search([("account_id", "=", row.account_id.id),
                               ("thread_id", "=", row.thread_id)],
                              order="sort_ts desc, id desc", limit=MAX_MESSAGES)
        query.add_where(queries.visible_sql(Index._table))
        rows = Index.browse(reversed([r[0] for r in env.execute_query(
            query.select(SQL.identifier(Index._table, "id")))]))
    else:
        rows = row
    if row not in rows:  # opened while pending elsewhere: still shown with its conversation
        rows = (rows | row).sorted(lambda r: (r.sort_ts or 0, r.id))
    senders = _sent_by(env, row.account_id, rows)
    # Mail from the user's own address is theirs; in a mailbox of their own, so is its Sent.
    own_address = (env.user.email or "").lower()
    personal = not row.account_id.is_shared
    messages = []
    for card, message in zip(queries.cards(rows), rows, strict=True):
        sender = senders.get(message.message_id)
        folder_type = message.folder_id.folder_type
        if sender:  # sent through MailDesk: we know which teammate wrote it
            is_own = sender == env.user
        elif personal:  # anybody can write the user's address in a From: line, so only
            # in a mailbox of their own does it, or the Sent folder, say the mail is theirs
            is_own = folder_type in ("sent", "drafts") or (
                bool(own_address) and (message.from_addr or "").lower() == own_address)
        else:  # a shared mailbox: only MailDesk's own record of who sent it says so
            is_own = False
        card.update(folder_type=folder_type, is_own=is_own,
                    sent_by=sender.name if sender and not is_own else False)
        messages.append(card)
    return {"thread_id": row.thread_id or "", "messages": messages}


def _sent_by(env, account, rows):
    """{Message-ID: user} for the messages of ``rows`` that a user sent through MailDesk.

    Drafts are read as the caller: the mailbox's members may read its drafts (seed 003)."""
    ids = [r.message_id for r in rows if r.message_id]
    if not ids:
        return {}
    drafts = env["maildesk.draft"].search([("account_id", "=", account.id),
                                           ("outgoing_message_id", "in", ids)])
    return {d.outgoing_message_id: d.user_id for d in drafts}


def whole(rows):
    """``rows`` with the other visible messages of their conversations in the same folders, as
    the caller may read them: what a change to a conversation of the list acts on."""
    threaded = rows.filtered("thread_id")
    if not threaded:
        return rows
    Index = rows.env["maildesk.message_index"]
    wanted = {(r.folder_id.id, r.thread_id) for r in threaded}
    found = Index.search([("folder_id", "in", threaded.folder_id.ids),
                          ("thread_id", "in", list({t for _f, t in wanted})),
                          *queries.VISIBLE], limit=MAX_CHANGED)
    return rows | found.filtered(lambda r: (r.folder_id.id, r.thread_id) in wanted)
