"""AI jobs: what a user asked of AI, queued, de-duplicated, leased, run and retried by service
code. Only the output is kept (an insight, a conversation message, an extract), never the mail.

    submit  the job doing this work (its dedup_key): one queued or running already is joined,
            else a new one, committed on a cursor of its own so that others see and join it
    run     lease (own cursor, committed: one worker at a time) -> the AI gate again, as the
            person who asked -> gather what the model reads, as that person -> the model, with
            no transaction open -> the output stored and the job done, in one commit
              gate says no          -> refused, with its sentence; no request is made
              AIServiceError        -> retryable: queued again with back-off, MAX_ATTEMPTS runs
                                       at most; else failed with the provider's sentence
              the worker dies       -> its lease expires and the cron takes the job again
    cron    queued jobs that are due, running ones whose lease expired

The request's own cursor never sees what the run committed (PostgreSQL's repeatable read keeps
its first snapshot): answers are read on a fresh cursor.
"""
import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import AccessError, UserError

from ...infrastructure.ai_client import AIServiceError
from . import ai_guard, ai_providers

_logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # runs of one job, a run its worker did not finish included
RETRY_FIRST = timedelta(seconds=30)
RETRY_MAX = timedelta(minutes=15)
DEFAULT_LEASE_SECONDS = 300  # when no provider says how long a run may take
CRON_BATCH = 20  # jobs one run of the cron takes at most
KEEP_FINISHED = timedelta(days=30)  # finished jobs are diagnosis only; their outputs stay
CRON = "maildesk_mail_client_pro.ir_cron_ai_jobs"
ACTIVE = ("queued", "running")
# Another worker changed the job in the same instant: that worker has it.
_CONTENTION = (pg_errors.LockNotAvailable, pg_errors.QueryCanceled, pg_errors.SerializationFailure)
_JOB_COLUMNS = ("account_id", "user_id", "feature", "index_id", "thread_key", "conversation_id",
                "question_id", "attachment_key", "dedup_key", "instructions", "source_hash")


@dataclass(frozen=True)
class Feature:
    """How one AI feature runs. ``gather(env, job)``: what the model reads, as plain values,
    read as the person who asked (``env``); ``think(client, gathered)``: the output (ai_tasks,
    no database); ``keep(env, job, output)``: the stored output record; ``present(job,
    record)``: the result the inbox shows (``record`` may be empty while the job runs)."""
    gather: Callable
    think: Callable
    keep: Callable
    present: Callable
    attachments: bool = False  # the gate's attachment switch applies too


# -- submitting ---------------------------------------------------------------------------------
def submit(env, vals, prepare=None):
    """The id of the job doing this work: the queued or running one with the same
    ``dedup_key``, else a new one. ``prepare(own_env)`` may add values (e.g. a conversation
    message) created in the same commit."""
    for _attempt in range(3):
        try:
            with env.registry.cursor() as cr:
                own = env(cr=cr)
                row = dict(vals, **(prepare(own) if prepare else {}))
                job_id = _insert(cr, env.uid, row) or _active_job(cr, row["dedup_key"])
                if job_id:
                    return job_id  # the block commits
        except pg_errors.SerializationFailure:
            continue  # a twin request committed its job after our snapshot: look again
    raise UserError(env._("MailDesk is already busy with this request. Try again in a moment."))


def _insert(cr, uid, row):
    now = fields.Datetime.now()
    values = {name: row.get(name) or None for name in _JOB_COLUMNS}
    values.update(uid=uid, now=now)
    cr.execute(f"""
        INSERT INTO maildesk_ai_job ({", ".join(_JOB_COLUMNS)}, state, attempts, next_attempt_at,
                                     create_uid, write_uid, create_date, write_date)
        VALUES ({", ".join(f"%({name})s" for name in _JOB_COLUMNS)}, 'queued', 0, %(now)s,
                %(uid)s, %(uid)s, %(now)s, %(now)s)
        ON CONFLICT (dedup_key) WHERE state IN ('queued', 'running') DO NOTHING
        RETURNING id""", values, log_exceptions=False)  # a twin's commit: submit looks again
    found = cr.fetchone()
    return found and found[0]


def _active_job(cr, dedup_key):
    cr.execute("SELECT id FROM maildesk_ai_job WHERE dedup_key = %s AND state IN %s",
               [dedup_key, ACTIVE])
    found = cr.fetchone()
    return found and found[0]


# -- running ------------------------------------------------------------------------------------
def run(env, job_id, features):
    """Run the job if it is due and no other worker has it. Returns its state afterwards,
    or None when it was not ours to run (not due, or another worker holds it)."""
    registry = env.registry
    token = uuid.uuid4().hex
    if not _lease(registry, job_id, token, _lease_seconds(env)):
        return None
    try:
        return _work(registry, job_id, token, features)
    except Exception:
        # A fault of ours: the person is told, the details are in the log (never mail text:
        # the services raise nothing that quotes it).
        _logger.exception("MailDesk: AI job %s stopped on an unexpected error", job_id)
        with registry.cursor() as cr:
            return _finish(api.Environment(cr, SUPERUSER_ID, {}), job_id, token, "failed",
                           error=_unexpected(env))


def _lease_seconds(env):
    provider = ai_guard.active_provider(env)
    return ai_providers.lease_seconds(provider) if provider else DEFAULT_LEASE_SECONDS


def _lease(registry, job_id, token, seconds):
    """Take the job for this worker: queued and due, or running with an expired lease."""
    now = fields.Datetime.now()
    try:
        with registry.cursor() as cr:
            cr.execute("SET LOCAL lock_timeout = '1ms'")
            cr.execute("""
                UPDATE maildesk_ai_job
                   SET state = 'running', lease_token = %(token)s, lease_until = %(until)s,
                       attempts = COALESCE(attempts, 0) + 1, started_at = %(now)s,
                       write_date = %(now)s
                 WHERE id = %(id)s
                   AND ((state = 'queued' AND COALESCE(next_attempt_at, %(now)s) <= %(now)s)
                        OR (state = 'running' AND COALESCE(lease_until, %(now)s) < %(now)s))
            """, {"id": job_id, "token": token, "now": now, "until": now + timedelta(seconds=seconds)},
                log_exceptions=False)  # contention is an answer here, not an error to log
            return cr.rowcount == 1
    except _CONTENTION:
        return False


def _requester(cr, job_id):
    """(the job as service code sees it, an environment of the person who asked)."""
    job = api.Environment(cr, SUPERUSER_ID, {})["maildesk.ai.job"].browse(job_id)
    return job, api.Environment(cr, job.user_id.id, {"lang": job.user_id.lang})


def _work(registry, job_id, token, features):
    with registry.cursor() as cr:
        job, env = _requester(cr, job_id)
        feature = features[job.feature]
        if job.attempts > MAX_ATTEMPTS:
            return _finish(job.env, job_id, token, "failed", error=env._(
                "MailDesk stopped %s times while working on this request. Try again; if it keeps "
                "happening, a Mailbox Admin can look at the server log.", MAX_ATTEMPTS))
        account = env["mailbox.account"].browse(job.account_id.id)
        reason = ai_guard.refusal(env, job.feature, account, attachments=feature.attachments)
        if reason:
            return _finish(job.env, job_id, token, "refused", error=reason)
        provider = ai_guard.active_provider(env)
        try:
            gathered = feature.gather(env, job)
            client = ai_providers.client_for(provider)
        except (AccessError, UserError, AIServiceError) as exc:
            return _finish(job.env, job_id, token, "failed", error=str(exc))
        # the block commits what reading the mail cached (bodies), before the model is asked
    try:
        output, failure = feature.think(client, gathered), None
    except AIServiceError as exc:
        output, failure = None, exc
    with registry.cursor() as cr:
        job, env = _requester(cr, job_id)
        if not _still_ours(cr, job_id, token):
            return "running"  # our lease ran out and another worker took the job: its output counts
        ai_providers.remember_output_mode(provider.with_env(env), client)
        if failure is None:
            record = feature.keep(env, job, output)
            return _finish(job.env, job_id, token, "done", result=record)
        if failure.retryable and job.attempts < MAX_ATTEMPTS:
            return _retry_later(job, failure)
        return _finish(job.env, job_id, token, "failed", error=str(failure))


def _still_ours(cr, job_id, token):
    """Lock the job while its outcome is written, if this worker still holds its lease."""
    cr.execute("""SELECT id FROM maildesk_ai_job WHERE id = %s AND state = 'running'
                   AND lease_token = %s FOR UPDATE""", [job_id, token])
    return bool(cr.fetchone())


def _finish(env, job_id, token, state, *, error=False, result=None):
    """Record a run's outcome (``env``: service code's), if the lease is still this worker's."""
    if not _still_ours(env.cr, job_id, token):
        return "running"
    env["maildesk.ai.job"].browse(job_id).write({
        "state": state, "error_message": error or False, "finished_at": fields.Datetime.now(),
        "lease_token": False, "lease_until": False,
        "result_ref": f"{result._name},{result.id}" if result else False,
    })
    return state


def _retry_later(job, failure):
    wait = min(RETRY_FIRST * 2 ** max(job.attempts - 1, 0), RETRY_MAX)
    if failure.retry_after:
        wait = max(wait, timedelta(seconds=min(failure.retry_after, RETRY_MAX.total_seconds())))
    when = fields.Datetime.now() + wait
    job.write({"state": "queued", "next_attempt_at": when, "error_message": str(failure),
               "lease_token": False, "lease_until": False})
    cron = job.env.ref(CRON, raise_if_not_found=False)
    if cron:
        cron._trigger(at=when)
    return "queued"


def _unexpected(env):
    return env._("MailDesk could not finish this AI request because of an error on the server. "
                 "Try again; a Mailbox Admin finds the details in the server log.")


# -- the cron -----------------------------------------------------------------------------------
def run_due(env, features, limit=CRON_BATCH):
    """Queued jobs that are due and running ones whose worker died, each run as in a
    request; then finished jobs past KEEP_FINISHED are forgotten. Returns {outcome: count}."""
    outcomes, tried = Counter(), [0]
    for _ in range(limit):
        job_id = _next_due(env.registry, tried)
        if not job_id:
            break
        tried.append(job_id)
        outcomes[run(env, job_id, features) or "busy"] += 1
    forget_finished(env)
    return dict(outcomes)


def _next_due(registry, tried):
    now = fields.Datetime.now()
    with registry.cursor() as cr:
        cr.execute("""
            SELECT id FROM maildesk_ai_job
             WHERE ((state = 'queued' AND COALESCE(next_attempt_at, %(now)s) <= %(now)s)
                    OR (state = 'running' AND COALESCE(lease_until, %(now)s) < %(now)s))
               AND id != ALL(%(tried)s)
             ORDER BY next_attempt_at, id LIMIT 1""", {"now": now, "tried": tried})
        found = cr.fetchone()
        return found and found[0]


def forget_finished(env):
    # sudo: the cron's housekeeping of rows only service code writes
    Job = env["maildesk.ai.job"].sudo()
    Job.search([("state", "not in", ACTIVE),
                ("write_date", "<", fields.Datetime.now() - KEEP_FINISHED)]).unlink()


# -- answers --------------------------------------------------------------------------------------
def answer(env, job_id, features, cached=False):
    """What the inbox is told about a job the caller may read, read on a fresh cursor."""
    with env.registry.cursor() as cr:
        return describe(env(cr=cr)["maildesk.ai.job"].browse(job_id), features, cached=cached)


def describe(job, features, cached=False):
    """{state, job_id, error, cached, result} of ``job``, as the caller sees it."""
    record = _result(job)
    return {"state": job.state, "job_id": job.id, "error": job.error_message or False,
            "cached": cached, "result": features[job.feature].present(job, record)}


def _result(job):
    model, _sep, record_id = (job.result_ref or "").partition(",")
    if model not in job.env or not record_id.isdigit():
        return None
    return job.env[model].browse(int(record_id)).exists()
