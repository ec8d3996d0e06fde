"""The outbound update queue as production runs it: its cron in a worker process through
Odoo's scheduler, real commits, killed at each of them; two crons at once. A bulk change
resumes where it stopped and changes every message exactly once; a message sent later
reaches its recipient exactly once."""
import threading

import harness

# Basic's template with Pro installed, and a fresh database of it per test: defined once, with
# the AI jobs' production tests (conftest.py is where both belong).

CRON = "maildesk_mail_client_pro.ir_cron_update_queue"
USER_GROUP = "maildesk_mail_client.group_mailbox_user"


def _member(odoo, account_id):
    """A Mailbox User on the mailbox; the queue's entries are theirs."""
    with odoo.env() as env:
        env["ir.config_parameter"].set_param("maildesk.undo_send_seconds", 0)
        member = env["res.users"].create({"name": "Mia", "login": f"mia{account_id}",
                                          "group_ids": [(6, 0, [env.ref(USER_GROUP).id])]})
        env["mailbox.account"].browse(account_id).write(
            {"owner_id": member.id, "access_user_ids": [(4, member.id)]})
        return member.id


def _count_committed_changes(odoo):
    """Every committed change of a message's read state, one row each (a rolled-back one
    leaves none): a message changed twice shows twice."""
    odoo.sql("""
        CREATE TABLE applied_read (index_id int);
        CREATE FUNCTION note_read() RETURNS trigger AS $$
            BEGIN INSERT INTO applied_read VALUES (NEW.id); RETURN NEW; END $$ LANGUAGE plpgsql;
        CREATE TRIGGER note_read AFTER UPDATE OF is_read ON maildesk_message_index
            FOR EACH ROW EXECUTE FUNCTION note_read();""")


def _bulk(odoo, dovecot, count, folders=1):
    """``folders`` folders of ``count`` unread messages each, and a member's queued "mark all
    read" for each folder: (queue ids, folder ids)."""
    account_id, _box = harness.make_account(odoo, dovecot)
    member_id = _member(odoo, account_id)
    with odoo.env() as env:
        folder_ids = []
        for f in range(folders):
            folder = env["mailbox.folder"].create({"account_id": account_id, "name": f"Big {f}",
                                                    "imap_name": f"Big{f}"})
            env["maildesk.message_index"].create([
                {"account_id": account_id, "folder_id": folder.id, "uid": str(n),
                 "subject": f"Bulk {n}", "sort_ts": 1_700_000_000 + n} for n in range(count)])
            folder_ids.append(folder.id)
    _count_committed_changes(odoo)
    queue_ids = []
    for folder_id in folder_ids:
        with odoo.env(member_id) as env:
            queue_ids.append(env["mailbox.sync"].queue_bulk_change(
                "read", count, folder_id=folder_id)["queue_id"])
    return queue_ids, folder_ids


def _assert_each_changed_once(odoo, folder_ids, count, label):
    applied = odoo.sql("SELECT index_id, count(*) FROM applied_read GROUP BY index_id")
    twice = [i for i, n in applied if n > 1]
    assert not twice, f"{label}: {len(twice)} messages changed twice"
    assert len(applied) == count, f"{label}: {count - len(applied)} messages never changed"
    unread = odoo.sql("SELECT count(*) FROM maildesk_message_index WHERE folder_id = ANY(%s) "
                      "AND is_read IS NOT TRUE", [folder_ids])[0][0]
    assert unread == 0, f"{label}: {unread} still unread"


def _entry(odoo, queue_id):
    return odoo.sql("SELECT state, done_count FROM maildesk_update_queue WHERE id = %s",
                    [queue_id])[0]


def test_a_bulk_change_killed_at_any_commit_resumes_and_changes_each_message_once(
        pro_db, dovecot):
    count = 1200  # three chunks
    [queue_id], folder_ids = _bulk(pro_db, dovecot, count)
    deaths = [(where, n) for where, n, _w in harness.every_commit_boundary(pro_db.db, "cron", CRON)]
    assert len(deaths) >= 6, deaths  # before and after each chunk's commit, at the least
    assert _entry(pro_db, queue_id) == ("done", count)
    _assert_each_changed_once(pro_db, folder_ids, count, f"after {len(deaths)} deaths")


def _process_due_here(odoo, results):
    """The queue's service on this process's own registry cursors: a second cron."""
    from odoo.addons.maildesk_mail_client_pro.application.services import (  # noqa: PLC0415
        update_queue,
    )
    with odoo.env() as env:
        results.append(update_queue.process_due(env))


def _race(odoo, started):
    """The queue's cron in a worker process and, once ``started()`` says it is at work, the
    same service in this process: two crons on the same due entries."""
    worker = harness.Worker(odoo.db, "cron", CRON).start()
    harness.wait_until(started, timeout=120)
    results = []
    here = threading.Thread(target=_process_due_here, args=(odoo, results))
    here.start()
    worker.wait()
    here.join(180)
    assert not here.is_alive(), "the second cron did not finish"
    return results


def test_two_crons_racing_apply_each_entry_once(pro_db, dovecot):
    count, folders = 600, 6
    queue_ids, folder_ids = _bulk(pro_db, dovecot, count, folders=folders)
    [here] = _race(pro_db, lambda: pro_db.sql(
        "SELECT 1 FROM maildesk_update_queue WHERE done_count > 0"))
    assert here["done"] + here["running"] > 0, f"the second cron had nothing to do: {here}"
    _process_due_here(pro_db, [])  # an entry one of them left to retry at once is finished
    assert [_entry(pro_db, q) for q in queue_ids] == [("done", count)] * folders
    _assert_each_changed_once(pro_db, folder_ids, count * folders, "two crons")


def _scheduled_sends(odoo, dovecot, smtp, how_many):
    """Drafts a member scheduled, their time come: [(queue_id, recipient address)]."""
    account_id, _box = harness.make_account(odoo, dovecot, smtp)
    member_id = _member(odoo, account_id)
    scheduled = []
    for n in range(how_many):
        address = f"{dovecot.new_user('later')}@example.org"
        with odoo.env(member_id) as env:
            Sync = env["mailbox.sync"]
            draft_id = Sync.save_draft(account_id=account_id, subject=f"Later {n}",
                                       to_emails=address, body_html="<p>Once.</p>")
            answer = Sync.schedule_send("2030-01-01 08:00:00", draft_id=draft_id)
        scheduled.append((answer["queue_id"], address))
    _time_passes(odoo)
    return scheduled


def _time_passes(odoo):
    odoo.sql("UPDATE maildesk_update_queue SET scheduled_at = now() AT TIME ZONE 'UTC' "
             "- interval '1 second' WHERE state = 'pending'")


def _received(smtp, address):
    return sum(address in m["rcpt_tos"] for m in smtp.messages)


def _send_all(odoo):
    for _ in range(3):  # the send worker, as its cron runs it, until nothing is due
        harness.run(odoo.db, "call", "sending.process_send_queue", "[]")


def test_messages_sent_later_by_a_cron_killed_at_any_commit_go_out_exactly_once(
        pro_db, dovecot, smtp):
    scheduled = _scheduled_sends(pro_db, dovecot, smtp, 4)
    deaths = list(harness.every_commit_boundary(pro_db.db, "cron", CRON))
    assert deaths, "the cron never died"
    _send_all(pro_db)
    assert [_received(smtp, address) for _q, address in scheduled] == [1] * len(scheduled)
    assert [_entry(pro_db, q)[0] for q, _a in scheduled] == ["done"] * len(scheduled)


def test_two_crons_racing_send_each_message_later_exactly_once(pro_db, dovecot, smtp):
    scheduled = _scheduled_sends(pro_db, dovecot, smtp, 30)
    _race(pro_db, lambda: pro_db.sql(
        "SELECT 1 FROM maildesk_update_queue WHERE action = 'send_later' AND state = 'done'"))
    _process_due_here(pro_db, [])
    _send_all(pro_db)
    assert [_received(smtp, address) for _q, address in scheduled] == [1] * len(scheduled)
