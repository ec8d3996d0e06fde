from odoo import api, fields, models
from odoo.exceptions import ValidationError

# What the text search looks in, lower case; the sync writes it the same way (index_writer).
SEARCH_TEXT_FIELDS = ("subject", "sender_display_name", "from_addr", "to_addrs", "cc_addrs")


# A row the inbox shows: the predicate of the partial indexes below, and what
# mailbox_queries.visible_sql writes (unqualified here, as index predicates are).
VISIBLE_SQL = ("(deleted_on_server IS NOT TRUE AND pending_delete IS NOT TRUE "
               "AND pending_move_to_id IS NULL)")


def search_text(values):
    """The search text of a message from its SEARCH_TEXT_FIELDS values, in that order."""
    return " ".join(filter(None, values)).lower()


class BigInteger(fields.Integer):
    """An Integer stored as PostgreSQL bigint: epoch seconds outgrow int4 on 19 January 2038.
    An existing int4 column is converted in place by the next module update."""
    _column_type = ("int8", "int8")


class MaildeskMessageIndex(models.Model):
    """One row per message per folder: the single source of truth for message metadata.

    Written only by service code (sync, state changes), read by the inbox.
    """
    _name = "maildesk.message_index"
    _description = "MailDesk Message Index"
    _order = "sort_ts desc, id desc"
    _rec_name = "subject"

    # Indexes are chosen for the inbox's queries and kept few: every one slows the sync's inserts.
    account_id = fields.Many2one("mailbox.account", required=True, ondelete="cascade")
    provider = fields.Selection(related="account_id.provider", store=True)
    folder_id = fields.Many2one("mailbox.folder", required=True, ondelete="cascade")
    uid = fields.Char("Remote Id", required=True,
                      help="IMAP UID, Gmail message id or Graph message id.")

    # headers
    message_id = fields.Char("Message-ID", index="btree_not_null")
    from_addr = fields.Char("From")
    sender_display_name = fields.Char()
    to_addrs = fields.Text("To")
    cc_addrs = fields.Text("Cc")
    bcc_addrs = fields.Text("Bcc")
    subject = fields.Char()
    date = fields.Datetime()
    preview = fields.Text()
    search_text = fields.Text(
        index="trigram", help="Subject, sender and recipients in lower case: one trigram index "
                              "serves the inbox's text search. The preview is not searched "
                              "(an index on it doubled the cost of every insert, a scan of a "
                              "big folder takes half a second): bodies are searched on the "
                              "mail server.")
    size = fields.Integer()

    # state
    has_attachments = fields.Boolean()
    is_read = fields.Boolean()
    is_starred = fields.Boolean()
    flags = fields.Char(help="Server flags as received, space separated.")
    tag_ids = fields.Many2many(
        "mail.message.tag", "maildesk_index_tag_rel", "index_id", "tag_id", string="Tags")
    pending_move_to_id = fields.Many2one("mailbox.folder", ondelete="set null")
    pending_delete = fields.Boolean()
    local_pending = fields.Boolean(help="Created at send time; waits for the server's copy.")
    deleted_on_server = fields.Boolean()
    ingest_allowed = fields.Boolean()

    # threading
    in_reply_to = fields.Char()
    references_hdr = fields.Text("References")
    thread_id = fields.Char(index="btree_not_null")

    sort_ts = BigInteger(help="Date as epoch seconds, for sorting.")
    indexed_at = fields.Datetime(default=fields.Datetime.now)

    # Leads with folder_id so it also serves per-folder lookups and folder deletion.
    _account_folder_uid_unique = models.Constraint(
        "UNIQUE(folder_id, uid, account_id)",
        "This message is already indexed in this folder.")
    # The inbox's page query: one folder, newest first, visible rows only (VISIBLE_SQL, word
    # for word as mailbox_queries writes it, so the planner proves the index applies). With
    # account_id included, the record rule is checked from the index too: a page 100,000 rows
    # deep is an index-only walk (bench/inbox_benchmark.py). Odoo rebuilds an index whose
    # definition changed at the next module update.
    _folder_page_idx = models.Index(
        f"(folder_id, sort_ts DESC, id DESC) INCLUDE (account_id) WHERE {VISIBLE_SQL}")
    # The unified view across a user's mailboxes, and rules/cascades on account_id.
    _account_page_idx = models.Index("(account_id, sort_ts DESC, id DESC)")
    # Unread counts per folder, index-only.
    _unread_idx = models.Index(
        f"(folder_id) INCLUDE (account_id) WHERE is_read IS NOT TRUE AND {VISIBLE_SQL}")
    # Conversations: "is there a newer visible message of this thread in this folder?"
    _thread_head_idx = models.Index(
        f"(folder_id, thread_id, sort_ts DESC, id DESC) WHERE thread_id IS NOT NULL AND {VISIBLE_SQL}")

    @api.constrains("account_id", "folder_id")
    def _check_folder_account(self):
        for row in self:
            if row.folder_id.account_id != row.account_id:
                raise ValidationError(
                    self.env._("A message must be indexed in a folder of its own mailbox."))

    @api.model
    def _search_text_of(self, vals):
        return search_text(vals.get(k) for k in SEARCH_TEXT_FIELDS) or False

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals.setdefault("search_text", self._search_text_of(vals))
        return super().create(vals_list)
