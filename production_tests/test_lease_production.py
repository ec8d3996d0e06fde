"""The account lease between real workers: nobody waits, a worker that lost it stops."""
import threading
import time

import harness
import psycopg2


def _connect(odoo_db):
    conf = harness.read_conf()
    return psycopg2.connect(dbname=odoo_db.db, host=conf.get("db_host") or "127.0.0.1",
                            port=conf.get("db_port") or 5432, user=conf.get("db_user") or None)


def test_taking_a_lease_never_waits_for_another_transaction(odoo_db, dovecot):
    account_id, _user = harness.make_account(odoo_db, dovecot)
    odoo_db.sql("""INSERT INTO maildesk_account_lease (account_id, lease_until, owner)
                   VALUES (%s, now() AT TIME ZONE 'UTC' - interval '1 minute', 'old')""",
                [account_id])
    other = _connect(odoo_db)
    try:
        with other.cursor() as cur:  # another worker is renewing or releasing it right now
            cur.execute("SELECT 1 FROM maildesk_account_lease WHERE account_id = %s FOR UPDATE",
                        [account_id])
        outcome = {}

        def take():
            started = time.monotonic()
            with odoo_db.env() as env:
                outcome["taken"] = env["maildesk.account_lease"].try_acquire(account_id, 60, "me")
            outcome["seconds"] = time.monotonic() - started

        thread = threading.Thread(target=take, daemon=True)
        thread.start()
        thread.join(5)
        waited = thread.is_alive()
    finally:
        other.rollback()
        other.close()
    thread.join(10)
    assert not waited, "try_acquire waited for the other transaction's lock"
    assert outcome == {"taken": False, "seconds": outcome["seconds"]}


def test_a_worker_that_lost_its_lease_stops_writing_at_once(odoo_db, dovecot):
    account_id, user = harness.make_account(odoo_db, dovecot)
    for i in range(150):
        dovecot.deliver(user, harness.message(i))
    worker = harness.Worker(odoo_db.db, "call", "sync.sync_account", f"[{account_id}, 240, 1]")
    worker.start()
    harness.wait_until(lambda: odoo_db.sql(
        "SELECT 1 FROM maildesk_account_lease WHERE account_id = %s AND owner LIKE 'sync:%%'",
        [account_id]), timeout=60, step=0.01)
    # The lease ran out (the worker stalled) and another worker took the mailbox.
    odoo_db.sql("""UPDATE maildesk_account_lease SET owner = 'thief',
                   lease_until = now() AT TIME ZONE 'UTC' + interval '1 hour'
                   WHERE account_id = %s""", [account_id])
    at_theft = odoo_db.sql("SELECT count(*) FROM maildesk_message_index WHERE account_id = %s",
                           [account_id])[0][0]
    result = worker.wait().result
    after = odoo_db.sql("SELECT count(*) FROM maildesk_message_index WHERE account_id = %s",
                        [account_id])[0][0]
    assert at_theft < 150, "the worker finished before the lease was taken: nothing was proven"
    assert after == at_theft, f"{after - at_theft} messages written after the lease was lost"
    assert result["status"] == "busy" and result["complete"] is False, str(result)
    owner = odoo_db.sql("SELECT owner FROM maildesk_account_lease WHERE account_id = %s",
                        [account_id])
    assert owner == [("thief",)], "the stopped worker released another worker's lease"
