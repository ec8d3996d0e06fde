from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..application.services import mailbox_access

# What a state row points at; the caller must be able to read each one (seed 003 rules key on
# account_id, and the other two must lie in the same mailbox).
REFERENCES = {"account_id": "mailbox.account", "index_id": "maildesk.message_index",
              "target_folder_id": "mailbox.folder"}
# How applying went: written by the sync (as superuser) only, so nobody can postpone or
# rewrite the outcome of someone else's change.
APPLY_BOOKKEEPING = {"apply_attempts", "next_try_at", "last_error"}
# Each intent is empty (no change asked) or the change still to be made on the server.
READ_INTENTS = [("read", "Mark as read"), ("unread", "Mark as unread")]
STAR_INTENTS = [("starred", "Star"), ("unstarred", "Remove the star")]
PLACE_INTENTS = [("move", "Move to the target folder"), ("delete", "Delete")]
INTENTS = ("read_intent", "star_intent", "place_intent")
FLAG_INTENTS = ("read_intent", "star_intent")
# A row with a change still to be made on the server.
PENDING_DOMAIN = ["|", "|", ("read_intent", "!=", False), ("star_intent", "!=", False),
                  ("place_intent", "!=", False)]


class MaildeskEmailState(models.Model):
    """A user's intent on a message (read, star, move, delete), kept until the server has it.

    The intent is recorded first, applied to the server, and reconciled by the next sync,
    so nothing is lost while the server is unreachable. Each intent is tri-state: empty (no
    change asked) or the change to make. Applying clears it; a row with no intent left is
    deleted.
    """
    _name = "maildesk.email_state"
    _description = "MailDesk Message State Change"
    _order = "write_date desc, id desc"

    account_id = fields.Many2one("mailbox.account", required=True, ondelete="cascade", index=True)
    index_id = fields.Many2one(
        "maildesk.message_index", required=True, ondelete="cascade", index=True)
    read_intent = fields.Selection(
        READ_INTENTS, help="Read state still to be written to the server; empty: none asked.")
    star_intent = fields.Selection(
        STAR_INTENTS, help="Star still to be written to the server; empty: none asked.")
    place_intent = fields.Selection(
        PLACE_INTENTS, help="Move (to the target folder) or delete still to be made on the "
                            "server; empty: none asked.")
    target_folder_id = fields.Many2one("mailbox.folder", ondelete="cascade")
    apply_attempts = fields.Integer(readonly=True)
    next_try_at = fields.Datetime(readonly=True)
    last_error = fields.Text(readonly=True)

    _index_unique = models.Constraint(
        "UNIQUE(index_id)", "A message has a single pending state change.")

    @api.model_create_multi
    def create(self, vals_list):
        self._check_caller_values(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._check_caller_values([vals])
        result = super().write(vals)
        mailbox_access.require_still_writable(self)
        return result

    def _check_caller_values(self, vals_list):
        mailbox_access.require_references_readable(self, vals_list, REFERENCES)
        if not self.env.su and any(APPLY_BOOKKEEPING & set(vals) for vals in vals_list):
            raise AccessError(self.env._(
                "How a change was applied is recorded by MailDesk only: record the change again "
                "instead."))

    @api.constrains("account_id", "index_id", "target_folder_id")
    def _check_same_mailbox(self):
        # Rules key on account_id: a row must not point into another mailbox. The message
        # names no mailbox: the caller may not be allowed to know the other one.
        for state in self:
            if state.index_id.account_id != state.account_id or (
                    state.target_folder_id and state.target_folder_id.account_id != state.account_id):
                raise ValidationError(self.env._(
                    "A state change must stay within one mailbox: the message, the mailbox and "
                    "the target folder must belong together."))

    def _is_pending_move(self):
        """A move still to be applied (not a delete, which needs no target)."""
        self.ensure_one()
        return self.place_intent == "move"

    def _without_intent(self):
        """The rows of ``self`` with nothing left to make on the server."""
        return self.filtered(lambda s: not any(s[name] for name in INTENTS))

    @api.constrains("target_folder_id", "place_intent")
    def _check_move_has_a_target(self):
        # A move without a target would stop the sync of the whole mailbox for everyone.
        for state in self:
            if state._is_pending_move() and not state.target_folder_id:
                raise ValidationError(self.env._(
                    "A move needs a target folder in the message's own mailbox."))
