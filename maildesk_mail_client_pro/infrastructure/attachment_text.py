"""The text of an attachment, for the AI to read once the mailbox and the user both opted in.

Text, HTML (through ``mail_text.visible_text``, so hidden text stays hidden) and PDF (pypdf,
or the PyPDF2 that Odoo 19 ships). Anything else is a kind MailDesk cannot read: None. Work is
bounded: at most ``MAX_INPUT_BYTES`` in, ``limit`` characters out, ``MAX_PDF_PAGES`` pages read.
"""
import codecs
import io
import logging

from .mail_text import strip_invisible, tidy, visible_text

try:
    from pypdf import PdfReader
except ImportError:  # Odoo 19 ships PyPDF2 2.x, whose PdfReader reads the same way
    try:
        from PyPDF2 import PdfReader
    except ImportError:
        PdfReader = None

_logger = logging.getLogger(__name__)

MAX_INPUT_BYTES = 10 * 1024 * 1024
MAX_PDF_PAGES = 50
UNREADABLE_KIND = "MailDesk cannot read this kind of file."
TEXT_EXTENSIONS = frozenset("txt text csv tsv md markdown log ics vcf json xml yaml yml eml".split())
HTML_EXTENSIONS = frozenset(("html", "htm", "xhtml"))


class AttachmentUnreadable(Exception):
    """The file is of a kind MailDesk reads, but not this one: too large, damaged, locked."""


def _kind(mimetype, name):
    mimetype = (mimetype or "").split(";")[0].strip().lower()
    extension = (name or "").rsplit(".", 1)[-1].lower() if "." in (name or "") else ""
    if mimetype in ("text/html", "application/xhtml+xml") or extension in HTML_EXTENSIONS:
        return "html"
    if mimetype == "application/pdf" or extension == "pdf":
        return "pdf"
    if mimetype.startswith("text/") or extension in TEXT_EXTENSIONS:
        return "text"
    return None


def decode_text(data):
    """Bytes as text: a BOM's encoding, else UTF-8, else Windows-1252 (which takes any byte)."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding, "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _pdf_text(data, limit):
    if PdfReader is None:
        raise AttachmentUnreadable("MailDesk cannot read PDF files on this server: the pypdf (or PyPDF2) "
                                   "library is missing. Ask the administrator to install it.")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise AttachmentUnreadable("This PDF is protected by a password, so MailDesk cannot read it.")
        pieces, size = [], 0
        for page in reader.pages[:MAX_PDF_PAGES]:
            text = page.extract_text() or ""
            pieces.append(text)
            size += len(text)
            if size >= limit:
                break
        return "\n".join(pieces)
    except AttachmentUnreadable:
        raise
    except Exception as exc:  # a damaged or hostile PDF can make the library fail in any way
        _logger.info("PDF text extraction failed: %s", type(exc).__name__)
        raise AttachmentUnreadable("MailDesk could not read the text of this PDF: the file may be damaged.")


def extract_text(data, mimetype, name, limit=8000):
    """The file's text, at most ``limit`` characters; None for a kind MailDesk cannot read
    (``UNREADABLE_KIND`` says so). Raises AttachmentUnreadable with a sentence otherwise."""
    kind = _kind(mimetype, name)
    if kind is None:
        return None
    if len(data or b"") > MAX_INPUT_BYTES:
        raise AttachmentUnreadable(f"This file is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MB; "
                                   "MailDesk does not send files that large to the AI.")
    if kind == "html":
        return visible_text(decode_text(data or b""), limit=limit, strip_quotes=False).text
    raw = _pdf_text(data or b"", limit) if kind == "pdf" else decode_text(data or b"")
    text, _ = strip_invisible(raw[:limit * 2])
    return tidy(text)[:limit]
