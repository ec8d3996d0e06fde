"""The inbox's search box, read into a query: ``from: to: subject: has:attachment is:unread
is:read is:starred before:YYYY-MM-DD after:YYYY-MM-DD tag:name``, "quoted phrases" and words.

Pure Python (no Odoo): the text comes from the browser, so nothing in it may raise. An unknown
operator, a date that is no date or a stray quote is searched for as typed; the input and the
number of terms are capped so a pasted novel costs no more than a sentence.
"""
import re
from dataclasses import dataclass, field
from datetime import date

MAX_INPUT = 500  # characters of the search box that are read
MAX_TERMS = 12  # terms (words, phrases, operators) kept; the rest is ignored
MAX_TERM = 100  # characters of one term

# operator:value, operator:"quoted value", "a phrase", or a word. A quote left open runs to
# the end of the text.
_TOKEN = re.compile(r'(?P<op>[A-Za-z]+):(?:"(?P<qvalue>[^"]*)"?|(?P<value>[^\s"]+))'
                    r'|"(?P<phrase>[^"]*)"?'
                    r'|(?P<word>[^\s"]+)')
_TEXT_OPERATORS = {"from": "from_", "to": "to", "subject": "subject", "tag": "tags"}
_FLAGS = {("has", "attachment"): ("has_attachment", True),
          ("has", "attachments"): ("has_attachment", True),
          ("is", "unread"): ("unread", True), ("is", "read"): ("unread", False),
          ("is", "starred"): ("starred", True), ("is", "unstarred"): ("starred", False)}
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})$")


@dataclass
class SearchQuery:
    words: list = field(default_factory=list)  # words and phrases, lower case, all must match
    from_: list = field(default_factory=list)
    to: list = field(default_factory=list)
    subject: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    has_attachment: bool | None = None
    unread: bool | None = None  # True: unread only, False: read only
    starred: bool | None = None
    before: date | None = None  # mail of earlier days
    after: date | None = None  # mail of this day and later

    def is_empty(self):
        return self == SearchQuery()


def _day(text):
    match = _DATE.match(text)
    if not match:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def _clean(text):
    # control characters never belong in a search; whitespace is folded
    # lone surrogates (possible in JSON) cannot be encoded for the database: dropped too
    return " ".join(re.sub(r"[\x00-\x1f\x7f\ud800-\udfff]", " ", text).split())[:MAX_TERM]


def parse(text):
    """A ``SearchQuery`` from the raw text of the search box; never raises.

    ``before:D`` finds mail of the days before D, ``after:D`` mail of D and later, so
    ``after:D before:E`` is the days D to E-1 (days in UTC, as the index stores dates).
    """
    query = SearchQuery()
    if not isinstance(text, str):
        return query
    terms = 0
    for match in _TOKEN.finditer(text[:MAX_INPUT]):
        if terms >= MAX_TERMS:
            break
        terms += 1
        op = (match.group("op") or "").lower()
        value = match.group("qvalue") if match.group("qvalue") is not None else match.group("value")
        if op:
            if not _clean(value or ""):
                continue  # from:"" asks for nothing
            if _apply_operator(query, op, value or ""):
                continue
            # unknown operator or a value it cannot take: searched for as typed
            raw = _clean(match.group(0).replace('"', ""))
            if raw:
                query.words.append(raw.lower())
            continue
        phrase = match.group("phrase")
        word = _clean(phrase if phrase is not None else match.group("word") or "")
        if word:
            query.words.append(word.lower())
    return query


def _apply_operator(query, op, value):
    value = _clean(value)
    if not value:
        return False
    if op in _TEXT_OPERATORS:
        getattr(query, _TEXT_OPERATORS[op]).append(value if op == "tag" else value.lower())
        return True
    flag = _FLAGS.get((op, value.lower()))
    if flag:
        setattr(query, *flag)
        return True
    if op in ("before", "after"):
        day = _day(value)
        if day:
            setattr(query, op, day)
            return True
    return False
