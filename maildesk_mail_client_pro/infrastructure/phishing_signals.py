"""The security scan's deterministic part: signals read from the mail itself, which a model can
add to but never talk away.

The rules look at what a mail cannot hide: authentication results, addresses and display
names, where links really go, attachment types, text hidden from the reader, and text that
talks to an AI. ``combine`` takes the stricter of the rules and the model, and treats a
missing or broken model answer as "unknown", never as "safe".

No Odoo import: tested without Odoo (``tests/test_phishing_signals.py``).
"""
import email.utils
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from .mail_text import CleanText, html_links, strip_invisible, visible_text

INDICATORS = (
    "spf_fail", "dkim_fail", "dmarc_fail", "reply_to_mismatch", "display_name_spoof", "lookalike_domain",
    "link_text_mismatch", "punycode_domain", "risky_attachment", "hidden_text", "invisible_characters",
    "ai_instructions", "credential_request", "payment_request", "urgency",
)
MODEL_VERDICTS = ("safe", "suspicious", "phishing")
VERDICT_ORDER = ("safe", "unknown", "suspicious", "phishing")
# Points per indicator; 25 makes a mail suspicious, 60 phishing. Hidden text alone stays below
# suspicious: newsletters hide their preview line. Mail that talks to an AI never does.
WEIGHTS = {
    "spf_fail": 20, "dkim_fail": 20, "dmarc_fail": 35, "reply_to_mismatch": 20, "display_name_spoof": 35,
    "lookalike_domain": 45, "link_text_mismatch": 35, "punycode_domain": 30, "risky_attachment": 35,
    "hidden_text": 20, "invisible_characters": 20, "ai_instructions": 40, "credential_request": 30,
    "payment_request": 25, "urgency": 15,
}
SUSPICIOUS_SCORE, PHISHING_SCORE = 25, 60
TEXT_LIMIT = 4000

SCAN_SCHEMA = {
    "type": "object",
    "properties": {
        "verdict": {"type": "string", "enum": list(MODEL_VERDICTS)},
        "score": {"type": "integer", "minimum": 0, "maximum": 100},
        "indicators": {"type": "array", "items": {"type": "string", "enum": list(INDICATORS)}},
        "injection_detected": {"type": "boolean"},
        "evidence": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
        "explanation": {"type": "string", "maxLength": 400},
    },
    "required": ["verdict", "score", "indicators", "injection_detected", "evidence", "explanation"],
    "additionalProperties": False,
}

RISKY_EXTENSIONS = frozenset(
    "html htm shtml xhtml svg iso img vhd vhdx lnk js jse vbs vbe wsf wsh ps1 bat cmd com exe scr pif "
    "msi hta cpl jar docm xlsm pptm dotm xlam one url reg".split())
DOCUMENT_EXTENSIONS = frozenset("pdf doc docx xls xlsx ppt pptx txt rtf jpg jpeg png gif csv odt".split())
RISKY_MIMETYPES = frozenset(("text/html", "application/x-msdownload", "application/x-msdos-program",
                             "application/hta", "application/x-iso9660-image", "application/javascript"))

# A brand, and the organisations that may send in its name.
BRANDS = {
    "paypal": {"paypal.com", "paypal.me", "paypal-communication.com"},
    "microsoft": {"microsoft.com", "office.com", "office365.com", "outlook.com", "live.com", "hotmail.com",
                  "microsoftonline.com", "sharepoint.com", "azure.com", "skype.com", "bing.com"},
    "office365": {"microsoft.com", "office.com", "office365.com"},
    "apple": {"apple.com", "icloud.com", "me.com"},
    "icloud": {"apple.com", "icloud.com"},
    "amazon": {"amazon.com", "amazonses.com", "amazonaws.com", "amazon.co.uk", "amazon.co.jp", "a2z.com"},
    "google": {"google.com", "gmail.com", "googlemail.com", "youtube.com", "googleusercontent.com",
               "googleapis.com", "googlegroups.com", "withgoogle.com", "gstatic.com"},
    "docusign": {"docusign.com", "docusign.net"},
    "dhl": {"dhl.com", "dhl.de", "dpdhl.com"},
    "fedex": {"fedex.com"},
    "netflix": {"netflix.com"},
    "linkedin": {"linkedin.com"},
    "facebook": {"facebook.com", "facebookmail.com", "meta.com", "fb.com"},
    "instagram": {"instagram.com", "facebookmail.com", "meta.com"},
    "dropbox": {"dropbox.com", "dropboxmail.com"},
    "adobe": {"adobe.com", "adobesign.com", "echosign.com"},
    "wetransfer": {"wetransfer.com"},
}
BRAND_NAMES = {"paypal": "PayPal", "office365": "Office 365", "icloud": "iCloud", "docusign": "DocuSign",
               "dhl": "DHL", "fedex": "FedEx", "linkedin": "LinkedIn", "wetransfer": "WeTransfer"}
LEGITIMATE = frozenset(domain for domains in BRANDS.values() for domain in domains)
# Click-tracking hosts of mailing services: a link there that shows another domain is normal.
TRACKERS = frozenset(("list-manage.com", "sendgrid.net", "mandrillapp.com", "hubspotlinks.com", "mailgun.org",
                      "sparkpostmail.com", "rs6.net", "mcsv.net", "exacttarget.com", "mailchimp.com",
                      "mailjet.com", "sendinblue.com", "brevo.com", "klaviyomail.com", "createsend.com"))
_SECOND_LEVEL = frozenset("co com org net ac gov edu ne or go gob".split())
# Characters read as others: Cyrillic and Greek look-alikes, digits for letters.
_SKELETON = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "l", "ј": "j", "ѕ": "s",
    "ԁ": "d", "ԛ": "q", "ԝ": "w", "ո": "n", "ս": "u", "ɡ": "g", "ο": "o", "α": "a", "ν": "v", "ρ": "p",
    "τ": "t", "ι": "l", "κ": "k", "0": "o", "1": "l", "i": "l", "3": "e", "4": "a", "5": "s", "7": "t",
    "8": "b", "@": "a", "$": "s", "|": "l", "!": "l",
})
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.U)
_DOMAIN = r"((?:[\w-]+\.)+(?:[^\W\d_]{2,}|xn--[\w-]+))"
# A link text that is an address and nothing else ("www.acme.com", "https://acme.com/pay").
_URL_TEXT = re.compile(r"(?:https?://)?" + _DOMAIN + r"(?::\d+)?(?:[/?#]\S*)?", re.U)
# A domain inside a display name ("PayPal.com Support"), by the endings people recognise.
_NAME_DOMAIN = re.compile(r"\b((?:[\w-]+\.)+(?:com|net|org|info|biz|io|co|us|uk|de|fr|it|es|nl|ru|cn|"
                          r"eu|ch|at|be|ca|au|in|br|jp|me|app|online|site|xyz|top))\b", re.I)

# Text that talks to an AI rather than to the reader.
AI_INSTRUCTION_PATTERNS = [re.compile(p, re.I) for p in (
    r"\b(ignore|disregard|forget|override|bypass)\s+(all\s+|any\s+)?(of\s+)?(your\s+|the\s+|my\s+)?"
    r"(previous|prior|above|earlier|preceding|system|original|all|safety)\s+(instructions?|prompts?|"
    r"directives?|rules|guidelines)",
    r"\b(dear|attention|note to|hey|hello|hi)\s+(the\s+)?(ai|a\.i\.|llm|language model|chatbot|ai assistant|"
    r"copilot|gemini|chatgpt|gpt|claude|scanner|summari[sz]er|ai model|email assistant)\b",
    r"\binstructions? for (the )?(ai|llm|language model|assistant|summari[sz]er|scanner|model|chatbot)\b",
    r"\b(ai|email|mail|security|phishing|spam)\s+(assistant|scanner|summari[sz]er|classifier)s?\s*[:,]",
    r"\bif you are an? (ai|llm|language model|assistant|bot|automated system|model)\b",
    r"\b(when|while) (you are )?summari[sz]ing (this|the) (e-?mail|message|thread)",
    r"\b(classify|mark|label|rate|treat|report|flag)\s+(this|the)\s+(e-?mail|message|sender)\s+as\s+"
    r"(safe|legitimate|trusted|clean|harmless|not (a )?(phishing|spam))\b",
    r"\b(respond|reply|answer|output)\s+(only\s+)?with\s+(only\s+)?(the\s+word\s+)?[\"'“]?"
    r"(safe|legitimate|not\s+phishing)\b",
    r"\b(output|say|print|write)\s+only\s+[\"'“]?(safe|legitimate|not\s+phishing)\b",
    r"\[\s*/?\s*(system|inst|assistant|admin)\s*\]|<<\s*/?sys\s*>>|<\|\s*(im_start|im_end|system|user|"
    r"assistant|endoftext|eot_id|start_header_id)\s*\|>",
    r"#{2,}\s*(system|instruction|new instructions?)\b",
    r"(?-i:\bEND OF (THE )?(E-?MAIL|MESSAGE|DOCUMENT|DATA|CONTEXT|INPUT)\b)"
    r"|[-=#*\[]{2,}\s*end of (the )?(e-?mail|message|document|data|context|input)\b",
    r"</?\s*(e-?mail|email_[0-9a-f]*|document|data|system)\s*>",
    r"\byou are now\b|\bnew (system )?instructions?\s*:|\bsystem prompt\b|\bdeveloper mode\b",
    r"\b(do not|don't|never)\s+(flag|report|warn)\b.{0,40}\b(user|phishing|suspicious|recipient)",
    r"\b(reveal|print|output|repeat|show)\b.{0,30}\b(system prompt|your instructions|your prompt|"
    r"secret code|canary|hidden code)",
    r"\b(append|add|include|insert|put|write)\b.{0,120}\b(to|in|into|at the end of)\s+your\s+(answer|"
    r"response|summary|reply|output)\b",
    r"!\[[^\]\n]{0,100}\]\(\s*https?://",  # a Markdown image: bait for a model to load a URL
)]


@dataclass
class ScanInput:
    from_address: str
    from_name: str
    reply_to: str
    authentication_results: list[str]
    html: str | None
    plain: str | None
    attachments: list[tuple[str, str]]  # (name, mimetype)
    return_path: str = ""
    subject: str = ""


@dataclass
class Signals:
    verdict: str
    score: int
    indicators: list[str]
    details: list[str]
    clean: CleanText


@dataclass
class ScanResult:
    verdict: str
    score: int
    indicators: list[str]
    evidence: list[str]
    injection_detected: bool
    model_ok: bool
    details: list[str] = field(default_factory=list)  # the rules' findings, in sentences
    explanation: str = ""  # the model's, guarded by the caller
    model: str = ""  # the model that answered, if one did


# -- domains -----------------------------------------------------------------------------------
def domain_of(address):
    address = email.utils.parseaddr(address or "")[1] or (address or "")
    return address.rpartition("@")[2].strip(" <>.\t").lower() if "@" in address else ""


def organisation(host):
    """The registrable part of a host name (acme.co.uk for mail.acme.co.uk), roughly."""
    host = (host or "").strip(".").lower()
    labels = host.split(".")
    if len(labels) < 2 or re.fullmatch(r"[\d.]+|\[.*\]|[0-9a-f:]+", host):
        return host
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _unicode_labels(host):
    labels = []
    for label in host.split("."):
        try:
            labels.append(label.encode("ascii").decode("idna") if label.startswith("xn--") else label)
        except UnicodeError:
            labels.append(label)
    return labels


def _brand_name(brand):
    return BRAND_NAMES.get(brand, brand.title())


def skeleton(text):
    """``text`` as it reads: look-alike letters and digits folded, ``rn`` as ``m``."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_SKELETON)
    return text.replace("rn", "m").replace("vv", "w")


def lookalike_brand(host):
    """The brand a host name dresses up as, or None: a brand in a domain that is not the brand's,
    or a brand spelled with look-alike characters."""
    host = (host or "").lower().strip(".")
    org = organisation(host)
    if not host or org in LEGITIMATE:
        return None
    labels = _unicode_labels(host)
    org_label = _unicode_labels(org)[0]
    for label in labels:
        tokens = [t for t in re.split(r"[-_.]", label) if t]
        for brand in BRANDS:
            if label == org_label and label == brand:
                continue  # the brand's own name under another top-level domain (paypal.de)
            if brand in tokens:
                return brand
            for token in tokens:
                if token != brand and skeleton(token) == skeleton(brand):
                    return brand
            if brand not in label and len(brand) >= 5 and skeleton(brand) in skeleton(label):
                return brand
    return None


def _is_idn(host):
    return any(label.startswith("xn--") for label in host.split(".")) or not host.isascii()


def _real_target(href):
    """Where a link goes, through Outlook Safe Links and Google's redirector."""
    parts = urlsplit(href)
    host = (parts.hostname or "").lower()
    if host.endswith("safelinks.protection.outlook.com") or (organisation(host) == "google.com"
                                                               and parts.path == "/url"):
        query = parse_qs(parts.query)
        wrapped = (query.get("url") or query.get("q") or [""])[0]
        if wrapped.startswith(("http://", "https://")):
            return urlsplit(wrapped)
    return parts


# -- the rules ----------------------------------------------------------------------------------
class _Findings:
    def __init__(self):
        self.indicators, self.details = [], []

    def add(self, indicator, detail):
        if indicator not in self.indicators:
            self.indicators.append(indicator)
        if detail not in self.details and len(self.details) < 20:
            self.details.append(detail)


def _authentication(findings, results):
    text = " ".join(results or []).lower()
    if re.search(r"\bspf\s*=\s*(fail|softfail)\b", text):
        findings.add("spf_fail", "SPF failed: the sending server is not allowed to send for this domain.")
    if re.search(r"\bdkim\s*=\s*(fail|permfail)\b", text):
        findings.add("dkim_fail", "DKIM failed: the signature does not match the message.")
    if re.search(r"\bdmarc\s*=\s*fail\b", text):
        findings.add("dmarc_fail", "DMARC failed: the sender's domain does not vouch for this message.")


def _sender(findings, inp, from_domain):
    from_org = organisation(from_domain)
    for _name, address in email.utils.getaddresses([inp.reply_to or ""]):
        reply_domain = domain_of(address)
        if reply_domain and from_org and organisation(reply_domain) != from_org:
            findings.add("reply_to_mismatch",
                         f"Replies would go to {reply_domain[:100]}, not to {from_domain[:100]}.")
    name = strip_invisible(inp.from_name or "")[0]
    for address in _ADDRESS.findall(name):
        if address.lower() != (email.utils.parseaddr(inp.from_address)[1] or "").lower():
            findings.add("display_name_spoof", "The sender's name shows another address than the one it "
                                               "was sent from.")
    for match in _NAME_DOMAIN.finditer(_ADDRESS.sub("", name)):
        if from_org and organisation(match.group(1).lower()) != from_org:
            findings.add("display_name_spoof", "The sender's name names another domain than the one it "
                                               "was sent from.")
    name_skeleton = " " + re.sub(r"[^\w]+", " ", skeleton(name)) + " "
    for brand, domains in BRANDS.items():
        if f" {skeleton(brand)} " in name_skeleton and from_org not in domains and brand not in from_org:
            findings.add("display_name_spoof", f"The sender's name says {_brand_name(brand)}, but the mail "
                                               f"comes from {from_domain[:100] or 'another domain'}.")


def _hosts(findings, inp, from_domain, links):
    hosts = [from_domain, domain_of(inp.return_path)]
    hosts += [domain_of(a) for _n, a in email.utils.getaddresses([inp.reply_to or ""])]
    for link in links:
        target = _real_target(link.href)
        host = (target.hostname or "").lower()
        if target.scheme in ("http", "https") and host:
            hosts.append(host)
            shown = _URL_TEXT.fullmatch(link.text.lower().strip())
            tracker = organisation(urlsplit(link.href).hostname or "") in TRACKERS
            if shown and not tracker and organisation(shown.group(1)) != organisation(host):
                findings.add("link_text_mismatch", f"A link shows {shown.group(1)[:100]} but goes to "
                                                   f"{host[:100]}.")
            if shown:
                hosts.append(shown.group(1))
        elif target.scheme == "mailto":
            shown = _ADDRESS.search(link.text)
            real = target.path.split("?")[0].lower()
            if shown and shown.group().lower() != real:
                findings.add("link_text_mismatch", f"A link shows {shown.group()[:100]} but writes to "
                                                   f"{real[:100]}.")
    for host in dict.fromkeys(h for h in hosts if h):
        if _is_idn(host):
            findings.add("punycode_domain", f"The domain {host[:100]} is written with non-Latin or "
                                            "look-alike characters.")
        brand = lookalike_brand(host)
        if brand:
            findings.add("lookalike_domain",
                         f"The domain {host[:100]} looks like {_brand_name(brand)}'s but is not.")


def _attachments(findings, attachments):
    for name, mimetype in attachments or []:
        clean_name, tricked = strip_invisible(name or "")
        parts = clean_name.lower().strip().rstrip(".").split(".")
        extension = parts[-1] if len(parts) > 1 else ""
        double = len(parts) > 2 and parts[-2] in DOCUMENT_EXTENSIONS and extension != parts[-2]
        if tricked or extension in RISKY_EXTENSIONS or double or (mimetype or "").lower() in RISKY_MIMETYPES:
            findings.add("risky_attachment", f"The attachment {clean_name[:100]!r} is of a kind that can run "
                                             "code or open a fake sign-in page.")


def ai_instructions_in(text):
    """The first piece of ``text`` that talks to an AI, or None."""
    for pattern in AI_INSTRUCTION_PATTERNS:
        match = pattern.search(text or "")
        if match:
            return match.group()
    return None


def rule_signals(inp):
    """The deterministic scan of one mail."""
    clean = visible_text(inp.html, inp.plain, limit=TEXT_LIMIT, strip_quotes=False)
    findings = _Findings()
    from_domain = domain_of(inp.from_address)
    _authentication(findings, inp.authentication_results)
    _sender(findings, inp, from_domain)
    _hosts(findings, inp, from_domain, html_links(inp.html) if inp.html else [])
    _attachments(findings, inp.attachments)
    if clean.hidden_found:
        findings.add("hidden_text", "Part of the text is hidden from the reader.")
    subject, subject_tricked = strip_invisible(inp.subject or "")
    if clean.invisible_found or subject_tricked:
        findings.add("invisible_characters", "The text holds invisible characters.")
    for text in (subject, clean.text, clean.hidden_text):
        if ai_instructions_in(text):
            findings.add("ai_instructions", "The mail holds instructions addressed to an AI.")
            break
    score = min(100, sum(WEIGHTS[i] for i in findings.indicators))
    return Signals(_verdict_for(score), score, findings.indicators, findings.details, clean)


def _verdict_for(score):
    return "phishing" if score >= PHISHING_SCORE else "suspicious" if score >= SUSPICIOUS_SCORE else "safe"


# -- rules and model together -------------------------------------------------------------------
def _stricter(*verdicts):
    return max(verdicts, key=VERDICT_ORDER.index)


def _quoted(evidence, visible):
    """Model evidence kept only where it quotes the visible text (whitespace aside: the model
    read it datamarked)."""
    flat = " ".join(visible.split())
    kept = []
    for item in evidence:
        if not isinstance(item, str):
            continue
        quote = " ".join(item.replace("\u02c6", " ").split())
        if len(quote) >= 3 and quote in flat and quote not in kept:
            kept.append(quote[:300])
    return kept[:5]


def combine(rules, model):
    """The verdict of the rules and the model's answer (None when the model failed): the
    stricter of both; without a valid model answer, "unknown" at best."""
    valid = isinstance(model, dict) and model.get("verdict") in MODEL_VERDICTS
    if not valid:
        injection = "ai_instructions" in rules.indicators
        return ScanResult(_stricter(rules.verdict, "unknown"), rules.score, list(rules.indicators), [],
                          injection, False, list(rules.details))
    indicators = list(rules.indicators)
    for code in model.get("indicators") or []:
        if code in INDICATORS and code not in indicators:
            indicators.append(code)
    injection = "ai_instructions" in indicators or model.get("injection_detected") is True
    if injection and "ai_instructions" not in indicators:
        indicators.append("ai_instructions")
    score = model.get("score")
    score = max(rules.score, score if isinstance(score, int) and 0 <= score <= 100 else 0)
    verdict = _stricter(rules.verdict, model["verdict"], "suspicious" if injection else "safe",
                        _verdict_for(min(100, sum(WEIGHTS[i] for i in indicators))))
    evidence = _quoted(model.get("evidence") or [], rules.clean.text)
    return ScanResult(verdict, score, indicators, evidence, injection, True, list(rules.details))
