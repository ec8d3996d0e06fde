"""A conversation: every visible message of a thread in one mailbox, across its folders, the
user's own replies in Sent included. Read as the calling user (record rules apply)."""
from odoo.tools import SQL

from . import mailbox_queries as queries

MAX_MESSAGES = 200  # the newest ones of a longer conversation


def thread(row):
    """{thread_id, messages: [card + is_own, folder_type]} oldest first, for a row the caller
    may read."""
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
    # sudo-free: the account and folders of rows the caller read.
    own = {(row.account_id.email or "").lower()}
    own.add((env.user.email or "").lower())
    own.discard("")
    messages = []
    for card, message in zip(queries.cards(rows), rows, strict=True):
        card.update(folder_type=message.folder_id.folder_type,
                    is_own=message.folder_id.folder_type in ("sent", "drafts")
                    or (message.from_addr or "").lower() in own)
        messages.append(card)
    return {"thread_id": row.thread_id or "", "messages": messages}
