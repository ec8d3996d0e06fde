"""MailDesk's settings, as Settings > MailDesk shows them and the inbox reads them.

Each value lives where the code that uses it reads it: the undo delay and the body cache's
lifetime in ``ir.config_parameter`` (``sending``, ``bodies``), remote images by default too
(``live``), and how often mailboxes sync in the sync cron's own interval.
"""
from odoo.exceptions import AccessError

from . import bodies, live, sending

SYNC_CRON = "maildesk_mail_client.ir_cron_sync_mailboxes"
SYNC_MINUTES_DEFAULT = 2
SYNC_MINUTES_MAX = 24 * 60
CACHE_DAYS_MAX = 3650
_MINUTES_PER = {"minutes": 1, "hours": 60, "days": 24 * 60, "weeks": 7 * 24 * 60,
                "months": 30 * 24 * 60}


def _sync_cron(env):
    # sudo: the interval is read for every user's inbox and set from Settings (admins only).
    return env.ref(SYNC_CRON, raise_if_not_found=False).sudo()


def sync_interval_minutes(env):
    cron = _sync_cron(env)
    if not cron:
        return SYNC_MINUTES_DEFAULT
    return cron.interval_number * _MINUTES_PER.get(cron.interval_type, 1)


def set_sync_interval_minutes(env, minutes):
    cron = _sync_cron(env)
    if cron and sync_interval_minutes(env) != minutes:
        cron.write({"interval_number": minutes, "interval_type": "minutes"})


def require_admin(env):
    if not env.is_admin():
        raise AccessError(env._("Only administrators can change MailDesk's settings."))


def save(env, undo_send_seconds, body_cache_days, sync_interval_minutes):
    """Store the numbers of Settings > MailDesk, for a Settings administrator only.

    Checked here and not left to ``res.config.settings.execute()``: ``set_values`` is public
    over JSON-RPC, and any user may call it on an empty settings record."""
    require_admin(env)
    # sudo: as Odoo's own config_parameter fields do, for the administrator checked above.
    params = env["ir.config_parameter"].sudo()
    params.set_param(sending.UNDO_PARAM, str(undo_send_seconds))
    params.set_param(bodies.CACHE_PARAM, str(body_cache_days))
    set_sync_interval_minutes(env, sync_interval_minutes)


def current(env):
    """What the inbox needs to know of the settings."""
    return {
        "undo_send_seconds": sending.undo_seconds(env),
        "remote_images_default": live.remote_images_default(env),
        "sync_interval_minutes": sync_interval_minutes(env),
        "body_cache_days": bodies.retention(env).days,
    }
