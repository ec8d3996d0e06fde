"""The sync as production runs it: its own process, real commits, killed at any commit."""
import harness


def _sync(odoo_db, account_id, die=None, batch=5, budget=240):
    return harness.run(odoo_db.db, "call", "sync.sync_account",
                       f"[{account_id}, {budget}, {batch}]", die=die)


def test_incremental_sync_killed_at_every_commit_loses_and_doubles_nothing(odoo_db, dovecot):
    """More new mail than one batch, the worker killed before and after each of its commits:
    the next run leaves the index equal to the server, message for message."""
    boundaries = 0
    for where in ("before", "after"):
        n = 0
        while True:
            n += 1
            account_id, user = harness.make_account(odoo_db, dovecot)
            for i in range(3):
                dovecot.deliver(user, harness.message(i))
            assert _sync(odoo_db, account_id).result["status"] == "ok"
            for i in range(3, 17):  # 14 new messages: three batches of 5
                dovecot.deliver(user, harness.message(i))
            worker = _sync(odoo_db, account_id, die=(where, n))
            if not worker.killed:
                break
            boundaries += 1
            # the lease of the dead worker expires; the next worker must not wait for ever
            odoo_db.sql("UPDATE maildesk_account_lease SET lease_until = now() AT TIME ZONE 'UTC'"
                        " - interval '1 second' WHERE account_id = %s", [account_id])
            assert _sync(odoo_db, account_id).result["status"] == "ok"
            harness.assert_index_equals_server(odoo_db, dovecot, account_id, user)
    assert boundaries >= 6, f"only {boundaries} commit boundaries were exercised"


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
