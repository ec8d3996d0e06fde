"""Fixtures of the production-like layer (see harness.py). Run with Odoo's Python:

    MAILDESK_ODOO_CONF=odoo.conf python -m pytest --import-mode=importlib production_tests

The conf names the database server, the addons path (with this repository) and the
[maildesk] key. Each test gets a database of its own, dropped afterwards.
"""
import itertools
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "maildesk_mail_client" / "tests"))  # mailservers.py: no Odoo import

import harness  # noqa: E402
import mailservers  # noqa: E402

_counter = itertools.count(1)


def pytest_configure(config):
    if "MAILDESK_ODOO_CONF" not in os.environ:
        raise pytest.UsageError("set MAILDESK_ODOO_CONF to an odoo.conf with the database server, "
                                "an addons path that holds this repository and a [maildesk] key")
    sys.path.insert(0, str(harness.odoo_src()))
    from odoo.tools import config as odoo_config  # noqa: PLC0415
    odoo_config.parse_config(["-c", os.environ["MAILDESK_ODOO_CONF"], "--log-level", "warn"],
                             setup_logging=True)


@pytest.fixture(scope="session")
def template_db():
    name = f"maildesk_prodtpl_{os.getpid()}"
    log = Path(tempfile.gettempdir()) / f"{name}.log"
    harness.install_template(name, log)
    yield name
    harness.drop_db(name)


@pytest.fixture
def odoo_db(template_db):
    """harness.Odoo on a fresh database with MailDesk installed, for this test only."""
    yield from _fresh_db(template_db, "maildesk_prod")


@pytest.fixture(scope="session")
def pro_template(template_db):
    """A database with Basic and Pro installed, every cron parked (Pro's tests start from it)."""
    name = f"{template_db}_pro"
    harness.drop_db(name)
    harness.create_db(name, template=template_db)
    rc = subprocess.run(
        [sys.executable, str(harness.odoo_src() / "odoo-bin"), "-c", harness.conf_path(), "-d", name,
         "-i", "maildesk_mail_client_pro", "--stop-after-init", "--no-http"],
        cwd=str(harness.odoo_src()), capture_output=True, text=True).returncode
    assert rc == 0, f"installing MailDesk Pro into {name} failed (rc={rc})"
    harness.psql(name, "UPDATE ir_cron SET nextcall = now() + interval '1 year'")
    yield name
    harness.drop_db(name)


def _fresh_db(template, prefix):
    name = f"{prefix}_{os.getpid()}_{next(_counter)}"
    harness.create_db(name, template=template)
    odoo = harness.Odoo(name)
    yield odoo
    harness.stop_worker_server(name)
    from odoo.modules.registry import Registry  # noqa: PLC0415
    Registry.delete(name)
    harness.drop_db(name)


@pytest.fixture
def pro_db(pro_template):
    """harness.Odoo on a fresh database with Basic and Pro, for this test only."""
    yield from _fresh_db(pro_template, "maildesk_prodpro")


@pytest.fixture(scope="session")
def dovecot():
    server = mailservers.Dovecot()
    server.start()  # no skip: a missing Dovecot is a failure of this layer
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp(dovecot):
    receiver = mailservers.SmtpReceiver(dovecot=dovecot).start()
    yield receiver
    receiver.stop()
