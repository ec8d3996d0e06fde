"""docker-compose.yml, checked without a Docker engine (none runs on the CI machines).

What a newcomer's `docker compose up` needs before any container starts: a file Compose accepts
(no `$` that interpolation would eat), the official images the README names, every mounted path
present in the repository, every addon of the repository on the containers' addons path, a demo
mailbox script that is Python and uses real fields, a demo mail server whose configuration
Dovecot accepts and whose password the demo uses, and a `tests` service that runs the suite.
(The demo itself runs on this machine through scripts/demo, with the same script.)
"""
import ast
import configparser
import os
import posixpath
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
ODOO_IMAGE = "odoo:19"
POSTGRES_IMAGE = "postgres:16"
DOVECOT_IMAGE = "dovecot/dovecot:2.3.21.1"


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


def _odoo_services(services):
    """The containers that run Odoo (the SMTP relay uses the same image for its Python only)."""
    return {name: s for name, s in services.items() if s.get("image", "").startswith("odoo")
            and re.search(r"\bodoo (-c|shell)", _command_text(s) or "")}


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _command_text(service):
    return " ".join(_strings(service.get("command"))) + " " + " ".join(_strings(service.get("entrypoint")))


def _binds(service):
    """(host path, container path) of every bind mount; named volumes are left out."""
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            yield (ROOT / source).resolve(), target


def _host_path(service, container_path):
    """Where ``container_path`` comes from on the host, through the longest matching bind mount."""
    best = None
    for host, target in _binds(service):
        if container_path == target or container_path.startswith(target.rstrip("/") + "/"):
            if best is None or len(target) > len(best[1]):
                best = (host, target)
    if best is None:
        return None
    rest = posixpath.relpath(container_path, best[1])
    return best[0] if rest == "." else best[0] / rest


def test_docker_compose_accepts_the_file():
    """The same parser a user runs: `docker-compose config -q` (Debian package docker-compose)."""
    if shutil.which("docker-compose"):
        command = ["docker-compose", "-f", str(COMPOSE), "config", "-q"]
    elif shutil.which("docker") and subprocess.run(["docker", "compose", "version"],
                                                   capture_output=True).returncode == 0:
        command = ["docker", "compose", "-f", str(COMPOSE), "config", "-q"]
    else:
        pytest.skip("no docker-compose to validate docker-compose.yml (apt-get install docker-compose)")
    # docker-compose is a program of the system's Python: keep a test run's PYTHONPATH away from it
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def test_no_dollar_in_a_command_is_left_to_interpolation(services):
    """Compose replaces `$x` / `${x}` everywhere; a shell or regex `$` must be written `$$`."""
    for name, service in services.items():
        texts = [_command_text(service), *_strings(service.get("healthcheck", {}).get("test"))]
        for text in texts:
            assert "$" not in text.replace("$$", ""), (
                f"service {name!r}: unescaped $ in {text!r} (write $$ inside commands)")


def test_images_are_the_official_ones_the_readme_names(services):
    readme = (ROOT / "README.md").read_text()
    assert services["db"]["image"] == POSTGRES_IMAGE
    odoo = _odoo_services(services)
    assert {"init", "odoo", "tests"} <= set(odoo)
    assert {s["image"] for s in odoo.values()} == {ODOO_IMAGE}
    assert services["mail"]["image"] == DOVECOT_IMAGE
    for image in (ODOO_IMAGE, POSTGRES_IMAGE, DOVECOT_IMAGE):
        assert f"`{image}`" in readme, f"README does not name the image {image}"


def test_every_mounted_path_exists_in_the_repository(services):
    for name, service in services.items():
        for host, target in _binds(service):
            assert host.exists(), f"service {name!r} mounts {host} (as {target}), which does not exist"


def test_every_addon_of_the_repository_is_on_the_addons_path(services):
    """Each addon folder (Basic, and Pro once it exists) reaches Odoo in every Odoo container."""
    addons = sorted(p.parent.name for p in ROOT.glob("*/__manifest__.py"))
    assert "maildesk_mail_client" in addons
    for name, service in _odoo_services(services).items():
        conf_path = _host_path(service, "/etc/odoo/odoo.conf")
        assert conf_path and conf_path.is_file(), f"service {name!r} mounts no odoo.conf"
        conf = configparser.ConfigParser()
        conf.read(conf_path)
        paths = [p.strip() for p in conf["options"]["addons_path"].split(",")]
        for addon in addons:
            reached = [p for p in paths
                       if (h := _host_path(service, f"{p}/{addon}")) and (h / "__manifest__.py").is_file()]
            assert reached, f"service {name!r}: addon {addon} is not on addons_path {paths}"


def test_demo_mailbox_script_is_python_and_creates_the_accounts_with_real_fields(services):
    command = _command_text(services["init"])
    match = re.search(r"odoo shell .*< (\S+)", command)
    assert match, f"init does not feed a script to `odoo shell`: {command}"
    script = _host_path(services["init"], match.group(1))
    assert script and script.is_file(), f"{match.group(1)} is not mounted from the repository"
    tree = ast.parse(script.read_text(), filename=str(script))
    assert any(isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "create"
               and getattr(node.func.value, "id", "") == "Account" for node in ast.walk(tree)), \
        "the demo script creates no mailbox account"
    # Every dict literal but the users' (it has "login") holds mailbox.account values.
    keys = {key.value for node in ast.walk(tree) if isinstance(node, ast.Dict)
            and not any(isinstance(k, ast.Constant) and k.value == "login" for k in node.keys)
            for key in node.keys if isinstance(key, ast.Constant)}
    assert {"imap_host", "smtp_host", "password", "is_shared", "access_user_ids"} <= keys
    model = (ROOT / "maildesk_mail_client/models/mailbox_account.py").read_text()
    for key in keys:
        assert re.search(rf"^\s+{key} = fields\.", model, re.M), f"no field mailbox.account.{key}"
    # what the script imports next to itself is mounted there too
    demo_dir = services["init"]["environment"]["MAILDESK_DEMO_DIR"]
    data = _host_path(services["init"], f"{demo_dir}/demo_data.py")
    assert data and data.is_file(), f"demo_data.py is not mounted in {demo_dir}"


def test_demo_mail_server_takes_the_demo_password_and_dovecot_accepts_its_configuration(services):
    mail, init, smtp = services["mail"], services["init"], services["smtp"]
    conf = _host_path(mail, "/etc/dovecot/dovecot.conf")
    assert conf and conf.is_file(), "the mail service mounts no dovecot.conf"
    text = conf.read_text()
    password = init["environment"]["MAILDESK_DEMO_MAIL_PASSWORD"]
    assert f"args = password={password}" in text, "the demo signs in with another password"
    assert init["environment"]["MAILDESK_DEMO_IMAP_HOST"] == "mail"
    assert init["environment"]["MAILDESK_DEMO_SMTP_HOST"] == "smtp"
    for folder in ("Sent", "Archive", "Drafts", "Trash"):
        assert re.search(rf"mailbox {folder} {{\s+special_use = \\{folder}", text), folder
    assert any(target == "/srv/mail" for target in
               (v.split(":")[1] for v in mail["volumes"])), "the demo mail is not kept in a volume"
    relay = _host_path(smtp, "/opt/maildesk/smtp_relay.py")
    assert relay and relay.is_file()
    ast.parse(relay.read_text())
    assert '"MAILDESK_DEMO_MAIL_PASSWORD", "demo"' in relay.read_text()
    assert init["environment"]["MAILDESK_DEMO_SMTP_PORT"] == "2525"
    if not shutil.which("doveconf"):
        pytest.skip("no doveconf to check docker/dovecot.conf (apt-get install dovecot-imapd)")
    run = subprocess.run(["doveconf", "-c", str(conf), "-n"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_demo_encryption_key_is_a_usable_fernet_key(compose):
    value = compose["x-odoo"]["environment"]["MAILDESK_SECRET_KEYS"]
    match = re.fullmatch(r"\$\{MAILDESK_SECRET_KEYS:-(.+)\}", value)
    assert match, value
    Fernet(match.group(1).encode())


def test_tests_service_runs_the_odoo_suite_and_returns_its_status(services):
    tests = services["tests"]
    assert "test" in tests.get("profiles", [])
    command = _command_text(tests)
    for part in ("-i maildesk_mail_client", "--test-enable", "--test-tags /maildesk_mail_client",
                 "--stop-after-init", "-r /opt/maildesk/requirements-test.txt"):
        assert part in command, f"the tests service does not run {part!r}: {command}"
    assert re.search(r"status=\$\$\?.*exit \$\$status", command), "the test status is not returned"
    requirements = _host_path(tests, "/opt/maildesk/requirements-test.txt")
    assert requirements and requirements.is_file()


def test_the_ai_profile_is_optional_and_makes_a_local_model_the_active_provider(services):
    """`docker compose --profile ai up`: a local OpenAI-compatible server and a provider on it,
    so a newcomer tries Ask AI without a key; a plain `up` starts neither."""
    assert services["ai"].get("profiles") == ["ai"]
    assert services["ai-init"].get("profiles") == ["ai"]
    assert "ollama serve" in " ".join(services["ai"]["command"])
    environment = services["ai-init"]["environment"]
    assert environment["MAILDESK_DEMO_AI_URL"] == "http://ai:11434/v1"
    assert environment["MAILDESK_DEMO_AI_MODEL"] in " ".join(services["ai"]["command"])
    script = ROOT / "docker" / "demo_ai.py"
    tree = ast.parse(script.read_text())
    keys = {k.value for node in ast.walk(tree) if isinstance(node, ast.Dict)
            for k in node.keys if isinstance(k, ast.Constant)}
    provider = (ROOT / "maildesk_mail_client_pro/models/maildesk_ai_provider.py").read_text()
    for key in keys | {"is_active"}:
        assert re.search(rf"^\s+{key} = fields\.", provider, re.M), f"no field maildesk.ai.provider.{key}"
    init = " ".join(services["init"]["command"])
    assert "-i maildesk_mail_client,maildesk_mail_client_pro" in init
