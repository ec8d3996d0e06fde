from odoo import api, models
from odoo.addons.maildesk_mail_client.application.services import bulk, mailbox_access
from odoo.exceptions import UserError

from ..application.services import email_links, signatures, update_queue
from .maildesk_message_index import SNOOZED_VIEW


class MailboxSync(models.AbstractModel):
    """The Mail RPCs of Pro's inbox (the RPC contract, "Mail"): signatures, send later,
    snooze, bulk changes in the background and email links. Each reads what it acts on as
    the calling user first (Basic's helpers), then hands it to the service."""
    _inherit = "mailbox.sync"

    # -- signatures --------------------------------------------------------------------------------
    @api.model
    def composer_signatures(self, account_id):
        """{signatures: [{id, name, html, is_shared}], default_id}: the caller's own for this
        mailbox (and for all), the mailbox's shared ones, and Basic's mailbox signature."""
        basic = super().composer_signatures(account_id)
        account = mailbox_access.require_account(self.env, account_id)
        return signatures.for_composer(account, basic)

    # -- send later --------------------------------------------------------------------------------
    @api.model
    def schedule_send(self, send_at, draft_id=None, **values):
        """Send a saved draft (or ``values`` as Basic's send_email takes them) at ``send_at``
        (UTC): {queue_id, scheduled_at, draft_id}. Asking again moves the time."""
        draft = self._saved_draft(draft_id, values, self.env._(
            "Save the message first, or schedule it with a client_token: without one, a request "
            "sent twice would schedule two messages."))
        return update_queue.schedule_send(draft, send_at)

    @api.model
    def cancel_scheduled(self, queue_id):
        """{cancelled: true}: the scheduled message stays a draft (or a change is not made)."""
        self.check_access("read")
        return update_queue.cancel(self.env, queue_id)

    @api.model
    def list_scheduled(self, account_id=False):
        """[{queue_id, draft_id, subject, to, scheduled_at, state}] of the caller's messages
        waiting for their time."""
        self.check_access("read")
        account = mailbox_access.require_account(self.env, account_id) if account_id else None
        return update_queue.scheduled(self.env, account)

    # -- snooze ------------------------------------------------------------------------------------
    @api.model
    def snooze_messages(self, index_ids, until, conversations=False):
        """Out of the lists until ``until`` (UTC), then back, unread: {count, until}."""
        return update_queue.snooze(self._changed(index_ids, conversations), until)

    @api.model
    def unsnooze_messages(self, index_ids, conversations=False):
        return update_queue.unsnooze(self._changed(index_ids, conversations))

    @api.model
    def message_search_load(self, account_id=None, folder_id=None, filters=None, search="",
                            offset=0, limit=40, order="date_desc", threaded=True):
        """Basic's page; ``filters.snoozed``: the snoozed messages of the view instead."""
        filters = dict(filters) if isinstance(filters, dict) else {}
        snoozed = bool(filters.pop("snoozed", False))
        return super(MailboxSync, self.with_context(**{SNOOZED_VIEW: snoozed})).message_search_load(
            account_id, folder_id, filters, search, offset, limit, order, threaded)

    def _matching(self, account_id, folder_id, filters, search, count=False):
        """"All N matching" is what the list shows: snoozed messages are left out there too."""
        found = super()._matching(account_id, folder_id, filters, search)
        awake = [("id", "in", found.ids), ("snoozed_until", "=", False)]
        Index = self.env["maildesk.message_index"]
        return Index.search_count(awake) if count else Index.search(awake, order="id")

    # -- bulk changes in the background -------------------------------------------------------------
    @api.model
    def queue_bulk_change(self, action, expected_count, account_id=None, folder_id=None,
                          filters=None, search="", target_folder_id=None, tag_ids=None):
        """apply_to_matching for many messages: checked now, applied by the queue's cron in
        committed chunks; {queue_id, count}. Follow it with bulk_status."""
        self.check_access("read")
        if not (account_id or folder_id):
            raise UserError(self.env._("Open one mailbox to change all its matching messages at "
                                       "once."))
        rows = self._matching(account_id, folder_id, filters, search)
        bulk.check_matching(self.env, action, expected_count, len(rows))
        target = self._folder(target_folder_id) if action == "move" else None
        tags = self._tags(tag_ids) if action == "tag" else None
        return update_queue.queue_bulk(rows, action, target=target, tags=tags)

    @api.model
    def bulk_status(self, queue_id):
        """{state, done_count, total, error} of a bulk change the caller queued."""
        self.check_access("read")
        return update_queue.bulk_status(update_queue.own_entry(self.env, queue_id, admin_too=True))

    # -- email links -------------------------------------------------------------------------------
    @api.model
    def link_models(self):
        """[{model, name}]: the kinds of records the caller may link mail to."""
        self.check_access("read")
        return email_links.linkable_models(self.env)

    @api.model
    def link_search_records(self, model, term, limit=8):
        """[{id, name}] of readable records of ``model`` whose name matches ``term``."""
        self.check_access("read")
        return email_links.search_records(self.env, model, term, limit)

    @api.model
    def link_to_record(self, index_id, res_model, res_id, whole_conversation=False):
        """Link the message (or its conversation) to a record the caller may read: the link."""
        link = email_links.link(self._rows([index_id]), res_model, res_id,
                                whole_conversation=bool(whole_conversation))
        return email_links.describe(link)

    @api.model
    def get_links(self, index_id):
        """[{id, res_model, res_id, res_name, model_name, link_type, url}] of the message and
        of its conversation."""
        return email_links.links_of(self._rows([index_id]))

    @api.model
    def remove_link(self, link_id):
        self.check_access("read")
        return email_links.unlink(mailbox_access.require_readable(
            self.env, "maildesk.email.link", [link_id], self.env._(
                "This link does not exist any more, or you do not have access to it.")))
