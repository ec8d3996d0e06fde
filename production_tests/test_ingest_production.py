"""Filing replies into Odoo records under Odoo's real scheduler, as production runs it."""
import harness


def _record_with_odoo_mail(odoo_db, dovecot, name, body):
    """A partner with a message Odoo sent, and a mailbox synced once: (account, user, partner,
    the Message-ID replies will point to)."""
    account_id, user = harness.make_account(odoo_db, dovecot)
    with odoo_db.env() as env:
        partner = env["res.partner"].create({"name": name})
        message_id = partner.message_post(body=body, message_type="comment").message_id
        partner_id = partner.id
    harness.run(odoo_db.db, "call", "sync.sync_account", f"[{account_id}]")
    return account_id, user, partner_id, message_id


def test_the_ingest_cron_files_a_reply_into_the_records_chatter(odoo_db, dovecot):
    account_id, user, partner_id, odoo_message_id = _record_with_odoo_mail(
        odoo_db, dovecot, "ACME Corp", "Our offer")
    dovecot.deliver(user, harness.message(1, subject="Re: Our offer", extra=(
        f"In-Reply-To: {odoo_message_id}\r\nReferences: {odoo_message_id}\r\n")))
    dovecot.deliver(user, harness.message(2, subject="Unrelated"))
    harness.run(odoo_db.db, "call", "sync.sync_account", f"[{account_id}]")

    # A cron worker stuck on a lock it holds itself never returns: bound it.
    harness.run(odoo_db.db, "cron", "maildesk_mail_client.ir_cron_ingest", timeout=90)

    filed = odoo_db.sql("""SELECT count(*) FROM mail_message WHERE model = 'res.partner'
                            AND res_id = %s AND body::text LIKE '%%Body 1.%%'""", [partner_id])
    assert filed[0][0] == 1, "the reply is not in the partner's chatter"
    jobs = odoo_db.sql("SELECT state, processed_model, processed_res_id FROM maildesk_ingest_queue")
    assert jobs == [("done", "res.partner", partner_id)]
    # The next run files nothing twice.
    harness.run(odoo_db.db, "cron", "maildesk_mail_client.ir_cron_ingest", timeout=90)
    assert odoo_db.sql("""SELECT count(*) FROM mail_message WHERE model = 'res.partner'
                           AND res_id = %s AND body::text LIKE '%%Body 1.%%'""",
                       [partner_id])[0][0] == 1


def test_an_ingest_worker_killed_at_any_commit_files_each_reply_exactly_once(odoo_db, dovecot):
    account_id, user, partner_id, odoo_message_id = _record_with_odoo_mail(
        odoo_db, dovecot, "Globex", "Quote")
    for n in range(3):
        dovecot.deliver(user, harness.message(10 + n, subject=f"Re: Quote {n}", extra=(
            f"In-Reply-To: {odoo_message_id}\r\nReferences: {odoo_message_id}\r\n")))
    harness.run(odoo_db.db, "call", "sync.sync_account", f"[{account_id}]")
    deaths = 0
    for _where, _n, _worker in harness.every_commit_boundary(
            odoo_db.db, "call", "ingest.run_cron", "[]"):
        deaths += 1
        # a killed worker's jobs are picked up again at once in this test
        odoo_db.sql("UPDATE maildesk_ingest_queue SET started_at = started_at - interval '1 day'")
    assert deaths >= 2
    harness.run(odoo_db.db, "call", "ingest.run_cron", "[]")
    rows = odoo_db.sql("""SELECT count(*) FROM mail_message WHERE model = 'res.partner'
                           AND res_id = %s AND subject LIKE 'Re: Quote %%'""", [partner_id])
    assert rows[0][0] == 3, f"{rows[0][0]} replies filed instead of 3"
