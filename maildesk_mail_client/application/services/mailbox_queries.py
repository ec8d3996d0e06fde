"""Read-side queries of the inbox. They run as the calling user: record rules filter them."""
from datetime import datetime, time

from odoo import fields

MAX_PAGE = 200
ORDERS = {"date_desc": "sort_ts desc, id desc", "date_asc": "sort_ts asc, id asc",
          "from": "from_addr asc, sort_ts desc", "subject": "subject asc, sort_ts desc"}
VISIBLE = [("deleted_on_server", "!=", True), ("pending_delete", "!=", True),
           ("pending_move_to_id", "=", False)]


def unread_counts(env, folders):
    """{folder id: unread messages}, from the index, for folders the user can read."""
    if not folders:
        return {}
    groups = env["maildesk.message_index"]._read_group(
        [("folder_id", "in", folders.ids), ("is_read", "!=", True), *VISIBLE],
        ["folder_id"], ["__count"])
    return {folder.id: count for folder, count in groups}


def _day(value, end=False):
    day = fields.Date.to_date(value)
    return datetime.combine(day, time.max if end else time.min)


def build_domain(base, filters, search):
    domain = list(base) + VISIBLE
    if filters.get("unread"):
        domain.append(("is_read", "!=", True))
    if filters.get("starred"):
        domain.append(("is_starred", "=", True))
    if filters.get("has_attachments"):
        domain.append(("has_attachments", "=", True))
    for key, field in (("from", "from_addr"), ("to", "to_addrs"), ("subject", "subject")):
        if filters.get(key):
            if key == "from":
                domain += ["|", ("from_addr", "ilike", filters[key]),
                           ("sender_display_name", "ilike", filters[key])]
            else:
                domain.append((field, "ilike", filters[key]))
    if filters.get("date_from"):
        domain.append(("date", ">=", _day(filters["date_from"])))
    if filters.get("date_to"):
        domain.append(("date", "<=", _day(filters["date_to"], end=True)))
    if filters.get("tag_ids"):
        domain.append(("tag_ids", "in", [int(t) for t in filters["tag_ids"]]))
    for word in (search or "").lower().split()[:8]:
        domain += ["|", ("search_text", "like", word), ("preview", "ilike", word)]
    return domain


def page(env, base, filters, search, offset=0, limit=40, order="date_desc"):
    Index = env["maildesk.message_index"]
    domain = build_domain(base, filters, search)
    limit = max(1, min(int(limit or 40), MAX_PAGE))
    offset = max(0, int(offset or 0))
    rows = Index.search(domain, offset=offset, limit=limit, order=ORDERS.get(order, ORDERS["date_desc"]))
    total = Index.search_count(domain)
    return {"records": [card(r) for r in rows], "total": total, "offset": offset, "limit": limit,
            "hasMore": offset + len(rows) < total}


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
