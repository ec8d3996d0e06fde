"""The five AI features as jobs (ai_jobs.Feature): what each reads, asks and keeps.

What reaches the model (ai_tasks builds the prompts: spotlighted, datamarked, capped):
- summarize, ask, draft_reply: the conversation's newest messages (sender, recipients, date,
  subject, the text a reader sees: hidden text, invisible characters and quoted history out);
  ask adds the conversation's earlier questions and answers and the new question; draft_reply
  the name of the person asking and their instructions;
- security_scan: one message's sender, Reply-To, Return-Path, Authentication-Results, the text
  a reader sees, and its attachments' names and types (never their content);
- attachment_analysis: the text of the one file asked for (text, HTML or PDF), only where the
  mailbox lets AI read attachments.
Only outputs are stored, each after ai_tasks' output guard: a thread insight (summary, draft),
a message insight (scan), a conversation message (answer), an attachment extract.
"""
from markupsafe import Markup, escape

from odoo import fields
from odoo.exceptions import UserError

from ...infrastructure import ai_tasks
from ...infrastructure.attachment_text import AttachmentUnreadable, extract_text
from ...infrastructure.output_guard import removed_kinds
from . import ai_jobs, ai_mail

GENERATED_CLASS = "o_maildesk_ai_generated"


def _index(env, job):
    """The job's message, as the person who asked may read it now."""
    return ai_mail.message_row(env, job.index_id.id)


def removed_labels(env, removed):
    """What the output guard took out, as the reader is told it: kinds, never the values (a
    hostile mail's link would reach the reader that way)."""
    labels = {"link": env._("a link"), "email": env._("an email address"),
              "phone": env._("a phone number"), "account": env._("an account number"),
              "figure": env._("a figure")}
    return [labels[kind] for kind in removed_kinds(removed)]


def _stamp(record):
    return fields.Datetime.to_string(record.create_date) if record.create_date else False


# -- summarize ----------------------------------------------------------------------------------
def _gather_thread(env, job):
    return ai_mail.thread_messages(ai_mail.thread_rows(_index(env, job)))


def _keep_thread_insight(kind, env, job, output, user=False):
    # sudo: insights are written by service code only, for a job the person was allowed to ask
    return env["maildesk.ai.thread.insight"].sudo().create({
        "account_id": job.account_id.id, "thread_key": job.thread_key, "index_id": job.index_id.id,
        "kind": kind, "user_id": user and job.user_id.id, "text": output.text,
        "removed": removed_kinds(output.removed), "model_name": output.model, "source_hash": job.source_hash})


def _present_summary(_job, insight):
    if not insight:
        return False
    return {"text": insight.text or "", "removed": removed_labels(insight.env, insight.removed),
            "model": insight.model_name or "", "generated_at": _stamp(insight)}


def cached_summary(env, row, source_hash):
    """The summary of this conversation as it is now, if one was made (shared by the mailbox)."""
    return env["maildesk.ai.thread.insight"].search([
        ("account_id", "=", row.account_id.id), ("thread_key", "=", ai_mail.thread_key(row)),
        ("kind", "=", "summary"), ("source_hash", "=", source_hash)], limit=1)


SUMMARIZE = ai_jobs.Feature(
    gather=_gather_thread,
    think=ai_tasks.summarize,
    keep=lambda env, job, output: _keep_thread_insight("summary", env, job, output),
    present=_present_summary)


# -- draft a reply ------------------------------------------------------------------------------
def _gather_draft(env, job):
    return _gather_thread(env, job), env.user.name or "", job.instructions or ""


def _think_draft(client, gathered):
    messages, author, instructions = gathered
    return ai_tasks.draft_reply(client, messages, author_name=author, instructions=instructions)


def draft_html(text):
    """Plain text as escaped paragraphs, marked as generated (the composer shows the mark)."""
    paragraphs = [p for p in (text or "").replace("\r\n", "\n").split("\n\n") if p.strip()]
    body = Markup("").join(
        Markup("<p>%s</p>") % Markup("<br>").join(escape(line) for line in p.strip().split("\n"))
        for p in paragraphs)
    return str(Markup('<div class="%s">%s</div>') % (GENERATED_CLASS, body))


def _present_draft(_job, insight):
    if not insight:
        return False
    return {"text": insight.text or "", "body_html": draft_html(insight.text),
            "model": insight.model_name or ""}


DRAFT_REPLY = ai_jobs.Feature(
    gather=_gather_draft, think=_think_draft,
    keep=lambda env, job, output: _keep_thread_insight("draft_reply", env, job, output, user=True),
    present=_present_draft)


# -- ask ----------------------------------------------------------------------------------------
def conversation_of(env, row):
    """The Ask AI conversation of ``row``'s thread, shared by its mailbox (may be empty)."""
    return env["maildesk.ai.conversation"].search([
        ("account_id", "=", row.account_id.id), ("thread_key", "=", ai_mail.thread_key(row))],
        limit=1, order="id")


def add_question(env, row, question):
    """The question appended to the thread's conversation (made when it has none): values of
    the job that answers it."""
    conversation = conversation_of(env, row)
    # sudo: conversations are written by service code, for a message the person may read
    Conversation = env["maildesk.ai.conversation"].sudo()
    if not conversation:
        conversation = Conversation.create({
            "account_id": row.account_id.id, "thread_key": ai_mail.thread_key(row),
            "index_id": row.id, "name": (row.subject or "")[:200]})
    message = Conversation.env["maildesk.ai.conversation.message"].create({
        "conversation_id": conversation.id, "role": "user", "author_id": env.uid, "content": question})
    return {"conversation_id": conversation.id, "question_id": message.id,
            "dedup_key": f"ask:{message.id}"}


def _gather_answer(env, job):
    question = job.question_id
    earlier = job.conversation_id.message_ids.filtered(lambda m: m.id < question.id)
    return (_gather_thread(env, job), [(m.role, m.content or "") for m in earlier],
            question.content or "")


def _think_answer(client, gathered):
    messages, history, question = gathered
    return ai_tasks.answer(client, messages, history, question)


def _keep_answer(env, job, output):
    # sudo: as in add_question
    return env["maildesk.ai.conversation.message"].sudo().create({
        "conversation_id": job.conversation_id.id, "role": "assistant", "content": output.text,
        "removed": removed_kinds(output.removed), "model_name": output.model})


def present_conversation(conversation):
    return {"conversation_id": conversation.id or False, "messages": [
        {"id": m.id, "role": m.role, "content": m.content or "",
         "author": m.author_id.name if m.role == "user" else (m.model_name or "AI"),
         "date": _stamp(m)}
        for m in conversation.message_ids]}


ASK = ai_jobs.Feature(
    gather=_gather_answer, think=_think_answer, keep=_keep_answer,
    present=lambda job, _message: present_conversation(job.conversation_id))


# -- security scan ------------------------------------------------------------------------------
def _keep_scan(env, job, scan):
    # sudo: as for thread insights
    return env["maildesk.ai.message.insight"].sudo().create({
        "account_id": job.account_id.id, "index_id": job.index_id.id, "kind": "security_scan",
        "verdict": scan.verdict, "score": scan.score, "indicators": scan.indicators,
        "evidence": scan.evidence, "explanation": scan.explanation,
        "injection_detected": scan.injection_detected, "model_ok": scan.model_ok,
        "model_name": getattr(scan, "model", "") or "", "source_hash": job.source_hash})


def _present_scan(job, insight):
    if not insight:
        return False
    env = insight.env
    verdicts = dict(insight._fields["verdict"]._description_selection(env))
    indicator_labels = ai_tasks.INDICATOR_LABELS
    return {"verdict": insight.verdict, "verdict_label": verdicts.get(insight.verdict, insight.verdict),
            "score": insight.score, "evidence": insight.evidence or [],
            "indicators": [{"code": code, "label": env._(indicator_labels.get(code, code))}
                           for code in insight.indicators or []],
            "explanation": insight.explanation or "", "injection_detected": insight.injection_detected,
            "model_ok": insight.model_ok}


def cached_scan(env, row):
    return env["maildesk.ai.message.insight"].search([
        ("index_id", "=", row.id), ("kind", "=", "security_scan"),
        ("source_hash", "=", ai_mail.message_hash(row))], limit=1)


SECURITY_SCAN = ai_jobs.Feature(
    gather=lambda env, job: ai_mail.scan_input(_index(env, job)),
    think=ai_tasks.security_scan, keep=_keep_scan, present=_present_scan)


# -- attachment analysis ------------------------------------------------------------------------
def _gather_attachment(env, job):
    name, mimetype, data = ai_mail.attachment_content(_index(env, job), job.attachment_key)
    try:
        text = extract_text(data, mimetype, name)
    except AttachmentUnreadable as exc:
        raise UserError(str(exc)) from None
    if text is None:
        raise UserError(env._(
            "MailDesk cannot read %s: AI can analyse text, HTML and PDF attachments only.", name))
    return name, mimetype, text


def _think_attachment(client, gathered):
    name, mimetype, text = gathered
    return name, mimetype, ai_tasks.analyse_attachment(client, name, text)


def _keep_attachment(env, job, output):
    name, mimetype, result = output
    # sudo: as for thread insights
    return env["maildesk.ai.attachment.extract"].sudo().create({
        "account_id": job.account_id.id, "index_id": job.index_id.id,
        "attachment_key": job.attachment_key, "attachment_name": name, "mimetype": mimetype,
        "user_id": job.user_id.id, "text": result.text, "removed": removed_kinds(result.removed),
        "model_name": result.model, "source_hash": job.source_hash})


def _present_attachment(_job, extract):
    if not extract:
        return False
    return {"attachment_key": extract.attachment_key, "name": extract.attachment_name or "",
            "text": extract.text or "", "model": extract.model_name or ""}


def cached_attachment(env, row, attachment_key):
    return env["maildesk.ai.attachment.extract"].search([
        ("index_id", "=", row.id), ("attachment_key", "=", attachment_key),
        ("source_hash", "=", attachment_hash(row, attachment_key))], limit=1)


def attachment_hash(row, attachment_key):
    return ai_mail.source_hash(ai_mail.message_hash(row), attachment_key)


ATTACHMENT_ANALYSIS = ai_jobs.Feature(
    gather=_gather_attachment, think=_think_attachment, keep=_keep_attachment,
    present=_present_attachment, attachments=True)


FEATURES = {
    "summarize": SUMMARIZE,
    "ask": ASK,
    "draft_reply": DRAFT_REPLY,
    "security_scan": SECURITY_SCAN,
    "attachment_analysis": ATTACHMENT_ANALYSIS,
}
