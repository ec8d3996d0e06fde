"""The addon's manifest and data files: every file parses and is loaded, nothing is missing."""
import ast
import csv
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
ADDONS = [p.parent for p in ROOT.glob("*/__manifest__.py")]


def manifest(addon):
    return ast.literal_eval((addon / "__manifest__.py").read_text())


@pytest.mark.parametrize("addon", ADDONS, ids=lambda p: p.name)
def test_manifest_declares_an_odoo_19_version_and_an_open_licence(addon):
    data = manifest(addon)
    parts = data["version"].split(".")
    assert parts[:2] == ["19", "0"] and len(parts) == 5 and all(p.isdigit() for p in parts)
    assert data["license"] in {"LGPL-3", "GPL-3", "AGPL-3"}
    assert data["installable"]


@pytest.mark.parametrize("addon", ADDONS, ids=lambda p: p.name)
def test_every_data_file_exists_and_parses(addon):
    for name in manifest(addon).get("data", []):
        path = addon / name
        assert path.is_file(), name
        if path.suffix == ".xml":
            etree.parse(str(path))
        elif path.suffix == ".csv":
            rows = list(csv.DictReader(path.open(newline="")))
            assert rows, name


@pytest.mark.parametrize("addon", ADDONS, ids=lambda p: p.name)
def test_every_data_file_on_disk_is_in_the_manifest(addon):
    listed = set(manifest(addon).get("data", [])) | set(manifest(addon).get("demo", []))
    on_disk = {
        str(p.relative_to(addon))
        for folder in ("security", "views", "wizards", "data", "demo")
        for p in (addon / folder).glob("*")
        if p.suffix in {".xml", ".csv"}
    }
    assert on_disk <= listed, f"not loaded: {sorted(on_disk - listed)}"


@pytest.mark.parametrize("addon", ADDONS, ids=lambda p: p.name)
def test_security_files_load_before_views(addon):
    data = manifest(addon)["data"]
    security = [i for i, n in enumerate(data) if n.startswith("security/")]
    others = [i for i, n in enumerate(data) if not n.startswith("security/")]
    assert max(security) < min(others)
