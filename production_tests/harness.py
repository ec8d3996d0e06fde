"""The production-like test layer: real cursors, real commits, workers in their own processes.

Nothing here runs inside Odoo's test transaction. A test gets a database of its own (cloned
from a template with MailDesk installed, dropped afterwards), talks to it through ordinary
registry cursors that commit, and runs crons and services in separate worker processes
(``worker.py``) exactly as an Odoo worker would: the real scheduler, its own cursors. A
worker can be told to die at its N-th commit, just before or just after it, so a test can
walk through every commit boundary of a run.
"""
import configparser
import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADDON = HERE.parent / "maildesk_mail_client"
REPO = ADDON.parent
KILLED = -9


def odoo_src():
    return Path(os.environ.get("MAILDESK_ODOO_SRC", "/opt/odoo/19/src"))


def pg_env():
    env = dict(os.environ)
    conf = read_conf()
    env.setdefault("PGHOST", conf.get("db_host") or "127.0.0.1")
    env.setdefault("PGPORT", str(conf.get("db_port") or 5432))
    if conf.get("db_user"):
        env["PGUSER"] = conf["db_user"]
    return env


def conf_path():
    return os.environ["MAILDESK_ODOO_CONF"]


def conf_with(directory, **options):
    """A copy of the test configuration with some [options] changed; returns its path."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(conf_path())
    for key, value in options.items():
        parser["options"][key] = str(value)
    path = os.path.join(directory, "odoo.conf")
    with open(path, "w") as handle:
        parser.write(handle)
    return path


def read_conf():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(conf_path())
    return dict(parser["options"]) if parser.has_section("options") else {}


def psql(db, sql):
    out = subprocess.run(["psql", "-X", "-qAt", "-d", db, "-c", sql], env=pg_env(),
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def create_db(name, template=None):
    args = ["createdb", name] + (["-T", template] if template else [])
    subprocess.run(args, env=pg_env(), check=True, capture_output=True)


def drop_db(name):
    with contextlib.suppress(subprocess.CalledProcessError):
        psql("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
    subprocess.run(["dropdb", "--if-exists", name], env=pg_env(), capture_output=True)


def install_template(name, log_path):
    """A database with MailDesk installed, every cron parked (tests start the ones they need)."""
    drop_db(name)
    with open(log_path, "w") as log:
        rc = subprocess.run(
            [sys.executable, str(odoo_src() / "odoo-bin"), "-c", conf_path(), "-d", name,
             "-i", "maildesk_mail_client", "--stop-after-init", "--no-http"],
            cwd=str(odoo_src()), stdout=log, stderr=subprocess.STDOUT).returncode
    if rc:
        raise RuntimeError(f"installing MailDesk into {name} failed (rc={rc}); see {log_path}")
    psql(name, "UPDATE ir_cron SET nextcall = now() + interval '1 year'")


class Worker:
    """One run of a worker process. ``die`` = ("before" | "after", n): die at commit n.

    ``run()`` forks it from the database's worker server (the registry loaded once);
    ``start()``/``wait()`` start a separate process, for workers that must run at once.
    """

    def __init__(self, db, action, *args, die=None, env=None, timeout=180, conf=None):
        self.db = db
        self.own_conf = conf
        self.argv = ["--db", db, "--conf", conf or conf_path()]
        if die:
            self.argv += ["--die", f"{die[0]}:{die[1]}"]
        self.argv += [action, *map(str, args)]
        self.cmd = [sys.executable, str(HERE / "worker.py"), *self.argv]
        self.env = dict(os.environ, **(env or {}))
        self.timeout = timeout

    def run(self):
        if self.env != dict(os.environ) or self.own_conf:
            return self.start().wait()
        self.returncode, out, self.stderr = _server(self.db).run(self.argv, self.timeout)
        return self._finish(out)

    def _finish(self, out):
        self.result = None
        for line in out.splitlines():
            if line.startswith("RESULT "):
                self.result = json.loads(line[7:])
        if self.returncode not in (0, KILLED) or (self.returncode == 0 and self.result is None):
            raise AssertionError(f"worker {self.argv[4:]} failed (rc={self.returncode}):\n"
                                 f"{self.stderr[-4000:]}")
        return self

    def start(self):
        self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, cwd=str(odoo_src()))
        return self

    def wait(self):
        out, err = self.proc.communicate(timeout=self.timeout)
        self.returncode, self.stderr = self.proc.returncode, err
        return self._finish(out)

    @property
    def killed(self):
        return self.returncode == KILLED


class _WorkerServer:
    """worker.py serve: forks one child per job from a process that loaded the registry."""

    def __init__(self, db):
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "worker.py"), "--db", db, "--conf", conf_path(), "serve"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=str(odoo_src()))
        self.pending = b""
        if self._line(120) != "READY":
            raise AssertionError(f"the worker server for {db} did not start")
        self.dir = tempfile.mkdtemp(prefix="maildesk-worker-")

    def _line(self, timeout):
        end = time.monotonic() + timeout
        while b"\n" not in self.pending:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                raise AssertionError("the worker server died")
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return line.decode().strip()

    def run(self, argv, timeout):
        out, err = os.path.join(self.dir, "out"), os.path.join(self.dir, "err")
        self.proc.stdin.write((json.dumps({"argv": argv, "out": out, "err": err}) + "\n").encode())
        self.proc.stdin.flush()
        pid = int(self._line(30).split()[1])
        answer = self._line(timeout)
        if answer is None:  # stuck: a worker waiting on a lock would wait for ever
            os.kill(pid, signal.SIGKILL)
            self._line(30)
            raise AssertionError(f"worker {argv[4:]} did not finish within {timeout} s")
        with open(out) as o, open(err) as e:
            return int(answer.split()[1]), o.read(), e.read()

    def stop(self):
        with contextlib.suppress(Exception):
            self.proc.stdin.close()
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


_servers = {}


def _server(db):
    if db not in _servers:
        _servers[db] = _WorkerServer(db)
    return _servers[db]


def stop_worker_server(db):
    server = _servers.pop(db, None)
    if server:
        server.stop()


def run(db, action, *args, die=None, **kw):
    return Worker(db, action, *args, die=die, **kw).run()


def every_commit_boundary(db, action, *args, limit=60):
    """Run ``action`` dying just before, then just after, its 1st, 2nd ... commit, until a run
    completes without reaching that commit. Yields (where, n, worker) after each death."""
    for n in range(1, limit + 1):
        for where in ("before", "after"):
            worker = run(db, action, *args, die=(where, n))
            if not worker.killed:
                return
            yield where, n, worker
    raise AssertionError(f"{action} still committing after {limit} commits")


def kill_at_each_commit(prepare, act, check, limit=60):
    """For each commit a run makes, just before it and just after it: a fresh scenario
    (``prepare()`` -> (account_id, ctx)), the run killed there (``act(account_id, die)``), the
    dead worker's lease expired, another run, then ``check(account_id, ctx, label)``. Stops
    when a run finishes without reaching the commit; returns how many deaths were tried."""
    deaths = 0
    for where in ("before", "after"):
        for n in range(1, limit + 1):
            account_id, ctx = prepare()
            worker = act(account_id, (where, n))
            label = f"killed {where} commit {n}"
            if worker.killed:
                deaths += 1
                expire_lease(worker.db, account_id)
                again = act(account_id, None).result
                assert again["status"] == "ok", f"{label}: the next run gave {again}"
            check(account_id, ctx, label)
            if not worker.killed:
                break
        else:
            raise AssertionError(f"still committing after {limit} commits")
    return deaths


def expire_lease(db, account_id):
    """Time passes: a dead worker's lease runs out (the next worker must not wait for ever)."""
    psql(db, "UPDATE maildesk_account_lease SET lease_until = now() AT TIME ZONE 'UTC' "
             f"- interval '1 second' WHERE account_id = {int(account_id)}")


class Odoo:
    """Ordinary (non-test) registry cursors on one database: every ``env()`` block commits."""

    def __init__(self, db):
        self.db = db
        import odoo  # noqa: PLC0415 (odoo is configured by the conftest before this runs)
        from odoo.modules.registry import Registry  # noqa: PLC0415
        self.odoo = odoo
        self.registry = Registry(db)

    @contextlib.contextmanager
    def env(self, uid=None):
        from odoo import SUPERUSER_ID, api  # noqa: PLC0415
        with self.registry.cursor() as cr:
            yield api.Environment(cr, uid or SUPERUSER_ID, {})
            cr.commit()

    def sql(self, query, params=None):
        with self.registry.cursor() as cr:
            cr.execute(query, params or ())
            rows = cr.fetchall() if cr.description else []
            cr.commit()
            return rows


def wait_until(predicate, timeout=20.0, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not reached in time")


# -- mailboxes ------------------------------------------------------------------------------
def make_account(odoo, dovecot, smtp=None, user=None, **extra):
    """A mailbox account on a fresh Dovecot user; returns (account_id, imap_user)."""
    from mailservers import PASSWORD  # noqa: PLC0415
    user = user or dovecot.new_user("prod")
    vals = {"name": f"Box {user}", "email": f"{user}@example.com", "is_shared": True,
            "imap_host": "127.0.0.1", "imap_port": dovecot.imap_port, "imap_security": "none",
            "imap_login": user, "password": PASSWORD}
    if smtp:
        vals.update(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="none",
                    smtp_login=user)
    vals.update(extra)
    with odoo.env() as env:
        # moves and deletes are applied at the next sync, not after the inbox's undo window
        env["ir.config_parameter"].set_param("maildesk.undo_change_seconds", 0)
        account = env["mailbox.account"].create(vals)
        return account.id, user


def mailboxes_with_mail(odoo, dovecot, count, messages):
    """``count`` fresh mailboxes holding ``messages`` messages each: [(account_id, user)]."""
    boxes = []
    for _ in range(count):
        account_id, user = make_account(odoo, dovecot)
        for i in range(messages):
            dovecot.deliver(user, message(i))
        boxes.append((account_id, user))
    return boxes


def imap_client(dovecot, user):
    from imapclient import IMAPClient  # noqa: PLC0415
    from mailservers import PASSWORD  # noqa: PLC0415
    client = IMAPClient("127.0.0.1", dovecot.imap_port, ssl=False)
    client.login(user, PASSWORD)
    return client


def server_snapshot(dovecot, user, folders=None):
    """{(folder, uid): (message_id, seen, flagged)} for every message on the server."""
    client = imap_client(dovecot, user)
    try:
        names = folders or [name for _flags, _delim, name in client.list_folders()]
        snap = {}
        for name in names:
            info = client.select_folder(name, readonly=True)
            if not info.get(b"EXISTS"):
                continue
            fetched = client.fetch(client.search("ALL"),
                                   ["UID", "FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
            for uid, data in fetched.items():
                header = data[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().split(":", 1)
                flags = set(data[b"FLAGS"])
                snap[(name, str(uid))] = (
                    header[1].strip() if len(header) > 1 else None,
                    b"\\Seen" in flags, b"\\Flagged" in flags)
        return snap
    finally:
        client.logout()


def index_snapshot(odoo, account_id):
    """The index in the same shape; a doubled (folder, uid) raises."""
    rows = odoo.sql("""
        SELECT f.imap_name, i.uid, i.message_id, COALESCE(i.is_read, FALSE),
               COALESCE(i.is_starred, FALSE)
          FROM maildesk_message_index i JOIN mailbox_folder f ON f.id = i.folder_id
         WHERE i.account_id = %s AND NOT COALESCE(i.local_pending, FALSE)""", [account_id])
    snap = {}
    for folder, uid, message_id, seen, flagged in rows:
        assert (folder, uid) not in snap, f"{folder} uid {uid} is indexed twice"
        snap[(folder, uid)] = (message_id, seen, flagged)
    return snap


def assert_index_equals_server(odoo, dovecot, account_id, user):
    server, index = server_snapshot(dovecot, user), index_snapshot(odoo, account_id)
    missing = sorted(set(server) - set(index))
    extra = sorted(set(index) - set(server))
    wrong = sorted(k for k in set(server) & set(index) if server[k] != index[k])
    assert not (missing or extra or wrong), (
        f"index differs from the server: missing {missing[:10]} ({len(missing)}), "
        f"extra {extra[:10]} ({len(extra)}), different {[(k, index[k], server[k]) for k in wrong[:5]]}")


def message(n, subject=None, extra=""):
    subject = subject or f"Message {n}"
    return (f"From: Alice <alice@example.org>\r\nTo: team@example.com\r\nSubject: {subject}\r\n"
            f"Message-ID: <m{n}-{time.time_ns()}@example.org>\r\n"
            f"Date: Mon, 23 Nov 2026 10:00:00 +0100\r\n{extra}\r\nBody {n}.\r\n").encode()
