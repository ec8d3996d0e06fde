"""Reading and writing RFC 5322 messages with the standard library, never raising on bad input.

Hostile and broken mail is normal: unknown charsets, 8-bit headers, duplicated or missing
headers, absurd nesting. Every reader here returns what it could read and lists the rest in
``problems`` instead of raising, so one bad message never stops a sync.
"""
import binascii
import codecs
import email
import email.header
import email.message
import email.parser
import email.policy
import email.utils
import hashlib
import html as html_lib
import mimetypes
import quopri
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

from .addresses import is_plain_address
from .providers.base import ProviderError

PREVIEW_LENGTH = 200
MAX_HEADER_LENGTH = 8192  # longer header values are cut: nobody reads past this
MAX_ADDRESSES = 500  # per header
MAX_PARTS = 500  # MIME parts walked per message
MAX_DEPTH = 30  # nesting of multiparts
INDEXED_HEADERS = ("From", "Sender", "To", "Cc", "Bcc", "Reply-To", "Subject", "Date", "Message-ID",
                   "In-Reply-To", "References", "Content-Type")

_MSGID = re.compile(r"<[^<>\s]+>")
_WS = re.compile(r"\s+")
_QUOTE_HEADER = re.compile(
    r"^(On .{4,200} wrote:|Am .{4,200} schrieb .{0,80}:|Le .{4,200} a écrit ?:|"
    r"-{2,} ?Original Message ?-{2,}|-{2,} ?Ursprüngliche Nachricht ?-{2,}|From: .+)$",
    re.I | re.M)


@dataclass
class Headers:
    subject: str = ""
    from_addr: str = ""
    sender_display_name: str = ""
    to_addrs: str = ""
    cc_addrs: str = ""
    bcc_addrs: str = ""
    reply_to: str = ""
    date: datetime | None = None
    message_id: str = ""
    in_reply_to: str = ""
    references: list = field(default_factory=list)
    content_type: str = ""
    problems: list = field(default_factory=list)

    @property
    def thread_key(self):
        """The id of the thread's first message: first References id, else In-Reply-To, else own."""
        for candidate in (self.references[:1], [self.in_reply_to], [self.message_id]):
            if candidate and candidate[0]:
                return normalize_message_id(candidate[0])
        return ""

    @property
    def looks_like_it_has_attachments(self):
        return self.content_type.lower().startswith(("multipart/mixed", "multipart/report",
                                                     "application/"))


@dataclass
class Attachment:
    part_id: str
    filename: str
    content_type: str
    size: int
    content_id: str = ""
    inline: bool = False


@dataclass
class ParsedMessage:
    headers: Headers
    text: str = ""
    html: str = ""
    attachments: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    @property
    def preview(self):
        return make_preview(self.text or html_to_text(self.html))


# -- header decoding -------------------------------------------------------------------------
def _unsurrogate(value):
    """Headers with raw 8-bit bytes arrive with surrogate escapes: decode them sensibly."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        pass
    raw = value.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def decode_header_value(value):
    """An RFC 2047 encoded header as text; unknown charsets and junk never raise."""
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        value = str(value)
    value = str(value)[:MAX_HEADER_LENGTH]
    if not value.isascii():
        value = _unsurrogate(value)
    if "=?" not in value:
        return " ".join(value.split())
    try:
        chunks = email.header.decode_header(value)
    except Exception:  # noqa: BLE001 (any defect: keep the raw text)
        return _WS.sub(" ", value).strip()
    try:
        text = str(email.header.make_header(chunks))
    except (LookupError, UnicodeDecodeError, ValueError):
        out = []
        for chunk, charset in chunks:
            if isinstance(chunk, str):
                out.append(chunk)
                continue
            for candidate in (charset, "utf-8", "cp1252", "latin-1"):
                try:
                    out.append(chunk.decode(candidate or "utf-8"))
                    break
                except (LookupError, UnicodeDecodeError):
                    continue
        text = "".join(out)
    return _WS.sub(" ", text).strip()


_SIMPLE_ADDRESS = re.compile(r"\s*(?:([^<>,@]*?)\s*<([^<>\s,]+@[^<>\s,]+)>|([^<>\s,]+@[^<>\s,]+))\s*")
_COMPLEX = re.compile(r'["()\\;:]')


def _simple_addresses(decoded):
    """The common case (``Name <a@b>, c@d``) without the stdlib's slow general parser."""
    found = []
    for part in decoded.split(","):
        if not part.strip():
            continue
        match = _SIMPLE_ADDRESS.fullmatch(part)
        if not match:
            return None
        found.append((match.group(1) or "", match.group(2) or match.group(3)))
    return found


def _addresses(values):
    """[(display name, address)] from one or more address headers, lenient."""
    pairs = []
    for value in values:
        if not value:
            continue
        decoded = decode_header_value(value)
        found = None if _COMPLEX.search(decoded) else _simple_addresses(decoded)
        if found is None:
            try:
                found = email.utils.getaddresses([decoded])
            except Exception:  # noqa: BLE001
                found = []
        for name, address in found:
            address = address.strip().strip("<>").strip()
            if address or name:
                pairs.append((name.strip(), address))
            if len(pairs) >= MAX_ADDRESSES:
                return pairs
    return pairs


_NAME_SPECIALS = re.compile(r'[][\\()<>@,:;".]')


def format_address(name, address):
    """'Name <address>' for people to read: quoted where the name needs it, non-ASCII names
    kept as they are (email.utils.formataddr would RFC 2047-encode them)."""
    if not name:
        return address
    if _NAME_SPECIALS.search(name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address}>"


def format_addresses(pairs):
    return ", ".join(format_address(n, a) for n, a in pairs if a)


def normalize_message_id(value):
    """'<Abc@Host>' -> 'abc@host': the form used to match threads."""
    if not value:
        return ""
    match = _MSGID.search(value)
    token = match.group(0) if match else value.strip().split()[0] if value.strip() else ""
    return token.strip("<>").lower()


def _message_ids(value):
    value = decode_header_value(value)
    found = _MSGID.findall(value)
    if not found and value.strip():
        found = [f"<{token.strip('<>')}>" for token in value.split() if "@" in token]
    return found


_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_RFC5322_DATE = re.compile(
    r"(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s+([+-])(\d{2})(\d{2})\s*(?:\(.*\))?$")


def _fast_date(value):
    match = _RFC5322_DATE.match(value.strip())
    if not match:
        return None
    day, month, year, hour, minute, second, sign, tz_h, tz_m = match.groups()
    month = _MONTHS.get(month.lower())
    if not month:
        return None
    offset = timedelta(hours=int(tz_h), minutes=int(tz_m))
    try:
        return datetime(int(year), month, int(day), int(hour), int(minute), int(second or 0),
                        tzinfo=timezone(-offset if sign == "-" else offset)).astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None


def parse_date(value, problems=None):
    if not value:
        return None
    fast = _fast_date(value) if "=?" not in value else None
    if fast:
        return fast
    try:
        parsed = email.utils.parsedate_to_datetime(decode_header_value(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        if problems is not None:
            problems.append("unreadable Date header")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None


def _decode_raw(value):
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("cp1252", "replace")


_FOLD = re.compile(rb"\r?\n[ \t]+")
_FIELD = re.compile(rb"^([!-9;-~]+)[ \t]*:[ \t]*(.*?)[ \t]*\r?$", re.M)
_FIELD_TEXT = re.compile(r"^([!-9;-~]+)[ \t]*:[ \t]*(.*?)[ \t]*\r?$", re.M)


def split_header_block(raw):
    """{lower-case name: [values]} of the header block at the start of ``raw`` (bytes).

    Folded lines are unfolded; 8-bit bytes are read as UTF-8, else Windows-1252.
    """
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    block = _FOLD.sub(b" ", raw if end < 0 else raw[:end])
    fields = {}
    if block.isascii():  # the usual case: one decode for the whole block
        for name, value in _FIELD_TEXT.findall(block.decode("ascii")):
            name = name.lower()
            if name in fields:
                fields[name].append(value)
            else:
                fields[name] = [value]
        return fields
    for name, value in _FIELD.findall(block):
        fields.setdefault(name.decode("ascii").lower(), []).append(_decode_raw(value))
    return fields


def _raw_all(msg, name):
    """A Message's header values as received (8-bit bytes kept as surrogate escapes)."""
    name = name.lower()
    return [value for key, value in msg.raw_items() if key.lower() == name]


def _fields_of(msg):
    """{lower-case name: [values]} of an email.message.Message's own headers."""
    fields = {}
    for key, value in msg.raw_items():
        fields.setdefault(key.lower(), []).append(value)
    return fields


_ONCE = (("subject", "Subject"), ("from", "From"), ("date", "Date"), ("message-id", "Message-ID"))


def headers_from_message(msg):
    """Headers from an email.message.Message or a ``split_header_block`` dict."""
    fields = msg if isinstance(msg, dict) else _fields_of(msg)
    get = fields.get
    problems = []
    for key, label in _ONCE:
        values = get(key)
        if values and len(values) > 1:
            problems.append(f"{len(values)} {label} headers; the first is used")

    def first(key):
        values = get(key)
        return values[0] if values else ""

    senders = _addresses([first("from") or first("sender")])
    name, address = senders[0] if senders else ("", "")
    if not address:
        problems.append("no sender address")
    message_ids = _message_ids(first("message-id"))
    in_reply_to = _message_ids(first("in-reply-to"))
    references = get("references")
    references = _message_ids(" ".join(map(str, references))) if references else []
    content_type = first("content-type")
    content_type = decode_header_value(content_type).split(";")[0] if content_type else "text/plain"
    return Headers(
        subject=decode_header_value(first("subject")),
        from_addr=address.lower(),
        sender_display_name=name or address,
        to_addrs=format_addresses(_addresses(get("to", ()))),
        cc_addrs=format_addresses(_addresses(get("cc", ()))),
        bcc_addrs=format_addresses(_addresses(get("bcc", ()))),
        reply_to=format_addresses(_addresses(get("reply-to", ())[:1])),
        date=parse_date(first("date"), problems),
        message_id=message_ids[0] if message_ids else "",
        in_reply_to=in_reply_to[0] if in_reply_to else "",
        references=references[:100],
        content_type=content_type.strip().lower(),
        problems=problems,
    )


def parse_headers(raw):
    """Headers from the header block (or whole message) bytes."""
    try:
        return headers_from_message(split_header_block(raw or b""))
    except Exception as exc:  # noqa: BLE001 (last line of defence: a sync never stops here)
        return Headers(problems=[f"unreadable header block: {exc.__class__.__name__}"])


MAX_RECIPIENT = 320  # characters of one envelope address (RFC 5321's limits, rounded up)


def with_bcc(raw, recipients):
    """``raw`` with a Bcc header naming the envelope ``recipients`` that are in neither To, Cc
    nor Bcc already. MailDesk's MIME has no Bcc; Gmail and Exchange take the recipients from
    the headers and strip Bcc themselves. A recipient that is no plain address (a line break,
    a comma or anything else that could change the header) raises ``ProviderError``: nothing
    may be sent to a list other than the one the sender saw."""
    headers = parse_headers(raw)
    listed = [headers.to_addrs, headers.cc_addrs, headers.bcc_addrs]
    visible = {address.casefold() for _name, address in email.utils.getaddresses(listed) if address}
    hidden = []
    for recipient in recipients or ():
        address = str(recipient).strip()
        if len(address) > MAX_RECIPIENT or not address.isprintable() or not is_plain_address(address):
            raise ProviderError(f"Not an e-mail address: {address[:200]!r}; nothing was sent.")
        if address.casefold() not in visible:
            visible.add(address.casefold())
            hidden.append(address)
    if not hidden:
        return raw
    return b"Bcc: " + ", ".join(hidden).encode("utf-8") + b"\r\n" + raw


# -- bodies ----------------------------------------------------------------------------------------
_DROPPED_ELEMENTS = ("script", "style", "head", "title")
_LINE_BREAKING = frozenset(("br", "/p", "/div", "/tr", "/li", "/h1", "/h2", "/h3", "/h4", "/h5",
                            "/h6"))
_TAG_NAME = re.compile(r"\s*(/?)\s*([a-zA-Z0-9]{1,20})")


def html_to_text(html):
    """The text of an HTML part, in one pass (a hostile part must not cost more than its size:
    regular expressions over ``<script<script...`` went quadratic)."""
    if not html:
        return ""
    out, i, n = [], 0, len(html)
    lower = html.lower()
    while i < n:
        start = html.find("<", i)
        if start < 0:
            out.append(html[i:])
            break
        out.append(html[i:start])
        end = html.find(">", start)
        if end < 0:  # an unterminated tag is text
            out.append(html[start:])
            break
        match = _TAG_NAME.match(html, start + 1, end)
        closing, name = (match.group(1), match.group(2).lower()) if match else ("", "")
        i = end + 1
        if not closing and name in _DROPPED_ELEMENTS:
            close = lower.find(f"</{name}", i)
            if close < 0:
                break  # never closed: the rest is that element's content
            after = html.find(">", close)
            i = n if after < 0 else after + 1
            out.append(" ")
        else:
            out.append("\n" if closing + name in _LINE_BREAKING else " ")
    return html_lib.unescape("".join(out))


def make_preview(text, limit=PREVIEW_LENGTH):
    """The first words a person wrote: quoted replies, signatures and blank space left out."""
    if not text:
        return ""
    text = text[:20000]
    match = _QUOTE_HEADER.search(text)
    if match and match.start() > 0:
        text = text[:match.start()]
    kept = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(">"):
            continue
        if stripped == "--":
            break
        if stripped:
            kept.append(stripped)
    preview = _WS.sub(" ", " ".join(kept)).strip()
    if len(preview) > limit:
        preview = preview[:limit].rsplit(" ", 1)[0] + "…"
    return preview


# -- structure -------------------------------------------------------------------------------------
# The structure is read here, not by the stdlib parser: its parser recurses once per nesting
# level (a few hundred levels raise RecursionError, losing the whole message) and regenerates
# parts instead of keeping their bytes. Here every part is a byte range of the raw message, the
# walk is bounded, and only header blocks go through the stdlib (flat, never recursive).
_HEADER_LINE = re.compile(rb"[!-9;-~]+[ \t]*:|[ \t]")
_LINE = re.compile(rb"[^\n]*\n?")
_BASE64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")
_BASE64_FOREIGN = re.compile(rb"[^A-Za-z0-9+/\s]")
MESSAGE_TYPES = ("message/rfc822", "message/global", "message/news")
REPORT_TYPES = {  # machine-readable parts of delivery and read reports: offered as files
    "message/delivery-status": "delivery-status.txt",
    "message/global-delivery-status": "delivery-status.txt",
    "message/disposition-notification": "disposition-notification.txt",
    "message/global-disposition-notification": "disposition-notification.txt",
    "message/feedback-report": "feedback-report.txt",
    "text/rfc822-headers": "original-headers.txt",
    "message/global-headers": "original-headers.txt",
}
MAX_TEXT_BYTES = 2_000_000  # of one text part shown as the body; the rest is cut
MAX_HEADER_BLOCK = 256 * 1024  # bytes of one part's header block; what follows is its body
MAX_BOUNDARY = 200  # characters (RFC 2046 allows 70)
MAX_FILENAME_BYTES = 180  # UTF-8 bytes of a name offered for download


@dataclass
class _Part:
    """One MIME part: its header block parsed, its body a byte range of the raw message."""
    path: str
    headers: email.message.Message
    start: int  # the part, headers included
    body_start: int
    end: int
    unreadable: bool = False  # a multipart whose parts cannot be found: shown as text

    @property
    def content_type(self):
        if self.unreadable:
            return "text/plain"
        return (self.headers.get_content_type() or "text/plain").lower()

    def header(self, name):
        return _part_header(self.headers, name)


def _header_end(raw, start, end):
    """(end of the header block, start of the body) of the part in ``raw[start:end]``."""
    pos = start
    end_of_headers = min(end, start + MAX_HEADER_BLOCK)
    while pos < end_of_headers:
        line = _LINE.match(raw, pos, end).group(0)
        if not line:
            break
        if line in (b"\r\n", b"\n"):
            return pos, pos + len(line)
        if not _HEADER_LINE.match(line):
            return pos, pos  # a line that is no header starts the body (as the stdlib reads it)
        pos += len(line)
    return (end, end) if pos >= end else (pos, pos)


def _read_part(raw, start, end, path):
    if path == "" and raw.startswith(b"From ", start):  # an mbox "From " line is no header
        newline = raw.find(b"\n", start, end)
        start = end if newline < 0 else newline + 1
    header_end, body_start = _header_end(raw, start, end)
    try:
        headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(
            raw[start:header_end])
    except Exception:  # noqa: BLE001 (a header block the stdlib cannot read: no headers)
        headers = email.message.Message()
    return _Part(path, headers, start, body_start, end)


def _children(raw, part, problems):
    """The byte ranges of a multipart's children, or None when its structure cannot be read."""
    boundary = part.headers.get_param("boundary")
    if isinstance(boundary, tuple):
        boundary = email.utils.collapse_rfc2231_value(boundary)
    if not boundary:
        problems.append("a multipart section has no boundary: its contents are shown as text")
        return None
    if len(str(boundary)) > MAX_BOUNDARY:
        problems.append("a multipart section has an absurdly long boundary: its contents are "
                        "shown as text")
        return None
    boundary = _unsurrogate(str(boundary)).encode("utf-8", "surrogateescape")
    delimiter = re.compile(rb"^--" + re.escape(boundary) + rb"(--)?[ \t]*(?:\r?\n|$)", re.M)
    ranges, start, closed = [], None, False
    for match in delimiter.finditer(raw, part.body_start, part.end):
        if start is not None:
            ranges.append((start, _before_newline(raw, start, match.start())))
        if match.group(1):
            closed = True
            break
        if len(ranges) > MAX_PARTS:  # the walk shows no more than this anyway
            return ranges
        start = match.end()
    if start is None:
        problems.append("a multipart section has none of its parts (its boundary was not found): "
                        "its contents are shown as text")
        return None
    if not closed:
        ranges.append((start, part.end))
        problems.append("the message ends before its last part is complete: it may be cut off")
    return ranges


def _before_newline(raw, start, pos):
    """The CRLF before a boundary belongs to the boundary (RFC 2046 5.1.1)."""
    if pos > start and raw[pos - 1:pos] == b"\n":
        pos -= 1
        if pos > start and raw[pos - 1:pos] == b"\r":
            pos -= 1
    return pos


def _decode_transfer(data, encoding, problems, what):
    """The bytes of a body after its Content-Transfer-Encoding; damage is reported, not raised."""
    encoding = (encoding or "").strip().lower()
    if encoding == "base64":
        clean = _BASE64_JUNK.sub(b"", data)
        if _BASE64_FOREIGN.search(data.split(b"=", 1)[0]):
            problems.append(f"{what} is damaged (its base64 text holds other characters)")
        elif len(clean) % 4 and b"=" not in data[-8:]:
            problems.append(f"{what} is incomplete (its base64 text is cut off)")
        if len(clean) % 4 == 1:
            clean = clean[:-1]
        try:
            return binascii.a2b_base64(clean + b"=" * (-len(clean) % 4))
        except binascii.Error:
            problems.append(f"{what} is damaged (unreadable base64 text)")
            return b""
    if encoding == "quoted-printable":
        return quopri.decodestring(data)
    return data


def _body_bytes(raw, part, problems, what):
    data = raw[part.body_start:part.end]
    return _decode_transfer(data, part.header("Content-Transfer-Encoding"), problems, what)


def _text_of(data, charset, problems):
    charset = (charset or "utf-8").strip().lower()
    try:
        codecs.lookup(charset)
    except LookupError:
        problems.append(f"some text is in an unknown character set ({charset[:40]}); it is shown "
                        "as well as it could be read")
        charset = "utf-8"
    for candidate in (charset, "utf-8", "cp1252"):
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", "replace")


_RAW_FILENAME = re.compile(r'(?:file)?name\*?=\s*(?:"([^"]*)"|([^;\s]+))', re.I)


def _part_header(part, name):
    """A part's header as text, 8-bit bytes decoded (the stdlib would hand back a Header)."""
    values = _raw_all(part, name)
    return _unsurrogate(str(values[0])) if values else ""


def _filename(part):
    try:
        name = part.get_filename()
        if name:
            name = _unsurrogate(name)
        if name and "\ufffd" in name:
            name = None  # the stdlib lost 8-bit bytes: the raw header still has them
    except Exception:  # noqa: BLE001 (8-bit or broken parameters: read the raw header)
        name = None
    if not name:
        for header in ("Content-Disposition", "Content-Type"):
            match = _RAW_FILENAME.search(_part_header(part, header))
            if match:
                name = match.group(1) or match.group(2)
                break
    if not name:
        try:
            name = part.get_param("name") or None
        except Exception:  # noqa: BLE001
            name = None
        if isinstance(name, tuple):  # RFC 2231 triple
            name = email.utils.collapse_rfc2231_value(name)
    return decode_header_value(name) if name else ""


# what Windows refuses, and what a Content-Disposition header or a shell treats specially
_UNSAFE_NAME_CHARS = re.compile(r'[<>:"|?*;,=\']')
_WINDOWS_DEVICES = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\.|$)", re.I)


def safe_filename(name, fallback="attachment"):
    """A plain file name to offer for download: the last path component only, no control,
    formatting or bidi characters, no leading dots, no characters Windows or a header refuses,
    bounded. The one rule for file names: the attachment route uses it too."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C"
                   and unicodedata.category(c) not in ("Zl", "Zp"))
    name = _UNSAFE_NAME_CHARS.sub("_", name)
    name = _WS.sub(" ", name).strip().lstrip(".").strip().rstrip(". ")
    if not name:
        name = fallback
    if _WINDOWS_DEVICES.match(name):
        name = "_" + name
    if len(name.encode("utf-8")) > MAX_FILENAME_BYTES:
        stem, dot, extension = name.rpartition(".")
        extension = dot + extension if dot and stem and len(extension) <= 16 else ""
        stem = name[:len(name) - len(extension)]
        budget = MAX_FILENAME_BYTES - len(extension.encode("utf-8"))
        stem = stem.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(". ")
        name = (stem or fallback) + extension
    return name


def _default_name(ctype, index, payload=b""):
    """The name of a file whose part has none: an attached message after its subject."""
    if ctype in MESSAGE_TYPES:
        subject = parse_headers(payload).subject
        return safe_filename(subject[:120] + ".eml" if subject else "", f"message-{index + 1}.eml")
    if ctype in REPORT_TYPES:
        return REPORT_TYPES[ctype]
    extension = mimetypes.guess_extension(ctype, strict=False) or ""
    return f"attachment-{index + 1}{extension}"


def _walk(raw, problems):
    """Yield the leaf parts of a message (``_Part``), multiparts opened, bounded in depth and
    count. Attached messages are leaves: their own parts belong to them, not to this message."""
    count = 0
    stack = [(_read_part(raw, 0, len(raw), ""), 0)]
    while stack:
        part, depth = stack.pop()
        count += 1
        if count > MAX_PARTS:
            problems.append(f"more than {MAX_PARTS} parts; the rest is not shown")
            return
        if part.headers.get_content_maintype() == "multipart":
            if depth >= MAX_DEPTH:
                problems.append("parts nested too deep; the rest is not shown")
                continue
            ranges = _children(raw, part, problems)
            if ranges is not None:
                children = [_read_part(raw, start, end, f"{part.path}.{number}" if part.path
                                       else str(number))
                            for number, (start, end) in enumerate(ranges[:MAX_PARTS], start=1)]
                if part.content_type == "multipart/digest":
                    for child in children:  # RFC 2046 5.1.5: a digest's parts are messages
                        if "content-type" not in child.headers:
                            child.headers["Content-Type"] = "message/rfc822"
                stack.extend((child, depth + 1) for child in reversed(children))
                continue
            part.unreadable = True
        yield part


def parse_message(raw):
    """Headers, the text and HTML bodies, and the attachment list of one message.

    Attached messages and delivery reports are files of their own (``.eml`` named after their
    subject): their text never joins this message's body. A file is listed once, under a
    plain file name. What could not be read is said in ``problems``.
    """
    raw = raw or b""
    parsed = ParsedMessage(headers=parse_headers(raw))
    problems = parsed.problems
    problems.extend(parsed.headers.problems)
    try:
        _read_body(raw, parsed, problems)
    except Exception as exc:  # noqa: BLE001 (last line of defence: a reader never fails here)
        problems.append(f"part of this message could not be read ({exc.__class__.__name__})")
    parsed.problems = list(dict.fromkeys(problems))  # each problem said once
    return parsed


def _read_body(raw, parsed, problems):
    texts, htmls = [], []
    seen_ids, seen_files = set(), set()
    for part in _walk(raw, problems):
        ctype = part.content_type
        disposition = part.header("Content-Disposition").split(";")[0].strip().lower()
        filename = _filename(part.headers)
        content_id = part.header("Content-ID").strip().strip("<>").strip()
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            data = _body_bytes(raw, part, problems, "the text of this message")
            if len(data) > MAX_TEXT_BYTES:
                problems.append("the text is very long; only its beginning is shown")
                data = data[:MAX_TEXT_BYTES]
            text = _text_of(data, part.headers.get_content_charset(), problems)
            (htmls if ctype == "text/html" else texts).append(text.replace("\r\n", "\n"))
            continue
        is_message = ctype in MESSAGE_TYPES or ctype in REPORT_TYPES
        label = f"the attachment {filename!r}" if filename else "an attachment"
        payload = _body_bytes(raw, part, problems, label)
        key_id = content_id.lower()
        digest = hashlib.sha256(payload).digest()
        if (key_id and key_id in seen_ids) or (filename, digest) in seen_files:
            continue  # the same file once more (same Content-ID, or same name and content)
        if key_id:
            seen_ids.add(key_id)
        seen_files.add((filename, digest))
        index = len(parsed.attachments)
        name = safe_filename(filename, _default_name(ctype, index, payload)) if filename \
            else _default_name(ctype, index, payload)
        parsed.attachments.append(Attachment(
            part_id=part.path or "1", filename=name, content_type=ctype, size=len(payload),
            content_id=content_id,
            inline=not is_message and (disposition == "inline" or
                                       (bool(content_id) and disposition != "attachment"))))
    parsed.text = "\n\n".join(t for t in texts if t)
    parsed.html = "\n".join(h for h in htmls if h)


def part_payload(raw, part_id):
    """The bytes of one part (as numbered by ``parse_message``) as a file holds them: an
    attached message as its own raw ``.eml``, anything else decoded; None if there is none."""
    raw = raw or b""
    problems = []
    node = _read_part(raw, 0, len(raw), "")
    steps = str(part_id or "").split(".")
    for depth, step in enumerate(steps):
        if not step.isdigit() or depth >= MAX_DEPTH:
            return None
        if node.headers.get_content_maintype() != "multipart":
            return _body_bytes(raw, node, problems, "") if step == "1" and node.path == "" and \
                len(steps) == 1 else None
        ranges = _children(raw, node, problems)
        index = int(step) - 1
        if ranges is None or not 0 <= index < len(ranges):
            return None
        start, end = ranges[index]
        node = _read_part(raw, start, end, ".".join(steps[:depth + 1]))
    return _body_bytes(raw, node, problems, "")

# -- writing ---------------------------------------------------------------------------------------
def new_message_id(domain):
    return f"<{uuid.uuid4().hex}.maildesk@{domain or 'localhost'}>"


def reply_references(references, in_reply_to, parent_message_id):
    """The References chain of a reply: the parent's chain, then the parent (RFC 5322 §3.6.4)."""
    chain = list(references or [])
    if not chain and in_reply_to:
        chain = [in_reply_to]
    if parent_message_id and parent_message_id not in chain:
        chain.append(parent_message_id)
    return chain[-50:]


def build_message(*, sender, to=(), cc=(), bcc=(), subject="", text="", html="", attachments=(),
                  message_id=None, in_reply_to="", references=(), extra_headers=None, date=None):
    """A ready-to-send EmailMessage. ``attachments``: (filename, content_type, bytes) triples.

    Bcc is not written into the message; the sender passes it in the SMTP envelope only.
    """
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    if to:
        msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = subject or ""
    msg["Date"] = email.utils.format_datetime(date or datetime.now(timezone.utc))
    domain = email.utils.parseaddr(sender)[1].rpartition("@")[2]
    msg["Message-ID"] = message_id or new_message_id(domain)
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    for name, value in (extra_headers or {}).items():
        msg[name] = value
    msg.set_content(text or html_to_text(html) or "")
    if html:
        msg.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, _slash, subtype = (content_type or "application/octet-stream").partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream",
                           filename=filename)
    return msg
