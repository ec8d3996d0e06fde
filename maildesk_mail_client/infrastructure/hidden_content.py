"""What a reader of a mail never sees: the rule, shared by Basic's quoting and Pro's AI text.

Text can be hidden by CSS (``display: none``, zero opacity, clipped or zero-size boxes,
off-screen indents), by a font too small to read, or by a colour that matches its background.
A hostile mail uses it to speak to an AI model, or to make a reply carry words its writer never
saw. :func:`drop_hidden` takes such content out of an HTML tree; Pro's ``mail_text`` sorts text
with the same :func:`look_inside`.

No Odoo import: tested without Odoo (``tests/test_quote_hidden.py``, ``tests/test_ai_mail_text.py``).
"""
import re
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Look:
    """How text inside an element is painted, as far as its visibility goes."""

    colour: object  # (r, g, b), TRANSPARENT, or None when unknown
    background: object  # a colour, or None when unknown (an image)
    tiny: bool


PAGE = Look(DEFAULT_TEXT, DEFAULT_BACKGROUND, False)  # black on white, as the reader shows mail


def look_inside(sheet, element, tag, outer):
    """``(Look of the text inside element, True if element hides all it holds)``; ``outer``
    is the Look around it, ``sheet`` the mail's :class:`StyleSheet`."""
    decls = sheet.declarations_for(element, tag)
    decls.update(declarations(element.get("style")))
    hides_all = (element.get("hidden") is not None
                 or (tag == "input" and (element.get("type") or "").lower() == "hidden")
                 or hides(decls))
    background = _background(decls, element)
    tiny = _tiny_font(decls)
    return Look(_text_colour(decls, element, tag, outer.colour),
                outer.background if background == TRANSPARENT else background,
                outer.tiny if tiny is None else tiny), hides_all


def unreadable(look):
    """True if text painted this way cannot be read: too small, or the colour of its ground."""
    return look.tiny or same_colour(look.colour, look.background)


def same_colour(colour, background):
    if colour == TRANSPARENT:
        return True
    if colour is None or background is None or background == TRANSPARENT:
        return False
    return max(abs(a - b) for a, b in zip(colour, background, strict=True)) <= SAME_COLOUR


def _remove_keeping_tail(node):
    parent, tail = node.getparent(), node.tail
    previous = node.getprevious()
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(node)


def drop_hidden(container, css_text=""):
    """Remove, in place, what a reader does not see inside ``container`` (which is shown):
    hidden elements with all they hold, comments, and unreadable text. Elements with no text
    of their own (images, rules, table cells) stay where only their text is unreadable.
    ``css_text``: the mail's style sheet, its selectors as they match inside ``container``.

    Iterative, so a mail nested thousands of levels deep costs no recursion."""
    sheet = StyleSheet(css_text)
    stack = [(container, PAGE)]
    while stack:
        parent, look = stack.pop()
        blank = unreadable(look)
        if blank:
            parent.text = None
        for child in list(parent):
            if blank:
                child.tail = None
            if not isinstance(child.tag, str):  # a comment or processing instruction
                _remove_keeping_tail(child)
                continue
            tag = child.tag.lower()
            if tag == "style":  # CSS, not text; its rules are in ``css_text``
                continue
            inner, hides_all = look_inside(sheet, child, tag, look)
            if hides_all:
                _remove_keeping_tail(child)
            else:
                stack.append((child, inner))
