"""Reply, reply-all and forward: the composer's starting values.

The quoted body is a tree: header lines from the mail (names, addresses, subject) become text
nodes and the body is the reader's already sanitised HTML (``bodies.get_body``), grafted in by
``html_safety.quote`` and serialized again. Nothing from the mail is pasted into markup, so
escaped text in a body or a header stays text in the composer.
"""
import email.utils

from odoo import fields

from ...infrastructure import html_safety
from . import bodies
from .sending import split_addresses


def _bare(address):
    return email.utils.parseaddr(address)[1].lower()


def _quote(row, body_html):
    when = row.date and fields.Datetime.to_string(row.date) or ""
    who = row.sender_display_name or row.from_addr or ""
    return html_safety.quote([f"{when}, {who} <{row.from_addr or ''}>:"], body_html)


def prepare_reply(row, body, reply_all=False):
    """Composer values for a reply to ``row`` (already read by the caller)."""
    account = row.account_id
    subject = row.subject or ""
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}".strip()
    # A sender's Reply-To says where answers should go (lists, help desks, no-reply senders).
    reply_to = split_addresses(body.get("reply_to"))
    to = reply_to or ([row.from_addr] if row.from_addr else [])
    cc = []
    if reply_all:
        # sudo: addresses of every MailDesk mailbox are left out of a reply-all.
        own = {e.lower() for e in account.env["mailbox.account"].sudo().search([]).mapped("email")}
        seen = {a.lower() for a in to} | own
        for address in split_addresses(row.to_addrs) + split_addresses(row.cc_addrs):
            bare = _bare(address)
            if bare and bare not in seen:
                seen.add(bare)
                cc.append(address)
    return {"account_id": account.id, "subject": subject, "to_emails": "\n".join(to),
            "cc_emails": "\n".join(cc), "reply_to_index_id": row.id,
            "reply_to_message_id": row.message_id or False,
            "body_html": _quote(row, body["html"])}


def prepare_forward(row, body):
    subject = row.subject or ""
    if not subject.lower().startswith(("fwd:", "fw:")):
        subject = f"Fwd: {subject}".strip()
    header = ["---------- Forwarded message ----------",
              f"From: {row.sender_display_name or ''} <{row.from_addr or ''}>",
              f"Date: {row.date or ''}", f"Subject: {row.subject or ''}", f"To: {row.to_addrs or ''}"]
    attachments = forwarded_attachments(row, body["attachments"])
    return {"account_id": row.account_id.id, "subject": subject, "to_emails": "",
            "body_html": html_safety.quote(header, body["html"], blockquote=False),
            "forward_attachments": body["attachments"],
            "attachment_ids": attachments.ids,
            "attachments": [{"id": a.id, "name": a.name, "mimetype": a.mimetype,
                             "size": a.file_size} for a in attachments]}


def forwarded_attachments(row, listed):
    """The original's attachments as ``ir.attachment`` records a draft can carry.

    Created as the caller, with no record yet (``res_id`` empty): Odoo lets only their creator
    read them until the draft holds them. Inline images the body shows through ``cid:`` stay
    out: they belong to the quoted body, not to the attachment list.
    """
    Attachment = row.env["ir.attachment"]
    values = []
    for listed_one in listed:
        if listed_one.get("inline") and listed_one.get("content_id") \
                and (listed_one.get("mimetype") or "").startswith("image/"):
            continue
        name, mimetype, data = bodies.attachment_bytes(row, listed_one["part_id"])
        values.append({"name": listed_one.get("name") or name or "attachment", "raw": data,
                       "mimetype": mimetype or "application/octet-stream",
                       "res_model": "maildesk.draft", "res_id": False})
    return Attachment.create(values) if values else Attachment


ORPHAN_AFTER_HOURS = 24  # a forward never saved leaves its copies this long


def adopt_attachments(draft):
    """The forwarded copies a draft now carries become the draft's own (``res_id``): its
    mailbox's members can then open them, and deleting the draft deletes them."""
    env = draft.env
    loose = draft.attachment_ids.filtered(
        lambda a: a.res_model == draft._name and not a.res_id and a.create_uid == env.user)
    if loose:
        loose.write({"res_id": draft.id})


def remove_orphan_attachments(env, batch=1000):
    """Forwarded copies no draft took (the composer was closed unsaved); how many went."""
    cutoff = fields.Datetime.subtract(fields.Datetime.now(), hours=ORPHAN_AFTER_HOURS)
    # sudo: housekeeping of the cron; these copies belong to no record anyone can reach.
    orphans = env["ir.attachment"].sudo().search(
        [("res_model", "=", "maildesk.draft"), ("res_id", "in", [0, False]),
         ("create_date", "<", cutoff)], limit=batch)
    count = len(orphans)
    orphans.unlink()
    return count
