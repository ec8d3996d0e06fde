# Run by `odoo shell` (docker compose --profile ai): make the local model the active AI provider.
# A self-hosted server needs no key ("Other OpenAI-compatible server"); the demo's model is tiny.
import os

url = os.environ.get("MAILDESK_DEMO_AI_URL", "http://ai:11434/v1")
model = os.environ.get("MAILDESK_DEMO_AI_MODEL", "smollm2:135m")
Provider = env["maildesk.ai.provider"]
provider = Provider.search([("name", "=", "Local model (demo)")], limit=1)
values = {"name": "Local model (demo)", "kind": "custom", "base_url": url, "model": model,
          "timeout_seconds": 120}
if provider:
    provider.write(values)
else:
    provider = Provider.create(values)
(Provider.search([("is_active", "=", True)]) - provider).write({"is_active": False})
provider.is_active = True
env.cr.commit()
print(f"MailDesk AI: {provider.name} ({model} at {url}) is the active provider")
