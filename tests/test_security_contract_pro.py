"""The Pro addon's security files say exactly what seed 003 says (§3.2, §3.3, §4.2), with the
one noupdate difference the seed records: AI rules are rewritten by every upgrade."""
import csv
import re
from pathlib import Path

import pytest
import seed003_pro_contract as contract
from test_security_contract import declared_models, field, model_xmlid, records, squash

ROOT = Path(__file__).resolve().parents[1]
ADDON = ROOT / contract.MODULE
SEED = ROOT.parent / "shared" / "seeds" / "003_a15555177906c60b.txt"
USER = f"{contract.BASIC}.group_mailbox_user"
ADMIN = f"{contract.BASIC}.group_mailbox_admin"


def acl_rows():
    with open(ADDON / "security" / "ir.model.access.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_pro_model_is_in_the_contract_and_has_both_acl_rows():
    assert declared_models(ADDON) == set(contract.ACL)
    for model in contract.ACL:
        groups = {r["group_id:id"] for r in acl_rows() if r["model_id:id"] == model_xmlid(model)}
        assert groups == {USER, ADMIN}, model


@pytest.mark.parametrize("model", sorted(contract.ACL))
def test_pro_acl_rows_match_seed_003_row_for_row(model):
    rows = {r["group_id:id"]: r for r in acl_rows() if r["model_id:id"] == model_xmlid(model)}
    for group, expected in zip((USER, ADMIN), contract.ACL[model], strict=True):
        got = "/".join(rows[group][k] for k in ("perm_read", "perm_write", "perm_create", "perm_unlink"))
        assert got == expected, f"{model} {group}"


def test_ai_rules_match_seed_003_and_are_not_noupdate():
    root, recs = records(ADDON / "security" / "maildesk_ai_rules.xml")
    assert root.get("noupdate") is None, "seed 003 §3.2: maildesk_ai_rules.xml has no noupdate"
    for model, domain in contract.AI_RULES.items():
        base = model.replace(".", "_")
        user_rule, admin_rule = recs[f"rule_{base}_user_strict"], recs[f"rule_{base}_admin_all"]
        assert field(user_rule, "model_id") == model_xmlid(model)
        assert squash(field(user_rule, "domain_force")) == squash(domain)
        assert field(user_rule, "groups") == f"[(4, ref('{USER}'))]"
        assert squash(field(admin_rule, "domain_force")) == "[(1,'=',1)]"
        assert field(admin_rule, "groups") == f"[(4, ref('{ADMIN}'))]"
    assert len(recs) == 2 * len(contract.AI_RULES)


def test_signature_rules_match_seed_003_and_are_noupdate():
    root, recs = records(ADDON / "security" / "mailbox_signature_rules.xml")
    assert root.get("noupdate") == "1"
    assert set(recs) == set(contract.SIGNATURE_RULES)
    for xmlid, (perms, domain) in contract.SIGNATURE_RULES.items():
        rule = recs[xmlid]
        assert field(rule, "model_id") == "model_mailbox_signature"
        assert squash(field(rule, "domain_force")) == squash(domain)
        group = ADMIN if xmlid.endswith("admin_all") else USER
        assert field(rule, "groups") == f"[(4, ref('{group}'))]"
        got = tuple(field(rule, f"perm_{p}") in (None, "True") for p in ("read", "write", "create", "unlink"))
        assert got == perms, xmlid


def test_added_rules_are_the_documented_ones_and_noupdate():
    root, recs = records(ADDON / "security" / "rules.xml")
    assert root.get("noupdate") == "1"
    assert set(recs) == set(contract.ADDED_RULES)


def test_the_pro_transcription_matches_seed_003_itself():
    assert SEED.exists(), "seed 003 must be beside the repository (../shared/seeds)"
    text = SEED.read_text(encoding="utf-8")
    acl_section = text[text.index("4.2 Pro"):text.index("5. Per-mailbox AI gate")]
    seed_acl = dict((m, (u, a)) for m, u, a in
                    re.findall(r"^([\w.]+) \|\n([^|\n]+?) \| ([^|\n]+?) \|", acl_section, re.M))
    assert seed_acl == contract.ACL
    ai_section = text[text.index("3.2 Pro AI"):text.index("3.3 Pro signatures")]
    seed_rules = dict(re.findall(r"^([\w.]+) \|\n(\[.*?\]) (?:\||—)", ai_section, re.M))
    literal = {m: d for m, d in contract.AI_RULES.items() if m != "maildesk.ai.conversation.message"}
    assert {m: squash(d) for m, d in seed_rules.items()} == {m: squash(d) for m, d in literal.items()}
    assert "maildesk.ai.conversation.message |\nscoped through conversation_id.account_id" in ai_section
    assert "lacksnoupdate" in ai_section.replace(" ", "")
    sig_section = text[text.index("3.3 Pro signatures"):text.index("4. Model access")]
    for xmlid in contract.SIGNATURE_RULES:
        assert xmlid in sig_section
    assert "[('user_id', '=', user.id)] — only own signatures" in sig_section
