"""Sending as production runs it: the send worker in its own process, real commits, killed at
each of them. Whatever happens, a message reaches its recipient at most once, and a message
the worker cannot vouch for is left 'uncertain' for the person, never sent again on its own."""
import harness


def _queue(odoo, account_id, to, subject, **values):
    """Someone presses Send: the request queues the draft and commits; no SMTP in it."""
    with odoo.env() as env:
        from odoo.addons.maildesk_mail_client.application.services import sending  # noqa: PLC0415
        draft = env["maildesk.draft"].create(dict(values, account_id=account_id, subject=subject,
                                                  to_emails=to, body_html="<p>Once.</p>"))
        status = sending.send_draft(draft)
        assert status["state"] == "queued"
        draft_id = draft.id
    odoo.sql("UPDATE maildesk_draft SET send_after = now() AT TIME ZONE 'UTC' - interval '1 second'"
             " WHERE id = %s", [draft_id])  # the undo delay is over
    return draft_id


def _send(odoo, die=None):
    return harness.run(odoo.db, "call", "sending.process_send_queue", "[]", die=die)


def _state(odoo, draft_id):
    return odoo.sql("SELECT send_state FROM maildesk_draft WHERE id = %s", [draft_id])[0][0]


def _delivered(dovecot, user):
    client = harness.imap_client(dovecot, user)
    try:
        return client.select_folder("INBOX", readonly=True)[b"EXISTS"]
    finally:
        client.logout()


def test_a_send_worker_killed_at_any_commit_never_sends_a_message_twice(odoo_db, dovecot, smtp):
    outcomes = set()
    for where in ("before", "after"):
        n = 0
        while True:
            n += 1
            account_id, _box = harness.make_account(odoo_db, dovecot, smtp)
            recipient = dovecot.new_user("rcpt")
            draft_id = _queue(odoo_db, account_id, f"{recipient}@example.org", f"Kill {where} {n}")
            worker = _send(odoo_db, die=(where, n))
            if not worker.killed:
                assert (_state(odoo_db, draft_id), _delivered(dovecot, recipient)) == ("sent", 1)
                break
            # Time passes: a conversation begun long ago has lost its worker.
            odoo_db.sql("UPDATE maildesk_draft SET send_started_at = send_started_at - interval "
                        "'1 hour' WHERE id = %s AND send_state = 'sending'", [draft_id])
            _send(odoo_db)
            _send(odoo_db)
            outcome = (where, n, _state(odoo_db, draft_id), _delivered(dovecot, recipient))
            outcomes.add(outcome)
            assert outcome[2:] in {("sent", 1), ("uncertain", 0), ("uncertain", 1)}, outcome
    # among them: killed after the server took the message, before the commit that says so
    assert any(state == "uncertain" and delivered == 1 for _w, _n, state, delivered in outcomes), \
        sorted(outcomes)
    assert any(state == "sent" for _w, _n, state, _d in outcomes), sorted(outcomes)


def test_two_send_workers_racing_send_each_message_once(odoo_db, dovecot, smtp):
    account_id, _box = harness.make_account(odoo_db, dovecot, smtp)
    recipients = [dovecot.new_user("race") for _ in range(12)]
    drafts = [_queue(odoo_db, account_id, f"{r}@example.org", f"Race {i}")
              for i, r in enumerate(recipients)]
    workers = [harness.Worker(odoo_db.db, "call", "sending.process_send_queue", "[]").start()
               for _ in range(2)]
    for worker in workers:
        worker.wait()
    assert [_state(odoo_db, d) for d in drafts] == ["sent"] * 12
    assert [_delivered(dovecot, r) for r in recipients] == [1] * 12


def test_a_reply_sent_by_a_worker_killed_at_any_commit_gets_one_sent_copy_and_its_mark(
        odoo_db, dovecot, smtp):
    """Killed after the server accepted the reply but before the Sent copy and \\Answered: the
    next run files the copy (once: it looks in Sent first) and marks the original."""
    followed_up = 0
    for where in ("before", "after"):
        for n in range(1, 40):
            account_id, box = harness.make_account(odoo_db, dovecot, smtp)
            dovecot.deliver(box, harness.message(1, subject="Question"))
            assert harness.run(odoo_db.db, "call", "sync.sync_account",
                               f"[{account_id}]").result["status"] == "ok"
            recipient = dovecot.new_user("asker")
            with odoo_db.env() as env:
                original = env["maildesk.message_index"].search([("account_id", "=", account_id)])
                reply_to = original.id
            draft_id = _queue(odoo_db, account_id, f"{recipient}@example.org", "Re: Question",
                              reply_to_index_id=reply_to)
            worker = _send(odoo_db, die=(where, n))
            odoo_db.sql("UPDATE maildesk_draft SET send_started_at = send_started_at - interval "
                        "'1 hour' WHERE id = %s AND send_state = 'sending'", [draft_id])
            _send(odoo_db)
            state = _state(odoo_db, draft_id)
            if state == "sent":
                message_id = odoo_db.sql("SELECT outgoing_message_id FROM maildesk_draft "
                                         "WHERE id = %s", [draft_id])[0][0]
                client = harness.imap_client(dovecot, box)
                try:
                    client.select_folder("Sent", readonly=True)
                    copies = client.search(["HEADER", "Message-ID", message_id])
                    client.select_folder("INBOX", readonly=True)
                    flags = client.get_flags(client.search("ALL"))
                finally:
                    client.logout()
                label = f"killed {where} commit {n}"
                assert len(copies) == 1, f"{label}: {len(copies)} copies in Sent"
                assert all(b"\\Answered" in f for f in flags.values()), f"{label}: {flags}"
                followed_up += worker.killed
            if not worker.killed:
                break
    assert followed_up >= 1, "no run died between the acceptance and the Sent copy"
