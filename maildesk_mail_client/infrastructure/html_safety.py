"""Mail HTML made safe to show in the reader's browser, inside Odoo's origin.

The sender's markup is parsed into a tree and a *new* tree is built from it with allow-lists
only: known elements, known attributes per element, known CSS properties, URLs of known
schemes. The result is produced by lxml's serializer, so text stays text: escaped markup in a
mail (``&lt;img onerror=...&gt;``) can never come back as a live element, however the
markup is later quoted or forwarded.

Remote content (anything that would make the browser fetch a URL when the message is opened)
is left out unless the reader allows remote images; then only ``http(s)`` images come back,
through ``<img src>`` and the ``background`` attribute. CSS never loads anything: a
declaration that names a function other than colours and arithmetic is dropped. Nothing the
sender writes can unblock an image: the choice is a parameter of :func:`sanitize`, taken from
the reader's request, and the sender's markup is sanitised again for every answer.

Inline ``cid:`` images are turned into the access-checked attachment route by a callback.
Raster ``data:`` images (png, jpeg, gif, webp in base64) are kept: they load nothing from
anywhere and cannot run script.

No Odoo import: this module is tested without Odoo (``tests/test_html_safety.py``).
"""
import functools
import re
from dataclasses import dataclass
from urllib.parse import unquote

from lxml import etree, html

from . import hidden_content

WRAPPER_CLASS = "maildesk-body"
# The wrapper paints nothing outside its own box (negative margins, overflowing widths), so a
# mail cannot draw over Odoo's page; ``contain`` is not a property a sender may set.
WRAPPER_STYLE = "contain: paint"
NAME_PREFIX = "mdm-"  # a sender's class and id names live apart from Odoo's own
MAX_INPUT = 4_000_000  # characters; a larger body is cut (the text part is still shown)

# Elements kept as they are (their attributes filtered).
ALLOWED_TAGS = frozenset("""
    a abbr address article aside b bdi bdo big blockquote br caption center cite code col colgroup
    dd del details dfn div dl dt em figcaption figure font footer h1 h2 h3 h4 h5 h6 header hr i img
    ins kbd li main mark nav ol p pre q s samp section small span strike strong sub summary sup
    table tbody td tfoot th thead time tr tt u ul var wbr
""".split())
# Elements dropped with everything inside them: code, embedded documents, forms' controls,
# foreign namespaces (SVG, MathML) and raw-text elements whose content browsers do not parse
# the way lxml does.
DROPPED_WITH_CONTENT = frozenset("""
    script style template noscript noembed noframes iframe frame frameset object embed applet
    param title textarea select option optgroup button input datalist output meter progress
    head meta link base svg math xml xmp plaintext listing audio video source track picture
    canvas map area portal slot dialog
""".split())
# Void elements among them: a browser gives them no content, but libxml2's HTML parser takes
# some (<embed>, <source>, <track>...) for containers and nests the rest of the mail inside.
# They are dropped alone; what the parser put inside them is the mail's own text and stays.
VOID_DROPPED = frozenset("embed param input meta link base source track area keygen".split())
# Anything else (html, body, form, label, font-like Outlook tags such as o:p ...) is unwrapped:
# the tag goes, its content stays and is filtered in turn.

_GLOBAL_ATTRIBUTES = frozenset(("title", "dir", "lang", "align", "valign", "style", "class", "id",
                                "width", "height", "bgcolor", "border"))
_TAG_ATTRIBUTES = {
    "a": {"href"},
    "img": {"src", "alt", "hspace", "vspace"},
    "table": {"cellpadding", "cellspacing", "summary", "background", "frame", "rules"},
    "td": {"colspan", "rowspan", "nowrap", "scope", "abbr", "background"},
    "th": {"colspan", "rowspan", "nowrap", "scope", "abbr", "background"},
    "tr": {"background"}, "tbody": {"background"}, "thead": {"background"},
    "tfoot": {"background"},
    "col": {"span"}, "colgroup": {"span"},
    "font": {"color", "face", "size"},
    "ol": {"start", "type", "reversed"}, "ul": {"type"}, "li": {"value", "type"},
    "time": {"datetime"}, "del": {"datetime"}, "ins": {"datetime"},
    "details": {"open"}, "hr": {"size", "noshade", "color"},
}
_ALLOWED_ATTRIBUTES = {tag: frozenset(_GLOBAL_ATTRIBUTES | _TAG_ATTRIBUTES.get(tag, set()))
                       for tag in ALLOWED_TAGS}
_LINK_SCHEMES = frozenset(("http", "https", "mailto", "tel"))
_RASTER_DATA = re.compile(r"data:image/(png|jpeg|jpg|gif|webp);base64,[A-Za-z0-9+/=\s]+\Z", re.I)
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
# What WHATWG URL parsing strips or ignores: C0 controls and space at both ends, tab and
# newlines anywhere. Other Unicode spaces are not stripped by browsers, but a URL that starts
# with one is no URL we want either.
_URL_STRIP = re.compile(r"[\t\n\r]")
_URL_CONTROL = re.compile("[\x00-\x1f\x7f\u2028\u2029]")
_XML_DECLARATION = re.compile(r"<\?xml[^>]*>", re.I)
_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")

# -- CSS -----------------------------------------------------------------------------------
ALLOWED_CSS_PROPERTIES = frozenset("""
    color background background-color background-position background-repeat background-size
    border border-top border-right border-bottom border-left border-color border-style
    border-width border-radius border-collapse border-spacing
    border-top-color border-right-color border-bottom-color border-left-color
    border-top-style border-right-style border-bottom-style border-left-style
    border-top-width border-right-width border-bottom-width border-left-width
    border-top-left-radius border-top-right-radius border-bottom-left-radius
    border-bottom-right-radius
    margin margin-top margin-right margin-bottom margin-left
    padding padding-top padding-right padding-bottom padding-left
    font font-family font-size font-style font-variant font-weight line-height letter-spacing
    word-spacing text-align text-decoration text-indent text-transform text-shadow white-space
    vertical-align direction word-break word-wrap overflow-wrap
    width height max-width min-width max-height min-height box-sizing
    display float clear overflow overflow-x overflow-y visibility opacity
    table-layout caption-side empty-cells list-style-type list-style-position
""".split())
# Functions a value may call: colours and arithmetic. url(), image-set(), expression(),
# attr(), var(), element(), paint() ... are not among them.
_CSS_FUNCTIONS = frozenset(("rgb", "rgba", "hsl", "hsla", "calc", "min", "max", "clamp"))
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})(?:\r\n|[ \t\r\n\f])?|(\r\n|[\n\r\f])|(.))", re.S)
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.S)
_CSS_STRING = re.compile(r"\"[^\"\n\\]*\"|'[^'\n\\]*'")
_CSS_VALUE_CHARS = re.compile(r"[\w\s#%.,/()+!*-]*\Z")  # after strings are taken out
_CSS_FUNCTION = re.compile(r"([\w-]*)\(")
_CSS_SELECTOR = re.compile(r"[\w\s.#,>+~:*-]+\Z")  # no quotes, brackets, parens, escapes
_CSS_MEDIA = re.compile(r"[\w\s(),:.-]+\Z")


def _decode_css_escapes(text):
    def one(match):
        hex_digits, newline, char = match.groups()
        if hex_digits:
            code = int(hex_digits, 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        return "" if newline else char
    return _CSS_ESCAPE.sub(one, text)


def _css_normalise(text):
    """The text as CSS will read it: comments out, escapes decoded. What we check is what we
    write back, so an escape or a comment can hide nothing."""
    return _decode_css_escapes(_CSS_COMMENT.sub("", text.replace("\x00", "")))


def _safe_css_value(value):
    if "\\" in value or "<" in value or ">" in value or "&" in value:
        return False
    rest = _CSS_STRING.sub("s", value)
    if "'" in rest or '"' in rest or not _CSS_VALUE_CHARS.match(rest):
        return False
    calls = _CSS_FUNCTION.findall(rest)
    if any(name.lower() not in _CSS_FUNCTIONS for name in calls):
        return False  # url(, image-set(, expression(, or a bare "(" with no function
    return "(" not in _CSS_FUNCTION.sub("", rest)  # no "(" outside a known function call


def _split_outside_strings(text, separator):
    parts, current, quote, depth = [], [], None, 0
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif char == separator and not depth:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


CACHED_STYLE_LENGTH = 1024  # longer style text is filtered each time: the cache keeps it whole


def filter_declarations(text):
    """A style attribute's declarations, kept only where property and value are allowed."""
    if len(text) <= CACHED_STYLE_LENGTH:
        return _filter_declarations_cached(text)
    return _filter_declarations(text)


@functools.lru_cache(maxsize=2048)  # mail repeats the same style on every cell
def _filter_declarations_cached(text):
    return _filter_declarations(text)


def _filter_declarations(text):
    kept = []
    for declaration in _split_outside_strings(_css_normalise(text or ""), ";"):
        name, colon, value = declaration.partition(":")
        name, value = name.strip().lower(), value.strip()
        if not colon or name not in ALLOWED_CSS_PROPERTIES or not value:
            continue
        important = re.search(r"!\s*important\s*\Z", value, re.I)
        if important:
            value = value[:important.start()].rstrip()
        if "!" in value or not _safe_css_value(value):
            continue
        kept.append(f"{name}: {' '.join(value.split())}{' !important' if important else ''}")
    return "; ".join(kept)


def _scope_selector(selector):
    """'.promo td, body' -> '.maildesk-body .mdm-promo td, .maildesk-body'."""
    scoped = []
    for part in selector.split(","):
        part = " ".join(part.split())
        if not part:
            continue
        part = re.sub(r"(?<![\w.#-])(?:html|body)(?![\w-])", "", part, flags=re.I).strip()
        part = re.sub(r"([.#])(-?[A-Za-z_][\w-]*)", lambda m: m.group(1) + NAME_PREFIX + m.group(2),
                      part)
        if re.search(r"[.#](?!" + NAME_PREFIX + ")", part) or part[:1] in ("+", "~"):
            return ""  # a name we could not prefix, or a rule aimed beside the body: left out
        scoped.append(f".{WRAPPER_CLASS} {part}".strip() if part else f".{WRAPPER_CLASS}")
    return ", ".join(scoped)


def _css_blocks(text):
    """Top-level (prelude, body) pairs of a style sheet; strings and nesting respected."""
    blocks, prelude, body, depth, quote = [], [], [], 0, None
    for char in text:
        target = body if depth else prelude
        if quote:
            quote = None if char == quote else quote
            target.append(char)
        elif char in "\"'":
            quote = char
            target.append(char)
        elif char == "{":
            if depth:
                body.append(char)
            depth += 1
        elif char == "}":
            if not depth:
                prelude = []  # a stray "}" ends nothing: start over
                continue
            depth -= 1
            if depth:
                body.append(char)
            else:
                blocks.append(("".join(prelude).strip(), "".join(body)))
                prelude, body = [], []
        elif char == ";" and not depth:
            prelude = []  # a statement at-rule (@import, @charset, @namespace): dropped
        else:
            target.append(char)
    return blocks


def filter_stylesheet(text, _nested=False):
    """A ``<style>`` block's rules, scoped under the body's wrapper. Only ordinary rules and
    ``@media`` survive; ``@import``, ``@font-face`` and every other at-rule are dropped."""
    text = _css_normalise((text or "").replace("<!--", " ").replace("-->", " "))
    out = []
    for prelude, body in _css_blocks(text):
        if prelude.startswith("@"):
            keyword, query = re.match(r"@([\w-]*)(.*)", prelude, re.S).groups()
            if keyword.lower() != "media" or _nested or not _CSS_MEDIA.match(query.strip() or "all") \
                    or re.search(r"[\w-]\(", query):
                continue
            inner = filter_stylesheet(body, _nested=True)
            if inner:
                out.append(f"@media {' '.join(query.split())} {{\n{inner}\n}}")
            continue
        if not _CSS_SELECTOR.match(prelude or "!"):
            continue
        selector = _scope_selector(prelude)
        declarations = filter_declarations(body)
        if selector and declarations:
            out.append(f"{selector} {{ {declarations} }}")
    css = "\n".join(out)
    # Nothing we write can close the <style> element: no "<" survives the checks above.
    return css.replace("<", "\\3c ")


# -- URLs -------------------------------------------------------------------------------------
def _clean_url(value):
    return _URL_STRIP.sub("", value or "").strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c"
                                                 "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18"
                                                 "\x19\x1a\x1b\x1c\x1d\x1e\x1f ")


def _scheme(url):
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else ""


def _is_remote(url):
    return _scheme(url) in ("http", "https") or url.startswith(("//", "\\\\", "/\\", "\\/"))


def safe_link(value):
    """An ``href`` we keep: absolute http(s), mailto and tel only (no javascript:, data:,
    vbscript:, and no relative links, which would point into Odoo itself)."""
    url = _clean_url(value)
    if not url or _URL_CONTROL.search(url):
        return None
    if _scheme(url) not in _LINK_SCHEMES:
        return None
    if _scheme(url) in ("http", "https") and not re.match(r"https?://[^/\\\s]", url, re.I):
        return None
    return url


def normalise_content_id(value):
    """'<Part.1@x>' or 'cid:Part.1%40x' -> 'part.1@x'."""
    value = unquote((value or "").strip())
    if value[:4].lower() == "cid:":
        value = value[4:]
    return value.strip().strip("<>").strip().lower()


@dataclass(frozen=True)
class SafeHtml:
    html: str
    remote_blocked: int  # remote images left out (they come back when the reader allows them)


class _Builder:
    def __init__(self, allow_remote, cid_url):
        self.allow_remote = allow_remote
        self.cid_url = cid_url
        self.blocked = 0
        self.styles = []

    # an image source: cid -> our route, raster data -> kept, http(s) -> only when allowed
    def image_url(self, value):
        url = _clean_url(value)
        if not url:
            return None
        scheme = _scheme(url)
        if scheme == "cid":
            target = self.cid_url(normalise_content_id(url)) if self.cid_url else None
            return target or None
        if scheme == "data":
            return url if _RASTER_DATA.match(url) else None
        if _is_remote(url):
            if not self.allow_remote:
                self.blocked += 1
                return None
            if url.startswith("//"):
                url = "https:" + url
            return url if re.match(r"https?://[^/\\\s]", url, re.I) else None
        return None  # relative (would hit Odoo with the reader's session), file:, javascript: ...

    def attributes(self, tag, source):
        allowed = _ALLOWED_ATTRIBUTES[tag]
        out = {}
        for raw_name, value in source.attrib.items():
            name = raw_name.lower() if isinstance(raw_name, str) else ""
            if name not in allowed or value is None:
                continue
            if _XML_INVALID.search(value):
                value = _XML_INVALID.sub("", value)
            if name == "href":
                value = safe_link(value)
            elif name in ("src", "background"):
                value = self.image_url(value)
            elif name == "style":
                value = filter_declarations(value) or None
            elif name in ("class", "id"):
                names = [n for n in value.split() if re.fullmatch(r"-?[A-Za-z_][\w-]*", n)]
                value = " ".join(NAME_PREFIX + n for n in names) if names else None
                if name == "id" and value and " " in value:
                    value = value.split()[0]
            if value is not None:
                out[name] = value
        if tag == "a" and "href" in out:
            out["target"] = "_blank"
            out["rel"] = "noopener noreferrer"
        return out

    def copy_children(self, source, target):
        """Append the filtered children of ``source`` (text included) to ``target``.

        Iterative, so a mail nested thousands of levels deep costs no recursion."""
        self.append_text(target, source.text)
        # (children still to copy, where they go, text to add once they are done)
        stack = [(iter(source), target, None)]
        while stack:
            children, into, tail_after = stack[-1]
            node = next(children, None)
            if node is None:
                stack.pop()
                self.append_text(into, tail_after)
                continue
            tag = node.tag.lower() if isinstance(node.tag, str) else None
            if tag in VOID_DROPPED:  # the element goes; what follows it in the mail stays
                self.append_text(into, node.text)
                stack.append((iter(node), into, node.tail))
            elif tag is None or tag in DROPPED_WITH_CONTENT or \
                    (":" in tag and tag.split(":")[0] not in ("o", "v", "w")):
                # comments, processing instructions, <style> (collected by sanitize_tree),
                # and elements dropped with their content
                self.append_text(into, node.tail)
            elif tag not in ALLOWED_TAGS:  # unwrapped: its content here, then its tail
                self.append_text(into, node.text)
                stack.append((iter(node), into, node.tail))
            else:
                element = etree.SubElement(into, tag, self.attributes(tag, node))
                self.append_text(element, node.text)
                self.append_text(into, node.tail)
                stack.append((iter(node), element, None))

    @staticmethod
    def append_text(target, text):
        if not text:
            return
        text = _XML_INVALID.sub("", text)
        if len(target):
            last = target[-1]
            last.tail = (last.tail or "") + text
        else:
            target.text = (target.text or "") + text


def _parse(markup):
    markup = _XML_INVALID.sub("", markup[:MAX_INPUT])
    if not markup.strip():
        return None
    # An XML declaration naming an encoding makes lxml refuse a str: the text is decoded already.
    markup = _XML_DECLARATION.sub("", markup)
    parser = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, huge_tree=True)
    try:
        return etree.fromstring(markup, parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None


def sanitize_tree(markup, allow_remote=False, cid_url=None):
    """(wrapper element holding the safe body, number of remote images left out)."""
    wrapper = etree.Element("div", {"class": WRAPPER_CLASS, "style": WRAPPER_STYLE})
    root = _parse(markup or "")
    if root is None:
        return wrapper, 0
    builder = _Builder(allow_remote, cid_url)
    for style in root.iter("style"):
        builder.styles.append(style.text or "")
    body = root.find("body")
    for node in ([body] if body is not None else list(root)):
        if node.tag == "head":
            continue
        builder.copy_children(node, wrapper)
    css = "\n".join(filter(None, (filter_stylesheet(s) for s in builder.styles)))
    if css:
        style = etree.Element("style")
        style.text = css
        wrapper.insert(0, style)
        style.tail, wrapper.text = wrapper.text, None
    return wrapper, builder.blocked


def serialize(element):
    return html.tostring(element, encoding="unicode", method="html")


def sanitize(markup, allow_remote=False, cid_url=None):
    """Safe HTML for the reader: see the module docstring. ``cid_url(content_id)`` returns the
    URL that serves an inline image (or None to leave it out)."""
    wrapper, blocked = sanitize_tree(markup, allow_remote=allow_remote, cid_url=cid_url)
    return SafeHtml(serialize(wrapper), blocked)


def text_to_html(text):
    """A plain-text body as HTML: the text is a text node, never markup."""
    wrapper = etree.Element("div", {"style": "white-space: pre-wrap"})
    wrapper.text = _XML_INVALID.sub("", text or "")
    return serialize(wrapper)


def quote(header_lines, safe_html, blockquote=True):
    """A reply or forward body: header lines as text, then the already sanitised body.

    ``safe_html`` is output of :func:`sanitize`; it is parsed back into a tree and grafted, so
    nothing here is pasted text. The header lines are plain strings (names, addresses,
    subjects straight from the mail): they become text nodes. Only what the reader saw is
    quoted: hidden content (:mod:`hidden_content`) would go out under the replier's name.
    """
    container = etree.Element("div")
    etree.SubElement(container, "br")
    etree.SubElement(container, "br")
    header = etree.SubElement(container, "div")
    for number, line in enumerate(header_lines):
        if number:
            etree.SubElement(header, "br")
        _Builder.append_text(header, line)
    if blockquote:
        holder = etree.SubElement(container, "blockquote", {
            "style": "margin: 0 0 0 .8ex; border-left: 1px solid #ccc; padding-left: 1ex"})
    else:
        etree.SubElement(container, "br")
        holder = container
    if safe_html and safe_html.strip():
        # huge_tree: a body as deep as the sanitiser lets through is grafted whole (libxml2
        # cuts at 256 levels otherwise); one parser a call, as lxml's are not shared by threads
        parser = html.HTMLParser(huge_tree=True, no_network=True)
        for element in html.fragments_fromstring(safe_html, parser=parser):
            if isinstance(element, str):
                _Builder.append_text(holder, element)
            else:
                holder.append(element)
        hidden_content.drop_hidden(holder, _unscoped_css(holder))
    return "".join(serialize(child) for child in container)


def _unscoped_css(root):
    """The style sheets :func:`filter_stylesheet` wrote under ``root``, with the wrapper's scope
    taken off: every element of a body is inside its wrapper, so ``.maildesk-body td`` is
    ``td`` there, and the simple rules read again as the sender wrote them."""
    css = "\n".join(style.text or "" for style in root.iter("style"))
    return re.sub(r"\." + WRAPPER_CLASS + r"\s+(?=[\w.#*])", "", css)
