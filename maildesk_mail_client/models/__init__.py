from . import (
    ir_rule,
    mail_message_tag,
    mailbox_account,
    mailbox_folder,
    mailbox_sync,
    maildesk_account_lease,
    maildesk_draft,
    maildesk_email_state,
    maildesk_ingest_queue,
    maildesk_message_index,
    maildesk_ui_cache,
    maildesk_ui_presence,
)
