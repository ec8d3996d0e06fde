"""Seed 003's Pro rows as each persona meets them, for records of the support@ mailbox.

Written out by hand (not derived from the CSV or the rules), so a wrong file fails the tests.
The personas and the mailboxes come from Basic's fixture (member, outsider, admin, plain).
"""
from odoo import fields
from odoo.addons.maildesk_mail_client.tests.common import OPERATIONS, ROLES, MailDeskFixture

_all = dict.fromkeys(OPERATIONS, True)
_none = dict.fromkeys(OPERATIONS, False)
_read_only = dict(_none, read=True)
_create_only = dict(_none, create=True)
_no_unlink = dict(_all, unlink=False)
_mailbox_bound = dict(member=_read_only, outsider=_none, admin=_all, plain=_none)

EXPECTED_PRO = {
    # a shared signature of support@, made by an administrator
    "mailbox.signature": _mailbox_bound,
    "mailbox.signature.wizard": dict(member=_read_only, outsider=_read_only, admin=_all, plain=_none),
    "maildesk.email.link": _mailbox_bound,
    # users only enqueue (for their own mailboxes); nobody deletes an entry
    "maildesk.update_queue": dict(member=_create_only, outsider=_none, admin=_no_unlink, plain=_none),
    # provider settings: readable by every MailDesk user, managed by admins (the key is elsewhere)
    "maildesk.ai.provider": dict(member=_read_only, outsider=_read_only, admin=_all, plain=_none),
    "maildesk.ai.set.key.wizard": dict(member=_none, outsider=_none, admin=_all, plain=_none),
    "maildesk.account.remove.wizard": dict(member=_none, outsider=_none, admin=_all, plain=_none),
    "maildesk.ai.job": _mailbox_bound,
    "maildesk.ai.message.insight": _mailbox_bound,
    "maildesk.ai.thread.insight": _mailbox_bound,
    "maildesk.ai.conversation": _mailbox_bound,
    "maildesk.ai.conversation.message": _mailbox_bound,
    "maildesk.ai.attachment.extract": _mailbox_bound,
}


class ProSecurityFixture(MailDeskFixture):
    """Fresh records of the support mailbox, made as superuser, for each Pro model (Basic's
    fixture for the others): what the matrix runners of Basic's tests read, write and create."""

    def target(self, model, role):
        env = self.env
        index = self.make_index()
        support = self.support.id
        if model == "mailbox.signature":
            return env[model].create({"name": f"Team {self._n()}", "body_html": "<p>The team</p>",
                                      "account_id": support, "is_shared": True,
                                      "user_id": self.admin.id})
        if model == "mailbox.signature.wizard":
            return env[model].with_user(self.admin).create({"account_id": support}).with_user(
                env.user)
        if model == "maildesk.email.link":
            return env[model].create({"account_id": support, "index_id": index.id,
                                      "res_model": "res.partner",
                                      "res_id": self.member.partner_id.id})
        if model == "maildesk.update_queue":
            return env[model].create({"account_id": support, "user_id": self.member.id,
                                      "action": "snooze", "index_ids": [(6, 0, index.ids)]})
        if model == "maildesk.ai.provider":
            return env[model].create({"name": f"P{self._n()}", "kind": "custom",
                                      "base_url": "http://127.0.0.1:9/v1", "model": "m"})
        if model == "maildesk.ai.set.key.wizard":
            provider = self.target("maildesk.ai.provider", role)
            return env[model].with_user(self.admin).create({"provider_id": provider.id}).with_user(
                env.user)
        if model == "maildesk.account.remove.wizard":
            return env[model].with_user(self.admin).create({"account_id": support}).with_user(
                env.user)
        if model == "maildesk.ai.job":
            return env[model].create({"account_id": support, "user_id": self.member.id,
                                      "feature": "summarize", "index_id": index.id})
        if model == "maildesk.ai.message.insight":
            return env[model].create({"account_id": support, "index_id": index.id,
                                      "verdict": "safe"})
        if model == "maildesk.ai.thread.insight":
            return env[model].create({"account_id": support, "thread_key": f"t{index.id}",
                                      "kind": "summary", "text": "A summary"})
        if model == "maildesk.ai.conversation":
            return env[model].create({"account_id": support, "user_id": self.member.id,
                                      "thread_key": f"t{index.id}"})
        if model == "maildesk.ai.conversation.message":
            conversation = self.target("maildesk.ai.conversation", role)
            return env[model].create({"conversation_id": conversation.id, "role": "assistant",
                                      "content": "An answer"})
        if model == "maildesk.ai.attachment.extract":
            return env[model].create({"account_id": support, "index_id": index.id,
                                      "attachment_key": "2", "text": "About the file"})
        return super().target(model, role)

    def write_vals(self, model):
        pro = {
            "mailbox.signature": {"name": "Renamed"},
            "mailbox.signature.wizard": {"account_id": self.support.id},
            "maildesk.email.link": {"res_name": "Renamed"},
            "maildesk.update_queue": {"scheduled_at": fields.Datetime.now()},
            "maildesk.ai.provider": {"model": "other"},
            "maildesk.ai.set.key.wizard": {"api_key": "sk-changed"},
            "maildesk.account.remove.wizard": {"confirm_email": "x@example.com"},
            "maildesk.ai.job": {"state": "done"},
            "maildesk.ai.message.insight": {"verdict": "phishing"},
            "maildesk.ai.thread.insight": {"text": "Changed"},
            "maildesk.ai.conversation": {"name": "Changed"},
            "maildesk.ai.conversation.message": {"content": "Changed"},
            "maildesk.ai.attachment.extract": {"text": "Changed"},
        }
        return pro[model] if model in pro else super().write_vals(model)

    def create_vals(self, model):
        """Values creating a record of the support mailbox (made before switching user)."""
        support = self.support.id
        if model == "mailbox.signature":
            return {"name": "Shared one", "account_id": support, "is_shared": True,
                    "user_id": self.admin.id}
        if model in ("mailbox.signature.wizard", "maildesk.account.remove.wizard"):
            return {"account_id": support}
        if model == "maildesk.email.link":
            return {"account_id": support, "index_id": self.make_index().id,
                    "res_model": "res.partner", "res_id": self.member.partner_id.id}
        if model == "maildesk.update_queue":
            return {"account_id": support, "action": "snooze",
                    "index_ids": [(6, 0, self.make_index().ids)],
                    "scheduled_at": fields.Datetime.now()}
        if model == "maildesk.ai.provider":
            return {"name": "New", "kind": "custom", "base_url": "http://127.0.0.1:9/v1",
                    "model": "m"}
        if model == "maildesk.ai.set.key.wizard":
            return {"provider_id": self.target("maildesk.ai.provider", None).id}
        if model == "maildesk.ai.job":
            return {"account_id": support, "user_id": self.member.id, "feature": "summarize"}
        if model == "maildesk.ai.message.insight":
            return {"account_id": support, "index_id": self.make_index().id}
        if model == "maildesk.ai.thread.insight":
            return {"account_id": support, "thread_key": "t", "kind": "summary"}
        if model == "maildesk.ai.conversation":
            return {"account_id": support, "user_id": self.member.id}
        if model == "maildesk.ai.conversation.message":
            return {"conversation_id": self.target("maildesk.ai.conversation", None).id,
                    "role": "user", "content": "Q"}
        if model == "maildesk.ai.attachment.extract":
            return {"account_id": support, "index_id": self.make_index().id,
                    "attachment_key": "2"}
        return super().create_vals(model)


__all__ = ["EXPECTED_PRO", "OPERATIONS", "ROLES", "ProSecurityFixture"]
