"""Reset Sync State: forget the sync cursors of a mailbox so the next sync rebuilds its index.

Database only: no server is contacted, and credentials and settings are kept. Users'
tags, messages already posted into Odoo records, and state changes not yet applied to the
server are kept too, so a reset loses nothing a person did.
"""
from . import mailbox_access, sync

FOLDER_CURSORS = {
    "sync_state": "backfill_pending",
    "uid_validity": False,
    "last_uid": 0,
    "last_uidnext": 0,
    "last_highest_modseq": False,
    "sync_modseq": "0",
    "needs_sync": True,
    "backfill_started_at": False,
    "backfill_completed_at": False,
    "backfill_total_estimate": 0,
    "backfill_fetched_count": 0,
    "backfill_last_uid": 0,
    "gmail_backfill_page_token": False,
    "outlook_backfill_next_link": False,
    "last_sync_at": False,
    "last_error": False,
}
ACCOUNT_CURSORS = {
    "gmail_last_history_id": False,
    "outlook_delta_link": False,
    "outlook_delta_tokens": False,
    "last_sync_at": False,
    "last_error": False,
    "last_error_at": False,
    "backoff_until": False,
    "sync_failure_count": 0,
}


def reset_sync_state(accounts):
    env = accounts.env
    mailbox_access.require_admin(env)
    accounts.check_access("write")
    # sudo: the index, cache and queues are written by service code only (seed 003 §6);
    # the caller was just checked to be a Mailbox Admin with write access to these accounts.
    accounts = accounts.sudo()
    accounts.write(ACCOUNT_CURSORS)
    accounts.folder_ids.write(FOLDER_CURSORS)
    cr = env.cr
    ids = tuple(accounts.ids)
    cr.execute("""
        DELETE FROM maildesk_email_state
         WHERE account_id IN %s
           AND read_intent IS NULL AND star_intent IS NULL AND place_intent IS NULL
    """, [ids])
    cr.execute("DELETE FROM maildesk_account_lease WHERE account_id IN %s", [ids])
    cr.execute("""
        DELETE FROM maildesk_ui_cache c USING maildesk_message_index i
         WHERE c.index_id = i.id AND i.account_id IN %s AND i.local_pending IS NOT TRUE
    """, [ids])
    cr.execute("""
        DELETE FROM maildesk_ingest_queue q USING maildesk_message_index i
         WHERE q.index_id = i.id AND i.account_id IN %s AND q.state != 'done'
           AND i.local_pending IS NOT TRUE
    """, [ids])
    cr.execute("""
        UPDATE maildesk_message_index
           SET deleted_on_server = TRUE, pending_move_to_id = NULL, pending_delete = FALSE
         WHERE account_id IN %s AND local_pending IS NOT TRUE
    """, [ids])
    marked = cr.rowcount
    sync.request_sync(accounts)
    env.invalidate_all()
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {
            "type": "warning",
            "sticky": True,
            "title": env._("Sync state reset"),
            "message": env._(
                "%(count)s message(s) of %(mailboxes)s will reappear as the next sync rebuilds "
                "the index, newest first. Tags and changes not yet sent to the server are kept.",
                count=marked, mailboxes=", ".join(accounts.mapped("name"))),
            "next": {"type": "ir.actions.client", "tag": "soft_reload"},
        },
    }
