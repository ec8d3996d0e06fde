"""Email address checks shared by models and providers (no Odoo import)."""
import re

_PLAIN_ADDRESS = re.compile(r"[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:.]+")


def is_plain_address(value):
    """True for a bare ``local@domain.tld`` address with a single @."""
    return bool(value) and bool(_PLAIN_ADDRESS.fullmatch(value))
