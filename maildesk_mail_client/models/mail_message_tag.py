from odoo import fields, models
from odoo.exceptions import AccessError

ADMIN_GROUP = "maildesk_mail_client.group_mailbox_admin"


class MailMessageTag(models.Model):
    _name = "mail.message.tag"
    _description = "MailDesk Message Tag"
    _order = "name, id"

    name = fields.Char(required=True)
    color = fields.Char(default="#6CC1ED", help="Colour as #RRGGBB.")

    _name_unique = models.Constraint(
        "UNIQUE(name)", "A tag with this name already exists: use it instead.")

    def write(self, vals):
        self._check_used_only_where_the_caller_works()
        return super().write(vals)

    def _check_used_only_where_the_caller_works(self):
        """Tags are shared by every mailbox (seed 003 gives them no rule): renaming one that
        marks messages of a mailbox the caller cannot open would change that mailbox."""
        if not self or self.env.su or self.env.user.has_group(ADMIN_GROUP):
            return
        Index = self.env["maildesk.message_index"]
        Index.flush_model(["tag_ids"])
        self.env.cr.execute(
            "SELECT count(DISTINCT index_id) FROM maildesk_index_tag_rel WHERE tag_id = ANY(%s)",
            [list(self.ids)])
        tagged = self.env.cr.fetchone()[0]
        if Index.search_count([("tag_ids", "in", self.ids)]) < tagged:
            raise AccessError(self.env._(
                "This tag is also used in mailboxes you do not work in, so only a Mailbox Admin "
                "can change it. Create a tag of your own instead."))
