"""What an AI model may see of a mail: the text a reader sees, and nothing else.

Hidden text (CSS that hides it, white on white, tiny fonts, off-screen boxes...) is the classic
way to talk to a model behind the reader's back, so it is removed (what counts as hidden is
Basic's ``hidden_content``, the rule its reply quoting uses too), and what was removed is
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

try:  # inside Odoo the addons are odoo.addons.*: Basic is this addon's sibling
    from ...maildesk_mail_client.infrastructure import hidden_content
except ImportError:  # the Odoo-free tests load each addon as a top-level package
    from maildesk_mail_client.infrastructure import hidden_content

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


# -- HTML to text --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Context:
    hidden_group: int | None  # set when an ancestor hides everything inside it
    look: object  # hidden_content.Look of the text here


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
        self.sheet = hidden_content.StyleSheet("\n".join(s.text or "" for s in root.iter("style")))
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
        start = _Context(group, hidden_content.PAGE)
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
        """(context inside ``element``, the group its own text goes to: None when seen)."""
        look, hides_all = hidden_content.look_inside(self.sheet, element, tag, context.look)
        hidden_group = context.hidden_group
        if hidden_group is None and hides_all:
            hidden_group = self._new_group()
        inner = _Context(hidden_group, look)
        if hidden_group is not None:
            return inner, hidden_group
        if hidden_content.unreadable(look):
            return inner, group if group is not None else self._new_group()
        return inner, None


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
