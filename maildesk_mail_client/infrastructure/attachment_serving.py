"""How an attachment from a mail is answered over HTTP from Odoo's own origin.

A sender chooses an attachment's bytes, its declared type and its name. Served from Odoo's
origin, an HTML or SVG file would run its scripts with the reader's session. So the type we
send is decided here, from the bytes, never echoed from the mail; only a few raster image
types and UTF-8 plain text may show inline; everything else downloads. Every answer carries a
sandboxing Content-Security-Policy and ``nosniff``, so even a browser that renders a download
cannot run it in our origin.

PDF downloads too: browsers refuse to run their PDF viewer inside a sandboxed document, and a
PDF shown without the sandbox would be a document of our origin with its own scripting.

No Odoo import: tested in ``tests/test_attachment_serving.py``.
"""
from urllib.parse import quote

from .mime import safe_filename  # the one file-name rule (re-exported for the route)

# The sandbox keeps any document out of Odoo's origin (no script, no same-origin access, no
# forms, no plugins); default-src 'none' stops it loading anything, even from Odoo itself.
CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'"
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "no-store"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Referrer-Policy", "no-referrer"),
)
OCTET_STREAM = "application/octet-stream"
INLINE_TYPES = frozenset(("image/png", "image/jpeg", "image/gif", "image/webp", "text/plain; charset=utf-8"))


def sniff(declared_type, data):
    """The Content-Type we send: from the bytes for images and PDF, from the declaration only
    for plain text that really is UTF-8; anything else is opaque bytes."""
    head = bytes(data[:16])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if (declared_type or "").split(";")[0].strip().lower() == "text/plain":
        try:
            bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            return OCTET_STREAM
        return "text/plain; charset=utf-8"
    return OCTET_STREAM


def decide(declared_type, data, want_inline):
    """(content type, 'inline' or 'attachment') for one attachment."""
    content_type = sniff(declared_type, data)
    inline = want_inline and content_type in INLINE_TYPES
    return content_type, "inline" if inline else "attachment"


def content_disposition(disposition, name):
    """RFC 6266 header with an ASCII fallback and the exact name as RFC 5987 ``filename*``."""
    name = safe_filename(name)
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\%' else "_" for c in name)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def headers(content_type, disposition, name):
    """Every header of a successful answer."""
    return [("Content-Type", content_type),
            ("Content-Disposition", content_disposition(disposition, name)),
            *SECURITY_HEADERS]
