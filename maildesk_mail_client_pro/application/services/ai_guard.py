"""The one gate every AI action passes, on the server, each time (seed 003 §5).

assert_ai_allowed() checks, in this order: the database switch (maildesk.ai.enabled), the
feature's switch (maildesk.ai.feature.<feature>.enabled), the mailbox's "Enable AI features"
(allow_ai), then an active, configured provider. Each refusal is an AIDisabledError whose
sentence names the switch to change. RPCs call it before queueing; jobs call it again when
they run, so a job queued before an administrator switched AI off never runs after.
"""
from odoo.exceptions import UserError

from ...models.maildesk_ai_job import AI_FEATURES
from ...models.maildesk_ai_provider import key_parameter

FEATURES = tuple(code for code, _label in AI_FEATURES)
GLOBAL_SWITCH = "maildesk.ai.enabled"
_OFF = {"0", "false", "off", "no", ""}


class AIDisabledError(UserError):
    """AI may not run here; the message says which switch to change."""


def feature_switch(feature):
    return f"maildesk.ai.feature.{feature}.enabled"


def _switch_on(env, key):
    # sudo: the switches are system parameters; reading them reveals nothing a user may not know
    value = env["ir.config_parameter"].sudo().get_param(key)
    return value is None or value is False or str(value).strip().lower() not in _OFF


def is_ai_enabled_global(env):
    return _switch_on(env, GLOBAL_SWITCH)


def is_feature_enabled(env, feature):
    return _switch_on(env, feature_switch(feature))


def is_mailbox_ai_allowed(account):
    # sudo: reading the mailbox's own switch, for a mailbox the caller was already allowed to use
    return bool(account.sudo().allow_ai)


def is_mailbox_attachment_ai_allowed(account):
    # sudo: allow_ai_attachments is admin-only to read; the gate itself must see it for everyone
    return bool(account.sudo().allow_ai_attachments)


def active_provider(env):
    """The active provider if it can be used: base URL and model set, and a key unless it is a
    self-hosted server that needs none. Else an empty recordset."""
    # sudo: provider rows are admin-managed; the gate reads them for every user
    provider = env["maildesk.ai.provider"].sudo().search([("is_active", "=", True)], limit=1)
    if not provider or not provider.base_url or not provider.model:
        return provider.browse()
    # sudo: the key lives in a system parameter; only its presence is looked at here
    has_key = bool(env["ir.config_parameter"].sudo().get_param(key_parameter(provider.id)))
    if not has_key and provider.kind != "custom":
        return provider.browse()
    return provider


def feature_label(env, feature):
    labels = {
        "summarize": env._("Summarize"),
        "ask": env._("Ask AI"),
        "draft_reply": env._("Draft a reply"),
        "security_scan": env._("The security scan"),
        "attachment_analysis": env._("Attachment analysis"),
    }
    return labels[feature]


def refusal(env, feature, account=None, *, attachments=False):
    """The sentence that explains why AI may not run, or None when it may."""
    if feature not in FEATURES:
        return env._("MailDesk has no AI feature called %s.", feature)
    if not is_ai_enabled_global(env):
        return env._("AI is switched off for this database. An Odoo administrator can switch it "
                     "on in Settings > MailDesk > AI.")
    if not is_feature_enabled(env, feature):
        return env._("%s is switched off for this database. An Odoo administrator can switch it "
                     "on in Settings > MailDesk > AI.", feature_label(env, feature))
    if account is not None and not is_mailbox_ai_allowed(account):
        return env._("AI is disabled for this mailbox. A Mailbox Admin can switch on "
                     "\"Enable AI features\" on the mailbox's form.")
    if attachments and account is not None and not is_mailbox_attachment_ai_allowed(account):
        return env._("This mailbox does not let AI read attachments. A Mailbox Admin can allow it "
                     "in MailDesk > Configuration > Mailboxes whose attachments AI may read.")
    if not active_provider(env):
        return env._("No AI provider is configured. A Mailbox Admin can add one in MailDesk > "
                     "Configuration > AI Providers, set its key and make it active.")
    return None


def assert_ai_allowed(env, feature, account=None, *, attachments=False):
    """Raise AIDisabledError unless AI may run; return the provider to use."""
    reason = refusal(env, feature, account, attachments=attachments)
    if reason:
        raise AIDisabledError(reason)
    return active_provider(env)


def ai_status(env, account):
    """For the reading pane: each feature, whether it may run here, and if not why."""
    status = {}
    for feature in FEATURES:
        reason = refusal(env, feature, account, attachments=feature == "attachment_analysis")
        status[feature] = {"allowed": not reason, "reason": reason or False}
    return status
