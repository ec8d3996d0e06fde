"""The sync as production runs it: its own process, real commits, killed at any commit."""
import harness


def _sync(odoo_db, account_id, die=None, batch=5, budget=240):
    return harness.run(odoo_db.db, "call", "sync.sync_account",
                       f"[{account_id}, {budget}, {batch}]", die=die)


def test_incremental_sync_killed_at_every_commit_loses_and_doubles_nothing(odoo_db, dovecot):
    """More new mail than one batch, the worker killed before and after each of its commits:
    the next run leaves the index equal to the server, message for message."""
    def prepare():
        account_id, user = harness.make_account(odoo_db, dovecot)
        for i in range(3):
            dovecot.deliver(user, harness.message(i))
        assert _sync(odoo_db, account_id).result["status"] == "ok"
        for i in range(3, 17):  # 14 new messages: three batches of 5
            dovecot.deliver(user, harness.message(i))
        return account_id, user

    def check(account_id, user, _label):
        harness.assert_index_equals_server(odoo_db, dovecot, account_id, user)

    deaths = harness.kill_at_each_commit(
        prepare, lambda account_id, die: _sync(odoo_db, account_id, die=die), check)
    assert deaths >= 6, f"only {deaths} commit boundaries were exercised"


def test_incremental_sync_out_of_time_resumes_where_it_stopped(odoo_db, dovecot):
    account_id, user = harness.make_account(odoo_db, dovecot)
    dovecot.deliver(user, harness.message(0))
    assert _sync(odoo_db, account_id).result["status"] == "ok"
    for i in range(1, 13):
        dovecot.deliver(user, harness.message(i))
    first = _sync(odoo_db, account_id, budget=0).result
    assert first["complete"] is False
    for _ in range(6):
        if _sync(odoo_db, account_id, budget=0).result["complete"]:
            break
    harness.assert_index_equals_server(odoo_db, dovecot, account_id, user)


def test_the_sync_cron_stays_inside_odoos_time_limit_and_odoo_runs_it_again_for_the_rest(
        odoo_db, dovecot, tmp_path):
    """With a cron time limit of 6 s (half of it for syncing) the job does one mailbox per
    call and reports the rest through Odoo's progress commits: Odoo's scheduler calls it again
    until every mailbox is done, and no call runs into the limit."""
    boxes = harness.mailboxes_with_mail(odoo_db, dovecot, 3, 6)
    conf = harness.conf_with(str(tmp_path), limit_time_real_cron=6)
    worker = harness.Worker(odoo_db.db, "cron", "maildesk_mail_client.ir_cron_sync_mailboxes",
                            conf=conf).run()
    calls = odoo_db.sql("SELECT done, remaining FROM ir_cron_progress WHERE cron_id = %s "
                        "ORDER BY id", [worker.result["cron_id"]])
    assert len(calls) >= 3, f"the job ran in {len(calls)} call(s): {calls}"
    assert calls[0] == (1, 2), calls
    for account_id, user in boxes:
        harness.assert_index_equals_server(odoo_db, dovecot, account_id, user)
