from odoo import api, models

from ..application.services import inbox_settings, live


class MailboxSync(models.AbstractModel):
    """The live side of the inbox facade: presence, remote-image senders, the traffic cop
    before a reply, and the settings the inbox needs (``application/services/live.py``)."""
    _inherit = "mailbox.sync"

    @api.model
    def presence_ping(self, index_id=False, mode="viewing"):
        """Heartbeat of an open inbox (every ~30 s), and what the user is on:
        {others: [{user_id, name, mode}]} on the same conversation."""
        self.check_access("read")
        return live.ping(self.env, index_id, mode)

    @api.model
    def get_presence(self, index_ids):
        """{index_id: [{user_id, name, mode}]}: others on these rows' conversations."""
        self.check_access("read")
        return live.presence_of(self.env, index_ids)

    @api.model
    def allow_remote_images_from(self, index_id):
        """"Always for this sender": this user loads remote images from the message's sender."""
        self.check_access("read")
        return live.allow_remote_images_from(self.env, index_id)

    @api.model
    def get_inbox_settings(self):
        self.check_access("read")
        return inbox_settings.current(self.env)

    @api.model
    def get_message(self, index_id, allow_remote_images=False, mark_read=True):
        row = self._rows([index_id])  # refused here, as the facade would, before anything else
        trusted = live.remote_images_trusted(self.env, row.id)
        answer = super().get_message(index_id, allow_remote_images=bool(allow_remote_images)
                                     or trusted, mark_read=mark_read)
        live.record_opened(self.env, answer["id"])
        return dict(answer, remote_images_trusted=trusted)

    @api.model
    def send_email(self, draft_id=None, resend_uncertain=False, confirm_unseen=False, **values):
        """As the facade's send_email, but a reply to a conversation that got messages the
        user has not seen asks first (``needs_confirmation``) unless ``confirm_unseen``."""
        if not draft_id and values.get("client_token"):
            draft_id = self.save_draft(**values)  # replay-safe: the token finds the draft
        if draft_id and not confirm_unseen:
            unseen = live.unseen_in_reply(self._draft(draft_id))
            if unseen:
                return live.needs_confirmation(self.env, unseen)
        return super().send_email(draft_id=draft_id, resend_uncertain=resend_uncertain, **values)
