"""The layering of ARCHITECTURE.md, checked on the source text."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADDON_DIRS = [p.parent for p in ROOT.glob("*/__manifest__.py")]


def python_files(folder):
    return [p for p in folder.rglob("*.py") if "tests" not in p.relative_to(folder).parts]


def test_infrastructure_imports_nothing_from_odoo():
    for addon in ADDON_DIRS:
        for path in python_files(addon / "infrastructure"):
            text = path.read_text()
            assert not re.search(r"^\s*(from|import) odoo\b", text, re.M), path
            assert "from ..models" not in text and "from ...models" not in text, path


def test_sudo_is_used_only_in_application_services():
    offenders = []
    for addon in ADDON_DIRS:
        for path in python_files(addon):
            if "application" in path.parts:
                continue
            if ".sudo(" in path.read_text():
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_every_sudo_in_services_sits_next_to_its_justification():
    for addon in ADDON_DIRS:
        for path in python_files(addon / "application"):
            lines = path.read_text().splitlines()
            for number, line in enumerate(lines):
                if ".sudo()" in line and "account.sudo()[" not in line:
                    window = "\n".join(lines[max(0, number - 4):number + 1])
                    assert "# sudo:" in window, f"{path.name}:{number + 1} has no '# sudo:' reason"
