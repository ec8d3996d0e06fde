"""Seed 003 (the security model), transcribed as data.

``test_security_contract`` proves our security files say exactly this, and, when the seed
itself is beside the repository (../shared/seeds), that this transcription matches it.
"""
MODULE = "maildesk_mail_client"

GROUPS = {
    "group_mailbox_user": {"name": "Mailbox User", "implies": None},
    "group_mailbox_admin": {"name": "Mailbox Admin", "implies": "group_mailbox_user"},
}

# §3.1: model -> user-strict domain. Each model also has an admin-all rule [(1, '=', 1)].
RULES = {
    "mailbox.account": "[('access_user_ids', 'in', user.id)]",
    "mailbox.folder": "[('account_id.access_user_ids', 'in', user.id)]",
    "maildesk.message_index": "[('account_id.access_user_ids', 'in', user.id)]",
    "maildesk.ui_cache": "[('index_id.account_id.access_user_ids', 'in', user.id)]",
    "maildesk.email_state": "[('account_id.access_user_ids', 'in', user.id)]",
    "maildesk.ingest_queue": "[('index_id.account_id.access_user_ids', 'in', user.id)]",
    "maildesk.draft": "[('account_id.access_user_ids', 'in', user.id)]",
}
# The mailbox.account user rule grants read and write only.
ACCOUNT_USER_RULE_PERMS = {"read": True, "write": True, "create": False, "unlink": False}

# §4.1: model -> (user r/w/c/u or None for "no user line", admin r/w/c/u or None)
ACL = {
    "mailbox.account": ("1/0/0/0", "1/1/1/1"),
    "mailbox.folder": ("1/0/0/0", "1/1/1/1"),
    "mail.message.tag": ("1/1/1/0", "1/1/1/1"),
    "mailbox.account.wizard": ("1/1/1/1", "1/1/1/1"),
    "maildesk.email_state": ("1/1/1/1", "1/1/1/1"),
    "maildesk.account_lease": (None, "1/1/1/1"),
    "maildesk.message_index": ("1/0/0/0", "1/1/1/1"),
    "maildesk.ingest_queue": ("1/0/0/0", "1/1/1/1"),
    "maildesk.ui_cache": ("1/0/0/0", "1/1/1/1"),
    "maildesk.ui_presence": ("1/1/1/0", "1/1/1/1"),
    "maildesk.draft": ("1/1/1/1", "1/1/1/1"),
    "mailbox.sync": ("1/1/1/1", None),
}

# Rules we add beyond the seed, each with its reason (docs/security-model.md).
ADDED_RULES = {
    "rule_mailbox_account_wizard_own":
        "the Connect Mailbox wizard holds a typed password: users see only their own rows",
}
