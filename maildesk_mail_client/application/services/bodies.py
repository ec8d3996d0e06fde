"""Message bodies: served from the cache while fresh, else read from the server.

A body is parsed and its sender's HTML cached in ``maildesk.ui_cache`` for
``maildesk.cache_retention_days`` (default 30) days; the cache row follows the message's
access rules. What the browser gets is made by ``html_safety.sanitize`` for every answer, with
remote images blocked unless this reader allowed them for this request: nothing stored, and
nothing the sender wrote, decides whether remote content loads.
"""
from datetime import timedelta
from urllib.parse import quote

from odoo import fields
from odoo.exceptions import UserError

from ...infrastructure import attachment_serving, html_safety, mime, raw_cache
from ...infrastructure.providers.base import ProviderError
from ...infrastructure.providers.http_api import GrantRevoked
from . import connections, oauth_config

DEFAULT_RETENTION_DAYS = 30
CACHE_PARAM = "maildesk.cache_retention_days"
# Bodies cached under an older key were rendered by older code: never served, fetched again.
CACHE_KEY = "body_v2"
OLD_CACHE_KEYS = ("body",)


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
    stored = cache.json_cache if cache and isinstance(cache.json_cache, dict) else {}
    fresh = cache and cache.json_cache_until and cache.json_cache_until > now
    body = stored.get(CACHE_KEY) if fresh else None
    if not _well_formed(body):
        body = _fetch_body(row)
        until = now + retention(env)
        kept = {k: v for k, v in stored.items() if k not in OLD_CACHE_KEYS}
        vals = {"json_cache": dict(kept, **{CACHE_KEY: body}), "json_cache_until": until,
                "cache_until": until}
        if cache:
            cache.write(vals)
        else:
            Cache.create(dict(vals, index_id=row.id))
        if bool(body["attachments"]) != row.has_attachments:
            # sudo: refine the list flag now that the real structure is known.
            row.sudo().has_attachments = bool(body["attachments"])
    return present(row, body, allow_remote=allow_remote)


def _well_formed(body):
    return isinstance(body, dict) and isinstance(body.get("source_html"), str) \
        and isinstance(body.get("attachments"), list)


def present(row, body, allow_remote=False):
    """The body as the browser gets it: sanitised now, from the sender's markup."""
    safe = html_safety.sanitize(body["source_html"], allow_remote=allow_remote,
                                cid_url=inline_image_urls(row, body["attachments"]))
    result = {k: v for k, v in body.items() if k != "source_html"}
    result.update(html=safe.html, remote_images_blocked=safe.remote_blocked)
    return result


def inline_image_urls(row, attachments):
    """cid -> URL of the access-checked attachment route, for ``html_safety.sanitize``."""
    by_cid = {html_safety.normalise_content_id(a.get("content_id")): a.get("part_id")
              for a in attachments if a.get("content_id") and a.get("part_id")}
    by_cid.pop("", None)

    def url(content_id):
        part_id = by_cid.get(content_id)
        return f"/maildesk/attachment/{row.id}/{quote(str(part_id), safe='.')}?download=0" \
            if part_id else None
    return url


def _fetch_body(row):
    env = row.env
    # sudo: the provider needs the account's settings; access to the row was checked.
    account = row.account_id.sudo()
    try:
        raw = raw_message(row, account)
    except GrantRevoked:
        raise UserError(env._(
            "This message cannot be opened until the mailbox is signed in again: %(service)s no "
            "longer lets MailDesk in. Messages opened before stay readable; anyone with access "
            "to the mailbox can sign it in again from its form.",
            service=oauth_config.service_of(account))) from None
    except ProviderError as exc:
        raise UserError(env._(
            "This message cannot be opened right now: %(words)s. The list is kept; try again in "
            "a moment.", words=str(exc).rstrip("."))) from exc
    if raw is None:
        raise UserError(env._("This message is no longer on the server. The next sync removes it "
                              "from the list."))
    return render(raw)


def raw_message(row, account):
    """The whole message, downloaded once for its body, inline images and attachments."""
    # sudo: the caller checked the row; the folder's cursor fields are system bookkeeping.
    folder = row.folder_id.sudo()
    key = (row.env.cr.dbname, account.id, folder.id, folder.uid_validity, row.uid)
    raw = raw_cache.messages.get(key)
    if raw is None:
        with connections.provider_for(account) as provider:
            raw = provider.fetch_raw(row.folder_id.imap_name, row.uid)
        raw_cache.messages.put(key, raw)
    return raw


def render(raw):
    """What is cached of a message: the sender's markup, never sanitised output (see
    ``present``), the text, and the attachment list."""
    parsed = mime.parse_message(raw)
    source_html = parsed.html or (html_safety.text_to_html(parsed.text) if parsed.text else "")
    return {
        "source_html": source_html,
        "text": parsed.text or mime.html_to_text(parsed.html),
        "reply_to": parsed.headers.reply_to,
        "attachments": [
            {"part_id": a.part_id, "name": attachment_serving.safe_filename(a.filename),
             "mimetype": a.content_type, "size": a.size,
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
    try:
        raw = raw_message(row, account)
    except ProviderError as exc:
        raise UserError(row.env._("This attachment cannot be downloaded right now: %(words)s. "
                                  "Try again in a moment.", words=exc)) from exc
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
