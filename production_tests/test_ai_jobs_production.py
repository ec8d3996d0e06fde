"""AI jobs between real workers, on real commits: two workers racing for one job run it once,
a worker killed while the model thinks leaves a lease that expires and the job is run again,
and the cron asks the AI gate before every run."""
import os
import signal
import sys
import threading

import harness
import pytest

sys.path.insert(0, str(harness.REPO / "maildesk_mail_client_pro" / "tests" / "standins"))
import openai_api  # noqa: E402 (no Odoo import: the stand-in the Odoo tests use too)

CRON = "maildesk_mail_client_pro.ir_cron_ai_jobs"
USER_GROUP = "maildesk_mail_client.group_mailbox_user"


@pytest.fixture
def standin():
    server = openai_api.OpenAIStandIn(api_key="sk-prod-test").start()
    yield server
    server.delay = 0
    server.stop()


def queued_summary(odoo, dovecot, standin):
    """A synced mailbox with one message, an active provider on the stand-in, and a summary
    job queued for a member of the mailbox (as an RPC whose run met a busy provider leaves it)."""
    from odoo.addons.maildesk_mail_client_pro.application.services.ai_providers import (  # noqa: PLC0415
        key_parameter,
    )
    account_id, user = harness.make_account(odoo, dovecot)
    dovecot.deliver(user, harness.message(1, subject="Planning"))
    harness.run(odoo.db, "call", "sync.sync_account", f"[{account_id}]")
    with odoo.env() as env:
        member = env["res.users"].create({"name": "Mia", "login": f"mia{account_id}",
                                          "group_ids": [(6, 0, [env.ref(USER_GROUP).id])]})
        env["mailbox.account"].browse(account_id).write(
            {"owner_id": member.id, "access_user_ids": [(4, member.id)]})
        provider = env["maildesk.ai.provider"].create({
            "name": "Stand-in", "kind": "custom", "base_url": standin.base_url,
            "model": "stand-in-model", "timeout_seconds": 60, "max_retries": 0})
        env["ir.config_parameter"].set_param(key_parameter(provider.id), "sk-prod-test")
        provider.is_active = True
        row = env["maildesk.message_index"].search([("account_id", "=", account_id)])
        job = env["maildesk.ai.job"].create({
            "account_id": account_id, "user_id": member.id, "feature": "summarize", "index_id": row.id,
            "thread_key": row.thread_id or f"message-{row.id}", "dedup_key": f"summarize:{row.id}",
            "source_hash": "h"})
        return job.id


def job_state(odoo, job_id):
    return odoo.sql("""SELECT state, attempts, lease_until > now() AT TIME ZONE 'UTC', error_message
                         FROM maildesk_ai_job WHERE id = %s""", [job_id])[0]


def summaries(odoo):
    return odoo.sql("SELECT count(*) FROM maildesk_ai_thread_insight WHERE kind = 'summary'")[0][0]


def test_two_workers_racing_for_one_job_run_it_once(pro_db, dovecot, standin):
    from odoo.addons.maildesk_mail_client_pro.application.services import ai_features, ai_jobs  # noqa: PLC0415
    job_id = queued_summary(pro_db, dovecot, standin)
    standin.delay = 1.0  # both workers are there while the first one waits for the model
    standin.respond(lambda body: "Monday, maybe.")
    outcomes, start = [], threading.Barrier(2)

    def worker():
        start.wait()
        with pro_db.env() as env:
            outcomes.append(ai_jobs.run(env, job_id, ai_features.FEATURES))

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(map(str, outcomes)) == ["None", "done"], "one ran it, the other found it taken"
    assert len(standin.chat_requests) == 1
    assert job_state(pro_db, job_id)[:2] == ("done", 1)
    assert summaries(pro_db) == 1


def test_a_worker_killed_while_the_model_thinks_leaves_a_lease_that_expires(pro_db, dovecot, standin):
    job_id = queued_summary(pro_db, dovecot, standin)
    standin.delay = 30
    worker = harness.Worker(pro_db.db, "cron", CRON).start()
    harness.wait_until(lambda: standin.chat_requests, timeout=120)
    os.kill(worker.proc.pid, signal.SIGKILL)
    worker.proc.wait(30)
    state, attempts, leased, _error = job_state(pro_db, job_id)
    assert (state, attempts, leased) == ("running", 1, True), "the dead worker's lease is still there"

    standin.delay = 0
    standin.respond(lambda body: "Monday, maybe.")
    harness.run(pro_db.db, "cron", CRON)
    assert job_state(pro_db, job_id)[0] == "running", "nobody takes a job whose lease is valid"
    assert len(standin.chat_requests) == 1

    pro_db.sql("UPDATE maildesk_ai_job SET lease_until = now() AT TIME ZONE 'UTC' - interval '1 second' "
               "WHERE id = %s", [job_id])
    harness.run(pro_db.db, "cron", CRON)
    assert job_state(pro_db, job_id)[:3] == ("done", 2, None)
    assert len(standin.chat_requests) == 2
    assert summaries(pro_db) == 1


def test_the_cron_asks_the_gate_before_running_a_queued_job(pro_db, dovecot, standin):
    job_id = queued_summary(pro_db, dovecot, standin)
    with pro_db.env() as env:
        env["ir.config_parameter"].set_param("maildesk.ai.enabled", "False")
    harness.run(pro_db.db, "cron", CRON)
    state, _attempts, _leased, error = job_state(pro_db, job_id)
    assert state == "refused"
    assert "AI is switched off for this database" in error
    assert standin.chat_requests == []
    assert summaries(pro_db) == 0
