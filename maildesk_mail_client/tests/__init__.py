from . import (
    test_access_matrix_jsonrpc,
    test_access_matrix_orm,
    test_account_lease,
    test_attachment_route,
    test_connect_wizard,
    test_inbox_rpc,
    test_mailbox_account,
    test_mailbox_sync,
    test_reset_sync_state,
    test_rules_upgrade,
    test_secrets,
    test_sync_imap,
)
