"""Make the addons' Odoo-free layers importable without importing Odoo.

Each addon folder is registered as a bare package, so ``maildesk_mail_client.infrastructure``
imports without running the addon's ``__init__`` (which loads Odoo models).
"""
import sys
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
for manifest in ROOT.glob("*/__manifest__.py"):
    addon = manifest.parent
    package = types.ModuleType(addon.name)
    package.__path__ = [str(addon)]
    sys.modules.setdefault(addon.name, package)
