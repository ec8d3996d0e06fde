"""Message bodies: served from the cache while fresh, else read from the server.

A body is parsed, sanitised with Odoo's HTML sanitiser, stripped of remote images until the
reader allows them, and cached in ``maildesk.ui_cache`` for ``maildesk.cache_retention_days``
(default 30) days. The cache row follows the message's access rules.
"""
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tools import html_sanitize, plaintext2html

from ...infrastructure import html_safety, mime
from ...infrastructure.providers.base import ProviderError
from . import connections

DEFAULT_RETENTION_DAYS = 30
CACHE_PARAM = "maildesk.cache_retention_days"


def retention(env):
    # sudo: a system setting every reader needs; nothing user-specific is read.
    raw = env["ir.config_parameter"].sudo().get_param(CACHE_PARAM, DEFAULT_RETENTION_DAYS)
    try:
        return timedelta(days=max(int(raw), 0))
    except (TypeError, ValueError):
        return timedelta(days=DEFAULT_RETENTION_DAYS)


def get_body(row, allow_remote=False):
    """The body of one index row the caller may read: {html, text, attachments, ...}."""
    env = row.env
    row.check_access("read")
    # sudo: the caller may read ``row`` (checked above); the cache is written by services only.
    Cache = env["maildesk.ui_cache"].sudo()
    cache = Cache.search([("index_id", "=", row.id)], limit=1)
    now = fields.Datetime.now()
    body = (cache.json_cache or {}).get("body") if cache and cache.json_cache_until and \
        cache.json_cache_until > now else None
    if body is None:
        body = _fetch_body(row)
        until = now + retention(env)
        vals = {"json_cache": dict(cache.json_cache or {}, body=body), "json_cache_until": until,
                "cache_until": until}
        if cache:
            cache.write(vals)
        else:
            Cache.create(dict(vals, index_id=row.id))
        if bool(body["attachments"]) != row.has_attachments:
            # sudo: refine the list flag now that the real structure is known.
            row.sudo().has_attachments = bool(body["attachments"])
    result = dict(body)
    if allow_remote:
        result["html"] = html_safety.allow_remote_images(result["html"])
        result["remote_images_blocked"] = 0
    return result


def _fetch_body(row):
    env = row.env
    # sudo: the provider needs the account's settings; access to the row was checked.
    account = row.account_id.sudo()
    try:
        with connections.provider_for(account) as provider:
            raw = provider.fetch_raw(row.folder_id.imap_name, row.uid)
    except ProviderError as exc:
        raise UserError(env._(
            "This message cannot be opened right now: %(words)s. The list is kept; try again in "
            "a moment.", words=exc)) from exc
    if raw is None:
        raise UserError(env._("This message is no longer on the server. The next sync removes it "
                              "from the list."))
    return render(raw)


def render(raw):
    parsed = mime.parse_message(raw)
    source_html = parsed.html or (plaintext2html(parsed.text) if parsed.text else "")
    safe = html_sanitize(source_html, sanitize_style=True, strip_classes=True) or ""
    safe, blocked = html_safety.block_remote_images(str(safe))
    return {
        "html": safe,
        "text": parsed.text or mime.html_to_text(parsed.html),
        "remote_images_blocked": blocked,
        "reply_to": parsed.headers.reply_to,
        "attachments": [
            {"part_id": a.part_id, "name": a.filename, "mimetype": a.content_type, "size": a.size,
             "content_id": a.content_id, "inline": a.inline}
            for a in parsed.attachments
        ],
        "problems": parsed.problems,
    }


def attachment_bytes(row, part_id):
    """(filename, mimetype, bytes) of one attachment of a row the caller may read."""
    row.check_access("read")
    # sudo: as in _fetch_body.
    account = row.account_id.sudo()
    with connections.provider_for(account) as provider:
        raw = provider.fetch_raw(row.folder_id.imap_name, row.uid)
    parsed = mime.parse_message(raw or b"")
    for attachment in parsed.attachments:
        if attachment.part_id == part_id:
            return attachment.filename, attachment.content_type, mime.part_payload(raw, part_id) or b""
    raise UserError(row.env._("This attachment is no longer part of the message."))


def cleanup_expired(env, batch=5000):
    """Delete cache rows past their expiry; return how many went."""
    env["maildesk.ui_cache"].flush_model()
    env.cr.execute("""DELETE FROM maildesk_ui_cache WHERE id IN (
                          SELECT id FROM maildesk_ui_cache WHERE cache_until < now() AT TIME ZONE 'UTC'
                          LIMIT %s)""", [batch])
    count = env.cr.rowcount
    env["maildesk.ui_cache"].invalidate_model()
    return count
