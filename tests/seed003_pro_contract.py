"""Seed 003's Pro rows (§3.2 AI rules, §3.3 signature rules, §4.2 ACLs), transcribed as data.

``test_security_contract_pro`` proves the Pro addon's security files say exactly this, and that
this transcription matches the seed itself (../shared/seeds).
"""
MODULE = "maildesk_mail_client_pro"
BASIC = "maildesk_mail_client"

_STRICT = "[('account_id.access_user_ids', 'in', user.id)]"
# §3.2: model -> user-strict domain; each also has an admin-all rule [(1, '=', 1)].
AI_RULES = {
    "maildesk.ai.job": _STRICT,
    "maildesk.ai.message.insight": _STRICT,
    "maildesk.ai.thread.insight": _STRICT,
    "maildesk.ai.attachment.extract": _STRICT,
    "maildesk.ai.conversation": "['|', ('account_id.access_user_ids', 'in', user.id), '&', "
                                "('account_id', '=', False), ('user_id', '=', user.id)]",
    # "scoped through conversation_id.account_id with the same private-fallback branch"
    "maildesk.ai.conversation.message": "['|', ('conversation_id.account_id.access_user_ids', 'in', "
                                        "user.id), '&', ('conversation_id.account_id', '=', False), "
                                        "('conversation_id.user_id', '=', user.id)]",
}

# §3.3: rule id -> (perms read/write/create/unlink, domain)
SIGNATURE_RULES = {
    "rule_mailbox_signature_user_read": (
        (True, False, False, False),
        "['|', ('user_id', '=', user.id), '&', ('is_shared', '=', True), '|', "
        "('account_id.access_user_ids', 'in', user.id), ('account_id.owner_id', '=', user.id)]"),
    "rule_mailbox_signature_user_write_own": (
        (False, True, True, True), "[('user_id', '=', user.id)]"),
    "rule_mailbox_signature_admin_all": ((True, True, True, True), "[(1, '=', 1)]"),
}

# §4.2: model -> (user r/w/c/u, admin r/w/c/u)
ACL = {
    "mailbox.signature.wizard": ("1/0/0/0", "1/1/1/1"),
    "mailbox.signature": ("1/1/1/1", "1/1/1/1"),
    "maildesk.email.link": ("1/0/0/0", "1/1/1/1"),
    "maildesk.update_queue": ("0/0/1/0", "1/1/1/0"),
    "maildesk.ai.provider": ("1/0/0/0", "1/1/1/1"),
    "maildesk.ai.set.key.wizard": ("0/0/0/0", "1/1/1/1"),
    "maildesk.account.remove.wizard": ("0/0/0/0", "1/1/1/1"),
    "maildesk.ai.job": ("1/0/0/0", "1/1/1/1"),
    "maildesk.ai.message.insight": ("1/0/0/0", "1/1/1/1"),
    "maildesk.ai.thread.insight": ("1/0/0/0", "1/1/1/1"),
    "maildesk.ai.conversation": ("1/0/0/0", "1/1/1/1"),
    "maildesk.ai.conversation.message": ("1/0/0/0", "1/1/1/1"),
    "maildesk.ai.attachment.extract": ("1/0/0/0", "1/1/1/1"),
}

# Rules we add beyond the seed (security/rules.xml), each with its reason.
ADDED_RULES = {
    "rule_maildesk_email_link_user_strict":
        "a link names a message of a mailbox (its subject): only that mailbox's users see it",
    "rule_maildesk_email_link_admin_all": "the pair of the rule above",
    "rule_maildesk_update_queue_user_own":
        "users queue changes only for mailboxes they work in, and only as themselves",
    "rule_maildesk_update_queue_admin_all": "the pair of the rule above",
}
