"""Changes to many messages, "all N matching", and their undo.

Every change answers ``{changed, undo_token}``. The token holds what undo needs (the rows and
their previous values), signed with the database secret (HMAC, scope ``maildesk.undo``) and
bound to the user and an expiry; nothing is stored. Undo checks the rows again as the caller
(a token cannot reach rows the user can no longer read) and then:
- read / star / tags: writes the previous values back (a change like any other);
- move / delete: clears the intent while the engine has not made it (state_changes holds
  moves and deletes for UNDO_WINDOW), else "too late".
"""
import base64
import binascii
import json
import time

from odoo.exceptions import AccessError, UserError
from odoo.tools import misc

from . import state_changes

UNDO_TTL = 120  # seconds a token is honoured (the window of moves is shorter: see state_changes)
UNDO_MAX_ROWS = 2000  # larger changes are not undoable (the token would grow too big)
MAX_MATCHING = 100_000  # "all N matching" changes at most this many messages at once
ACTIONS = ("read", "unread", "star", "unstar", "archive", "delete", "move", "tag")
_SCOPE = "maildesk.undo"


# -- tokens ---------------------------------------------------------------------------------
def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(env, kind, rows, **data):
    if not rows or len(rows) > UNDO_MAX_ROWS:
        return False
    payload = _b64(json.dumps(dict(data, k=kind, u=env.uid, ids=rows.ids,
                                   exp=int(time.time()) + UNDO_TTL),
                              separators=(",", ":")).encode())
    # sudo: misc.hmac reads database.secret, a system parameter users may not read.
    return f"{payload}.{misc.hmac(env(su=True), _SCOPE, payload)}"


def read_token(env, token):
    """The payload of a token this user was given and that has not expired; else UserError."""
    refused = UserError(env._("This change can no longer be undone."))
    if not isinstance(token, str) or token.count(".") != 1 or len(token) > 200_000:
        raise refused
    payload, signature = token.split(".")
    expected = misc.hmac(env(su=True), _SCOPE, payload)  # sudo: see make_token
    if not misc.consteq(expected, signature):
        raise refused
    try:
        data = json.loads(_unb64(payload))
    except (ValueError, binascii.Error):
        raise refused from None
    if data.get("u") != env.uid or data.get("exp", 0) < time.time():
        raise refused
    return data


# -- changes ----------------------------------------------------------------------------------
def set_flags(rows, seen=None, starred=None):
    token = make_token(rows.env, "flags", rows,
                       read=rows.filtered("is_read").ids if seen is not None else None,
                       star=rows.filtered("is_starred").ids if starred is not None else None)
    state_changes.record_flags(rows, seen=seen, starred=starred)
    return {"changed": len(rows), "undo_token": token}


def move(rows, target):
    moving = rows.filtered(lambda r: r.folder_id != target)
    state_changes.record_move(moving, target)
    return {"changed": len(moving), "undo_token": make_token(rows.env, "move", moving,
                                                             target=target.id)}


def archive(rows):
    env = rows.env
    tokens_rows, targets = rows.browse(), set()
    changed = 0
    for account in rows.account_id:
        target = state_changes.folder_of_type(account, "archive")
        if not target:
            raise UserError(env._("Mailbox %s has no Archive folder. Create one on the "
                                  "server, or move the messages instead.", account.name))
        mine = rows.filtered(lambda r, a=account, t=target: r.account_id == a and r.folder_id != t)
        state_changes.record_move(mine, target.with_env(env))
        tokens_rows |= mine
        targets.add(target.id)
        changed += len(mine)
    token = make_token(env, "archive", tokens_rows, target=sorted(targets))
    return {"changed": changed, "undo_token": token}


def delete(rows):
    state_changes.record_delete(rows)
    return {"changed": len(rows), "undo_token": make_token(rows.env, "delete", rows)}


def update_tags(rows, tags):
    before = {str(r.id): r.tag_ids.ids for r in rows}
    state_changes.record_tags(rows, tags)
    return {"changed": len(rows), "tags": [{"id": t.id, "name": t.name, "color": t.color}
                                           for t in tags],
            "undo_token": make_token(rows.env, "tags", rows, before=before)}


def undo(env, token, readable_rows):
    """Undo the change of ``token``: ({undone}, rows); ``readable_rows(ids)`` checks the rows
    as the caller."""
    data = read_token(env, token)
    # exists() first: rows the engine removed meanwhile are "too late", not a refusal; ids
    # come from a token signed for this user, so nobody learns of others' rows this way.
    try:
        rows = readable_rows(env["maildesk.message_index"].browse(data["ids"]).exists().ids)
    except AccessError:
        raise UserError(env._("This change can no longer be undone.")) from None
    kind = data["k"]
    if kind == "flags":
        read, star = data.get("read"), data.get("star")
        for ids, key in ((read, "seen"), (star, "starred")):
            if ids is None:
                continue
            was_on = rows.filtered(lambda r, ids=set(ids): r.id in ids)
            state_changes.record_flags(was_on, **{key: True})
            state_changes.record_flags(rows - was_on, **{key: False})
        return {"undone": len(rows)}, rows
    if kind == "tags":
        Tag = env["mail.message.tag"]
        for row in rows:
            state_changes.record_tags(row, Tag.browse(data["before"].get(str(row.id), [])).exists())
        return {"undone": len(rows)}, rows
    if kind in ("move", "archive"):
        targets = data["target"] if isinstance(data["target"], list) else [data["target"]]
        undone = rows.browse()
        for target in env["mailbox.folder"].browse(targets):
            undone |= state_changes.unrecord_place(
                rows.filtered(lambda r, t=target: r.pending_move_to_id == t), "move", target)
    elif kind == "delete":
        undone = state_changes.unrecord_place(rows.filtered("pending_delete"), "delete")
    else:
        raise UserError(env._("This change can no longer be undone."))
    if not undone:
        raise UserError(env._("Too late to undo: the mail server already has this change."))
    return {"undone": len(undone)}, undone


# -- "all N matching" -------------------------------------------------------------------------------
def apply(action, rows, target=None, tags=None):
    """One of ACTIONS on rows the caller read; the change answer."""
    if action in ("read", "unread"):
        return set_flags(rows, seen=action == "read")
    if action in ("star", "unstar"):
        return set_flags(rows, starred=action == "star")
    if action == "archive":
        return archive(rows)
    if action == "delete":
        return delete(rows)
    if action == "move":
        return move(rows, target)
    return update_tags(rows, tags)


def check_matching(env, action, expected_count, found):
    if action not in ACTIONS:
        raise UserError(env._("Unknown action: %s.", str(action)[:40]))
    if found > MAX_MATCHING:
        raise UserError(env._("%(count)s messages match: change at most %(max)s at once. Narrow "
                              "the search first.", count=found, max=MAX_MATCHING))
    try:
        expected = int(expected_count)
    except (TypeError, ValueError):
        expected = -1
    if found != expected:
        raise UserError(env._(
            "%(count)s messages match now, not %(expected)s: the list changed meanwhile. Nothing "
            "was changed; look at the list again and confirm.", count=found,
            expected=expected if expected >= 0 else "?"))
