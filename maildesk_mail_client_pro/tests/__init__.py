"""Every test_*.py here is a test module: imported by name so that Odoo's test loader finds
it (helpers add modules without editing a shared list)."""
import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    if _module.name.startswith("test_"):
        globals()[_module.name] = importlib.import_module(f"{__name__}.{_module.name}")
