"""What a model wrote, made safe to show: nothing in it may point the reader somewhere the mail
did not.

A model that was talked into something by a mail shows it in its output: a "call support"
number, a link, an IBAN, an image that loads an attacker's URL with data in it (EchoLeak).
So every link, address, phone number, account number and figure in the output must appear in
what the model was given; anything else becomes "[removed]" and is listed. An output holding
the request's canary proves the model followed the mail rather than us: it is dropped whole.
"""
import re
from dataclasses import dataclass, field

from .mail_text import strip_invisible, tidy
from .spotlight import MARK

REMOVED = "[removed]"

_MD_IMAGE = re.compile(r"!\[[^\]\n]{0,500}\]\s*(\([^)\n]{0,2000}\)|\[[^\]\n]{0,200}\])")
_MD_LINK = re.compile(r"\[([^\]\n]{0,500})\]\(([^)\s]{0,2000})(?:\s+\"[^\"]*\")?\)")
_MD_REFERENCE = re.compile(r"^\s*\[[^\]\n]+\]:\s*(\S+).*$", re.M)
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,2000}>|<!--.*?-->", re.S)
_MD_EMPHASIS = re.compile(r"(\*\*|__|~~|`+)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.M)
_ENVELOPE_TAG = re.compile(r"</?\s*email_[0-9a-f]*[^>\n]{0,100}>?", re.I)

_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_FINDINGS = re.compile(
    r"(?P<url>\b[a-z][a-z0-9+.-]{1,20}://[^\s<>\"'`]+|\b(?:mailto|tel|data|javascript|sms):[^\s<>\"'`]+"
    r"|\bwww\.[^\s<>\"'`]+)"
    r"|(?P<email>[\w.+-]{1,64}@" + _LABEL + r"(?:\." + _LABEL + r")+)"
    r"|(?P<domain>\b(?:" + _LABEL + r"\.)+(?:[^\W\d_]{2,24}|xn--[a-z0-9-]{2,59})\b(?:/[^\s<>\"'`]*)?)"
    r"|(?P<ip>\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?:/[^\s<>\"'`]*)?)"
    r"|(?P<iban>\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b)"
    r"|(?P<phone>(?<![\w.,+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,5}(?:[ .\-/]\d{1,8}){1,6}(?!\w))"
    r"|(?P<number>\d+(?:[.,]\d+)*)",
    re.I,
)
_DEFANGED_DOT = re.compile(r"\[\.\]|\(\.\)|\{\.\}")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_TRAILING = ".,;:!?)]}'\""
_DATE = re.compile(r"\d{1,4}([./])\d{1,2}\1\d{2,4}")
MIN_PHONE_DIGITS = 7
ADDRESS_KINDS = ("url", "email", "domain", "ip")  # findings looked up as written
# What a removed finding was, as the reader is told: never the finding itself.
_KIND_OF_FINDING = {"url": "link", "domain": "link", "ip": "link", "email": "email",
                    "iban": "account", "phone": "phone", "number": "figure"}
REMOVED_KINDS = frozenset(_KIND_OF_FINDING.values())


@dataclass
class GuardedText:
    text: str
    removed: list[str] = field(default_factory=list)
    canary_leaked: bool = False


class _Sources:
    """The texts the model was given, in the forms each kind of finding is looked up in."""

    def __init__(self, sources):
        joined = strip_invisible("\n".join(s for s in sources if s))[0].replace(MARK, " ")
        self.lower = joined.lower()
        self.compact = re.sub(r"\s+", "", joined).upper()
        self.numbers = set()
        for match in _NUMBER.finditer(joined):
            self.numbers.add(_digits_of(match.group()))
            self.numbers.update(_digits_of(part) for part in re.split(r"[.,]", match.group()))
        self.phone_digits = [re.sub(r"\D", "", m.group("phone")) for m in _FINDINGS.finditer(joined)
                             if m.group("phone")]

    def has_text(self, value):
        """``value`` stands in the sources, not as part of a longer word or name."""
        pattern = r"(?<![\w.-])" + re.escape(value.lower()) + r"(?![\w@-])"
        return re.search(pattern, self.lower) is not None

    def has_number(self, value):
        """The number as written, or each of its parts (a date written another way: 1.5.2024)."""
        if _digits_of(value) in self.numbers:
            return True
        parts = re.split(r"[.,]", value)
        return len(parts) > 2 and all(_digits_of(part) in self.numbers for part in parts)

    def has_phone(self, digits):
        """The digits stand in a phone number of the sources (a national 0 prefix aside)."""
        digits = digits.lstrip("0")
        return any(digits in known for known in self.phone_digits if len(known) >= MIN_PHONE_DIGITS)


def _digits_of(number):
    return re.sub(r"[.,]", "", number).lstrip("0") or "0"


def _strip_markup(text, removed):
    def dropped(match):
        if re.search(r"://|@|www\.|\bsrc\b|\bhref\b", match.group(0), re.I):
            removed.append(match.group(0))
        return ""
    text = _MD_IMAGE.sub(dropped, text)
    text = _MD_LINK.sub(lambda m: f"{m.group(1)} {m.group(2)}", text)
    text = _MD_REFERENCE.sub(lambda m: m.group(1), text)
    text = _HTML_TAG.sub(dropped, text)
    text = _ENVELOPE_TAG.sub("", text)
    text = _MD_HEADING.sub("", text)
    text = _DEFANGED_DOT.sub(".", text)  # "evil[.]com" reads as the domain it names
    return _MD_EMPHASIS.sub("", text)


def _list_marker(match):
    """A number that only numbers a list item ("1. ", "2) " at the start of a line)."""
    line_start = match.string.rfind("\n", 0, match.start()) + 1
    return (match.lastgroup == "number" and not match.string[line_start:match.start()].strip()
            and re.match(r"[.)]\s", match.string[match.end():match.end() + 2]) is not None)


def _judge(match, sources):
    """The finding as it may stay, or None when it must go."""
    kind, value = match.lastgroup, match.group()
    core = value.rstrip(_TRAILING)
    if kind in ADDRESS_KINDS:
        return value if sources.has_text(core) else None
    if kind == "iban":
        return value if re.sub(r"\s", "", core).upper() in sources.compact else None
    if kind == "phone":
        digits = re.sub(r"\D", "", core)
        if len(digits) >= MIN_PHONE_DIGITS:
            if _DATE.fullmatch(core) and sources.has_number(core.replace("/", ".")):
                return value  # a date the sources hold, written another way
            return value if sources.has_phone(digits) else None
        # too few digits for a phone number: a date or a range, judged number by number
        return _NUMBER.sub(lambda m: m.group() if sources.has_number(m.group()) else REMOVED, value)
    return value if _list_marker(match) or sources.has_number(value) else None


def canary_in(text, canary):
    """The canary is in ``text``, however the model spaced, cased or punctuated it."""
    folded = re.sub(r"[^0-9a-z]", "", strip_invisible(text or "")[0].lower())
    return bool(canary) and re.sub(r"[^0-9a-z]", "", canary.lower()) in folded


def guard_output(text, sources, canary):
    """``text`` with markup gone and every finding that is not in ``sources`` replaced."""
    text, _ = strip_invisible(text or "")
    if canary_in(text, canary):
        return GuardedText("", [], True)
    removed = []
    text = _strip_markup(text.replace(MARK, " "), removed)
    known = _Sources(sources)

    def replace(match):
        kept = _judge(match, known)
        value = match.group()
        # punctuation after a link ends the sentence, not the link
        tail = value[len(value.rstrip(_TRAILING)):] if match.lastgroup in ADDRESS_KINDS else ""
        if kept is None or REMOVED in kept:
            removed.append(value[:len(value) - len(tail)])
        return REMOVED + tail if kept is None else kept

    text = _FINDINGS.sub(replace, text)
    return GuardedText(tidy(text), removed)


def removed_kinds(values):
    """The kinds (link, email, phone, account, figure) of what the guard took out, each once:
    a hostile mail's link or number must not reach the reader through the list of what was
    removed. Kinds given again stay as they are."""
    kinds = []
    for value in values or []:
        value = str(value)
        match = None if value in REMOVED_KINDS else _FINDINGS.fullmatch(value)
        # markup the guard dropped held a link or an image (see _strip_markup)
        kind = value if value in REMOVED_KINDS else _KIND_OF_FINDING.get(match and match.lastgroup, "link")
        if kind not in kinds:
            kinds.append(kind)
    return kinds
