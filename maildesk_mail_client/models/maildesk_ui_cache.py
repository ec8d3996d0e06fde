from datetime import timedelta

from odoo import api, fields, models

from ..application.services import bodies, composing, live


def _in_one_hour(_model=None):
    return fields.Datetime.now() + timedelta(hours=1)


class MaildeskUiCache(models.Model):
    """Parsed, sanitised message data (list data and the body) kept for a limited time."""
    _name = "maildesk.ui_cache"
    _description = "MailDesk Cached Message Data"
    _order = "id desc"

    index_id = fields.Many2one(
        "maildesk.message_index", required=True, ondelete="cascade", index=True)
    json_cache = fields.Json(help="List data at the top level, the body under 'body'.")
    json_cache_until = fields.Datetime(help="When the cached body expires.")
    cache_until = fields.Datetime(required=True, default=_in_one_hour, index=True,
                                  help="When the whole row may be removed.")

    _index_unique = models.Constraint(
        "UNIQUE(index_id)", "A message has a single cache entry.")

    @api.model
    def _cron_cleanup_expired_cache(self):
        """Daily housekeeping: expired bodies, forwarded copies no draft took, old openings."""
        return {"bodies": bodies.cleanup_expired(self.env),
                "attachments": composing.remove_orphan_attachments(self.env),
                "openings": live.forget_old_openings(self.env)}
