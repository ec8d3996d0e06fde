"""Read, star, move, archive and delete: recorded as the user's intent, then applied.

``record_*`` runs in the user's request: it writes ``maildesk.email_state`` and updates the
index at once, so the inbox shows the change immediately. ``apply_pending`` runs at the start
of every sync and pushes the intents to the server; an intent stays until the server has
it, so nothing is lost while the server is down, and the sync never overwrites a pending
change with the server's old state.

Each intent is tri-state (``read_intent``: empty, "read" or "unread"; ``star_intent``: empty,
"starred" or "unstarred"; ``place_intent``: empty, "move" to ``target_folder_id`` or "delete").
A row is pending while any intent is set; applying clears the intent, and a row with no intent
left is deleted. The last intent of a kind wins: a delete replaces a move and the other way round.
"""
import logging
from collections import defaultdict
from datetime import timedelta

import psycopg2.errors

from odoo import fields
from odoo.exceptions import UserError

from ...infrastructure.providers.base import AuthenticationFailed, ProviderError, ServerUnreachable
from ...models.maildesk_email_state import FLAG_INTENTS, PENDING_DOMAIN
from . import backoff, folder_mirror, live

_logger = logging.getLogger(__name__)

# Moves and deletes wait this long before the engine applies them, so "Undo" is real: undo
# clears the intent before the server ever hears of it (apply_pending skips rows whose
# next_try_at is in the future). Read and star go at once: undoing them is a change back.
UNDO_WINDOW_PARAM = "maildesk.undo_change_seconds"
DEFAULT_UNDO_SECONDS = 8
MAX_UNDO_SECONDS = 60
RETRY_START = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=6)
MAX_TEMPORARY_REFUSALS = 5
# IMAP response codes (RFC 5530) that mean "not now" rather than "no".
TEMPORARY_CODES = ("[UNAVAILABLE]", "[INUSE]", "[LIMIT]", "[SERVERBUG]", "[CONTACTADMIN]")


# -- recording (user request) --------------------------------------------------------------------
def undo_window(env):
    """How long a move or delete waits for an undo (``maildesk.undo_change_seconds``)."""
    # sudo: a system setting every user's change needs; nothing user-specific is read.
    raw = env["ir.config_parameter"].sudo().get_param(UNDO_WINDOW_PARAM, DEFAULT_UNDO_SECONDS)
    try:
        seconds = min(max(int(raw), 0), MAX_UNDO_SECONDS)
    except (TypeError, ValueError):
        seconds = DEFAULT_UNDO_SECONDS
    return timedelta(seconds=seconds)


def _held_until(env):
    """When a move or delete recorded now may reach the server; the sync cron is woken then,
    so the server has it seconds after the undo window rather than at the next scheduled run."""
    window = undo_window(env)
    if not window:
        return False
    until = fields.Datetime.now() + window
    cron = env.ref("maildesk_mail_client.ir_cron_sync_mailboxes", raise_if_not_found=False)
    if cron:
        # sudo: users may not read crons; waking the sync is part of the change they asked for.
        cron.sudo()._trigger(at=until + timedelta(seconds=1))
    return until


def _states_for(rows):
    """The state row of each index row, created when missing. ``rows`` are already checked."""
    # sudo: the caller read ``rows`` as the user (record rules passed); states are written by
    # service code only, and each one stays inside the row's own mailbox.
    States = rows.env["maildesk.email_state"].sudo()
    existing = {s.index_id.id: s for s in States.search([("index_id", "in", rows.ids)])}
    missing = [{"account_id": r.account_id.id, "index_id": r.id} for r in rows if r.id not in existing]
    for state in States.create(missing):
        existing[state.index_id.id] = state
    return existing


def record_flags(rows, seen=None, starred=None):
    if seen is None and starred is None:
        return
    states = _states_for(rows)
    index_vals, state_vals = {}, {"next_try_at": False}
    if seen is not None:
        index_vals["is_read"] = bool(seen)
        state_vals["read_intent"] = "read" if seen else "unread"
    if starred is not None:
        index_vals["is_starred"] = bool(starred)
        state_vals["star_intent"] = "starred" if starred else "unstarred"
    for row in rows:
        state = states[row.id]
        # a move or delete waiting for its undo window keeps waiting
        state.write({k: v for k, v in state_vals.items()
                     if k != "next_try_at" or not state.place_intent})
    # sudo: see _states_for; the index is read-only to users by seed 003.
    rows.sudo().write(index_vals)
    live.rows_changed(rows)


def record_move(rows, target):
    """Move to ``target`` (a folder of the same mailbox, checked by the caller)."""
    foreign = rows.filtered(lambda r: r.account_id != target.account_id)
    if foreign:
        raise UserError(rows.env._("Messages can only be moved to a folder of their own mailbox."))
    rows = rows.filtered(lambda r: r.folder_id != target)
    states = _states_for(rows)
    wait_until = _held_until(rows.env)
    for row in rows:
        states[row.id].write({"place_intent": "move", "target_folder_id": target.id,
                              "next_try_at": wait_until})
    # sudo: see _states_for.
    rows.sudo().write({"pending_move_to_id": target.id, "pending_delete": False})
    live.rows_changed(rows, target)


def record_delete(rows):
    states = _states_for(rows)
    wait_until = _held_until(rows.env)
    for row in rows:
        states[row.id].write({"place_intent": "delete", "target_folder_id": False,
                              "next_try_at": wait_until})
    # sudo: see _states_for.
    rows.sudo().write({"pending_delete": True, "pending_move_to_id": False})
    live.rows_changed(rows)


def _lock_still_placed(env, states, key):
    """Lock a move or delete group's state rows until this transaction ends (the server call
    included), so that an undo cannot clear them while the server is being told; return those
    whose intent is still the group's (an undo may have cleared it since they were read)."""
    env.cr.execute("SELECT id FROM maildesk_email_state WHERE id IN %s FOR UPDATE",
                   [tuple(states.ids)])
    states.invalidate_recordset()
    intent = key[0]
    return states.exists().filtered(
        lambda s: s.place_intent == intent and (intent == "delete" or s.target_folder_id.id == key[2]))


def _lock_for_undo(env, states):
    """Take the state rows for an undo, or say it is too late: the engine holds them while it
    tells the server, and an undo then would claim a change the server is making anyway."""
    if not states:
        return
    try:
        with env.cr.savepoint(flush=False):
            env.cr.execute("SELECT id FROM maildesk_email_state WHERE id IN %s FOR UPDATE NOWAIT",
                           [tuple(states.ids)])
    except psycopg2.errors.LockNotAvailable:
        raise UserError(env._("Too late to undo: the mail server is receiving this change right "
                              "now.")) from None
    states.invalidate_recordset()


def unrecord_place(rows, intent, target=None):
    """Undo a move (to ``target``) or delete not yet made on the server: the rows whose
    intent is still exactly that get no place intent and show where they are again.
    Returns those rows; the others were applied (or changed again) meanwhile."""
    states = _states_for(rows)
    # sudo: the state rows of rows the caller read, as _states_for hands them out.
    _lock_for_undo(rows.env, rows.env["maildesk.email_state"].sudo().browse(
        [s.id for s in states.values()]))
    undone = rows.browse()
    for row in rows:
        state = states[row.id]
        if state.place_intent != intent or (intent == "move" and state.target_folder_id != target):
            continue
        state.write({"place_intent": False, "target_folder_id": False, "next_try_at": False})
        undone |= row
    # sudo: see _states_for.
    undone.sudo().write({"pending_move_to_id": False, "pending_delete": False})
    live.rows_changed(undone)
    states_left = rows.env["maildesk.email_state"].browse(
        [states[r.id].id for r in undone]).sudo()
    states_left._without_intent().unlink()
    return undone


def record_tags(rows, tags):
    """Replace the tags of rows the caller read (checked), with tags the caller may read."""
    tags.check_access("read")
    # sudo: the index is read-only to users (seed 003); tags are theirs to set on rows they
    # may read.
    rows.sudo().write({"tag_ids": [(6, 0, tags.ids)]})
    live.rows_changed(rows)


def folder_of_type(account, folder_type):
    # sudo: folders of an account the caller may use, read to find a target by type.
    return account.env["mailbox.folder"].sudo().search(
        [("account_id", "=", account.id), ("folder_type", "=", folder_type)], limit=1)


# -- applying (sync run, system environment) -------------------------------------------------------------
def apply_pending(env, account, provider, commit):
    """Push the account's pending intents to the server, one committed group at a time."""
    now = fields.Datetime.now()
    States = env["maildesk.email_state"]
    pending = States.search([
        ("account_id", "=", account.id), *PENDING_DOMAIN,
        "|", ("next_try_at", "=", False), ("next_try_at", "<=", now)])
    if not pending:
        return 0
    groups = defaultdict(lambda: States)
    for state in pending:
        row = state.index_id
        if state.read_intent or state.star_intent:
            groups[("flags", row.folder_id.id, state.read_intent, state.star_intent)] |= state
        if state.place_intent == "delete":
            groups[("delete", row.folder_id.id)] |= state
        elif state.place_intent == "move":
            groups[("move", row.folder_id.id, state.target_folder_id.id)] |= state
    trash = folder_of_type(account, "trash").with_env(env)
    applied = 0
    # Flags first: a message's flags must reach its current folder before it moves away.
    for key, states in sorted(groups.items(), key=lambda item: item[0][0] != "flags"):
        if key[0] != "flags":
            states = _lock_still_placed(env, states, key)
            if not states:
                continue  # undone meanwhile
        rows = states.index_id
        folder = rows.folder_id[:1]
        uids = [r.uid for r in rows if provider.valid_id(r.uid)]
        try:
            if key[0] == "flags":
                _kind, _folder, read, star = key
                provider.set_flags(folder.imap_name, uids,
                                   seen=(read == "read") if read else None,
                                   starred=(star == "starred") if star else None)
                states.write({"read_intent": False, "star_intent": False, "apply_attempts": 0,
                              "last_error": False})
            elif key[0] == "move":
                target = states.target_folder_id[:1]
                if not target or target.account_id != account or target == folder:
                    raise ProviderError(env._("the folder to move to is not a folder of this "
                                              "mailbox any more"))
                mapping = provider.move(folder.imap_name, uids, target.imap_name)
                if provider.move_keeps_source(folder.imap_name):
                    # Still in this folder too (Gmail's Sent): the row stays; the target's
                    # row comes with the next changes.
                    rows.write({"pending_move_to_id": False})
                else:
                    _relocate(env, rows, target, mapping)
                # exists(): a row the server no longer had was removed, its state with it
                states.exists().write({"place_intent": False, "target_folder_id": False})
            else:
                in_trash = folder.folder_type == "trash" or not trash
                mapping = provider.delete(folder.imap_name, uids,
                                          trash_path=None if in_trash else trash.imap_name)
                if in_trash:
                    rows.unlink()
                else:
                    _relocate(env, rows, trash, mapping)
                    states.exists().write({"place_intent": False})
            states.exists()._without_intent().unlink()
            applied += len(states)
            commit()
        except (AuthenticationFailed, ServerUnreachable):
            raise  # the whole run stops; every intent is kept for the next one
        except ProviderError as exc:
            env.cr.rollback()
            _refused(env, account, provider, key[0], states.exists(), str(exc), now)
            commit()
    return applied


def _refused(env, account, provider, kind, states, words, now):
    """The server said no: retry a "not now" a few times; otherwise drop the change, put the
    message back as the server has it, and tell whoever asked for the change. The other
    changes and the rest of the sync go on."""
    _logger.info("MailDesk: %s change on mailbox %s refused by the server: %s",
                 kind, account.id, words)
    temporary = any(code in words.upper() for code in TEMPORARY_CODES)
    retry = states.filtered(lambda s: temporary and s.apply_attempts + 1 < MAX_TEMPORARY_REFUSALS)
    for state in retry:
        attempts = state.apply_attempts + 1
        state.write({"apply_attempts": attempts, "last_error": words,
                     "next_try_at": now + backoff.delay(attempts, RETRY_START, RETRY_MAX)})
    dropped = states - retry
    if not dropped:
        return
    rows = dropped.index_id
    if kind == "flags":
        _restore_server_flags(provider, rows)
        dropped.write({name: False for name in FLAG_INTENTS} | {
            "apply_attempts": 0, "last_error": words})
    else:
        # sudo-free: this runs in the sync's system environment.
        rows.write({"pending_move_to_id": False, "pending_delete": False})
        dropped.write({"place_intent": False, "target_folder_id": False, "apply_attempts": 0,
                       "last_error": words})
    for author, mine in _by_author(dropped).items():
        account.message_notify(
            partner_ids=author.partner_id.ids, subject=env._("A change was not made"),
            body=env._(
                "The mail server of %(mailbox)s refused your change to %(count)s message(s) "
                "(%(what)s): %(words)s. They are shown again as the server has them.",
                mailbox=account.email, count=len(mine), what=_WHAT[kind](env), words=words))
    dropped._without_intent().unlink()


_WHAT = {
    "flags": lambda env: env._("read or star"),
    "move": lambda env: env._("move"),
    "delete": lambda env: env._("delete"),
}


def _by_author(states):
    authors = {}
    for state in states:
        author = state.write_uid if state.write_uid and not state.write_uid._is_superuser() \
            else state.create_uid
        if author and author.active:
            authors.setdefault(author, []).append(state)
    return authors


def _restore_server_flags(provider, rows):
    """Read the flags of ``rows`` from the server again: the optimistic values were refused."""
    for folder in rows.folder_id:
        mine = rows.filtered(lambda r, f=folder: r.folder_id == f and provider.valid_id(r.uid))
        try:
            metas = {str(m.uid): m for m in provider.fetch_meta(folder.imap_name,
                                                                  [r.uid for r in mine])}
        except ProviderError:
            continue  # the next full look at the folder corrects them
        for row in mine:
            meta = metas.get(row.uid)
            if meta is None:
                row.unlink()  # gone from the server meanwhile
            else:
                row.write({"is_read": meta.is_read, "is_starred": meta.is_starred})


def _relocate(env, rows, target, mapping):
    """After a move on the server: keep the row (and its tags) under its new folder and uid."""
    for row in rows:
        new_uid = mapping.get(row.uid)
        if not new_uid:
            row.unlink()  # the next sync of the target folder indexes it
            continue
        env.cr.execute("""DELETE FROM maildesk_message_index
                           WHERE folder_id = %s AND uid = %s AND id != %s""",
                       [target.id, new_uid, row.id])
        row.write({"folder_id": target.id, "uid": new_uid, "pending_move_to_id": False,
                   "pending_delete": False})
        if target.sync_state != "incremental":  # a listing under way must keep it
            folder_mirror.listing_reached(env.cr, target, [new_uid])
