"""An existing database upgraded with ``odoo-bin -u`` keeps its users' pending changes.

19.0.1.0.0 kept a pending change in ``maildesk.email_state`` as paired booleans (``has_seen`` +
``seen`` while ``dirty_flags``, ``dirty_move`` + ``is_delete`` / ``target_folder_id``);
19.0.1.1.0 keeps tri-state intents. The database is put back in the old shape (old columns,
old rows, old version number), upgraded by a real ``odoo-bin -u`` process, and the next sync,
in a worker of its own, must put every change on the server."""
import subprocess
import sys

import harness

OLD_COLUMNS = ("seen", "has_seen", "starred", "has_starred", "has_move", "is_delete",
               "has_delete", "dirty_flags", "dirty_move")


def _as_19_0_1_0_0(odoo_db, account_id):
    """The account's changes written as the previous version wrote them; returns the
    Message-IDs by subject."""
    with odoo_db.env() as env:
        rows = env["maildesk.message_index"].search([("account_id", "=", account_id)])
        ids = {r.subject: r.id for r in rows}
        message_ids = {r.subject: r.message_id for r in rows}
        archive_id = env["mailbox.folder"].search([("account_id", "=", account_id),
                                                   ("folder_type", "=", "archive")]).id
    odoo_db.sql("ALTER TABLE maildesk_email_state "
                + ", ".join(f"ADD COLUMN {name} boolean" for name in OLD_COLUMNS))
    old = [  # subject, seen, has_seen, starred, has_starred, target, has_move, is_delete, flags, move
        ("M0", True, True, None, None, None, None, None, True, None),        # mark as read
        ("M1", None, None, True, True, None, None, None, True, None),        # star
        ("M2", None, None, None, None, archive_id, True, None, None, True),  # archive
        ("M3", None, None, None, None, None, None, True, None, True),        # delete
        ("M4", True, True, None, None, archive_id, True, None, True, True),  # read, then archive
        ("M5", True, True, True, True, None, None, None, False, None),       # applied already
    ]
    for subject, seen, has_seen, starred, has_starred, target, has_move, is_delete, flags, move in old:
        odoo_db.sql(f"""
            INSERT INTO maildesk_email_state (account_id, index_id, target_folder_id,
                                              {", ".join(OLD_COLUMNS)}, create_uid, write_uid,
                                              create_date, write_date)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, FALSE, %s, %s, 1, 1,
                    now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')""",
                    [account_id, ids[subject], target, seen, has_seen, starred, has_starred,
                     has_move, is_delete, flags, move])
    # What the inbox showed at once, as the previous version wrote it.
    odoo_db.sql("UPDATE maildesk_message_index SET is_read = TRUE WHERE id = ANY(%s)",
                [[ids["M0"], ids["M4"]]])
    odoo_db.sql("UPDATE maildesk_message_index SET is_starred = TRUE WHERE id = %s", [ids["M1"]])
    odoo_db.sql("UPDATE maildesk_message_index SET pending_move_to_id = %s WHERE id = ANY(%s)",
                [archive_id, [ids["M2"], ids["M4"]]])
    odoo_db.sql("UPDATE maildesk_message_index SET pending_delete = TRUE WHERE id = %s", [ids["M3"]])
    odoo_db.sql("UPDATE ir_module_module SET latest_version = '19.0.1.0.0' "
                "WHERE name = 'maildesk_mail_client'")
    return message_ids


def test_pending_changes_written_by_the_previous_version_survive_the_upgrade(
        odoo_db, dovecot, tmp_path):
    account_id, user = harness.make_account(odoo_db, dovecot)
    for i in range(6):
        dovecot.deliver(user, harness.message(i, subject=f"M{i}"))
    assert harness.run(odoo_db.db, "call", "sync.sync_account",
                       f"[{account_id}, 240, 2]").result["status"] == "ok"
    mid = _as_19_0_1_0_0(odoo_db, account_id)

    log = tmp_path / "upgrade.log"
    with open(log, "w") as out:
        rc = subprocess.run(
            [sys.executable, str(harness.odoo_src() / "odoo-bin"), "-c", harness.conf_path(),
             "-d", odoo_db.db, "-u", "maildesk_mail_client", "--stop-after-init", "--no-http"],
            cwd=str(harness.odoo_src()), stdout=out, stderr=subprocess.STDOUT).returncode
    assert rc == 0, log.read_text()[-3000:]
    intents = dict(odoo_db.sql("""
        SELECT i.subject, ARRAY[s.read_intent, s.star_intent, s.place_intent]
          FROM maildesk_email_state s JOIN maildesk_message_index i ON i.id = s.index_id
         WHERE s.account_id = %s""", [account_id]))
    assert intents == {"M0": ["read", None, None], "M1": [None, "starred", None],
                       "M2": [None, None, "move"], "M3": [None, None, "delete"],
                       "M4": ["read", None, "move"], "M5": [None, None, None]}
    left = odoo_db.sql("""SELECT column_name FROM information_schema.columns
                           WHERE table_name = 'maildesk_email_state' AND column_name = ANY(%s)""",
                       [list(OLD_COLUMNS)])
    assert left == [], "the old columns are dropped by the upgrade"

    assert harness.run(odoo_db.db, "call", "sync.sync_account",
                       f"[{account_id}, 240, 2]").result["status"] == "ok"
    server = {message_id: (folder, seen, flagged) for (folder, _uid), (message_id, seen, flagged)
              in harness.server_snapshot(dovecot, user).items()}
    assert server == {
        mid["M0"]: ("INBOX", True, False), mid["M1"]: ("INBOX", False, True),
        mid["M2"]: ("Archive", False, False), mid["M3"]: ("Trash", False, False),
        mid["M4"]: ("Archive", True, False), mid["M5"]: ("INBOX", False, False),
    }
    harness.assert_index_equals_server(odoo_db, dovecot, account_id, user)
    pending = odoo_db.sql("""SELECT count(*) FROM maildesk_email_state WHERE account_id = %s
                              AND (read_intent IS NOT NULL OR star_intent IS NOT NULL
                                   OR place_intent IS NOT NULL)""", [account_id])[0][0]
    assert pending == 0
