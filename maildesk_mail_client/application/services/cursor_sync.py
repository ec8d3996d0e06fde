"""Synchronise a mailbox whose service hands out cursors: Gmail (history) and Graph (delta).

The same run as IMAP's (``sync._Run``: lease, checkpoints, budget, failures), with other steps
in the middle::

    FOLDER LIST* ------- from the service at most every FOLDER_LIST_EVERY seconds, or when a
        |                change waits (moves need the service's folder ids); else the last one
    APPLY CHANGES* ----- users' intents, as for IMAP
        |
    ACCOUNT CURSOR* ---- Gmail: the historyId, taken before any listing starts, so nothing that
        |                happens during a listing is missed (replays upsert, never double)
    for each folder still listing (never synced, or its cursor expired):
        |
        +-- LISTING -------- a page at a time, newest first, each committed with its cursor;
        |                    at the end rows not listed again (after an expiry) are removed
    for each folder (Graph) / once for all (Gmail):
        |
        +-- CHANGES* ------- new, changed and removed messages since the cursor, committed with
                             the next cursor; an expired cursor lists the folders again

Labels: one Gmail message with two labels is one row in each of the two folders, as Gmail
over IMAP shows it; a change to it arrives for every label it carries.
"""
import dataclasses
import json
import logging
import threading
import time

from odoo import SUPERUSER_ID, fields

from ...infrastructure.providers.base import FolderChanges, FolderGone, ProviderError
from ...infrastructure.providers.http_api import CursorExpired
from . import folder_mirror, index_writer, state_changes

_logger = logging.getLogger(__name__)

SEEN = folder_mirror.SEEN
HISTORY_CHUNK = 2000  # Gmail history records applied and committed together
FOLDER_LIST_EVERY = 600  # seconds between two folder listings of one mailbox (per process)
FOLDER_LIST_EVERY_ASKED = 60  # the same, when a person asked for the sync
_listings = {}  # (database, account id) -> (monotonic time, [RemoteFolder])
_listings_lock = threading.Lock()


def forget_listing(env, account_id):
    with _listings_lock:
        _listings.pop((env.cr.dbname, account_id), None)


class CursorSync:
    """The middle of one run; ``engine`` is the run (``sync._Run``) it works for."""

    def __init__(self, engine, provider):
        self.engine, self.provider = engine, provider
        self.env, self.account, self.cr = engine.env, engine.account, engine.env.cr
        self.result = engine.result

    def run(self):
        folders = self._folders()
        if self._apply_changes():
            folders = self._folders(fresh=True)
        if self.provider.account_wide_changes:
            self._ensure_account_cursor(folders)
        for folder, remote in folders:
            if self._listing(folder) and not self._list(folder, remote):
                return  # out of time: the next run goes on from the committed cursor
        if self.provider.account_wide_changes:
            self._account_changes(folders)
        else:
            for folder, remote in folders:
                if self.engine._out_of_time():
                    self.result["complete"] = False
                    return
                self._folder_changes(folder, remote)

    def _folders(self, fresh=False):
        key = (self.cr.dbname, self.account.id)
        with _listings_lock:
            listed_at, remote_folders = _listings.get(key, (None, None))
        age = None if listed_at is None else time.monotonic() - listed_at
        # Someone waiting (Sync Now, an open inbox) sees a renamed or new folder within a minute.
        every = FOLDER_LIST_EVERY_ASKED if getattr(self.engine, "asked", False) else FOLDER_LIST_EVERY
        stale = age is None or age > every
        if fresh or stale or self._changes_wait():
            remote_folders = self.provider.list_folders()
            with _listings_lock:
                _listings[key] = (time.monotonic(), remote_folders)
        folders = folder_mirror.mirror(self.env, self.account, remote_folders, self.result)
        self.engine.checkpoint()
        return folders

    def _changes_wait(self):
        return bool(self.env["maildesk.email_state"].search_count(
            [("account_id", "=", self.account.id), *state_changes.PENDING_DOMAIN], limit=1))

    def _apply_changes(self):
        applied = state_changes.apply_pending(self.env, self.account, self.provider,
                                              commit=self.engine.checkpoint)
        self.engine.checkpoint()
        return applied

    # -- listing -------------------------------------------------------------------------------
    @staticmethod
    def _listing(folder):
        return folder.sync_state != "incremental"

    def _list(self, folder, remote):
        """List the folder from its committed position to the end; False when out of time."""
        if folder.sync_state in ("never_synced", "backfill_pending"):
            self._restart_listing(folder)
            self._store_cursor(folder, None, done=False)
        try:
            cursor, seen = self._cursor(folder), set()
            while True:
                if self.engine._out_of_time():
                    self.result["complete"] = False
                    return False
                page = self.provider.folder_changes(remote, cursor)
                if page.reset:
                    self._restart_listing(folder)
                self._apply(folder, page, incoming=False)
                if page.estimate is not None:
                    folder.write({"backfill_total_estimate": max(
                        page.estimate, folder.backfill_fetched_count)})
                self._store_cursor(folder, page.cursor, done=page.done)
                if page.done:
                    self._end_listing(folder)
                    self.engine._step_counts(folder, remote)  # commits
                    self.engine.batches_done += 1
                    return True
                self._refuse_a_loop(seen, cursor, page.cursor)
                cursor = page.cursor
                self.engine.checkpoint()
                self.engine.batches_done += 1
        except FolderGone:
            folder_mirror.remove_folders(self.env, self.account, folder)
            self.engine.checkpoint()
            return True

    def _restart_listing(self, folder):
        """The cursor expired: the folder is listed again from the start; what is not listed
        again by the end was removed meanwhile."""
        if folder.sync_state == "incremental":
            _logger.info("MailDesk: the cursor of folder %s of mailbox %s expired; listing it "
                         "again", folder.id, self.account.id)
        folder.write({"sync_state": "backfill_in_progress", "backfill_fetched_count": 0,
                      "backfill_started_at": fields.Datetime.now(),
                      "backfill_completed_at": False})
        self.cr.execute(f"DELETE FROM {SEEN} WHERE folder_id = %s", [folder.id])

    def _end_listing(self, folder):
        """Rows of this folder not refreshed since the listing began are gone from the
        service (messages MailDesk filed itself wait for their copy: they stay)."""
        self.env.flush_all()
        self.cr.execute(f"""
            DELETE FROM maildesk_message_index i
             WHERE i.folder_id = %(folder)s AND NOT COALESCE(i.local_pending, FALSE)
               AND NOT EXISTS (SELECT 1 FROM {SEEN} s
                                WHERE s.folder_id = %(folder)s AND s.uid = i.uid)
        """, {"folder": folder.id})
        self.result["removed"] += self.cr.rowcount
        self.cr.execute(f"DELETE FROM {SEEN} WHERE folder_id = %s", [folder.id])
        self.env["maildesk.message_index"].invalidate_model()
        folder.write({"sync_state": "incremental",
                      "backfill_completed_at": fields.Datetime.now(),
                      "last_sync_at": fields.Datetime.now(), "last_error": False})

    # -- changes ---------------------------------------------------------------------------------
    def _folder_changes(self, folder, remote):
        """Graph: one delta round per folder, page by page, each committed with its cursor."""
        try:
            cursor = self._cursor(folder)
            changed, seen = False, set()
            while True:
                page = self.provider.folder_changes(remote, cursor)
                if page.reset:
                    self._restart_listing(folder)
                    self._apply(folder, page, incoming=False)
                    self._store_cursor(folder, page.cursor, done=page.done)
                    self.engine.checkpoint()
                    if page.done:
                        self._end_listing(folder)
                    else:
                        self._list(folder, remote)
                    changed = True
                    break
                changed |= self._apply(folder, page, incoming=True)
                self._store_cursor(folder, page.cursor, done=page.done)
                if page.done:
                    break
                self._refuse_a_loop(seen, cursor, page.cursor)
                self.engine.checkpoint()
                self.engine.batches_done += 1
                if self.engine._out_of_time():
                    self.result["complete"] = False  # the next run follows the stored link
                    return
                cursor = page.cursor
            if changed or self._counts_differ(folder, remote):
                self.engine._step_counts(folder, remote)  # commits
            else:
                self.engine.checkpoint()
        except FolderGone:
            folder_mirror.remove_folders(self.env, self.account, folder)
            self.engine.checkpoint()

    def _ensure_account_cursor(self, folders):
        """Gmail: the account's historyId, taken before the first listing starts."""
        if not self.account.gmail_last_history_id:
            self.account.write({"gmail_last_history_id": str(self.provider.account_cursor())})
            self.engine.checkpoint()

    def _account_changes(self, folders):
        """Gmail: the history walked for every label at once, a chunk at a time, each chunk
        committed with the history position it reached; an expired history lists them all
        again. A message that arrived with several labels is fetched once."""
        by_remote = {remote.remote_id: (folder, remote) for folder, remote in folders}
        remotes = [remote for _folder, remote in folders]
        touched, seen = {}, set()
        cursor = self.account.gmail_last_history_id
        while True:
            if self.engine._out_of_time():
                self.result["complete"] = False
                break
            try:
                changes, next_cursor, done = self.provider.account_changes(
                    cursor, remotes, max_records=HISTORY_CHUNK)
            except CursorExpired:
                self._list_every_label_again(folders)
                return
            self._apply_account_chunk(changes, by_remote, touched)
            self.account.write({"gmail_last_history_id": str(next_cursor)})
            self.engine.checkpoint()
            self.engine.batches_done += 1
            if done:
                break
            seen.add(str(cursor))
            if str(next_cursor) in seen:
                raise ProviderError(self.env._(
                    "Gmail keeps sending the same part of the mailbox's history; MailDesk stops "
                    "here and tries again later"))
            cursor = next_cursor
        for folder, remote in touched.values():
            self.engine._step_counts(folder, remote)  # commits

    def _list_every_label_again(self, folders):
        _logger.info("MailDesk: the Gmail history of mailbox %s expired; listing every label "
                     "again", self.account.id)
        for folder, _remote in folders:
            folder.write({"sync_state": "backfill_pending", "gmail_backfill_page_token": False})
        self.account.write({"gmail_last_history_id": str(self.provider.account_cursor())})
        self.engine.checkpoint()
        for folder, remote in folders:
            if not self._list(folder, remote):
                return

    def _apply_account_chunk(self, changes, by_remote, touched):
        """Removals and read/star changes first; then a message new to a label but already
        indexed in another folder of the mailbox is copied from its row (a label added to
        thousands of messages costs no call); only messages never seen are fetched, each once."""
        pages = {rid: page for rid, page in changes.items() if rid in by_remote}
        for remote_id, page in pages.items():
            if self._apply(by_remote[remote_id][0],
                           dataclasses.replace(page, metas=[], new_ids=[]), incoming=True):
                touched[by_remote[remote_id][0].id] = by_remote[remote_id]
        wanted = list(dict.fromkeys(str(u) for page in pages.values() for u in page.new_ids))
        known = self._indexed(wanted)
        for remote_id, page in pages.items():
            copies = [u for u in map(str, page.new_ids) if u in known]
            if copies and self._copy_rows(by_remote[remote_id][0], copies):
                touched[by_remote[remote_id][0].id] = by_remote[remote_id]
        unknown = [u for u in wanted if u not in known]
        metas = {}
        if unknown:
            for _batch, found in self.engine._prefetched("", unknown):
                metas.update((str(m.uid), m) for m in found)
        for remote_id, page in pages.items():
            mine = [metas[u] for u in map(str, page.new_ids) if u in metas] + list(page.metas)
            if mine:
                self._apply(by_remote[remote_id][0], FolderChanges(metas=mine), incoming=True)
                touched[by_remote[remote_id][0].id] = by_remote[remote_id]

    # -- writes ----------------------------------------------------------------------------------
    def _apply(self, folder, page, incoming):
        """Index one page (not committed). True when anything changed."""
        run = self.engine
        changed = False
        if page.removed:
            run._remove(folder, page.removed)
            changed = True
        if page.flag_changes:
            run._apply_flags(folder, page.flag_changes)
            changed = True
        if not incoming:  # a listing: what it reached stays at its end
            folder_mirror.listing_reached(
                self.cr, folder, [m.uid for m in page.metas] + list(page.new_ids))
        count = 0
        if page.metas:
            run._upsert(folder, page.metas, incoming)
            count += len(page.metas)
        if page.new_ids:
            ids = [str(i) for i in page.new_ids]
            for _batch, metas in run._prefetched(folder.imap_name, ids):
                run._upsert(folder, metas, incoming)
                count += len(metas)
        if count:
            self.cr.execute("""UPDATE mailbox_folder SET backfill_fetched_count =
                                      backfill_fetched_count + %s WHERE id = %s""",
                            [count if not incoming else 0, folder.id])
            folder.invalidate_recordset(["backfill_fetched_count"])
            changed = True
        return changed

    def _indexed(self, uids):
        """Which of these ids have a row in some folder of the mailbox already."""
        if not uids:
            return set()
        self.cr.execute("""SELECT DISTINCT uid FROM maildesk_message_index
                            WHERE account_id = %s AND uid = ANY(%s)
                              AND NOT COALESCE(local_pending, FALSE)""", [self.account.id, uids])
        return {uid for (uid,) in self.cr.fetchall()}

    def _copy_rows(self, folder, uids):
        """Rows for ``folder`` copied from the mailbox's rows of the same messages (Gmail: the
        same message under one more label). Returns how many were added."""
        now = fields.Datetime.now()
        own = {"folder_id": "%(folder)s", "ingest_allowed": "FALSE", "deleted_on_server": "FALSE",
               "indexed_at": "%(now)s", "create_date": "%(now)s", "write_date": "%(now)s",
               "create_uid": "%(uid)s", "write_uid": "%(uid)s"}
        columns = index_writer.COLUMNS
        self.cr.execute(f"""
            INSERT INTO maildesk_message_index ({", ".join(columns)})
            SELECT DISTINCT ON (i.uid) {", ".join(own.get(c, "i." + c) for c in columns)}
              FROM maildesk_message_index i
             WHERE i.account_id = %(account)s AND i.uid = ANY(%(uids)s)
               AND NOT COALESCE(i.local_pending, FALSE)
             ORDER BY i.uid, i.id
            ON CONFLICT (account_id, folder_id, uid) DO NOTHING
        """, {"folder": folder.id, "now": now, "uid": SUPERUSER_ID, "account": self.account.id,
              "uids": uids})
        added = self.cr.rowcount
        self.result["new"] += added
        return added

    def _refuse_a_loop(self, seen, cursor, next_cursor):
        """A service that hands back a page it already gave would keep a worker for ever."""
        seen.add(json.dumps(cursor, sort_keys=True))
        if json.dumps(next_cursor, sort_keys=True) in seen:
            raise ProviderError(self.env._(
                "The mail service keeps sending the same page of this folder; MailDesk stops "
                "here and tries again later"))

    @staticmethod
    def _counts_differ(folder, remote):
        return remote.messages is not None and remote.messages != folder.total_count

    # -- where each service's cursor is kept ---------------------------------------------------
    # Gmail: a listing's page token on the folder; the history cursor on the account.
    # Graph: a round's next link on the folder while the round goes on; the delta link of the
    # finished round in the account's outlook_delta_tokens (folder id -> link), as seed 003 has it.
    def _cursor(self, folder):
        if self.account.provider == "gmail":
            raw = folder.gmail_backfill_page_token
            return json.loads(raw) if raw else None
        raw = folder.outlook_backfill_next_link
        if raw:
            return json.loads(raw)
        if folder.sync_state != "incremental":
            return None
        return (self.account.outlook_delta_tokens or {}).get(folder.outlook_graph_id or "")

    def _store_cursor(self, folder, cursor, done):
        if self.account.provider == "gmail":
            folder.write({"gmail_backfill_page_token": False if done or cursor is None
                          else json.dumps(cursor)})
            return
        if not done:
            folder.write({"outlook_backfill_next_link": json.dumps(cursor) if cursor else False})
            return
        folder.write({"outlook_backfill_next_link": False})
        tokens = dict(self.account.outlook_delta_tokens or {})
        if folder.outlook_graph_id and tokens.get(folder.outlook_graph_id) != cursor:
            tokens[folder.outlook_graph_id] = cursor
            self.account.write({"outlook_delta_tokens": tokens})

