"""Reading and writing RFC 5322 messages with the standard library, never raising on bad input.

Hostile and broken mail is normal: unknown charsets, 8-bit headers, duplicated or missing
headers, absurd nesting. Every reader here returns what it could read and lists the rest in
``problems`` instead of raising, so one bad message never stops a sync.
"""
import email
import email.header
import email.policy
import email.utils
import html as html_lib
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

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
_TAGS_DROPPED = re.compile(r"<(script|style|head|title)\b.*?</\1\s*>", re.I | re.S)
_BLOCK_TAGS = re.compile(r"<\s*(br|/p|/div|/tr|/li|/h[1-6])\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]*>", re.S)


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


# -- bodies ----------------------------------------------------------------------------------------
def html_to_text(html):
    if not html:
        return ""
    text = _TAGS_DROPPED.sub(" ", html)
    text = _BLOCK_TAGS.sub("\n", text)
    text = _TAG.sub(" ", text)
    return html_lib.unescape(text)


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


def _part_text(part, problems):
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        payload = None
    if payload is None:
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    charset = part.get_content_charset() or "utf-8"
    for candidate in (charset, "utf-8", "cp1252"):
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    problems.append(f"undecodable text part ({charset})")
    return payload.decode("utf-8", "replace")


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
        name = part.get_param("name") if part.get_param("name") else None
        if isinstance(name, tuple):  # RFC 2231 triple
            name = email.utils.collapse_rfc2231_value(name)
    return decode_header_value(name) if name else ""


def parse_message(raw):
    """Headers, the text and HTML bodies, and the attachment list of one message."""
    try:
        msg = email.message_from_bytes(raw or b"", policy=email.policy.compat32)
    except Exception as exc:  # noqa: BLE001
        return ParsedMessage(headers=Headers(), problems=[f"unreadable message: {exc}"])
    parsed = ParsedMessage(headers=parse_headers(raw or b""))
    problems = parsed.problems
    problems.extend(parsed.headers.problems)
    texts, htmls = [], []
    counter = [0]

    def walk(part, path, depth):
        counter[0] += 1
        if counter[0] > MAX_PARTS:
            if counter[0] == MAX_PARTS + 1:
                problems.append(f"more than {MAX_PARTS} parts; the rest is not shown")
            return
        if depth > MAX_DEPTH:
            problems.append("parts nested too deep; the rest is not shown")
            return
        if part.is_multipart():
            children = part.get_payload() or []
            for number, child in enumerate(children, start=1):
                if isinstance(child, email.message.Message):
                    walk(child, f"{path}.{number}" if path else str(number), depth + 1)
            return
        ctype = (part.get_content_type() or "text/plain").lower()
        disposition = _part_header(part, "Content-Disposition").split(";")[0].strip().lower()
        filename = _filename(part)
        content_id = _part_header(part, "Content-ID").strip().strip("<>")
        is_body = ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename
        if is_body:
            (htmls if ctype == "text/html" else texts).append(_part_text(part, problems))
            return
        try:
            payload = part.get_payload(decode=True) or b""
        except Exception:  # noqa: BLE001
            payload = b""
        parsed.attachments.append(Attachment(
            part_id=path or "1", filename=filename or _default_name(ctype, len(parsed.attachments)),
            content_type=ctype, size=len(payload), content_id=content_id,
            inline=disposition == "inline" or (bool(content_id) and disposition != "attachment")))

    walk(msg, "", 0)
    parsed.text = "\n\n".join(t for t in texts if t)
    parsed.html = "\n".join(h for h in htmls if h)
    return parsed


def _default_name(ctype, index):
    if ctype == "message/rfc822":
        return f"message-{index + 1}.eml"
    return f"attachment-{index + 1}"


def part_payload(raw, part_id):
    """The decoded bytes of one part (as numbered by ``parse_message``), or None."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    node = msg
    for step in part_id.split("."):
        if not node.is_multipart():
            return None if step != "1" or node is not msg else node.get_payload(decode=True)
        children = node.get_payload()
        index = int(step) - 1
        if index >= len(children):
            return None
        node = children[index]
    return node.get_payload(decode=True)


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
