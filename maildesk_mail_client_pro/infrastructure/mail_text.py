"""What an AI model may see of a mail: the text a reader sees, and nothing else.

Hidden text (CSS that hides it, white on white, tiny fonts, off-screen boxes...) is the classic
way to talk to a model behind the reader's back, so it is removed, and what was removed is
kept apart as a phishing signal. Zero-width, bidi and tag characters go too, then NFKC, so
look-alike text reads as what it shows. Quoted history can be cut: it costs tokens and was
answered already.

No Odoo import: tested without Odoo (``tests/test_ai_mail_text.py``).
"""
import re
import unicodedata
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html

MAX_HTML_CHARS = 2_000_000  # a longer body is cut before parsing: bounded work per mail
MAX_HIDDEN_CHARS = 4000  # hidden text kept for the rules to read
MAX_SAMPLES, SAMPLE_CHARS = 3, 100
MAX_LINKS = 500

# Elements whose content no reader sees (or that the reader's sanitiser drops).
NOT_SHOWN = frozenset("""
    head style script template title noscript noembed noframes iframe frame frameset object applet
    meta link base textarea select button datalist xml xmp
""".split())
# Elements that start a new line, and those that stand apart as paragraphs.
BLOCKS = frozenset("""
    article aside caption center dd details dialog div dt fieldset figcaption footer form header li
    main nav section summary tbody thead tfoot tr
""".split())
PARAGRAPHS = frozenset("address blockquote dl figure h1 h2 h3 h4 h5 h6 hr ol p pre table ul".split())
LINE, PARAGRAPH = "\x01", "\x02"  # break marks, made into newlines once all the text is in
_BREAKS = re.compile(r"[ ]*[\x01\x02\n][\x01\x02\n ]*")
CELLS = frozenset(("td", "th"))

# Quoted history, by the markers mail programs put around it.
QUOTE_XPATH = (
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_quote ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' moz-cite-prefix ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' yahoo_quoted ')"
    " or (local-name() = 'blockquote' and translate(@type, 'CITE', 'cite') = 'cite')]"
)
# Outlook's reply header: it and everything after it at its level is the quoted mail.
QUOTE_FROM_HERE_XPATH = "//*[@id = 'divRplyFwdMsg' or @id = 'appendonsend' or @id = 'OLK_SRC_BODY_SECTION']"

_WROTE = r"(wrote|schrieb|a écrit|escribió|ha scritto|schreef|skrev|napisał)\s*:\s*$"
_ON_WROTE = re.compile(r"^(On|Am|Le|El|Il|Op|Den|W dniu)\b.{0,300}" + _WROTE, re.I | re.S)
_ORIGINAL_MESSAGE = re.compile(r"^-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine)", re.I)
_HEADER_FROM = re.compile(r"^\**(From|Von|De|Da|Van)\s*:\**\s+\S", re.I)
_HEADER_SENT = re.compile(
    r"^\**(Sent|Gesendet|Envoyé|Enviado|Inviato|Verzonden|Date|Datum)\s*:\**\s+\S", re.I)

# Removed from any text: zero-width, joiners, bidi controls, invisible fillers, variation
# selectors, tag characters, soft hyphen.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f\U0001d173-\U0001d17a]"
)
_TAG_RUN = re.compile("[\U000e0020-\U000e007e]+")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_JOINERS = "\u200c\u200d"


@dataclass
class CleanText:
    text: str
    hidden_found: bool = False
    invisible_found: bool = False
    hidden_samples: list[str] = field(default_factory=list)
    truncated: bool = False
    hidden_text: str = ""  # all the hidden text (bounded), for the rules; never sent to a model


@dataclass
class ThreadMessage:
    """One message of a thread as a model may see it; ``text`` is ``visible_text(...).text``."""

    sender: str
    to: str
    cc: str
    date: str
    subject: str
    text: str


@dataclass
class Link:
    href: str
    text: str  # the link's visible text, cleaned


# -- invisible characters --------------------------------------------------------------------
def _benign(text, index):
    """Invisible characters that ordinary text needs: emoji variation selectors, the joiners
    inside emoji sequences and between letters of scripts that use them (Persian, Indic)."""
    char = text[index]
    if "\ufe00" <= char <= "\ufe0f":
        return True
    if "\U000e0020" <= char <= "\U000e007f":  # tags spell a flag only after the black flag 🏴
        start = index
        while start > 0 and "\U000e0020" <= text[start - 1] <= "\U000e007f":
            start -= 1
        return start > 0 and text[start - 1] == "\U0001f3f4"
    if char not in _JOINERS or index == 0:
        return False
    before = unicodedata.category(text[index - 1])
    after = unicodedata.category(text[index + 1]) if index + 1 < len(text) else ""
    if before in ("So", "Sk") or text[index - 1] in "\ufe0f":
        return True
    return before.startswith(("L", "M")) and after.startswith(("L", "M")) and not text[index - 1].isascii()


def strip_invisible(text):
    """``(text without invisible characters, NFKC-normalised; True if one that ordinary text
    does not need was there)``."""
    if not text:
        return "", False
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    found = any(not _benign(text, m.start()) for m in _INVISIBLE.finditer(text))
    text = _CONTROL.sub("", _INVISIBLE.sub("", text))
    return unicodedata.normalize("NFKC", text), found


def smuggled_text(text):
    """ASCII written in Unicode tag characters (invisible everywhere, read by models): the runs
    of it, decoded. A flag's own tags (🏴 + letters) are no message."""
    runs = _TAG_RUN.findall(text or "")
    return [decoded for decoded in ("".join(chr(ord(c) - 0xE0000) for c in run) for run in runs)
            if len(decoded.strip()) > 7]


def tidy(text):
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# -- CSS: what hides text ----------------------------------------------------------------------
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.S)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)", re.S)
_LENGTH = re.compile(r"(-?\d*\.?\d+)\s*(px|pt|em|rem|%|cm|mm|in|pc|ex|ch|vw|vh)?(?![a-z])")
_COLOR_NAMES = {
    "white": (255, 255, 255), "black": (0, 0, 0), "red": (255, 0, 0), "green": (0, 128, 0),
    "blue": (0, 0, 255), "yellow": (255, 255, 0), "gray": (128, 128, 128), "grey": (128, 128, 128),
    "silver": (192, 192, 192), "whitesmoke": (245, 245, 245), "snow": (255, 250, 250),
    "ivory": (255, 255, 240), "ghostwhite": (248, 248, 255), "navy": (0, 0, 128),
    "lightgray": (211, 211, 211), "lightgrey": (211, 211, 211), "gainsboro": (220, 220, 220),
}
TRANSPARENT = "transparent"
SAME_COLOUR = 24  # largest channel difference at which text counts as the colour of its background
DEFAULT_TEXT, DEFAULT_BACKGROUND = (0, 0, 0), (255, 255, 255)


def _css_text(text):
    def decode(match):
        if match.group(1):
            code = int(match.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else ""
        return match.group(2)
    return _CSS_ESCAPE.sub(decode, _CSS_COMMENT.sub("", text.replace("\x00", "")))


def declarations(style):
    """``{property: value}`` of a style attribute, lower-cased, ``!important`` dropped."""
    out = {}
    for part in _css_text(style or "").split(";"):
        name, colon, value = part.partition(":")
        if colon:
            value = re.sub(r"!\s*important\s*$", "", value.strip().lower()).strip()
            out[name.strip().lower()] = value
    return out


def _colour(value):
    """(r, g, b), TRANSPARENT, or None when unknown."""
    value = (value or "").strip().lower()
    if not value:
        return None
    if value in (TRANSPARENT, "rgba(0,0,0,0)"):
        return TRANSPARENT
    if value in _COLOR_NAMES:
        return _COLOR_NAMES[value]
    match = re.fullmatch(r"#?([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})", value)
    if match and (value.startswith("#") or len(value) in (6, 3)):
        digits = match.group(1)
        if len(digits) in (3, 4):
            digits = "".join(c * 2 for c in digits)
        if len(digits) == 8 and digits[6:] == "00":
            return TRANSPARENT
        return tuple(int(digits[i:i + 2], 16) for i in (0, 2, 4))
    match = re.fullmatch(r"rgba?\(([^)]*)\)", value.replace(" ", ""))
    if match:
        parts = re.split(r"[,/]", match.group(1))
        try:
            channels = [float(p[:-1]) * 2.55 if p.endswith("%") else float(p) for p in parts[:3]]
            alpha = float(parts[3][:-1]) / 100 if len(parts) > 3 and parts[3].endswith("%") else (
                float(parts[3]) if len(parts) > 3 else 1.0)
        except (ValueError, IndexError):
            return None
        return TRANSPARENT if alpha <= 0.05 else tuple(int(min(max(c, 0), 255)) for c in channels)
    return None


def _background(decls, element):
    """The colour an element paints behind its text: a colour, TRANSPARENT (the parent's shows
    through), or None when an image or something unknown is painted."""
    if "background-image" in decls:
        return None
    for name in ("background-color", "background"):
        value = decls.get(name, "")
        if "url(" in value or "gradient" in value:
            return None
        colours = [c for c in map(_colour, value.split()) if c is not None]
        if colours:
            return colours[0]
        if value not in ("", "none", "inherit", "initial", "unset"):
            return None  # a colour we do not know
    if element.get("bgcolor"):
        return _colour(element.get("bgcolor"))
    return TRANSPARENT


def _text_colour(decls, element, tag, inherited):
    """The element's text colour; None when it is one we do not know (never taken as hidden)."""
    value = decls.get("color") or (element.get("color") if tag == "font" else None)
    if not value or value in ("inherit", "initial", "unset", "currentcolor"):
        return inherited
    return _colour(value)


def _length_px(value):
    """A CSS length in pixels (em and rem as 16 px, % of 16 px), or None."""
    match = _LENGTH.search(value or "")
    if not match:
        return None
    number, unit = float(match.group(1)), match.group(2) or "px"
    scale = {"px": 1, "pt": 4 / 3, "em": 16, "rem": 16, "%": 0.16, "ex": 8, "ch": 8, "pc": 16,
             "cm": 37.8, "mm": 3.78, "in": 96, "vw": 10, "vh": 10}[unit]
    return number * scale


def _tiny_font(decls):
    """True/False when the element sets its font size (tiny or not), None when it inherits."""
    size = decls.get("font-size")
    if size is None and "font" in decls:
        match = re.match(r"(?:[a-z-]+\s+)*(-?\d*\.?\d+\s*(?:px|pt|em|rem|%)?)\s*(?:/|\s|$)", decls["font"])
        size = match.group(1) if match else None
    if size is None:
        return None
    pixels = _length_px(size)
    return None if pixels is None else pixels < 3


def _opacity(value):
    try:
        value = value.strip()
        return float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        return 1.0


def hides(decls):
    """True if these declarations hide the element and all it holds."""
    if decls.get("display") == "none" or decls.get("visibility") in ("hidden", "collapse"):
        return True
    if decls.get("mso-hide") == "all":
        return True
    if _opacity(decls.get("opacity", "")) <= 0.05:
        return True
    for name in ("text-indent", "margin-left", "margin-top"):
        if (_length_px(decls.get(name, "")) or 0) <= -100:
            return True
    if decls.get("position") in ("absolute", "fixed", "relative"):
        for name in ("left", "top", "right"):
            if (_length_px(decls.get(name, "")) or 0) <= -100:
                return True
    overflow = " ".join(decls.get(name, "") for name in ("overflow", "overflow-x", "overflow-y"))
    if "hidden" in overflow or "clip" in overflow:
        for name in ("max-height", "height", "max-width", "width", "line-height"):
            pixels = _length_px(decls.get(name, ""))
            if pixels is not None and pixels <= 1 and name in decls:
                return True
    if re.search(r"rect\(\s*0(px)?\s*[, ]\s*0", decls.get("clip", "")):
        return True
    return bool(re.search(r"scale\(\s*0(\.0+)?\s*[,)]", decls.get("transform", "")))


class StyleSheet:
    """The simple rules of a mail's <style> blocks: ``tag.class#id { ... }`` at the top level.
    Rules inside @media and other at-rules are left out: a newsletter hides its mobile layout
    on desktop there, which is not text hidden from the reader."""

    _SIMPLE = re.compile(r"([a-z][a-z0-9]*)?((?:[.#][\w-]+)*)\Z")

    def __init__(self, css_text):
        # rules by one key each ("tag", ".class" or "#id"), so an element checks only its own
        self.rules = {}  # key -> [(order, tag, classes, id, declarations)]
        order = 0
        for selectors, body in self._top_level_rules(_css_text(css_text)):
            decls = declarations(body)
            for selector in selectors.split(","):
                match = self._SIMPLE.match(selector.strip().lower())
                if not match or not selector.strip():
                    continue
                parts = re.findall(r"[.#][\w-]+", match.group(2))
                classes = frozenset(p[1:] for p in parts if p[0] == ".")
                ids = [p[1:] for p in parts if p[0] == "#"]
                key = ("#" + ids[0]) if ids else ("." + min(classes)) if classes else match.group(1)
                order += 1
                self.rules.setdefault(key, []).append(
                    (order, match.group(1), classes, ids[0] if ids else None, decls))

    @staticmethod
    def _top_level_rules(text):
        depth, start, selector = 0, 0, ""
        for index, char in enumerate(text):
            if char == "{":
                if depth == 0:
                    selector, start = text[start:index].strip(), index + 1
                depth += 1
            elif char == "}" and depth:
                depth -= 1
                if depth == 0:
                    if not selector.startswith("@"):
                        yield selector, text[start:index]
                    start = index + 1

    def declarations_for(self, element, tag):
        if not self.rules:
            return {}
        classes = set((element.get("class") or "").lower().split())
        element_id = (element.get("id") or "").lower()
        keys = [tag, "#" + element_id] + ["." + name for name in classes]
        candidates = sorted(rule for key in keys for rule in self.rules.get(key, ()))
        out = {}
        for _order, rule_tag, rule_classes, rule_id, decls in candidates:
            if rule_tag in (None, tag) and rule_classes <= classes and rule_id in (None, element_id):
                out.update(decls)
        return out


# -- HTML to text --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Context:
    hidden_group: int | None  # set when an ancestor hides everything inside it
    colour: object
    background: object  # a colour, or None when unknown (an image)
    tiny: bool


def parse_html(html):
    """The mail's HTML as an lxml tree (its ``<body>``'s document), or None when there is none."""
    html = (html or "")[:MAX_HTML_CHARS]
    if not html.strip():
        return None
    parser = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True)
    try:
        return lxml_html.document_fromstring(html.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, ValueError):
        return None


def after_document(html):
    """The markup after the first ``</html>``: libxml2 drops it, browsers show it."""
    end = re.search(r"</html\s*>", html or "", re.I)
    return html[end.end():] if end else ""


def _cut_quotes(root):
    for element in root.xpath(QUOTE_FROM_HERE_XPATH):
        parent = element.getparent()
        if parent is not None:
            for node in [element, *element.itersiblings()]:
                parent.remove(node)
    for element in root.xpath(QUOTE_XPATH):
        if element.getparent() is not None:
            element.drop_tree()  # keeps its tail: the text after a quote is the sender's


class _Walk:
    """One pass over the tree, sorting every piece of text into what a reader sees and the
    groups of hidden text (one group per hidden element)."""

    def __init__(self, root):
        self.sheet = StyleSheet("\n".join(s.text or "" for s in root.iter("style")))
        self.visible = []
        self.groups = []  # lists of hidden pieces

    def _new_group(self):
        self.groups.append([])
        return len(self.groups) - 1

    def emit(self, text, group):
        if text:
            (self.visible if group is None else self.groups[group]).append(text)

    @staticmethod
    def text_of(pieces):
        """The pieces as lines: HTML's white space is one space; line breaks come from <br>
        and from blocks (paragraphs get a blank line)."""
        def breaks(match):
            run = match.group()
            return "\n\n" if PARAGRAPH in run else "\n" * max(1, run.count("\n"))
        return _BREAKS.sub(breaks, "".join(pieces))

    def run(self, root, hidden=False):
        """Sort ``root``'s text (not its tail); ``hidden``: all of it is hidden from the reader."""
        group = self._new_group() if hidden else None
        start = _Context(group, DEFAULT_TEXT, DEFAULT_BACKGROUND, False)
        stack = [("element", root, start, group)]
        while stack:
            kind, item, context, group = stack.pop()
            if kind == "text":
                self.emit(item, group)
                continue
            if kind == "words":
                self.emit(re.sub(r"\s+", " ", item) if item else item, group)
                continue
            if item is not root:
                stack.append(("words", item.tail, None, group))
            if not isinstance(item.tag, str):
                continue
            tag = item.tag.lower()
            if tag in NOT_SHOWN:
                continue
            inner, inner_group = self._enter(item, tag, context, group)
            if tag == "br":
                stack.append(("text", "\n", None, inner_group))
                continue
            edge = PARAGRAPH if tag in PARAGRAPHS else LINE if tag in BLOCKS else " " if tag in CELLS else ""
            stack.append(("text", edge, None, group))  # line breaks belong to the outside
            for child in reversed(item):
                stack.append(("element", child, inner, inner_group))
            stack.append(("words", item.text, None, inner_group))
            stack.append(("text", edge, None, group))

    def _enter(self, element, tag, context, group):
        decls = self.sheet.declarations_for(element, tag)
        decls.update(declarations(element.get("style")))
        hidden_group = context.hidden_group
        if hidden_group is None and (
            element.get("hidden") is not None
            or (tag == "input" and (element.get("type") or "").lower() == "hidden")
            or hides(decls)
        ):
            hidden_group = self._new_group()
        colour = _text_colour(decls, element, tag, context.colour)
        background = _background(decls, element)
        background = context.background if background == TRANSPARENT else background
        tiny = _tiny_font(decls)
        tiny = context.tiny if tiny is None else tiny
        inner = _Context(hidden_group, colour, background, tiny)
        if hidden_group is not None:
            return inner, hidden_group
        if tiny or _same_colour(colour, background):
            return inner, group if group is not None else self._new_group()
        return inner, None


def _same_colour(colour, background):
    if colour == TRANSPARENT:
        return True
    if colour is None or background is None or background == TRANSPARENT:
        return False
    return max(abs(a - b) for a, b in zip(colour, background, strict=True)) <= SAME_COLOUR


def html_links(html):
    """The mail's links: ``href`` and the text a reader sees for it (first ``MAX_LINKS``)."""
    root = parse_html(html)
    if root is None:
        return []
    links = []
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if href:
            links.append(Link(href, tidy(strip_invisible(anchor.text_content())[0])))
            if len(links) >= MAX_LINKS:
                break
    return links


# -- quoted history in plain text --------------------------------------------------------------
def strip_plain_quotes(text):
    """The text without the quoted history under it (``>`` lines, "On ... wrote:", Outlook's
    header block, "-----Original Message-----"). A message that is all quote is kept whole."""
    lines = text.split("\n")
    kept = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        following = [item.strip() for item in lines[index + 1:index + 5]]
        two_lines = stripped + " " + (following[0] if following else "")
        if (_ORIGINAL_MESSAGE.match(stripped)
                or _ON_WROTE.match(stripped)
                or _ON_WROTE.match(two_lines)  # Gmail wraps a long "On ... wrote:" line
                or (_HEADER_FROM.match(stripped) and any(_HEADER_SENT.match(f) for f in following))):
            break
        if not stripped.startswith(">"):
            kept.append(line)
    result = "\n".join(kept)
    return result if result.strip() else text


# -- the public entry point ----------------------------------------------------------------------
def visible_text(html, plain=None, *, limit=4000, strip_quotes=True):
    """What a reader sees of a mail, as plain text of at most ``limit`` characters, with what
    was hidden from them reported apart. ``html`` wins over ``plain`` when both are given."""
    groups = []
    root = parse_html(html) if html and html.strip() else None
    if root is not None:
        if strip_quotes:
            _cut_quotes(root)
        walk = _Walk(root)
        body = root.find("body")
        walk.run(body if body is not None else root)
        # what lies outside <body>, or after </html> (which the parser drops): no reader of
        # MailDesk sees it, other mail programs may; hidden either way
        for stray in root:
            if stray is not body and isinstance(stray.tag, str) and stray.tag.lower() != "head":
                walk.run(stray, hidden=True)
        if body is not None and (body.tail or "").strip():
            walk.emit(body.tail, walk._new_group())
        after = parse_html(after_document(html))
        if after is not None:
            walk.run(after, hidden=True)
        raw, groups = walk.text_of(walk.visible), [walk.text_of(pieces) for pieces in walk.groups]
    else:
        raw = plain or ""
    smuggled = smuggled_text(raw)  # read before the tag characters go
    text, invisible_found = strip_invisible(raw)
    text = tidy(text)
    if strip_quotes:
        text = strip_plain_quotes(text).strip()
    hidden_pieces = [tidy(strip_invisible(piece)[0]) for piece in groups]
    hidden_pieces = [piece for piece in hidden_pieces + smuggled if re.search(r"\w", piece)]
    truncated = len(text) > limit
    if truncated:
        cut = text.rfind(" ", max(limit - 200, 0), limit)
        text = text[:cut if cut > 0 else limit].rstrip()
    return CleanText(
        text=text,
        hidden_found=bool(hidden_pieces),
        invisible_found=invisible_found,
        hidden_samples=[piece[:SAMPLE_CHARS] for piece in hidden_pieces[:MAX_SAMPLES]],
        truncated=truncated,
        hidden_text="\n".join(hidden_pieces)[:MAX_HIDDEN_CHARS],
    )
