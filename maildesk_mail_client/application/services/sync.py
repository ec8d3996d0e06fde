"""Synchronise one mailbox into the message index.

One run of one mailbox, as a state machine. Every arrow that leaves a box with a star
commits (``checkpoint``: the work, the folder's cursor and the lease renewal in one
transaction); a run stopped anywhere (killed, cut off, out of time, lease lost) resumes
from the last commit, and the idempotent upsert never doubles a message::

    take lease --busy--> (return "busy": another worker has it)
        |
    take request (the "Sync Now" / open-mailbox row, on its own cursor)
        |
    MIRROR FOLDERS* ---- list with status, renames kept, gone folders' marks stashed
        |
    APPLY CHANGES* ----- users' intents, one committed group at a time, flags first;
        |                a refused one is reported to its author and dropped
        |                (folders listed again when some were applied)
    for each folder, in the one folder order:
        |
        +-- UNCHANGED? --yes--> next folder (status equals the stored cursor: no command)
        |
        +-- DELTA ----------- new UIDs, flag changes, vanished UIDs, UIDVALIDITY reset
        |     reset? -------> RESET* (stash marks, empty the folder: it is "never_synced")
        |
        +-- never_synced? --> FIRST LOOK: cursor at the newest UID, state "backfill_in_progress",
        |                     the new UIDs indexed newest first as history       (batches*)
        |   incremental? ---> NEW MAIL: indexed oldest first, last_uid moving per batch;
        |                     the status cursor is written only once all is in  (batches*)
        |
        +-- HISTORY --------- below backfill_last_uid, newest first, until done -> "incremental"
        |                                                                      (batches*)
        +-- COUNTS* --------- unread and total; a locally filed Sent copy reconciled
        |
    out of time? --> stop here, "complete": False (the next run goes on)
        |
    SUCCEEDED* (account connected) | FAILED* (the server's words, back-off, owner told)
        |
    release lease (only this worker's)
"""
import contextlib
import logging
import os
import queue
import socket
import threading
import time
import uuid
from datetime import timedelta

from psycopg2 import errors as pg_errors
from psycopg2.extras import execute_values

from odoo import SUPERUSER_ID, api, fields
from odoo.addons.base.models.ir_cron import MIN_TIME_PER_JOB
from odoo.exceptions import UserError
from odoo.tools import config

from ...infrastructure.providers.base import (
    AuthenticationFailed,
    FolderGone,
    ProviderError,
    ServerUnreachable,
)
from ...infrastructure.providers.http_api import GrantRevoked, Throttled
from . import (
    backoff,
    connections,
    cursor_sync,
    folder_mirror,
    index_writer,
    live,
    oauth_config,
    state_changes,
)

_logger = logging.getLogger(__name__)

BATCH_SIZE = 500  # messages fetched, upserted and committed together (default)
BATCH_PARAM = "maildesk.backfill_batch_size"
LEASE_TTL = 300  # seconds; renewed after every batch
TIME_BUDGET = 240  # seconds one run may spend before leaving the rest for the next run
BACKOFF_START = timedelta(minutes=2)
BACKOFF_MAX = timedelta(hours=6)

class SyncResult(dict):
    """{'status': 'ok'|'busy'|'error'|'skipped', 'new': n, 'updated': n, 'removed': n, ...}"""


def _words(exc):
    """The server's own sentence, without its final full stop (ours follows)."""
    return str(exc).strip().rstrip(".")


def lease_owner():
    """Unique per run: two runs in one threaded process must not renew each other's lease."""
    return f"sync:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


MANUAL_RETRY_EVERY = timedelta(minutes=1)  # "Sync Now" on a backing-off mailbox, at most this often
CRON_SHARE = 0.5  # of Odoo's cron time limit that one cron run may spend syncing
MIN_ACCOUNT_BUDGET = 5  # seconds: below this, the next account waits for the next cron run


def request_sync(accounts):
    """Ask for a sync of mailboxes the caller can read, and wake the sync cron.

    Requests live in a table of their own (``maildesk_sync_request``, one row per mailbox
    until a sync picks it up): many members polling a busy shared mailbox never write the
    account row the sync writes, and a request already waiting costs nothing more.
    """
    accounts.check_access("read")
    env = accounts.env
    env.cr.execute("""
        INSERT INTO maildesk_sync_request (account_id, requested_at, requested_by)
        SELECT id, now() AT TIME ZONE 'UTC', %s FROM unnest(%s::int[]) AS id
        ON CONFLICT (account_id) DO NOTHING
    """, [env.uid, accounts.ids])
    if env.cr.rowcount:
        cron = env.ref("maildesk_mail_client.ir_cron_sync_mailboxes", raise_if_not_found=False)
        if cron:
            # sudo: users may not read crons; waking the sync cron is what they asked for.
            cron.sudo()._trigger()
    return True


def sync_now(accounts):
    """"Sync Now": ask for a sync and say truthfully what will happen: (type, sentence)."""
    request_sync(accounts)
    env = accounts.env
    if len(accounts) != 1:
        return "info", env._("MailDesk synchronises these mailboxes within a minute.")
    # sudo: the caller may read this account (checked by request_sync); the server settings
    # and the last problem are read to tell them what the sync will do.
    account = accounts.sudo()
    if not account.active:
        return "warning", env._("This mailbox is archived: MailDesk does not synchronise it. "
                                "Unarchive it first.")
    if account.connection_state == "reauth_required":
        return "warning", env._(
            "%(service)s no longer lets MailDesk into this mailbox (the access was revoked or has "
            "expired). Open the mailbox and sign in again; nothing already shown is lost.",
            service=oauth_config.service_of(account))
    if not connections.is_connected(account):
        if account.provider != "imap":
            return "warning", env._(
                "This mailbox is not signed in yet: open it and use \"Sign in with %s\", then "
                "MailDesk synchronises it.", oauth_config.service_of(account))
        return "warning", env._("This mailbox has no incoming server yet: a Mailbox Admin sets "
                                "one on the Server tab, then MailDesk synchronises it.")
    now = fields.Datetime.now()
    if account.backoff_until and account.backoff_until > now:
        problem = account.last_error or env._("the mail server did not answer")
        next_try = (account.last_error_at or now) + MANUAL_RETRY_EVERY
        if next_try > now:
            return "warning", env._(
                "The last try, less than a minute ago, failed: %(problem)s To spare the server, "
                "the next try is at %(time)s.", problem=problem, time=_local_time(account, next_try))
        return "info", env._(
            "The last sync failed (%(problem)s). MailDesk tries again now instead of waiting "
            "until %(time)s; the result shows here within a minute.",
            problem=problem, time=_local_time(account, account.backoff_until))
    return "info", env._("MailDesk synchronises this mailbox within a minute.")


def _local_time(record, when):
    return fields.Datetime.context_timestamp(record, when).strftime("%H:%M")


def cron_time_limit():
    """Odoo's hard limit for a cron worker, in seconds (None: unlimited)."""
    limit = config.get("limit_time_real_cron")
    if not limit or limit < 0:
        limit = config.get("limit_time_real")
    return limit if limit and limit > 0 else None


def due_account_ids(env, batch):
    """Accounts the sync cron takes now, in order: asked for first, then the longest waiting.
    A mailbox that must be signed in again waits for that (nothing a retry could fix)."""
    now = fields.Datetime.now()
    env.cr.execute("""
        SELECT a.id FROM mailbox_account a
          LEFT JOIN maildesk_sync_request r ON r.account_id = a.id
         WHERE a.active AND (
                   (a.provider = 'imap' AND a.imap_host IS NOT NULL)
                OR (a.provider = 'gmail' AND a.gmail_refresh_token_encrypted IS NOT NULL)
                OR (a.provider = 'outlook' AND a.outlook_graph_refresh_token_encrypted IS NOT NULL))
           AND a.connection_state != 'reauth_required'
           AND (a.backoff_until IS NULL OR a.backoff_until <= %(now)s
                OR (r.account_id IS NOT NULL
                    AND COALESCE(a.last_error_at, '-infinity') <= %(retry)s))
         ORDER BY r.requested_at ASC NULLS LAST, a.last_sync_at ASC NULLS FIRST, a.id
         LIMIT %(batch)s
    """, {"now": now, "retry": now - MANUAL_RETRY_EVERY, "batch": batch})
    account_ids = [r[0] for r in env.cr.fetchall()]
    return account_ids


def run_due_accounts(env, batch=20):
    """The sync cron: accounts asked for first, then every active account not backing off.

    A mailbox backing off after errors is still synced when someone asked for it, at most
    once per MANUAL_RETRY_EVERY. The run stays inside Odoo's cron time limit and reports its
    progress through Odoo's own progress commits, so Odoo reschedules what is left.
    """
    started = time.monotonic()
    if env.context.get("cron_end_time"):  # the job's own start, as Odoo's scheduler saw it
        started = min(started, env.context["cron_end_time"] - MIN_TIME_PER_JOB)
    limit = cron_time_limit()
    deadline = started + min(TIME_BUDGET, limit * CRON_SHARE if limit else TIME_BUDGET)
    env["maildesk.account_lease"].reap_expired()
    account_ids = due_account_ids(env, batch)
    Cron = env["ir.cron"]
    Cron._commit_progress(remaining=len(account_ids))
    results = {"processed": 0, "busy": 0, "failed": 0}
    for position, account_id in enumerate(account_ids):
        budget = deadline - time.monotonic()
        if position and budget < MIN_ACCOUNT_BUDGET:
            break  # the rest waits for Odoo to call the job again (progress says how many)
        budget = max(budget, 1)  # the first mailbox always gets a batch in
        outcome = sync_account(env, account_id, time_budget=budget)
        key = {"ok": "processed", "busy": "busy", "error": "failed"}.get(outcome["status"])
        if key:
            results[key] += 1
        Cron._commit_progress(1, remaining=len(account_ids) - position - 1)
    return results


def sync_account(env, account_id, time_budget=TIME_BUDGET, batch_size=None):
    """Synchronise one account. Safe to call from any worker: a second caller returns 'busy'."""
    env.flush_all()  # the run reads on its own cursor: hand it what this one wrote
    owner = lease_owner()
    # sudo: the lease is system bookkeeping; this function is called by the cron (as the
    # system) or by mailbox.sync after it checked the user may use this account.
    Lease = env["maildesk.account_lease"].sudo()
    if not Lease.try_acquire(account_id, LEASE_TTL, owner=owner):
        return SyncResult(status="busy")
    try:
        asked = Lease.take_sync_request(account_id)
        with env.registry.cursor() as cr:
            sync_env = api.Environment(cr, SUPERUSER_ID, {})
            run = _Run(sync_env, sync_env["mailbox.account"].browse(account_id), owner,
                       time_budget, batch_size)
            run.asked = asked
            return run.run()
    finally:
        Lease.release(account_id, owner=owner)


class LeaseLost(Exception):
    """This worker's lease expired and another worker may own the mailbox now: stop writing."""


class _Run:
    def __init__(self, env, account, owner, time_budget, batch_size=None):
        self.env, self.account, self.owner = env, account, owner
        self.cr = env.cr
        self._relax_durability()
        self.deadline = time.monotonic() + time_budget
        self.batches_done = 0
        self.result = SyncResult(status="ok", new=0, updated=0, removed=0, folders=0,
                                 round_trips=0, complete=True)
        try:
            self.batch_size = max(1, int(
                batch_size or env["ir.config_parameter"].get_param(BATCH_PARAM, BATCH_SIZE)))
        except (TypeError, ValueError):
            self.batch_size = BATCH_SIZE

    def _relax_durability(self):
        """The index is a copy of the server's state, and each batch commits together with
        its cursor: if PostgreSQL crashed right after a commit, the next sync would simply
        fetch that batch again. So the sync does not wait for each commit to reach the disk."""
        self.cr.execute("SET LOCAL synchronous_commit = off")

    def _out_of_time(self):
        """Past the budget, once this run has indexed something: every run makes progress."""
        return self.batches_done > 0 and time.monotonic() > self.deadline

    def checkpoint(self):
        """Commit what is done, but only while this worker still holds the mailbox's lease.

        The lease is renewed in the very transaction that commits the work: a worker whose
        lease expired (it stalled, another worker took over) rolls back and stops instead of
        writing beside the new owner.
        """
        connections.flush_tokens(getattr(self, "provider", None))  # renewed by a fetch thread
        try:
            with self.cr.savepoint(flush=False):
                self.cr.execute("""
                    UPDATE maildesk_account_lease
                       SET lease_until = (now() AT TIME ZONE 'UTC') + make_interval(secs => %s)
                     WHERE account_id = %s AND owner = %s
                       AND lease_until >= (now() AT TIME ZONE 'UTC')
                """, [LEASE_TTL, self.account.id, self.owner])
                renewed = self.cr.rowcount == 1
        except pg_errors.SerializationFailure:  # another worker changed the lease meanwhile
            renewed = False
        if not renewed:
            self.cr.rollback()
            raise LeaseLost()
        self.cr.commit()
        connections.tokens_committed(getattr(self, "provider", None))
        self._relax_durability()

    # -- the run -------------------------------------------------------------------------
    def run(self):
        account = self.account
        if not account.exists() or not account.active:
            return SyncResult(status="skipped")
        try:
            self.provider = provider = connections.provider_for(account)
            with provider:
                if provider.cursor_sync:
                    cursor_sync.CursorSync(self, provider).run()
                else:
                    # Folders first: a pending change then names a renamed folder by its new
                    # path, and none is applied with the UIDs of a folder whose UIDVALIDITY was
                    # reset.
                    folders = self._step_mirror_folders(provider)
                    if self._step_apply_changes(provider):
                        folders = self._step_mirror_folders(provider)  # moves changed them
                    for folder, remote_folder in folders:
                        if self._out_of_time():
                            self.result["complete"] = False
                            break
                        self._step_folder(provider, folder, remote_folder)
                self.result["round_trips"] = provider.round_trips
                self.result["quota_units"] = provider.quota_units
            self._succeeded()
        except LeaseLost:
            _logger.warning("MailDesk: lost the lease of mailbox %s mid-run; another worker "
                            "continues", account.id)
            self.result.update(status="busy", complete=False)
        except (pg_errors.SerializationFailure, pg_errors.DeadlockDetected,
                pg_errors.LockNotAvailable) as exc:
            # A member changed a message this run was writing (Odoo's transactions are
            # REPEATABLE READ): nothing is wrong with the mailbox. Keep what was committed, no
            # back-off, no note to the owner; the next run, asked for now, picks it up.
            self.cr.rollback()
            self._keep_renewed_tokens()
            _logger.info("MailDesk: sync of mailbox %s met a concurrent change (%s); it goes on "
                         "at the next run", account.id, exc.__class__.__name__)
            self.result.update(status="busy", complete=False, retry=True)
            self._ask_again()
        except GrantRevoked as exc:
            self._failed("reauth_required", self.env._(
                "%(service)s no longer lets MailDesk into this mailbox: %(words)s. Everything "
                "already shown stays; open the mailbox and sign in again to continue.",
                service=oauth_config.service_of(account), words=_words(exc)))
        except AuthenticationFailed as exc:
            if account.provider != "imap":
                self._failed("auth_failed", self.env._(
                    "%(service)s refused MailDesk's sign-in: %(words)s. Sign in again on the "
                    "mailbox; if that fails too, a Mailbox Admin checks the client id and secret "
                    "in Settings › MailDesk.", service=oauth_config.service_of(account), words=_words(exc)))
            else:
                self._failed("auth_failed", self.env._(
                    "The mail server refused the sign-in: %(words)s. Check the username and "
                    "password (or app password) on the mailbox, then save.", words=_words(exc)))
        except Throttled as exc:
            self._failed("unreachable", at_least=getattr(exc, "retry_after", None), message=self.env._(
                "%(service)s asked MailDesk to slow down: %(words)s. Everything indexed so far is "
                "kept; MailDesk goes on later.", service=oauth_config.service_of(account), words=_words(exc)))
        except ServerUnreachable as exc:
            self._failed("unreachable", self.env._(
                "The mail server could not be reached: %(words)s. MailDesk will try again.",
                words=_words(exc)))
        except (ProviderError, UserError) as exc:
            self._failed("error", str(exc.args[0] if isinstance(exc, UserError) else exc))
        except Exception as exc:  # noqa: BLE001 (a defect of ours: say so, back off, keep the rest)
            _logger.exception("MailDesk: unexpected error while synchronising mailbox %s",
                              account.id)
            self._failed("error", self.env._(
                "MailDesk hit an unexpected problem while synchronising (%(error)s). Everything "
                "indexed so far is kept; MailDesk will try again later. The server log has the "
                "details for your administrator.", error=exc.__class__.__name__))
        return self.result

    def _ask_again(self):
        cron = self.env.ref("maildesk_mail_client.ir_cron_sync_mailboxes", raise_if_not_found=False)
        if cron:
            cron._trigger(fields.Datetime.now() + timedelta(seconds=10))
            self.cr.commit()

    def _keep_renewed_tokens(self):
        """After a rollback: tokens renewed since the last commit are written again."""
        connections.flush_tokens(getattr(self, "provider", None), again=True)

    def _succeeded(self):
        self.cr.rollback()  # nothing half-done from an interrupted folder stays pending
        self._keep_renewed_tokens()
        self.account.write({
            "connection_state": "connected", "last_sync_at": fields.Datetime.now(),
            "last_error": False, "last_error_at": False, "sync_failure_count": 0,
            "backoff_until": False,
        })
        self.cr.commit()

    def _failed(self, state, message, at_least=None):
        """``at_least``: seconds the service asked to be left alone (Retry-After)."""
        self.cr.rollback()  # keep every committed batch, drop the one in flight
        self._keep_renewed_tokens()
        account = self.account
        failures = account.sync_failure_count + 1
        wait = backoff.delay(failures, BACKOFF_START, BACKOFF_MAX)
        if at_least:
            wait = max(wait, timedelta(seconds=min(float(at_least), BACKOFF_MAX.total_seconds())))
        changed = account.connection_state != state or account.last_error != message
        account.write({
            "connection_state": state, "last_error": message,
            "last_error_at": fields.Datetime.now(), "sync_failure_count": failures,
            "backoff_until": fields.Datetime.now() + wait,
        })
        if changed:
            account._notify_owner_of_problem(message)
        self.cr.commit()
        _logger.info("MailDesk: sync of mailbox %s failed (%s): %s", account.id, state, message)
        self.result.update(status="error", state=state, error=message)

    # -- the steps ------------------------------------------------------------------------------
    def _step_mirror_folders(self, provider):
        """Mirror the server's folder list; return [(folder, remote)] in sync order."""
        folders = folder_mirror.mirror(self.env, self.account, provider.list_folders(), self.result)
        self.checkpoint()
        return folders

    def _step_apply_changes(self, provider):
        applied = state_changes.apply_pending(self.env, self.account, provider,
                                              commit=self.checkpoint)
        self.checkpoint()
        return applied

    def _step_folder(self, provider, folder, remote):
        if self._unchanged(folder, remote):
            return  # LIST-STATUS says nothing moved: not a single command for this folder
        try:
            delta = self._step_delta(provider, folder)
            if folder.sync_state in ("never_synced", "backfill_pending"):
                self._step_first_look(folder, delta)
            elif not self._step_new_mail(folder, delta):
                # Out of time: the status cursor stays behind, so the next run comes back.
                self._step_counts(folder, remote)
                return
            self._step_history(provider, folder)
            self._step_counts(folder, remote)
        except FolderGone:
            folder_mirror.remove_folders(self.env, self.account, folder)
            self.checkpoint()

    @staticmethod
    def _unchanged(folder, remote):
        return (folder.sync_state == "incremental" and remote.uidvalidity
                and str(remote.uidvalidity) == (folder.uid_validity or "")
                and remote.uidnext == folder.last_uidnext
                and remote.highestmodseq is not None
                and str(remote.highestmodseq) == (folder.last_highest_modseq or "")
                and remote.messages == folder.total_count)

    def _step_delta(self, provider, folder):
        """What changed since the folder's cursor; a UIDVALIDITY reset empties the folder first.
        Vanished messages and flag changes go into this transaction."""
        known = None if provider.qresync or not folder.last_uid else self._known_uids(folder)
        delta = provider.changes(folder.imap_name, folder.uid_validity, folder.last_uid,
                                 folder.last_highest_modseq, known_uids=known)
        if delta.reset:
            self._reset_folder(folder)
        if delta.vanished:
            self._remove(folder, delta.vanished)
        if delta.flag_changes:
            self._apply_flags(folder, delta.flag_changes)
        return delta

    @staticmethod
    def _status_cursor(delta):
        cursor = {"uid_validity": str(delta.uidvalidity), "last_uidnext": delta.uidnext or 0,
                  "last_sync_at": fields.Datetime.now(), "last_error": False}
        if delta.highestmodseq is not None:
            cursor["last_highest_modseq"] = str(delta.highestmodseq)
        return cursor

    def _step_first_look(self, folder, delta):
        """History is everything present at the first sync (or after a reset); only mail that
        arrives later is "new" (and may be filed into Odoo records)."""
        folder.write(dict(self._status_cursor(delta), sync_state="backfill_in_progress",
                          backfill_started_at=fields.Datetime.now(),
                          backfill_total_estimate=len(delta.new_uids),
                          last_uid=max(delta.new_uids, default=0)))
        self._index_uids(folder, delta.new_uids, incoming=False)

    def _step_new_mail(self, folder, delta):
        """Oldest first, last_uid moving with each committed batch: an interrupted run leaves
        the cursor below the first message it did not index. False when out of time."""
        if not self._index_uids(folder, sorted(delta.new_uids), incoming=True,
                                advance_last_uid=True):
            return False
        folder.write(self._status_cursor(delta))
        return True

    def _step_history(self, provider, folder):
        if folder.sync_state not in ("backfill_in_progress", "backfill_pending", "never_synced"):
            return
        floor = folder.backfill_last_uid or (folder.last_uid + 1 if folder.last_uid else 0)
        remaining = provider.all_uids(folder.imap_name, below=floor)[::-1] if floor > 1 else []
        if folder.sync_state != "backfill_in_progress":
            folder.write({"sync_state": "backfill_in_progress",
                          "backfill_total_estimate": folder.backfill_fetched_count + len(remaining)})
        if self._index_uids(folder, remaining, incoming=False):
            folder.write({"sync_state": "incremental",
                          "backfill_completed_at": fields.Datetime.now()})

    def _step_counts(self, folder, remote):
        self._refresh_counts(folder, remote)
        live.notify_changed(self.env, self.account, folder.ids)  # sent by this commit
        self.checkpoint()

    def _known_uids(self, folder):
        self.cr.execute("""SELECT uid FROM maildesk_message_index WHERE folder_id = %s
                            AND NOT COALESCE(local_pending, FALSE)""", [folder.id])
        return {int(uid) for (uid,) in self.cr.fetchall() if uid.isdigit()}

    def _index_uids(self, folder, uids, incoming, advance_last_uid=False):
        """Fetch and upsert ``uids`` in the given order, a committed batch at a time; False
        when the run ran out of time before the last batch."""
        if not uids:
            return True
        for batch, metas in self._prefetched(folder.imap_name, uids):
            self._upsert(folder, metas, incoming)
            # The folder's cursor moves in the same transaction as the batch it describes.
            self.cr.execute("""
                UPDATE mailbox_folder SET backfill_fetched_count = backfill_fetched_count + %s,
                       last_uid = CASE WHEN %s THEN GREATEST(last_uid, %s) ELSE last_uid END,
                       backfill_last_uid = CASE WHEN %s THEN %s ELSE backfill_last_uid END
                 WHERE id = %s""", [len(metas), advance_last_uid, max(batch),
                                    not advance_last_uid and not incoming, min(batch), folder.id])
            folder.invalidate_recordset(["backfill_fetched_count", "last_uid", "backfill_last_uid"])
            self.checkpoint()
            self.batches_done += 1
            if self._out_of_time() and batch[-1] != uids[-1]:
                self.result["complete"] = False
                return False
        return True

    def _prefetched(self, path, uids):
        """Yield (batch, metas) while a thread already fetches and parses the next batch.

        The server, the parsing and the database then work at the same time; only this
        thread touches the database, only the fetch thread touches the IMAP connection.
        """
        ready = queue.Queue(maxsize=2)
        stop = threading.Event()
        done = object()

        def fetch():
            try:
                for item in self.provider.fetch_meta_batches(path, uids, self.batch_size):
                    if stop.is_set():
                        break
                    ready.put(item)
            except BaseException as exc:  # noqa: BLE001 (handed to the consuming thread)
                ready.put(exc)
            finally:
                ready.put(done)

        worker = threading.Thread(target=fetch, name="maildesk-fetch", daemon=True)
        worker.start()
        try:
            while (item := ready.get()) is not done:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            while worker.is_alive():  # let it finish the batch in flight, then it stops
                with contextlib.suppress(queue.Empty):
                    ready.get(timeout=0.05)
            worker.join()

    # -- writes to the index -----------------------------------------------------------------
    def _upsert(self, folder, metas, incoming):
        account, now = self.account, str(fields.Datetime.now())
        self.result["new"] += index_writer.write(self.cr, [
            index_writer.encode(account.id, account.provider, folder.id, meta, incoming, now)
            for meta in metas])
        folder_mirror.restore_marks(self.env, account)  # marks kept from a removed row

    def _apply_flags(self, folder, changes):
        rows = [(folder.id, str(uid), "\\Seen" in flags, "\\Flagged" in flags,
                 " ".join(flags) or None) for uid, flags in changes.items()]
        execute_values(self.cr, """
            UPDATE maildesk_message_index AS i SET is_read = v.seen, is_starred = v.starred,
                   flags = v.flags, write_date = now() AT TIME ZONE 'UTC'
              FROM (VALUES %s) AS v(folder_id, uid, seen, starred, flags)
             WHERE i.folder_id = v.folder_id AND i.uid = v.uid
               AND (i.is_read IS DISTINCT FROM v.seen OR i.is_starred IS DISTINCT FROM v.starred)
               AND NOT EXISTS (SELECT 1 FROM maildesk_email_state s
                                WHERE s.index_id = i.id
                                  AND (s.read_intent IS NOT NULL OR s.star_intent IS NOT NULL))
        """, rows, page_size=1000)
        self.result["updated"] += self.cr.rowcount

    def _remove(self, folder, uids):
        self.cr.execute("""DELETE FROM maildesk_message_index
                            WHERE folder_id = %s AND uid = ANY(%s)""",
                        [folder.id, [str(u) for u in uids]])
        self.result["removed"] += self.cr.rowcount

    def _reset_folder(self, folder):
        """UIDVALIDITY changed: the old UIDs mean nothing. Keep the marks by Message-ID."""
        folder_mirror.reset_folder(self.env, self.account, folder)

    def _refresh_counts(self, folder, remote):
        folder_mirror.restore_marks(self.env, self.account)  # the folder's history is complete
        # A message we sent and filed locally has come back from the server: keep one row.
        self.cr.execute("""
            DELETE FROM maildesk_message_index p
             WHERE p.folder_id = %(folder)s AND p.local_pending AND p.message_id IS NOT NULL
               AND EXISTS (SELECT 1 FROM maildesk_message_index i
                            WHERE i.folder_id = %(folder)s AND i.message_id = p.message_id
                              AND i.local_pending IS NOT TRUE)
        """, {"folder": folder.id})
        self.cr.execute("""
            SELECT count(*), count(*) FILTER (WHERE NOT COALESCE(is_read, FALSE))
              FROM maildesk_message_index WHERE folder_id = %s AND NOT COALESCE(deleted_on_server, FALSE)
        """, [folder.id])
        total, unread = self.cr.fetchone()
        folder.write({"total_count": remote.messages if remote.messages is not None else total,
                      "unread_count": unread, "unread_count_updated_at": fields.Datetime.now()})
