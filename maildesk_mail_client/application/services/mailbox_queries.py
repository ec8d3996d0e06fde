"""Read-side queries of the inbox. They run as the calling user: record rules filter them.

A page is one ORM query (``_search``: the record rules are in it) with the page's order, limit
and offset, so the database stops after the rows it returns. What keeps it fast on a 200,000
message folder (measured by bench/inbox_benchmark.py, figures in docs/performance.md):
- the visible-row condition is written exactly as the partial indexes of the index model say
  it, so PostgreSQL proves they apply and a deep OFFSET walks an index, not the table;
- a conversation is "the newest visible message of its thread in its folder": a row is listed
  when no newer visible row of its thread exists (one probe of the thread index per row);
- totals are exact up to COUNT_CAP rows; beyond, the planner's estimate (total_is_estimate).
"""
import json
from datetime import datetime, time

from odoo import fields
from odoo.tools import SQL

from . import search_syntax

MAX_PAGE = 200
COUNT_CAP = 2000  # rows counted exactly; more is estimated (the count would cost more than the page)
ORDERS = {"date_desc": "sort_ts desc, id desc", "date_asc": "sort_ts asc, id asc",
          "from": "from_addr asc, sort_ts desc", "subject": "subject asc, sort_ts desc"}
VISIBLE = [("deleted_on_server", "!=", True), ("pending_delete", "!=", True),
           ("pending_move_to_id", "=", False)]
# The same condition in SQL, word for word the predicate of the index model's partial
# indexes (maildesk_message_index.VISIBLE_SQL), so the planner can use them.
FILTER_KEYS = ("unread", "starred", "has_attachments", "from", "to", "subject", "date_from",
               "date_to", "tag_ids")


def visible_sql(alias):
    """The visible-row condition on table ``alias`` of maildesk_message_index. The raw SQL
    carries no fields to flush: callers flush the index first (``_search`` does not)."""
    return SQL("(%(a)s.deleted_on_server IS NOT TRUE AND %(a)s.pending_delete IS NOT TRUE "
               "AND %(a)s.pending_move_to_id IS NULL)", a=SQL.identifier(alias))


def unread_counts(env, folders):
    """{folder id: unread messages}, from the index, for folders the user can read."""
    if not folders:
        return {}
    Index = env["maildesk.message_index"]
    Index.flush_model()
    query = Index._search([("folder_id", "in", folders.ids), ("is_read", "!=", True)])
    query.add_where(visible_sql(Index._table))
    query.groupby = SQL.identifier(Index._table, "folder_id")
    rows = env.execute_query(query.select(SQL.identifier(Index._table, "folder_id"),
                                          SQL("count(*)")))
    return dict(rows)


def _day(value, end=False):
    day = fields.Date.to_date(value)
    return datetime.combine(day, time.max if end else time.min)


def _literal(text):
    """Text matched as typed: Odoo's like/ilike wrap the value in % but leave its own
    wildcards active, so a search for "_" would match everything."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _any_of(names, operator, value):
    """(name1 op value) OR (name2 op value) ..."""
    return ["|"] * (len(names) - 1) + [(name, operator, value) for name in names]


def build_domain(base, filters, search):
    """The domain of a view: ``filters`` from the quick filters (unread, starred,
    has_attachments booleans; from, to, subject text; date_from, date_to YYYY-MM-DD; tag_ids)
    and the search box text, read by ``search_syntax``. Does not include ``VISIBLE``."""
    filters = filters if isinstance(filters, dict) else {}
    query = search_syntax.parse(search or "")
    domain = list(base)
    if filters.get("unread") or query.unread:
        domain.append(("is_read", "!=", True))
    elif query.unread is False:
        domain.append(("is_read", "=", True))
    if filters.get("starred") or query.starred:
        domain.append(("is_starred", "=", True))
    elif query.starred is False:
        domain.append(("is_starred", "!=", True))
    if filters.get("has_attachments") or query.has_attachment:
        domain.append(("has_attachments", "=", True))
    texts = {"from": list(query.from_), "to": list(query.to), "subject": list(query.subject)}
    for key in texts:
        if isinstance(filters.get(key), str) and filters[key].strip():
            texts[key].append(filters[key].strip()[:search_syntax.MAX_TERM])
    for value in texts["from"]:
        domain += _any_of(["from_addr", "sender_display_name"], "ilike", _literal(value))
    for value in texts["to"]:
        domain += _any_of(["to_addrs", "cc_addrs"], "ilike", _literal(value))
    for value in texts["subject"]:
        domain.append(("subject", "ilike", _literal(value)))
    after = _safe_day(filters.get("date_from")) or query.after
    before = query.before
    if after:
        domain.append(("date", ">=", _day(after)))
    if _safe_day(filters.get("date_to")):
        domain.append(("date", "<=", _day(_safe_day(filters["date_to"]), end=True)))
    if before:
        domain.append(("date", "<", _day(before)))
    tag_ids = filters.get("tag_ids")
    if isinstance(tag_ids, (list, tuple)) and tag_ids:
        domain.append(("tag_ids", "in", [int(t) for t in tag_ids if str(t).isdigit()] or [0]))
    for name in query.tags:
        domain.append(("tag_ids.name", "=ilike", _literal(name)))
    for word in query.words:
        # search_text is lower case and trigram-indexed; the preview is read without an index
        domain += ["|", ("search_text", "like", _literal(word)), ("preview", "ilike", _literal(word))]
    return domain


def _safe_day(value):
    try:
        return fields.Date.to_date(value) if value else None
    except (TypeError, ValueError):
        return None


def view_query(env, domain, order=None, threaded=False):
    """The ORM query (rules applied) of the visible rows matching ``domain``; ``threaded``:
    only the newest visible row of each thread in its folder."""
    Index = env["maildesk.message_index"]
    Index.flush_model()
    query = Index._search(domain, order=ORDERS.get(order, ORDERS["date_desc"]) if order else None)
    table = Index._table
    query.add_where(visible_sql(table))
    if threaded:
        # The newest of its thread among the rows of this view: for a view without filters
        # that is "no newer visible row of the thread in the folder" (the thread index).
        query.add_where(SQL(
            """NOT EXISTS (SELECT 1 FROM maildesk_message_index newer
                            WHERE newer.folder_id = %(t)s.folder_id
                              AND newer.thread_id = %(t)s.thread_id
                              AND (newer.sort_ts, newer.id) > (%(t)s.sort_ts, %(t)s.id)
                              AND %(visible)s %(same)s)""",
            t=SQL.identifier(table), visible=visible_sql("newer"),
            same=_same_filters(env, domain)))
    return query


def _same_filters(env, domain):
    """For a filtered view, the newer row must match the filters too (else a conversation
    whose newest message is read would vanish from "unread" though it has unread ones)."""
    if not _is_filtered(domain):
        return SQL()
    Index = env["maildesk.message_index"]
    # sudo-free: rows of the same thread and folder as a row the user may read.
    matching = Index._search(domain)
    return SQL("AND newer.id IN %s", matching.subselect())


def _is_filtered(domain):
    return any(isinstance(leaf, (list, tuple)) and leaf[0] not in ("folder_id", "account_id")
               for leaf in domain)


def count(env, domain, threaded=False, cap=None):
    """(total, is_estimate): exact up to ``cap`` rows, else the planner's estimate."""
    cap = cap or COUNT_CAP
    query = view_query(env, domain, threaded=threaded)
    query.limit = cap + 1
    exact = env.execute_query(SQL("SELECT count(*) FROM (%s) capped", query.select(SQL("1"))))[0][0]
    if exact <= cap:
        return exact, False
    query.limit = None
    plan = env.execute_query(SQL("EXPLAIN (FORMAT JSON) %s", query.select(SQL("1"))))[0][0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return max(int(plan[0]["Plan"]["Plan Rows"]), cap + 1), True


def page(env, base, filters, search, offset=0, limit=40, order="date_desc", threaded=True):
    Index = env["maildesk.message_index"]
    domain = build_domain(base, filters or {}, search)
    limit = max(1, min(int(limit or 40), MAX_PAGE))
    offset = max(0, int(offset or 0))
    query = view_query(env, domain, order=order, threaded=threaded)
    query.limit, query.offset = limit + 1, offset
    ids = [row[0] for row in env.execute_query(query.select(SQL.identifier(Index._table, "id")))]
    has_more = len(ids) > limit
    rows = Index.browse(ids[:limit])
    if offset == 0 and not has_more:
        total, estimate = len(rows), False
    else:
        total, estimate = count(env, domain, threaded=threaded)
        total = max(total, offset + len(rows) + (1 if has_more else 0))
    records = cards(rows)
    if threaded:
        sizes = thread_sizes(env, rows)
        for record in records:
            record["thread_size"], record["thread_unread"] = sizes.get(record["id"], (1, 0))
    return {"records": records, "total": total, "total_is_estimate": estimate,
            "offset": offset, "limit": limit, "hasMore": has_more}


def thread_sizes(env, rows):
    """{row id: (messages, unread)} of the conversation each row heads, in its folder."""
    heads = rows.filtered("thread_id")
    if not heads:
        return {}
    Index = env["maildesk.message_index"]
    query = Index._search([("folder_id", "in", heads.folder_id.ids),
                           ("thread_id", "in", list(set(heads.mapped("thread_id"))))])
    query.add_where(visible_sql(Index._table))
    t = SQL.identifier(Index._table)
    query.groupby = SQL("%s.folder_id, %s.thread_id", t, t)
    counted = {(folder, thread): (n, unread) for folder, thread, n, unread in env.execute_query(
        query.select(SQL("%s.folder_id, %s.thread_id, count(*), "
                         "count(*) FILTER (WHERE %s.is_read IS NOT TRUE)", t, t, t)))}
    return {r.id: counted.get((r.folder_id.id, r.thread_id), (1, 0)) for r in heads}


def cards(rows):
    """What the list shows of each row; tags read once for the whole page."""
    rows.fetch(["account_id", "folder_id", "subject", "from_addr", "sender_display_name",
                "to_addrs", "cc_addrs", "date", "preview", "is_read", "is_starred",
                "has_attachments", "message_id", "thread_id", "in_reply_to", "tag_ids"])
    return [card(r) for r in rows]


def card(row):
    """What the list shows of one message."""
    return {
        "id": row.id, "account_id": row.account_id.id, "folder_id": row.folder_id.id,
        "subject": row.subject or "", "from_addr": row.from_addr or "",
        "sender_display_name": row.sender_display_name or row.from_addr or "",
        "to_addrs": row.to_addrs or "", "cc_addrs": row.cc_addrs or "",
        "date": fields.Datetime.to_string(row.date) if row.date else False,
        "preview": row.preview or "", "is_read": row.is_read, "is_starred": row.is_starred,
        "has_attachments": row.has_attachments, "message_id": row.message_id or "",
        "thread_id": row.thread_id or "", "in_reply_to": row.in_reply_to or "",
        "tags": [{"id": t.id, "name": t.name, "color": t.color} for t in row.tag_ids],
    }
