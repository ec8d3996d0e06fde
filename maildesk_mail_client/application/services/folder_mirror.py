"""The mailbox's folder list follows the server's, and nothing a user did is lost on the way.

- ``mirror`` makes the folders of an account match a listing from the server. A folder that
  disappeared while one with the same UIDVALIDITY appeared was renamed (IMAP servers keep
  UIDVALIDITY on RENAME): the same record takes the new path, so its messages, tags, pending
  changes and settings stay where they are. A folder that is really gone is removed.
- Before index rows are removed (folder deleted on the server, UIDVALIDITY reset), the marks
  users put on them (tags, pending read/star/move/delete, "may be filed into Odoo") are kept
  by Message-ID in ``maildesk_kept_marks`` (``stash_marks``). Whenever a message with that
  Message-ID (and the same sender, subject and date: anyone can send mail with a Message-ID
  they have seen) is indexed again, in this run or a later one, in the same folder or another one
  of the mailbox, the marks go back onto it (``restore_marks``).
- What cannot be kept is said: marks of messages without a Message-ID, and marks whose message
  did not come back within ``KEEP_DAYS``, are reported to the mailbox owner, once, with a count;
  a pending move into a folder deleted on the server is reported to the person who asked for it.

The kept marks are a plain PostgreSQL table, not an Odoo model: the security contract (seed 003)
fixes the addon's models, and nothing but this module ever reads or writes the table.
"""
import json
import logging
from collections import Counter, defaultdict
from datetime import timedelta

from psycopg2 import sql
from psycopg2.extras import execute_values

from odoo import fields

from ...models.maildesk_email_state import INTENTS

_logger = logging.getLogger(__name__)

KEEP_DAYS = 30
# The one folder order: the sidebar shows folders in it and the sync visits them in it
# (mailbox.folder ``sequence`` is computed from it and leads the model's ``_order``).
TYPE_ORDER = {"inbox": 1, "starred": 2, "sent": 3, "drafts": 4, "archive": 5, "spam": 6,
              "trash": 7, "other": 90}
TABLE = "maildesk_kept_marks"


def create_table(cr):
    """Called by mailbox.folder's ``init()`` (module install and update)."""
    cr.execute(f"""
        CREATE TABLE IF NOT EXISTS {TABLE} (
            id serial PRIMARY KEY,
            account_id integer NOT NULL REFERENCES mailbox_account(id) ON DELETE CASCADE,
            message_id varchar NOT NULL,
            from_addr varchar,
            subject varchar,
            date timestamp without time zone,
            folder_id integer,
            folder_path varchar,
            tag_ids integer[] NOT NULL DEFAULT '{{}}',
            ingest_allowed boolean NOT NULL DEFAULT FALSE,
            state jsonb,
            kept_at timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
        )""")
    for column, kind in (("from_addr", "varchar"), ("subject", "varchar"),
                         ("date", "timestamp without time zone")):
        cr.execute(f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS {column} {kind}")
    cr.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_account_message_idx "
               f"ON {TABLE} (account_id, message_id)")


SEEN = "maildesk_listing_seen"  # ids a listing (Gmail, Graph) has reached, per folder


def create_listing_table(cr):
    """The ids a folder's listing has reached so far, committed with each page: at its end the
    folder's rows it did not reach are gone from the service (cursor_sync)."""
    cr.execute(f"""
        CREATE TABLE IF NOT EXISTS {SEEN} (
            folder_id integer NOT NULL REFERENCES mailbox_folder(id) ON DELETE CASCADE,
            uid varchar NOT NULL,
            PRIMARY KEY (folder_id, uid)
        )""")


def listing_reached(cr, folder, uids):
    """Count these ids as listed in ``folder`` (a listing under way keeps their rows)."""
    if uids:
        execute_values(cr, f"INSERT INTO {SEEN} (folder_id, uid) VALUES %s ON CONFLICT DO NOTHING",
                       [(folder.id, str(uid)) for uid in uids], page_size=1000)


def sequence_of(folder_type, path, delimiter):
    depth = (path or "").count(delimiter) if delimiter else 0
    return TYPE_ORDER.get(folder_type, TYPE_ORDER["other"]) * 10 + min(depth, 9)


def _leaf(path, delimiter):
    return path.rsplit(delimiter, 1)[-1] if delimiter else path


# -- the folder list ------------------------------------------------------------------------
def mirror(env, account, remote_folders, result):
    """Mirror the server's folder list; return [(folder, remote)] in the one folder order."""
    purge_expired(env, account)
    Folder = env["mailbox.folder"]
    existing = {f.imap_name: f for f in Folder.search([("account_id", "=", account.id)])}
    listed = {item.path: item for item in remote_folders}
    if REMOTE_ID_FIELD.get(account.provider):
        existing = _follow_remote_ids(env, account, existing, listed)
    else:
        for old_path, item in _renames(existing, listed).items():
            folder = existing.pop(old_path)
            _rename(account, folder, old_path, item)
            existing[item.path] = folder
    pairs = []
    for item in sorted(listed.values(), key=lambda r: (r.path.count(r.delimiter or "\0"), r.path)):
        folder = existing.get(item.path)
        parent = existing.get(item.parent_path) if item.parent_path else None
        vals = {"delimiter": item.delimiter, "parent_id": parent.id if parent else False}
        if item.remote_id:
            vals[REMOTE_ID_FIELD.get(account.provider, "gmail_label_id")] = item.remote_id
        if folder:
            if (folder.parent_id != (parent or Folder) or folder.delimiter != item.delimiter
                    or any(folder[k] != v for k, v in vals.items() if k in REMOTE_ID_FIELDS)):
                folder.write(vals)
            if (item.uidvalidity and folder.uid_validity
                    and str(item.uidvalidity) != folder.uid_validity):
                # Reset before any pending change is applied with UIDs that mean nothing now.
                reset_folder(env, account, folder)
        else:
            folder = Folder.create(dict(vals, account_id=account.id, name=item.name,
                                        imap_name=item.path, folder_type=item.folder_type,
                                        is_visible=item.selectable))
            existing[item.path] = folder
        if item.selectable:
            pairs.append((folder, item))
    gone = Folder.browse([f.id for path, f in existing.items() if path not in listed])
    if gone:
        _logger.info("MailDesk: folders gone from mailbox %s: %s", account.id,
                     gone.mapped("imap_name"))
        remove_folders(env, account, gone)
    result["folders"] = len(pairs)
    return sorted(pairs, key=lambda p: (p[0].sequence, p[0].name, p[0].id))


# Where a folder keeps the id a Gmail label or a Graph folder has for life (renames included).
REMOTE_ID_FIELD = {"gmail": "gmail_label_id", "outlook": "outlook_graph_id"}
REMOTE_ID_FIELDS = set(REMOTE_ID_FIELD.values())


def remote_id_of(folder):
    field = REMOTE_ID_FIELD.get(folder.account_id.provider)
    return folder[field] if field else None


def _rename(account, folder, old_path, item):
    _logger.info("MailDesk: folder %s of mailbox %s renamed on the server to %s",
                 old_path, account.id, item.path)
    vals = {"imap_name": item.path, "delimiter": item.delimiter, "folder_type": item.folder_type}
    if folder.name == _leaf(old_path, folder.delimiter):  # a name the admin chose stays
        vals["name"] = item.name
    folder.write(vals)


def _follow_remote_ids(env, account, existing, listed):
    """Gmail and Graph name each folder by an id of its own for life: a folder is the one with
    the same id, whatever its path now. A folder whose id is no longer listed is gone, even if
    a new folder took its path (renamed "Projects" to "Old Projects" and made a new "Projects":
    the messages stay with the folder they were in). Returns the folders by their new paths."""
    field = REMOTE_ID_FIELD[account.provider]
    by_id = {item.remote_id: item for item in listed.values() if item.remote_id}
    gone = env["mailbox.folder"].browse([f.id for f in existing.values()
                                          if f[field] and f[field] not in by_id])
    if gone:
        _logger.info("MailDesk: folders gone from mailbox %s: %s", account.id,
                     gone.mapped("imap_name"))
        remove_folders(env, account, gone)
    kept = [f for f in existing.values() if f not in gone]
    moving = [(f, by_id[f[field]]) for f in kept
              if f[field] and by_id[f[field]].path != f.imap_name]
    # Paths may be swapped between folders: free them all first (one flush), then take them.
    for folder, _item in moving:
        folder.write({"imap_name": f"\x7fmoving-{folder.id}"})  # no service path has DEL
    env["mailbox.folder"].flush_model(["imap_name"])
    for folder, item in moving:
        old_path = next(p for p, f in existing.items() if f == folder)
        _rename(account, folder, old_path, item)
    return {f.imap_name: f for f in kept}


def _renames(existing, listed):
    """{old path: remote folder} for folders that took a new path on the server."""
    gone = {p: f for p, f in existing.items() if p not in listed}
    new = {p: r for p, r in listed.items() if p not in existing}
    if not gone or not new:
        return {}
    matches = {}

    def compatible(folder, item):
        return not (folder.uid_validity and item.uidvalidity
                    and folder.uid_validity != str(item.uidvalidity))

    def free(path):
        return path in new and path not in matches.values()

    # 1. Same UIDVALIDITY, one folder each side, and no other folder with it (some servers
    #    give every folder the same one: it tells nothing then).
    shared = Counter(f.uid_validity for f in existing.values() if f.uid_validity)
    shared.update(str(r.uidvalidity) for r in listed.values() if r.uidvalidity)
    olds, news = defaultdict(list), defaultdict(list)
    for path, folder in gone.items():
        if folder.uid_validity:
            olds[folder.uid_validity].append(path)
    for path, item in new.items():
        if item.uidvalidity:
            news[str(item.uidvalidity)].append(path)
    for validity, paths in olds.items():
        if len(paths) == 1 and len(news.get(validity, ())) == 1 and shared[validity] == 2:
            matches[paths[0]] = new[news[validity][0]]
    # 2. The hierarchy: the child of a renamed parent moved with it, and a parent (often not
    #    selectable, so without a status) moved where all its renamed children went.
    changed = True
    while changed:
        changed = False
        for path, folder in gone.items():
            if path in matches or not folder.delimiter:
                continue
            delimiter = folder.delimiter
            parent = path.rsplit(delimiter, 1)[0] if delimiter in path else None
            candidate = None
            if parent in matches:
                candidate = matches[parent].path + delimiter + _leaf(path, delimiter)
            else:
                kids = {matches[p].path.rsplit(delimiter, 1)[0] for p in matches
                        if p.startswith(path + delimiter) and delimiter not in p[len(path) + 1:]
                        and delimiter in matches[p].path}
                if len(kids) == 1:
                    candidate = kids.pop()
            if candidate and free(candidate) and compatible(folder, new[candidate]):
                matches[path] = new[candidate]
                changed = True
    # 3. No UIDVALIDITY on one side: the same message count and UIDNEXT, if nothing else has them.
    def print_of_old(folder):
        return (folder.total_count, folder.last_uidnext) if folder.total_count else None

    def print_of_new(item):
        return (item.messages, item.uidnext) if item.messages and item.uidnext else None

    by_print = defaultdict(lambda: ([], []))
    for path, folder in gone.items():
        if path not in matches and print_of_old(folder):
            by_print[print_of_old(folder)][0].append(path)
    for path, item in new.items():
        if free(path) and print_of_new(item):
            by_print[print_of_new(item)][1].append(path)
    for old_paths, new_paths in by_print.values():
        if len(old_paths) == 1 and len(new_paths) == 1:
            folder, item = gone[old_paths[0]], new[new_paths[0]]
            if not folder.uid_validity or not item.uidvalidity:
                matches[old_paths[0]] = item
    return matches


def remove_folders(env, account, folders):
    """Folders deleted on the server: keep what users marked, tell who loses a move, remove."""
    _drop_moves_into(env, account, folders)
    stash_marks(env, account, folders)
    # A folder the server still lists under a removed parent stays, at the top level.
    env["mailbox.folder"].search([("parent_id", "in", folders.ids),
                                  ("id", "not in", folders.ids)]).write({"parent_id": False})
    folders.unlink()


def reset_folder(env, account, folder):
    """UIDVALIDITY changed: the old UIDs mean nothing. Keep the marks by Message-ID."""
    stash_marks(env, account, folder)
    env.cr.execute("""DELETE FROM maildesk_message_index
                       WHERE folder_id = %s AND NOT COALESCE(local_pending, FALSE)""", [folder.id])
    env["maildesk.message_index"].invalidate_model()
    env["maildesk.email_state"].invalidate_model()
    folder.write({"last_uid": 0, "backfill_last_uid": 0, "backfill_fetched_count": 0,
                  "last_highest_modseq": False, "sync_state": "never_synced",
                  "uid_validity": False})


def _drop_moves_into(env, account, folders):
    """Pending moves into folders that no longer exist cannot happen: drop them and tell the
    person who asked for each."""
    states = env["maildesk.email_state"].search([("account_id", "=", account.id),
                                                 ("target_folder_id", "in", folders.ids)])
    if not states:
        return
    by_person = defaultdict(lambda: env["maildesk.email_state"])
    for state in states:
        by_person[state.create_uid] |= state
    for person, mine in by_person.items():
        names = ", ".join(sorted(set(mine.target_folder_id.mapped("name"))))
        _tell(account, person.partner_id, env._(
            "%(count)s message(s) you moved to %(folders)s in %(mailbox)s were not moved: the "
            "folder was deleted on the mail server. The messages stay where they are; move them "
            "again if you still want to.", count=len(mine), folders=names, mailbox=account.email))
    states.index_id.filtered(lambda r: r.pending_move_to_id in folders).write(
        {"pending_move_to_id": False})
    for state in states:
        vals = {"target_folder_id": False}
        if state.place_intent == "move":
            vals["place_intent"] = False
        state.write(vals)
    states._without_intent().unlink()


# -- kept marks --------------------------------------------------------------------------------
_MARKED = """(EXISTS (SELECT 1 FROM maildesk_index_tag_rel r WHERE r.index_id = i.id)
               OR EXISTS (SELECT 1 FROM maildesk_email_state s WHERE s.index_id = i.id)
               OR (i.ingest_allowed AND NOT EXISTS (
                   SELECT 1 FROM maildesk_ingest_queue q
                    WHERE q.index_id = i.id AND q.state IN ('done', 'skipped'))))"""
_USER_MARKED = """(EXISTS (SELECT 1 FROM maildesk_index_tag_rel r WHERE r.index_id = i.id)
                    OR EXISTS (SELECT 1 FROM maildesk_email_state s WHERE s.index_id = i.id))"""


def stash_marks(env, account, folders):
    """Keep the marks of the index rows of ``folders`` by Message-ID, before they are removed.
    Return how many messages' marks were kept."""
    if not folders:
        return 0
    env.flush_all()
    cr = env.cr
    cr.execute(f"""
        SELECT count(*) FROM maildesk_message_index i
         WHERE i.folder_id = ANY(%s) AND COALESCE(i.message_id, '') = ''
           AND NOT COALESCE(i.local_pending, FALSE) AND {_USER_MARKED}
    """, [folders.ids])
    lost = cr.fetchone()[0]
    cr.execute(f"""
        INSERT INTO {TABLE} (account_id, message_id, from_addr, subject, date, folder_id,
                             folder_path, tag_ids, ingest_allowed, state)
        SELECT i.account_id, i.message_id, i.from_addr, i.subject, i.date, i.folder_id, f.imap_name,
               ARRAY(SELECT r.tag_id FROM maildesk_index_tag_rel r WHERE r.index_id = i.id
                      ORDER BY r.tag_id),
               COALESCE(i.ingest_allowed, FALSE) AND NOT EXISTS (
                   SELECT 1 FROM maildesk_ingest_queue q
                    WHERE q.index_id = i.id AND q.state IN ('done', 'skipped')),
               (SELECT to_jsonb(s) - 'id' FROM maildesk_email_state s WHERE s.index_id = i.id)
          FROM maildesk_message_index i JOIN mailbox_folder f ON f.id = i.folder_id
         WHERE i.folder_id = ANY(%s) AND i.account_id = %s AND COALESCE(i.message_id, '') != ''
           AND NOT COALESCE(i.local_pending, FALSE) AND {_MARKED}
    """, [folders.ids, account.id])
    kept = cr.rowcount
    if lost:
        _tell(account, account.owner_id.partner_id, env._(
            "The server removed or renumbered %(folders)s in %(mailbox)s. The tags and pending "
            "changes of %(count)s message(s) could not be kept: they have no Message-ID, so "
            "MailDesk cannot recognise them when the server shows them again.",
            folders=", ".join(folders.mapped("imap_name")), mailbox=account.email, count=lost))
    return kept


def _has_kept(cr, account):
    cr.execute(f"SELECT 1 FROM {TABLE} WHERE account_id = %s LIMIT 1", [account.id])
    return bool(cr.fetchone())


def restore_marks(env, account):
    """Put kept marks back on messages indexed again. While the folder they were kept from is
    still loading its history they wait for a message of that folder; after that, or when the
    folder is gone, any folder of the mailbox will do. Return how many were restored."""
    cr = env.cr
    if not _has_kept(cr, account):
        return 0
    env.flush_all()
    cr.execute(f"""
        SELECT DISTINCT ON (k.id) k.id, i.id, i.folder_id, k.tag_ids, k.ingest_allowed, k.state,
               EXISTS (SELECT 1 FROM maildesk_email_state s WHERE s.index_id = i.id)
          FROM {TABLE} k
          JOIN maildesk_message_index i ON i.message_id = k.message_id AND i.account_id = k.account_id
               -- a Message-ID is no secret: anyone can send one, so the headers must match too
               AND i.from_addr IS NOT DISTINCT FROM k.from_addr
               AND i.subject IS NOT DISTINCT FROM k.subject AND i.date IS NOT DISTINCT FROM k.date
          JOIN mailbox_folder f ON f.id = i.folder_id
          LEFT JOIN mailbox_folder origin ON origin.id = k.folder_id
         WHERE k.account_id = %s AND NOT COALESCE(i.local_pending, FALSE)
           AND (origin.id IS NULL OR origin.sync_state = 'incremental' OR i.folder_id = origin.id)
         ORDER BY k.id, (i.folder_id = k.folder_id) DESC, (f.imap_name = k.folder_path) DESC, i.id
    """, [account.id])
    found = cr.fetchall()
    if not found:
        return 0
    tags = [(index_id, tag) for _k, index_id, _f, tag_ids, *_ in found for tag in tag_ids]
    if tags:
        execute_values(cr, """
            INSERT INTO maildesk_index_tag_rel (index_id, tag_id)
            SELECT v.index_id, t.id FROM (VALUES %s) AS v(index_id, tag_id)
              JOIN mail_message_tag t ON t.id = v.tag_id
            ON CONFLICT DO NOTHING""", tags)
    allowed = [index_id for _k, index_id, _f, _t, ingest, *_ in found if ingest]
    if allowed:
        cr.execute("UPDATE maildesk_message_index SET ingest_allowed = TRUE WHERE id = ANY(%s)",
                   [allowed])
    states, taken = [], set()
    for _k, index_id, folder_id, _t, _i, state, has_state in found:
        if state and not has_state and index_id not in taken:
            state = _state_for(env, account, state, index_id, folder_id)
            if state:
                states.append(state)
                taken.add(index_id)
    if states:
        _insert_states(env, states)
    cr.execute(f"DELETE FROM {TABLE} WHERE id = ANY(%s)", [[row[0] for row in found]])
    env["maildesk.message_index"].invalidate_model()
    env["maildesk.email_state"].invalidate_model()
    return len(found)


# Kept before 19.0.1.1.0, a pending change had paired booleans instead of tri-state intents.
_OLD_KEYS = ("seen", "has_seen", "starred", "has_starred", "has_move", "is_delete", "has_delete",
             "dirty_flags", "dirty_move", "expire_at")


def _intents_of(state):
    """A kept change as intents, whichever shape it was kept in."""
    state = dict(state)
    if not any(name in state for name in INTENTS):
        flags, place = state.get("dirty_flags"), state.get("dirty_move")
        if flags and state.get("has_seen"):
            state["read_intent"] = "read" if state.get("seen") else "unread"
        if flags and state.get("has_starred"):
            state["star_intent"] = "starred" if state.get("starred") else "unstarred"
        if place and state.get("is_delete"):
            state["place_intent"] = "delete"
        elif place and state.get("target_folder_id"):
            state["place_intent"] = "move"
    for key in _OLD_KEYS:
        state.pop(key, None)
    return state


def _state_for(env, account, state, index_id, folder_id):
    """The kept pending change, fitted to the row it goes back onto; None if nothing is left."""
    state = dict(_intents_of(state), index_id=index_id, account_id=account.id)
    target = state.get("target_folder_id")
    if target and (target == folder_id or not env["mailbox.folder"].search_count(
            [("id", "=", target), ("account_id", "=", account.id)])):
        if target != folder_id:
            _tell(account, env["res.users"].browse(state.get("create_uid")).exists().partner_id,
                  env._("A message you moved in %(mailbox)s was not moved: the folder was deleted "
                        "on the mail server.", mailbox=account.email))
        state["target_folder_id"] = None
        if state.get("place_intent") == "move":
            state["place_intent"] = None
    if not any(state.get(name) for name in INTENTS):
        return None
    return state


def _insert_states(env, states):
    cr = env.cr
    cr.execute("""SELECT column_name FROM information_schema.columns
                   WHERE table_name = 'maildesk_email_state' AND column_name != 'id'
                     AND table_schema = current_schema()""")
    columns = [name for (name,) in cr.fetchall()]
    query = sql.SQL("""
        INSERT INTO maildesk_email_state ({columns})
        SELECT {values} FROM (
            SELECT jsonb_populate_record(NULL::maildesk_email_state, v.doc::jsonb) AS r
              FROM (VALUES %s) AS v(doc)) AS x
        RETURNING index_id, read_intent, star_intent, place_intent, target_folder_id
    """).format(columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
                values=sql.SQL(", ").join(sql.SQL("(x.r).{}").format(sql.Identifier(c))
                                          for c in columns))
    rows = execute_values(cr, query.as_string(cr._obj), [(json.dumps(s),) for s in states],
                          fetch=True)
    # The index shows a pending change at once, as when it was made.
    execute_values(cr, """
        UPDATE maildesk_message_index AS i SET
               is_read = CASE v.read WHEN 'read' THEN TRUE WHEN 'unread' THEN FALSE
                         ELSE i.is_read END,
               is_starred = CASE v.star WHEN 'starred' THEN TRUE WHEN 'unstarred' THEN FALSE
                            ELSE i.is_starred END,
               pending_move_to_id = CASE WHEN v.place = 'move' THEN v.target::int END,
               pending_delete = v.place IS NOT DISTINCT FROM 'delete'
          FROM (VALUES %s) AS v(index_id, read, star, place, target)
         WHERE i.id = v.index_id::int""", rows)


def purge_expired(env, account, days=KEEP_DAYS):
    """Marks whose message did not come back in time: drop them, and tell the owner once."""
    cr = env.cr
    if not _has_kept(cr, account):
        return 0
    cr.execute(f"""DELETE FROM {TABLE} WHERE account_id = %s AND kept_at < %s
                   RETURNING tag_ids != '{{}}' OR state IS NOT NULL""",
               [account.id, fields.Datetime.now() - timedelta(days=days)])
    lost = sum(1 for (marked,) in cr.fetchall() if marked)
    if lost:
        _tell(account, account.owner_id.partner_id, env._(
            "The tags and pending changes of %(count)s message(s) in %(mailbox)s could not be "
            "kept: the messages were in a folder deleted or renumbered on the mail server and "
            "did not come back within %(days)s days.", count=lost, mailbox=account.email,
            days=days))
    return lost


def _tell(account, partners, body):
    """A note on the mailbox, sent to these people's Odoo inbox."""
    if partners:
        account.message_post(body=body, partner_ids=partners.ids, subtype_xmlid="mail.mt_note",
                             message_type="notification")
