import re
import uuid

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import is_html_empty

from ..application.services import (
    bodies,
    bulk,
    composing,
    conversations,
    mailbox_access,
    oauth_config,
    sending,
    server_search,
    state_changes,
    sync,
)
from ..application.services import mailbox_queries as queries


class MailboxSync(models.AbstractModel):
    """The RPC facade the inbox calls. Every method acts as the calling user: records are
    read through the ORM with the user's rights before any service code runs."""
    _name = "mailbox.sync"
    _description = "Mailbox Sync Service"

    # -- helpers --------------------------------------------------------------------------
    def _rows(self, index_ids):
        """Index rows the user may read; anything else is refused as a whole."""
        self.check_access("read")
        return mailbox_access.require_readable(
            self.env, "maildesk.message_index", index_ids or [], self.env._(
                "You do not have access to some of these messages, or they no longer exist."))

    def _draft(self, draft_id):
        """A draft the user may use; another mailbox's draft and a missing one are one answer."""
        return mailbox_access.require_readable(
            self.env, "maildesk.draft", [draft_id], self.env._(
                "You do not have access to this draft, or it no longer exists."))

    def _folder(self, folder_id):
        return mailbox_access.require_readable(
            self.env, "mailbox.folder", [folder_id], self.env._(
                "You do not have access to this folder."))

    # -- sidebar ------------------------------------------------------------------------------
    @api.model
    def get_account_list(self):
        """The mailboxes the user may open, for the sidebar (admins: all; "is_member": the
        ones that make their unified view and counts)."""
        self.check_access("read")
        accounts = mailbox_access.accessible_accounts(self.env)
        inboxes = self._member_inboxes()
        unread = queries.unread_counts(self.env, inboxes)
        inbox_of = {f.account_id.id: f.id for f in inboxes}
        return [
            {"id": a.id, "name": a.name, "email": a.email, "provider": a.provider,
             "is_shared": a.is_shared, "is_member": a.id in inbox_of,
             "connection_state": a.connection_state, "last_error": a.last_error or False,
             "last_sync_at": a.last_sync_at,
             "unread_inbox": unread.get(inbox_of.get(a.id), 0),
             "problem": self._problem(a), "first_sync": self._first_sync(a)}
            for a in accounts
        ]

    def _problem(self, account):
        titles = {
            "auth_failed": self.env._("Sign-in failed"),
            "reauth_required": self.env._("Sign in again"),
            "unreachable": self.env._("Server unreachable"),
            "error": self.env._("Sync problem"),
        }
        if account.connection_state not in titles:
            return False
        if account.provider != "imap" and account.connection_state in ("auth_failed",
                                                                       "reauth_required"):
            # Any member may sign the mailbox in again (the sign-in checks the address).
            service = oauth_config.service_of(account)
            return {"title": self.env._("Sign in again"),
                    "message": self.env._(
                        "%s no longer lets MailDesk into this mailbox. Sign in again on the "
                        "mailbox's form; mail already here stays readable.", service),
                    "action": "open_account",
                    "action_label": self.env._("Sign in with %s", service)}
        if account.connection_state in ("auth_failed", "reauth_required"):
            if self.env.user.has_group("maildesk_mail_client.group_mailbox_admin"):
                return {"title": titles[account.connection_state],
                        "message": self.env._("Check the password or sign in again on the "
                                              "mailbox's form."),
                        "action": "open_account", "action_label": self.env._("Open the mailbox")}
            return {"title": titles[account.connection_state],
                    "message": self.env._("Ask a Mailbox Admin to check the password or sign in "
                                          "again. Mail already here stays readable."),
                    "action": False, "action_label": False}
        return {"title": titles[account.connection_state],
                "message": self.env._("MailDesk tries again by itself. Mail already here stays "
                                      "readable."),
                "action": "sync_now", "action_label": self.env._("Sync Now")}

    def _first_sync(self, account):
        folders = self.env["mailbox.folder"].search(
            [("account_id", "=", account.id),
             ("sync_state", "in", ("never_synced", "backfill_pending", "backfill_in_progress"))])
        if not folders or account.last_sync_at:
            return False
        return {"progress": round(sum(folders.mapped("backfill_progress")) / len(folders))}

    def _member_inboxes(self):
        """The inboxes of the mailboxes the user is on (admins too: their unified view is the
        mailboxes they work in, not every mailbox they may open)."""
        return self.env["mailbox.folder"].search(
            [("folder_type", "=", "inbox"), ("account_id.access_user_ids", "in", self.env.uid)])

    @api.model
    def get_folder_tree(self, account_id):
        """The visible folders of one mailbox as a tree, special folders first, with unread
        counts taken from the index (so they include the user's own pending changes)."""
        self.check_access("read")
        account = mailbox_access.require_account(self.env, account_id)
        folders = self.env["mailbox.folder"].search(
            [("account_id", "=", account.id), ("is_visible", "=", True)])
        unread = queries.unread_counts(self.env, folders)
        nodes = {
            f.id: {"id": f.id, "name": f.name, "imap_name": f.imap_name,
                   "folder_type": f.folder_type, "unread_count": unread.get(f.id, 0),
                   "sync_state": f.sync_state, "progress": round(f.backfill_progress),
                   "children": []}
            for f in folders
        }
        roots = []
        for folder in folders:  # already in sidebar order
            parent = nodes.get(folder.parent_id.id)
            (parent["children"] if parent else roots).append(nodes[folder.id])
        return roots

    @api.model
    def get_unread_counts(self, account_ids=None):
        """{folder id: unread messages} of the visible folders of these mailboxes (default:
        every mailbox the user may open), in one query: the sidebar's counts after a change."""
        self.check_access("read")
        domain = [("is_visible", "=", True)]
        if account_ids:
            accounts = mailbox_access.require_readable(
                self.env, "mailbox.account", account_ids, self.env._(
                    "You do not have access to this mailbox. Ask a Mailbox Admin to add you to "
                    "its Users with Access."))
            domain.append(("account_id", "in", accounts.ids))
        folders = self.env["mailbox.folder"].search(domain)
        unread = queries.unread_counts(self.env, folders)
        return {f.id: unread.get(f.id, 0) for f in folders}

    @api.model
    def poll_for_updates(self, account_id):
        """The inbox is open: ask for a sync now (done by a worker, never in this request)."""
        account = mailbox_access.require_account(self.env, account_id)
        sync.request_sync(account)
        return {"requested": True, "last_sync_at": account.last_sync_at,
                "connection_state": account.connection_state}

    # -- lists ----------------------------------------------------------------------------------
    def _view(self, account_id=None, folder_id=None):
        """The base domain of a view: a folder, a mailbox's inbox, or the unified inbox."""
        if folder_id:
            return [("folder_id", "=", self._folder(folder_id).id)]
        if account_id:
            account = mailbox_access.require_account(self.env, account_id)
            inbox = self.env["mailbox.folder"].search(
                [("account_id", "=", account.id), ("folder_type", "=", "inbox")])
            return [("folder_id", "in", inbox.ids)]
        return [("folder_id", "in", self._member_inboxes().ids)]

    @api.model
    def message_search_load(self, account_id=None, folder_id=None, filters=None, search="",
                            offset=0, limit=40, order="date_desc", threaded=True):
        """One page: {records, total, total_is_estimate, hasMore, offset, limit}.

        ``filters``: unread, starred, has_attachments (booleans), from, to, subject (text),
        date_from, date_to (YYYY-MM-DD), tag_ids (list). ``search``: the search box's text
        (search_syntax). Without a folder: the inboxes of the mailboxes the user is on.
        ``threaded``: one record per conversation (its newest message here), with
        thread_size and thread_unread.
        """
        self.check_access("read")
        return queries.page(self.env, self._view(account_id, folder_id), filters or {}, search,
                            offset, limit, order, threaded=bool(threaded))

    @api.model
    def count_matching(self, account_id=None, folder_id=None, filters=None, search=""):
        """How many messages "all matching" would change (exact)."""
        self.check_access("read")
        return {"count": self._matching(account_id, folder_id, filters, search, count=True)}

    def _matching(self, account_id, folder_id, filters, search, count=False):
        domain = queries.build_domain(self._view(account_id, folder_id), filters or {}, search)
        domain += queries.VISIBLE
        Index = self.env["maildesk.message_index"]
        if count:
            return Index.search_count(domain)
        return Index.search(domain, limit=bulk.MAX_MATCHING + 1, order="id")

    @api.model
    def apply_to_matching(self, action, expected_count, account_id=None, folder_id=None,
                          filters=None, search="", target_folder_id=None, tag_ids=None):
        """Change every message of a view, once the user confirmed their number: refused when
        the number matching is not ``expected_count`` any more."""
        self.check_access("read")
        rows = self._matching(account_id, folder_id, filters, search)
        bulk.check_matching(self.env, action, expected_count, len(rows))
        target = self._folder(target_folder_id) if action == "move" else None
        tags = self._tags(tag_ids) if action == "tag" else None
        answer = bulk.apply(action, rows, target=target, tags=tags)
        sync.request_sync(rows.account_id)
        return answer

    # -- one message ---------------------------------------------------------------------------------
    @api.model
    def get_message(self, index_id, allow_remote_images=False, mark_read=True):
        """The message to read; marked read only for a member of its mailbox (a Mailbox Admin
        looking into another mailbox leaves it as its people have it)."""
        row = self._rows([index_id])
        body = bodies.get_body(row, allow_remote=allow_remote_images)
        if mark_read and not row.is_read and self.env.user in row.account_id.access_user_ids:
            state_changes.record_flags(row, seen=True)
            sync.request_sync(row.account_id)
        return dict(queries.card(row), body_html=body["html"], body_text=body["text"],
                    attachments=body["attachments"],
                    remote_images_blocked=body["remote_images_blocked"],
                    problems=body["problems"], reply_to=body.get("reply_to") or "",
                    sender={"name": row.sender_display_name or "", "email": row.from_addr or ""},
                    received_via=self._received_via(row))

    def _received_via(self, row):
        account = row.account_id
        return self.env._("%(mailbox)s <%(email)s>, folder %(folder)s", mailbox=account.name,
                          email=account.email, folder=row.folder_id.name)

    @api.model
    def get_thread(self, index_id):
        """The whole conversation of a message in its mailbox, oldest first, across folders."""
        return conversations.thread(self._rows([index_id]))

    @api.model
    def search_server(self, text, folder_id=None, account_id=None, limit=200):
        """Messages whose text the mail server finds (IMAP SEARCH), for rows in the index."""
        self.check_access("read")
        if folder_id:
            folders = self._folder(folder_id)
        elif account_id:
            folders = self.env["mailbox.folder"].search(
                [("account_id", "=", mailbox_access.require_account(self.env, account_id).id),
                 ("is_visible", "=", True)])
        else:
            folders = self._member_inboxes()
        return server_search.search(folders, text, limit)

    # -- changes ------------------------------------------------------------------------------------
    def _changed(self, index_ids, as_conversations):
        """The rows a change acts on. ``conversations``: the list shows conversations, so each
        id stands for its whole conversation in that folder (archiving one archives it all)."""
        rows = self._rows(index_ids)
        return conversations.whole(rows) if as_conversations else rows

    def _tags(self, tag_ids):
        tags = self.env["mail.message.tag"].browse(
            [int(t) for t in tag_ids or [] if str(t).isdigit()])
        return mailbox_access.require_readable(self.env, "mail.message.tag", tags.ids, self.env._(
            "You do not have access to some of these tags, or they no longer exist."))

    @api.model
    def set_flags(self, index_ids, is_read=None, is_starred=None, conversations=False):
        rows = self._changed(index_ids, conversations)
        answer = bulk.set_flags(rows, seen=is_read, starred=is_starred)
        sync.request_sync(rows.account_id)
        return answer

    @api.model
    def move_messages(self, index_ids, target_folder_id, conversations=False):
        rows = self._changed(index_ids, conversations)
        answer = bulk.move(rows, self._folder(target_folder_id))
        sync.request_sync(rows.account_id)
        return answer

    @api.model
    def archive_messages(self, index_ids, conversations=False):
        rows = self._changed(index_ids, conversations)
        answer = bulk.archive(rows)
        sync.request_sync(rows.account_id)
        return answer

    @api.model
    def delete_messages(self, index_ids, conversations=False):
        rows = self._changed(index_ids, conversations)
        answer = bulk.delete(rows)
        sync.request_sync(rows.account_id)
        return answer

    @api.model
    def update_tags(self, index_ids, tag_ids, conversations=False):
        return bulk.update_tags(self._changed(index_ids, conversations), self._tags(tag_ids))

    @api.model
    def undo_change(self, undo_token):
        """Undo a change answered with ``undo_token``: {undone: n}; "too late" once the mail
        server has it."""
        self.check_access("read")
        answer, rows = bulk.undo(self.env, undo_token, self._rows)
        sync.request_sync(rows.account_id)
        return answer

    # -- composing ------------------------------------------------------------------------------------
    @api.model
    def save_draft(self, draft_id=None, **values):
        allowed = {"account_id", "subject", "body_html", "to_emails", "cc_emails", "bcc_emails",
                   "attachment_ids", "reply_to_message_id", "reply_to_index_id", "model", "res_id",
                   "sender_display_name", "request_read_receipt", "request_delivery_receipt",
                   "forward_of_index_id"}
        vals = {k: v for k, v in values.items() if k in allowed}
        for key in ("to_emails", "cc_emails", "bcc_emails"):
            if isinstance(vals.get(key), (list, tuple)):
                vals[key] = "\n".join(vals[key])
        if "attachment_ids" in vals:
            vals["attachment_ids"] = [fields.Command.set([int(a) for a in vals["attachment_ids"]])]
        Draft = self.env["maildesk.draft"]
        token = values.get("client_token")
        if token is not None:
            if not isinstance(token, str) or not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", token):
                raise UserError(self.env._("The composer sent an invalid message token."))
            if not draft_id:  # a replayed save finds the draft the first one made
                found = Draft.search([("user_id", "=", self.env.uid),
                                      ("client_token", "=", token)], limit=1)
                if found.send_state in ("queued", "sending", "sent", "partly_sent"):
                    return found.id  # already on its way: the replay changes nothing
                draft_id = found.id
        if draft_id:
            draft = self._draft(draft_id)
            draft.write(vals)
        else:
            mailbox_access.require_account(self.env, vals.get("account_id"))
            draft = Draft.create(dict(vals, client_token=token or False))
        if "attachment_ids" in vals:
            composing.adopt_attachments(draft)
        return draft.id

    @api.model
    def load_draft(self, draft_id):
        draft = self._draft(draft_id)
        fields_ = ["account_id", "subject", "body_html", "to_emails", "cc_emails", "bcc_emails",
                   "reply_to_message_id", "reply_to_index_id", "request_read_receipt",
                   "request_delivery_receipt", "attachment_ids"]
        return draft.read(fields_)[0]

    @api.model
    def delete_draft(self, draft_id):
        self._draft(draft_id).unlink()
        return True

    @api.model
    def send_email(self, draft_id=None, resend_uncertain=False, **values):
        """Queue a saved draft for sending, or values given directly (saved as a draft first).
        The send worker sends it once its undo delay is over; asking twice sends it once."""
        draft = self._saved_draft(draft_id, values, self.env._(
            "Save the message first, or send it with a client_token: without one, a request "
            "sent twice would send the message twice."))
        return sending.send_draft(draft, resend_uncertain=bool(resend_uncertain))

    def _saved_draft(self, draft_id, values, refusal):
        """The draft to send: ``draft_id``, or ``values`` saved as a new draft, which they may
        only be with a client_token (a request sent twice then makes one draft)."""
        if not draft_id:
            if not values.get("client_token"):
                raise UserError(refusal)
            draft_id = self.save_draft(**values)
        return self._draft(draft_id)

    @api.model
    def cancel_send(self, draft_id):
        """Undo send: the draft comes back while it is still waiting in the queue."""
        return sending.cancel_send(self._draft(draft_id))

    @api.model
    def send_status(self, draft_id):
        return sending.send_status(self._draft(draft_id))

    @api.model
    def composer_signatures(self, account_id):
        """The signatures the user may put into mail from this mailbox, and the one to start
        with: {signatures: [{id, name, html}], default_id}. Basic has the mailbox's own
        signature; Pro adds the user's and the mailbox's shared ones."""
        account = mailbox_access.require_account(self.env, account_id)
        if is_html_empty(account.signature):
            return {"signatures": [], "default_id": False}
        return {"signatures": [{"id": "account", "name": account.name, "html": account.signature}],
                "default_id": "account"}

    @api.model
    def prepare_reply(self, index_id, reply_all=False):
        row = self._rows([index_id])
        return dict(composing.prepare_reply(row, bodies.get_body(row), reply_all=reply_all),
                    client_token=uuid.uuid4().hex)

    @api.model
    def prepare_forward(self, index_id):
        row = self._rows([index_id])
        # the draft remembers what it forwards, so the original is marked $Forwarded once sent
        return dict(composing.prepare_forward(row, bodies.get_body(row)), forward_of_index_id=row.id,
                    client_token=uuid.uuid4().hex)
