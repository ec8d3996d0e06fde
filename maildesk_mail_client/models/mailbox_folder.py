from odoo import api, fields, models

from ..application.services import folder_mirror

FOLDER_TYPES = [
    ("inbox", "Inbox"),
    ("starred", "Starred"),
    ("sent", "Sent"),
    ("drafts", "Drafts"),
    ("archive", "Archive"),
    ("spam", "Spam"),
    ("trash", "Trash"),
    ("other", "Other"),
]
SYNC_STATES = [
    ("never_synced", "Never synchronised"),
    ("backfill_pending", "History pending"),
    ("backfill_in_progress", "Loading history"),
    ("incremental", "Up to date"),
]


class MailboxFolder(models.Model):
    _name = "mailbox.folder"
    _description = "Mailbox Folder"
    # The one folder order (folder_mirror.TYPE_ORDER): the sidebar and the sync both follow it.
    _order = "account_id, sequence, name, id"
    _parent_store = False

    name = fields.Char(required=True, help="Shown in the sidebar; kept when the server renames.")
    imap_name = fields.Char(
        "Server Path", required=True, readonly=True, index=True,
        help="The folder's technical path on the server (IMAP name, Gmail label id, Graph path).")
    delimiter = fields.Char(readonly=True, help="Hierarchy separator used by the server.")
    account_id = fields.Many2one(
        "mailbox.account", required=True, ondelete="cascade", index=True)
    parent_id = fields.Many2one("mailbox.folder", "Parent Folder", ondelete="cascade", index=True)
    folder_type = fields.Selection(FOLDER_TYPES, "Type", required=True, default="other")
    is_visible = fields.Boolean("Visible", default=True)
    sequence = fields.Integer(compute="_compute_sequence", store=True, readonly=False)

    # counts shown in the sidebar
    unread_count = fields.Integer(readonly=True)
    total_count = fields.Integer(readonly=True)
    unread_count_updated_at = fields.Datetime(readonly=True)

    # sync cursors (IMAP: UIDVALIDITY / UIDNEXT / MODSEQ; Gmail label; Graph delta)
    uid_validity = fields.Char("UIDVALIDITY", readonly=True)
    last_uid = fields.Integer(readonly=True)
    last_uidnext = fields.Integer(readonly=True)
    last_highest_modseq = fields.Char(readonly=True)
    sync_modseq = fields.Char(readonly=True, default="0")
    needs_sync = fields.Boolean(readonly=True, index=True)
    sync_state = fields.Selection(SYNC_STATES, default="never_synced", required=True,
                                  readonly=True)
    backfill_started_at = fields.Datetime(readonly=True)
    backfill_completed_at = fields.Datetime(readonly=True)
    backfill_total_estimate = fields.Integer(readonly=True)
    backfill_fetched_count = fields.Integer(readonly=True)
    backfill_last_uid = fields.Integer(readonly=True)
    backfill_progress = fields.Float(compute="_compute_backfill_progress")
    gmail_label_id = fields.Char(readonly=True)
    gmail_backfill_page_token = fields.Char(readonly=True)
    outlook_graph_id = fields.Char(readonly=True, index=True)
    outlook_backfill_next_link = fields.Char(readonly=True)
    last_sync_at = fields.Datetime(readonly=True)
    last_error = fields.Text(readonly=True)

    _imap_name_unique = models.Constraint(
        "UNIQUE(account_id, imap_name)",
        "A mailbox cannot have two folders with the same server path.")

    @api.depends("folder_type", "imap_name", "delimiter")
    def _compute_sequence(self):
        for folder in self:
            folder.sequence = folder_mirror.sequence_of(
                folder.folder_type, folder.imap_name, folder.delimiter)

    def init(self):
        folder_mirror.create_table(self.env.cr)
        folder_mirror.create_listing_table(self.env.cr)

    @api.depends("backfill_total_estimate", "backfill_fetched_count", "sync_state")
    def _compute_backfill_progress(self):
        for folder in self:
            if folder.sync_state == "incremental":
                folder.backfill_progress = 100.0
            elif folder.backfill_total_estimate:
                folder.backfill_progress = min(
                    100.0, 100.0 * folder.backfill_fetched_count / folder.backfill_total_estimate)
            else:
                folder.backfill_progress = 0.0
