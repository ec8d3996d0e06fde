"""Email address checks shared by models and providers (no Odoo import)."""
import email.utils
import re
import unicodedata

_PLAIN_ADDRESS = re.compile(r"[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:.]+")


def is_plain_address(value):
    """True for a bare ``local@domain.tld`` address with a single @."""
    return bool(value) and bool(_PLAIN_ADDRESS.fullmatch(value))


def normalise_address(address):
    """One spelling per address: compatibility forms folded (NFKC), case folded, the domain
    in its IDNA (punycode) form. Look-alike letters from other scripts stay different."""
    bare = email.utils.parseaddr(unicodedata.normalize("NFKC", address or ""))[1]
    local, at, domain = bare.strip().casefold().rpartition("@")
    if not (at and local and domain):
        return ""
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        pass  # not a valid IDNA name: kept as written, it matches only itself
    return f"{local}@{domain}"
