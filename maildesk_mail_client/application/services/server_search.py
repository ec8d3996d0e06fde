"""Search message bodies on the mail server (IMAP SEARCH), since the index keeps none: the
answer is the index rows of what the server found, as the caller may read them."""
from odoo.exceptions import UserError

from ...infrastructure.providers.base import AuthenticationFailed, ProviderError, ServerUnreachable
from . import connections
from . import mailbox_queries as queries

MAX_RESULTS = 200
MAX_FOLDERS = 40  # folders asked in one search (each is a SELECT and a SEARCH)


def search(folders, text, limit=MAX_RESULTS):
    """{records, total, problems}: ``folders`` are checked by the caller (read as the user)."""
    env = folders.env
    text = " ".join(str(text or "").split())
    limit = max(1, min(int(limit or MAX_RESULTS), MAX_RESULTS))
    if not text:
        return {"records": [], "total": 0, "problems": []}
    found, problems = {}, []
    for account in folders[:MAX_FOLDERS].account_id:
        mine = folders[:MAX_FOLDERS].filtered(lambda f, a=account: f.account_id == a)
        try:
            with connections.provider_for(account) as provider:
                for folder in mine:
                    found[folder] = provider.search_text(folder.imap_name, text, limit)
        except (AuthenticationFailed, ServerUnreachable) as exc:
            problems.append(env._("%(mailbox)s could not be searched: its mail server cannot be "
                                  "reached (%(words)s). Searching the list still works.",
                                  mailbox=account.name, words=exc))
        except ProviderError as exc:
            problems.append(env._("%(mailbox)s could not be searched: %(words)s.",
                                  mailbox=account.name, words=exc))
    if problems and not found:
        raise UserError("\n".join(problems))
    Index = env["maildesk.message_index"]
    domain = ["|"] * (len(found) - 1) if found else [("id", "=", 0)]
    for folder, uids in found.items():
        domain += ["&", ("folder_id", "=", folder.id), ("uid", "in", uids or ["-"])]
    rows = Index.search(domain + queries.VISIBLE, limit=limit)
    return {"records": queries.cards(rows), "total": len(rows), "problems": problems}
