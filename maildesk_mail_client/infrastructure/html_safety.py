"""Remote content in mail HTML: kept out until the reader allows it.

Runs after Odoo's sanitiser (which removes scripts and event handlers). Remote images are
how senders learn that, when and where a message was opened, so their addresses are moved
to ``data-maildesk-src`` and only put back when the reader asks.
"""
import re

from lxml import etree, html

BLOCKED_ATTRIBUTE = "data-maildesk-src"
_REMOTE = re.compile(r"(^|,)\s*(https?:)?//", re.I)
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*(https?:)?//[^)]*\)", re.I)
PLACEHOLDER = ("data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def block_remote_images(markup):
    """(html with remote images disabled, number of images blocked)."""
    if not markup or not markup.strip():
        return markup or "", 0
    try:
        root = html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return markup, 0
    blocked = 0
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        for attribute in ("src", "background", "srcset"):
            value = node.get(attribute)
            if not value or not _REMOTE.search(value):
                continue
            if attribute == "src":
                node.set(BLOCKED_ATTRIBUTE, value)
                node.set("src", PLACEHOLDER)
            elif attribute == "background":
                node.set(BLOCKED_ATTRIBUTE + "-background", value)
                del node.attrib[attribute]
            else:  # srcset: the src fallback is enough once allowed
                del node.attrib[attribute]
            blocked += 1
        style = node.get("style")
        if style and _CSS_URL.search(style):
            node.set("style", _CSS_URL.sub("none", style))
            blocked += 1
    out = "".join(html.tostring(child, encoding="unicode") for child in root)
    return (root.text or "") + out, blocked


def allow_remote_images(markup):
    """Undo ``block_remote_images`` for a reader who chose to load remote images."""
    if not markup or BLOCKED_ATTRIBUTE not in markup:
        return markup
    root = html.fragment_fromstring(markup, create_parent="div")
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        if node.get(BLOCKED_ATTRIBUTE):
            node.set("src", node.attrib.pop(BLOCKED_ATTRIBUTE))
        if node.get(BLOCKED_ATTRIBUTE + "-background"):
            node.set("background", node.attrib.pop(BLOCKED_ATTRIBUTE + "-background"))
    return (root.text or "") + "".join(html.tostring(c, encoding="unicode") for c in root)
