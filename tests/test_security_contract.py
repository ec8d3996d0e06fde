"""Our security files say exactly what seed 003 says (§1 groups, §3.1 rules, §4.1 ACLs)."""
import csv
import re
from pathlib import Path

import pytest
import seed003_contract as contract
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
ADDON = ROOT / contract.MODULE
SEED = ROOT.parent / "shared" / "seeds" / "003_a15555177906c60b.txt"


def model_xmlid(model):
    return "model_" + model.replace(".", "_")


def records(path):
    tree = etree.parse(str(path))
    return tree.getroot(), {r.get("id"): r for r in tree.iter("record")}


def field(record, name):
    node = record.find(f"field[@name='{name}']")
    if node is None:
        return None
    return node.get("ref") or node.get("eval") or (node.text or "").strip()


def squash(domain):
    return re.sub(r"\s+", "", domain)


def acl_rows():
    with open(ADDON / "security" / "ir.model.access.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def declared_models(addon=ADDON):
    names = set()
    for path in list((addon / "models").glob("*.py")) + list((addon / "wizards").glob("*.py")):
        names.update(re.findall(r'^\s+_name = "([\w.]+)"', path.read_text(), re.M))
    return names


def test_every_model_of_the_addon_is_in_the_contract_and_has_acl_rows():
    models = declared_models()
    assert models == set(contract.ACL), "a model without a seed 003 ACL line, or the reverse"
    covered = {row["model_id:id"] for row in acl_rows()}
    assert {model_xmlid(m) for m in models} <= covered


@pytest.mark.parametrize("model", sorted(contract.ACL))
def test_acl_rows_match_seed_003_row_for_row(model):
    rows = {row["group_id:id"]: row for row in acl_rows() if row["model_id:id"] == model_xmlid(model)}
    user_perms, admin_perms = contract.ACL[model]
    for group, expected in (("group_mailbox_user", user_perms), ("group_mailbox_admin", admin_perms)):
        if expected is None:
            assert group not in rows, f"{model}: seed 003 has no {group} line"
            continue
        row = rows[group]
        got = "/".join(row[k] for k in ("perm_read", "perm_write", "perm_create", "perm_unlink"))
        assert got == expected, f"{model} {group}"
    assert set(rows) <= {"group_mailbox_user", "group_mailbox_admin"}


def test_groups_match_seed_003_and_are_noupdate():
    root, recs = records(ADDON / "security" / "groups.xml")
    assert root.get("noupdate") == "1"
    for xmlid, spec in contract.GROUPS.items():
        assert field(recs[xmlid], "name") == spec["name"]
        implied = field(recs[xmlid], "implied_ids")
        if spec["implies"]:
            assert implied == f"[(4, ref('{spec['implies']}'))]"
        else:
            assert implied is None


def test_rules_match_seed_003_and_are_noupdate():
    root, recs = records(ADDON / "security" / "rules.xml")
    assert root.get("noupdate") == "1"
    for model, domain in contract.RULES.items():
        base = model.replace(".", "_")
        user_rule, admin_rule = recs[f"rule_{base}_user_strict"], recs[f"rule_{base}_admin_all"]
        assert field(user_rule, "model_id") == model_xmlid(model)
        assert squash(field(user_rule, "domain_force")) == squash(domain)
        assert field(user_rule, "groups") == "[(4, ref('group_mailbox_user'))]"
        assert squash(field(admin_rule, "domain_force")) == "[(1,'=',1)]"
        assert field(admin_rule, "groups") == "[(4, ref('group_mailbox_admin'))]"
        perms = {p: field(user_rule, f"perm_{p}") for p in ("read", "write", "create", "unlink")}
        if model == "mailbox.account":
            assert perms == {p: str(v) for p, v in contract.ACCOUNT_USER_RULE_PERMS.items()}
        else:
            assert set(perms.values()) == {None}, "other user rules keep all four perms"
    expected = {f"rule_{m.replace('.', '_')}_{kind}" for m in contract.RULES
                for kind in ("user_strict", "admin_all")} | set(contract.ADDED_RULES)
    assert set(recs) == expected


@pytest.mark.skipif(not SEED.exists(), reason="seed 003 is not beside the repository")
def test_the_transcription_matches_seed_003_itself():
    text = SEED.read_text(encoding="utf-8")
    acl_section = text[text.index("4.1 Basic"):text.index("4.2 Pro")]
    seed_acl = {}
    for model, user, admin in re.findall(r"^([\w.]+) \|\n([^|\n]+?) \| ([^|\n]+?) \|", acl_section, re.M):
        seed_acl[model] = (None if user == "—" else user,
                           None if admin.startswith("(inherits") else admin)
    assert seed_acl == contract.ACL
    rule_section = text[text.index("3.1 Basic"):text.index("3.2 Pro")]
    seed_rules = dict(re.findall(r"^([\w.]+) \|\n(\[.*?\]) \|", rule_section, re.M))
    assert seed_rules == contract.RULES
    assert "perm_create=False, perm_unlink=False" in rule_section
    groups_section = text[text.index("1. Groups"):text.index("2. The isolation key")]
    assert "maildesk_mail_client.group_mailbox_user |\nMailbox User | — |" in groups_section
    assert ("maildesk_mail_client.group_mailbox_admin |\nMailbox Admin | group_mailbox_user"
            in groups_section)
