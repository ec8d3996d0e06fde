"""Read, star, move, archive and delete pushed to the server by a worker killed at any commit:
after the next run every change is on the server exactly once and the index equals the server."""
import harness


def _record_changes(odoo_db, account_id):
    """A member's changes, as the inbox records them; returns {message_id: expected place}."""
    with odoo_db.env() as env:
        rows = env["maildesk.message_index"].search([("account_id", "=", account_id)])
        by = {r.subject: r for r in rows}
        sync = env["mailbox.sync"]
        sync.set_flags([by["M0"].id, by["M1"].id], is_read=True)
        sync.set_flags([by["M2"].id], is_starred=True)
        sync.archive_messages([by["M3"].id, by["M4"].id])
        sync.delete_messages([by["M5"].id])
        return {
            by["M0"].message_id: ("INBOX", True, False), by["M1"].message_id: ("INBOX", True, False),
            by["M2"].message_id: ("INBOX", False, True), by["M3"].message_id: ("Archive", False, False),
            by["M4"].message_id: ("Archive", False, False), by["M5"].message_id: ("Trash", False, False),
        }


def _sync(odoo_db, account_id, die=None):
    return harness.run(odoo_db.db, "call", "sync.sync_account", f"[{account_id}, 240, 2]", die=die)


def test_changes_applied_by_a_worker_killed_at_any_commit_all_reach_the_server_once(
        odoo_db, dovecot):
    def prepare():
        account_id, user = harness.make_account(odoo_db, dovecot)
        for i in range(6):
            dovecot.deliver(user, harness.message(i, subject=f"M{i}"))
        assert _sync(odoo_db, account_id).result["status"] == "ok"
        return account_id, (user, _record_changes(odoo_db, account_id))

    def check(account_id, ctx, label):
        user, expected = ctx
        _assert_server_has(dovecot, user, expected, label)
        harness.assert_index_equals_server(odoo_db, dovecot, account_id, user)
        left = odoo_db.sql("""SELECT count(*) FROM maildesk_email_state WHERE account_id = %s
                               AND (read_intent IS NOT NULL OR star_intent IS NOT NULL
                                    OR place_intent IS NOT NULL)""", [account_id])[0][0]
        assert left == 0, f"{label}: {left} changes still pending"

    deaths = harness.kill_at_each_commit(
        prepare, lambda account_id, die: _sync(odoo_db, account_id, die=die), check)
    assert deaths >= 6, f"only {deaths} commit boundaries were exercised"


def _assert_server_has(dovecot, user, expected, label):
    server = {mid: (folder, seen, flagged) for (folder, _uid), (mid, seen, flagged)
              in harness.server_snapshot(dovecot, user).items()}
    assert server == expected, f"{label}: server is {server}"


def test_two_sync_crons_racing_on_the_same_mailboxes_index_each_message_once(odoo_db, dovecot):
    """Two Odoo cron workers pick up the sync job at the same moment (the scheduler's own
    locking and the account lease decide who does what)."""
    boxes = harness.mailboxes_with_mail(odoo_db, dovecot, 3, 12)
    odoo_db.sql("INSERT INTO ir_config_parameter (key, value) VALUES "
                "('maildesk.backfill_batch_size', '3')")
    first = harness.Worker(odoo_db.db, "cron", "maildesk_mail_client.ir_cron_sync_mailboxes").start()
    second = harness.Worker(odoo_db.db, "call", "sync.run_due_accounts", "[]").start()
    first.wait(), second.wait()
    harness.run(odoo_db.db, "cron", "maildesk_mail_client.ir_cron_sync_mailboxes")
    for account_id, user in boxes:
        harness.assert_index_equals_server(odoo_db, dovecot, account_id, user)
        assert odoo_db.sql("SELECT connection_state FROM mailbox_account WHERE id = %s",
                           [account_id]) == [("connected",)]


def test_changes_applied_over_a_connection_cut_at_any_point_all_reach_the_server_once(
        odoo_db, dovecot):
    import mailservers  # noqa: PLC0415 (beside harness, on the conftest's path)

    proxy = mailservers.DroppingProxy(dovecot.imap_port).start()

    def scenario():
        account_id, user = harness.make_account(odoo_db, dovecot, imap_port=proxy.port)
        for i in range(6):
            dovecot.deliver(user, harness.message(i, subject=f"M{i}"))
        proxy.drop_after = None
        assert _sync(odoo_db, account_id).result["status"] == "ok"
        return account_id, user, _record_changes(odoo_db, account_id)

    account_id, user, _expected = scenario()
    before = proxy.bytes_from_server
    assert _sync(odoo_db, account_id).result["status"] == "ok"
    total = proxy.bytes_from_server - before
    cuts = 0
    for cut in range(total // 14, total, total // 14):
        account_id, user, expected = scenario()
        proxy.drop_after = cut
        first = _sync(odoo_db, account_id).result
        cuts += first["status"] != "ok"
        proxy.drop_after = None
        assert _sync(odoo_db, account_id).result["status"] == "ok"
        _assert_server_has(dovecot, user, expected, f"cut after {cut} of {total} bytes")
        harness.assert_index_equals_server(odoo_db, dovecot, account_id, user)
    assert cuts >= 8, f"only {cuts} runs were cut"


def _held_archive(odoo_db, dovecot):
    """A mailbox with one message, archived through the inbox with a long undo window."""
    account_id, user = harness.make_account(odoo_db, dovecot)
    dovecot.deliver(user, harness.message(0, subject="M0"))
    assert _sync(odoo_db, account_id).result["status"] == "ok"
    with odoo_db.env() as env:
        env["ir.config_parameter"].set_param("maildesk.undo_change_seconds", 30)
        row = env["maildesk.message_index"].search([("account_id", "=", account_id)])
        token = env["mailbox.sync"].archive_messages(row.ids)["undo_token"]
        state_id = env["maildesk.email_state"].search([("index_id", "=", row.id)]).id
    return account_id, user, token, state_id


def _make_due(odoo_db, state_id):
    odoo_db.sql("UPDATE maildesk_email_state SET next_try_at = NULL WHERE id = %s", [state_id])


def _folders_holding_mail(dovecot, user):
    return sorted(folder for (folder, _uid) in harness.server_snapshot(dovecot, user))


def test_an_undo_while_the_engine_tells_the_server_is_refused_not_claimed(odoo_db, dovecot):
    from odoo.exceptions import UserError  # noqa: PLC0415

    account_id, user, token, state_id = _held_archive(odoo_db, dovecot)
    # the engine holds the change's row from reading it until the server has the MOVE
    with odoo_db.registry.cursor() as engine:
        engine.execute("SELECT id FROM maildesk_email_state WHERE id = %s FOR UPDATE", [state_id])
        with odoo_db.env() as env:
            try:
                env["mailbox.sync"].undo_change(token)
            except UserError as refused:
                assert "Too late" in str(refused)
            else:
                raise AssertionError("undo claimed a change the engine was making")
        engine.rollback()
    with odoo_db.env() as env:  # the engine let go without making it: now undo works
        assert env["mailbox.sync"].undo_change(token) == {"undone": 1}
    _make_due(odoo_db, state_id)
    assert _sync(odoo_db, account_id).result["status"] == "ok"
    assert _folders_holding_mail(dovecot, user) == ["INBOX"], "undone: the server never moved it"


def test_a_move_undone_while_the_engine_waits_for_it_never_reaches_the_server(odoo_db, dovecot):
    account_id, user, _token, state_id = _held_archive(odoo_db, dovecot)
    _make_due(odoo_db, state_id)
    with odoo_db.registry.cursor() as undo:  # an undo in progress holds the row
        undo.execute("SELECT id FROM maildesk_email_state WHERE id = %s FOR UPDATE", [state_id])
        worker = harness.Worker(odoo_db.db, "call", "sync.sync_account",
                                f"[{account_id}, 240, 2]").start()
        harness.wait_until(lambda: odoo_db.sql(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = %s", [odoo_db.db])[0][0])
        undo.execute("""UPDATE maildesk_email_state SET place_intent = NULL,
                        target_folder_id = NULL WHERE id = %s""", [state_id])
        undo.execute("""UPDATE maildesk_message_index SET pending_move_to_id = NULL
                         WHERE id = (SELECT index_id FROM maildesk_email_state WHERE id = %s)""",
                     [state_id])
        undo.commit()
    worker.wait()
    assert _sync(odoo_db, account_id).result["status"] == "ok"
    assert _folders_holding_mail(dovecot, user) == ["INBOX"], "the engine made a move that was undone"
