"""A worker process for the production-like tests: runs one cron or service as Odoo would.

    worker.py --db DB --conf odoo.conf [--die before:N|after:N] ACTION ARGS...

ACTION ``cron XMLID`` makes that cron due and runs it through Odoo's own scheduler
(``ir.cron._process_jobs_loop``: the job cursor, progress commits, rescheduling);
``call MODULE.FUNCTION JSON_ARGS`` calls a MailDesk service function with a system
environment on a cursor that commits at the end, as a cron job's callback would.
``--die before:N`` kills the process (SIGKILL) just before its N-th commit, ``after:N`` just
after it: a worker killed by the OOM killer, a deploy or a time limit at that exact point.
Prints ``RESULT <json>`` when it finishes.
"""
import argparse
import importlib
import json
import os
import signal
import sys
import traceback


def _parser():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--conf", required=True)
    parser.add_argument("--die")
    parser.add_argument("action")
    parser.add_argument("args", nargs="*")
    return parser


def main():
    opts = _parser().parse_args()
    registry = _load(opts.db, opts.conf)
    if opts.action == "serve":
        return _serve(registry)
    _perform(registry, opts)


def _load(db, conf):
    sys.path.insert(0, os.environ.get("MAILDESK_ODOO_SRC", "/opt/odoo/19/src"))
    from odoo.modules.registry import Registry  # noqa: PLC0415
    from odoo.tools import config as odoo_config  # noqa: PLC0415
    odoo_config.parse_config(["-c", conf, "--log-level", "warn"], setup_logging=True)
    return Registry(db)


def _perform(registry, opts):
    from odoo import SUPERUSER_ID, api, sql_db  # noqa: PLC0415
    if opts.die:
        where, count = opts.die.split(":")
        _die_at_commit(sql_db.Cursor, where, int(count))
    if opts.action == "cron":
        result = _run_cron(registry, registry.db_name, opts.args[0])
    elif opts.action == "call":
        module, function = opts.args[0].rsplit(".", 1)
        args = json.loads(opts.args[1]) if len(opts.args) > 1 else []
        service = importlib.import_module(
            f"odoo.addons.maildesk_mail_client.application.services.{module}")
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            result = getattr(service, function)(env, *args)
    else:
        raise SystemExit(f"unknown action {opts.action}")
    print("RESULT " + json.dumps(result, default=str), flush=True)


def _serve(registry):
    """Forking server: the registry is loaded once, each job runs in a fresh child process
    (its own database connections, its own death), as fast as a fork. Reads one JSON job a
    line: {"argv": [...], "out": path, "err": path}; answers "EXIT <returncode>"."""
    from odoo import sql_db  # noqa: PLC0415
    sql_db.close_all()  # no connection may be shared with a child
    print("READY", flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                with open(job["out"], "w") as out, open(job["err"], "w") as err:
                    os.dup2(out.fileno(), 1)
                    os.dup2(err.fileno(), 2)
                    sys.stdout = os.fdopen(1, "w", buffering=1)
                    sys.stderr = os.fdopen(2, "w", buffering=1)
                    _perform(registry, _parser().parse_args(job["argv"]))
                    code = 0
            except BaseException:  # noqa: BLE001 (reported to the test through stderr)
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        print(f"PID {pid}", flush=True)
        _pid, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        print(f"EXIT {code}", flush=True)


def _die_at_commit(cursor_class, where, count):
    original = cursor_class.commit
    seen = [0]

    def commit(self):
        seen[0] += 1
        if seen[0] == count and where == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        outcome = original(self)
        if seen[0] == count and where == "after":
            os.kill(os.getpid(), signal.SIGKILL)
        return outcome

    cursor_class.commit = commit


def _run_cron(registry, db, xmlid):
    from odoo import sql_db  # noqa: PLC0415
    from odoo.addons.base.models.ir_cron import IrCron  # noqa: PLC0415
    with registry.cursor() as cr:
        module, name = xmlid.split(".")
        cr.execute("""SELECT res_id FROM ir_model_data WHERE module = %s AND name = %s
                       AND model = 'ir.cron'""", [module, name])
        cron_id = cr.fetchone()[0]
        cr.execute("UPDATE ir_cron SET nextcall = now() AT TIME ZONE 'UTC' - interval '1 minute', "
                   "active = TRUE WHERE id = %s", [cron_id])
        cr.commit()
    with sql_db.db_connect(db).cursor() as cron_cr:
        IrCron._process_jobs_loop(cron_cr, job_ids=[cron_id])
    with registry.cursor() as cr:
        cr.execute("""SELECT done, remaining FROM ir_cron_progress WHERE cron_id = %s
                       ORDER BY id DESC LIMIT 1""", [cron_id])
        row = cr.fetchone()
    return {"cron_id": cron_id, "done": row and row[0], "remaining": row and row[1]}


if __name__ == "__main__":
    main()
