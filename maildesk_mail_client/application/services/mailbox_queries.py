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
COUNT_CAP = 1000  # messages counted exactly; more are estimated (counting costs more than the page)
MAX_OFFSET = 10_000_000  # beyond any mailbox; keeps offset + limit inside PostgreSQL's bigint
SEEK_FROM = 2000  # offsets from here: find the page's sort key first (see _page_by_date)
KEY_ORDERS = ("date_desc", "date_asc")
SAMPLE = 200  # newest messages looked at to estimate how many conversations a big view has
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


def listed_sql(env, alias):
    """The rows a list shows, on table ``alias``: the visible ones, less those an add-on holds
    back for now through the index model's ``_maildesk_list_condition(alias)`` hook (an SQL
    condition, or None). Pro holds snoozed messages back until they come back; Basic has no
    hook, so its lists are exactly the visible rows."""
    hook = getattr(env["maildesk.message_index"], "_maildesk_list_condition", None)
    extra = hook(alias) if hook else None
    return SQL("(%s AND %s)", visible_sql(alias), extra) if extra else visible_sql(alias)


def unread_counts(env, folders):
    """{folder id: unread messages}, from the index, for folders the user can read."""
    if not folders:
        return {}
    Index = env["maildesk.message_index"]
    Index.flush_model()
    query = Index._search([("folder_id", "in", folders.ids), ("is_read", "!=", True)])
    query.add_where(listed_sql(env, Index._table))
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
    for names, key in ((["from_addr", "sender_display_name"], "from"),
                       (["to_addrs", "cc_addrs"], "to"), (["subject"], "subject")):
        for value in texts[key]:
            # search_text holds these fields in lower case: its trigram index finds the
            # candidates, the field itself decides (a folder scan otherwise)
            domain.append(("search_text", "like", _literal(value.lower())))
            domain += _any_of(names, "ilike", _literal(value))
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
        # Subject, sender and recipients: search_text is lower case and trigram-indexed. The
        # preview is not searched here: without an index that is a scan of the whole view
        # (half a second on 150,000 messages), and an index on it doubled the sync's insert
        # cost. Words of the body are searched on the mail server (search_server).
        domain.append(("search_text", "like", _literal(word)))
    return domain


def _safe_day(value):
    try:
        return fields.Date.to_date(value) if value else None
    except (TypeError, ValueError):
        return None


def view_query(env, domain, order=None, threaded=False, sudo=False):
    """The ORM query (rules applied) of the visible rows matching ``domain``; ``threaded``:
    only the newest visible row of each thread in its folder."""
    Index = env["maildesk.message_index"]
    Index.flush_model()
    # sudo: only for estimates (count), of folders the caller was checked to read.
    query = (Index.sudo() if sudo else Index)._search(
        domain, order=ORDERS.get(order, ORDERS["date_desc"]) if order else None)
    query.add_where(listed_sql(env, Index._table))
    if threaded:
        query.add_where(_is_head(env, Index._table, domain))
    return query


def _is_head(env, alias, domain):
    """Row ``alias`` is the newest of its thread among the rows of this view: for a view
    without filters, "no newer visible row of the thread in the folder" (the thread index)."""
    return SQL(
        """NOT EXISTS (SELECT 1 FROM maildesk_message_index newer
                        WHERE newer.folder_id = %(t)s.folder_id
                          AND newer.thread_id = %(t)s.thread_id
                          AND (newer.sort_ts, newer.id) > (%(t)s.sort_ts, %(t)s.id)
                          AND %(visible)s %(same)s)""",
        t=SQL.identifier(alias), visible=listed_sql(env, "newer"), same=_same_filters(env, domain))


def _same_filters(env, domain):
    """For a filtered view, the newer row must match the filters too (else a conversation
    whose newest message is read would vanish from "unread" though it has unread ones)."""
    if not _is_filtered(domain):
        return SQL()
    # rows of the same thread and folder as a row the user may read
    matching = env["maildesk.message_index"]._search(domain)
    return SQL("AND newer.id IN %s", matching.subselect())


def _is_filtered(domain):
    return any(isinstance(leaf, (list, tuple)) and leaf[0] not in ("folder_id", "account_id")
               for leaf in domain)


def _count(env, query, limit):
    query.limit = limit
    return env.execute_query(SQL("SELECT count(*) FROM (%s) capped", query.select(SQL("1"))))[0][0]


def count(env, domain, threaded=False, cap=None, base=None):
    """(total, is_estimate) of a view: exact up to ``cap`` messages. Beyond, an estimate: the
    planner's for the messages (asked without the record rules: the view's folders were read
    as the user, and the rule's join makes the planner guess several times too many), times
    the share of conversations among the newest SAMPLE messages when threaded."""
    cap = cap or COUNT_CAP
    messages = _count(env, view_query(env, domain), cap + 1)
    if messages <= cap:
        if not threaded:
            return messages, False
        return _count(env, view_query(env, domain, threaded=True), cap + 1), False
    estimate = view_query(env, domain, sudo=True)
    plan = env.execute_query(SQL("EXPLAIN (FORMAT JSON) %s", estimate.select(SQL("1"))))[0][0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    total = max(int(plan[0]["Plan"]["Plan Rows"]), cap + 1)
    if threaded:
        heads, seen = env.execute_query(SQL(
            "SELECT count(*) FILTER (WHERE %s), count(*) FROM (%s) AS maildesk_message_index",
            _is_head(env, "maildesk_message_index", domain), _newest(env, domain, base)))[0]
        total = max(round(total * heads / max(seen, 1)), 1)
    return total, True


def _newest(env, domain, base):
    """SQL of the SAMPLE newest messages of a view, with what the thread check needs."""
    columns = ("id", "folder_id", "thread_id", "sort_ts")
    folder_ids = _folder_ids(base or [])
    if folder_ids:
        return SQL("%s LIMIT %s", _merged(env, folder_ids, domain[len(base):], "date_desc",
                                          False, SAMPLE, columns=columns), SAMPLE)
    newest = view_query(env, domain, order="date_desc")
    newest.limit = SAMPLE
    return newest.select(*(SQL.identifier("maildesk_message_index", c) for c in columns))


def page(env, base, filters, search, offset=0, limit=40, order="date_desc", threaded=True):
    Index = env["maildesk.message_index"]
    domain = build_domain(base, filters or {}, search)
    limit = max(1, min(int(limit or 40), MAX_PAGE))
    offset = min(max(0, int(offset or 0)), MAX_OFFSET)
    folder_ids = _folder_ids(base)
    if order in KEY_ORDERS and folder_ids is not None:
        ids = _page_by_date(env, folder_ids, domain[len(base):], order, threaded, offset, limit)
    else:
        query = view_query(env, domain, order=order, threaded=threaded)
        query.limit, query.offset = limit + 1, offset
        ids = [r[0] for r in env.execute_query(query.select(SQL.identifier(Index._table, "id")))]
    has_more = len(ids) > limit
    rows = Index.browse(ids[:limit])
    if offset == 0 and not has_more:
        total, estimate = len(rows), False
    else:
        total, estimate = count(env, domain, threaded=threaded, base=base)
        total = max(total, offset + len(rows) + (1 if has_more else 0))
    records = cards(rows)
    if threaded:
        sizes = thread_sizes(env, rows)
        for record in records:
            record["thread_size"], record["thread_unread"] = sizes.get(record["id"], (1, 0))
    return {"records": records, "total": total, "total_is_estimate": estimate,
            "offset": offset, "limit": limit, "hasMore": has_more}


def _folder_ids(base):
    """The folders of a view's base domain (``folder_id`` = / in), or None."""
    if len(base) == 1 and base[0][0] == "folder_id" and base[0][1] in ("=", "in"):
        value = base[0][2]
        return [value] if base[0][1] == "=" else list(value)
    return None


def _merged(env, folder_ids, rest, order, threaded, limit, sudo=False, after=None,
            columns=("id", "sort_ts")):
    """SQL of the first ``limit`` (id, sort_ts) of the view in ``order``: one index walk per
    folder, merged (PostgreSQL cannot walk one index in order for "folder_id IN (...)")."""
    desc = order == "date_desc"
    parts = []
    for folder_id in folder_ids:
        query = view_query(env, [("folder_id", "=", folder_id), *rest], order=order,
                           threaded=threaded, sudo=sudo)
        if after:
            query.add_where(SQL("(maildesk_message_index.sort_ts, maildesk_message_index.id) "
                                + ("<= (%s, %s)" if desc else ">= (%s, %s)"), *after))
        query.limit = limit
        parts.append(SQL("(%s)", query.select(*(
            SQL.identifier("maildesk_message_index", c) for c in columns))))
    return SQL("SELECT * FROM (%s) merged ORDER BY %s", SQL(" UNION ALL ").join(parts),
               SQL("sort_ts DESC, id DESC" if desc else "sort_ts ASC, id ASC"))


def _page_by_date(env, folder_ids, rest, order, threaded, offset, limit):
    """Ids of one page (``limit`` + 1, to tell whether more follow). A page deep in a big view
    is found in two steps: the sort key at position ``offset`` by an index walk without the
    record-rule join (these folders were read as the user, and a user who may read a folder
    may read every message in it: seed 003's rules for both key on the mailbox; the join
    made a walk 100,000 rows deep five times slower), then the page itself from that key
    with the rules applied, so no row comes back that the rules would hide."""
    if not folder_ids:
        return []
    if offset < SEEK_FROM:
        sql = _merged(env, folder_ids, rest, order, threaded, offset + limit + 1)
        return [r[0] for r in env.execute_query(
            SQL("%s OFFSET %s LIMIT %s", sql, offset, limit + 1))]
    # sudo: the position only (see the docstring); rows are read with the rules below.
    sql = _merged(env, folder_ids, rest, order, threaded, offset + 1, sudo=True)
    found = env.execute_query(SQL("SELECT sort_ts, id FROM (%s) walked OFFSET %s LIMIT 1",
                                  sql, offset))
    if not found:
        return []
    sql = _merged(env, folder_ids, rest, order, threaded, limit + 1, after=found[0])
    return [r[0] for r in env.execute_query(SQL("%s LIMIT %s", sql, limit + 1))]


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
