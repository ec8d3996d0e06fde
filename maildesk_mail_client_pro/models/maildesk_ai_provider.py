from odoo import api, fields, models
from odoo.addons.maildesk_mail_client.application.services import mailbox_access

from ..application.services import ai_providers
from ..application.services.ai_providers import key_parameter  # noqa: F401 (ai_guard reads it here)

PROVIDER_KINDS = [
    ("openai", "OpenAI"),
    ("azure", "Azure OpenAI"),
    ("gemini", "Google Gemini (OpenAI-compatible endpoint)"),
    ("anthropic", "Anthropic (OpenAI-compatible endpoint)"),
    ("grok", "xAI Grok"),
    ("deepseek", "DeepSeek"),
    ("custom", "Other OpenAI-compatible server (vLLM, Ollama, LM Studio, llama.cpp)"),
]
DEFAULT_BASE_URLS = {
    "openai": "https://api.openai.com/v1",
    "gemini": "https://generativelanguage.googleapis.com/v1beta/openai",
    "anthropic": "https://api.anthropic.com/v1",
    "grok": "https://api.x.ai/v1",
    "deepseek": "https://api.deepseek.com/v1",
}


class MaildeskAiProvider(models.Model):
    _name = "maildesk.ai.provider"
    _description = "MailDesk AI Provider"
    _order = "is_active desc, sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    kind = fields.Selection(PROVIDER_KINDS, required=True, default="openai")
    base_url = fields.Char("Base URL", required=True, default=DEFAULT_BASE_URLS["openai"],
                           help="The address that ends before /chat/completions. Moving it to another "
                                "host forgets the API key: set it again then.")
    model = fields.Char(required=True, help="The model name the server expects, e.g. gpt-4o-mini.")
    api_version = fields.Char("API Version", help="Azure OpenAI only, e.g. 2024-10-21.")
    is_active = fields.Boolean("Active", readonly=True, copy=False,
                               help="The one provider every AI feature uses.")
    timeout_seconds = fields.Integer("Timeout (seconds)", default=60)
    max_retries = fields.Integer("Retries", default=2)
    output_mode = fields.Selection(
        [("auto", "Find out"), ("json_schema", "JSON schema"), ("json_object", "JSON object"),
         ("prompt", "Instructions only")], default="auto", required=True,
        help="How the server is asked for structured answers; found out on first use.")
    key_is_set = fields.Boolean("API Key Set", compute="_compute_key_is_set")
    last_test_at = fields.Datetime("Last Tested", readonly=True, copy=False)
    last_test_ok = fields.Boolean("Last Test Passed", readonly=True, copy=False)
    last_test_message = fields.Char("Last Test Result", readonly=True, copy=False)

    _one_active = models.UniqueIndex("(is_active) WHERE is_active", "Only one AI provider can be active.")

    @api.depends_context("uid")
    def _compute_key_is_set(self):
        for provider in self:
            provider.key_is_set = ai_providers.has_key(provider)

    @api.onchange("kind")
    def _onchange_kind(self):
        if self.kind in DEFAULT_BASE_URLS and self.base_url in (*DEFAULT_BASE_URLS.values(), False):
            self.base_url = DEFAULT_BASE_URLS[self.kind]

    def write(self, vals):
        hosts = {provider: ai_providers.key_host(provider.base_url) for provider in self} \
            if "base_url" in vals else {}
        result = super().write(vals)
        # a key goes only to the host it was typed for: whoever moves the provider types it again
        moved = self.filtered(lambda p: p in hosts and ai_providers.key_host(p.base_url) != hosts[p])
        if moved:
            ai_providers.forget_keys(moved)
        return result

    def unlink(self):
        ai_providers.forget_keys(self)
        return super().unlink()

    def action_open_set_key(self):
        self.ensure_one()
        mailbox_access.require_admin(self.env)
        return {
            "type": "ir.actions.act_window", "name": self.env._("Set the API key of %s", self.name),
            "res_model": "maildesk.ai.set.key.wizard", "view_mode": "form", "target": "new",
            "context": {"default_provider_id": self.id},
        }

    def action_set_active(self):
        ai_providers.set_active(self)
        return True

    def action_test_connection(self):
        ok, message = ai_providers.test_connection(self)
        return {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {"title": self.env._("Connection works") if ok else
                       self.env._("Connection failed"),
                       "message": message, "type": "success" if ok else "danger",
                       "sticky": not ok,
                       "next": {"type": "ir.actions.client", "tag": "soft_reload"}},
        }
