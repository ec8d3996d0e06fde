"""19.0.1.1.0: pending changes as tri-state intents instead of paired booleans.

Before, ``maildesk.email_state`` said "mark as read" with ``has_seen`` + ``seen`` (pending while
``dirty_flags``), the star with ``has_starred`` + ``starred``, and a move or delete with
``dirty_move`` + ``is_delete`` / ``target_folder_id``. This runs after Odoo created the new
columns, so every change still pending on the old columns is carried over and reaches the
server at the next sync; then the old columns go.
"""
import logging

_logger = logging.getLogger(__name__)

_OLD = ("seen", "has_seen", "starred", "has_starred", "is_delete", "dirty_flags", "dirty_move")
_DROPPED = (*_OLD, "has_move", "has_delete")


def _columns(cr):
    cr.execute("""SELECT column_name FROM information_schema.columns
                   WHERE table_name = 'maildesk_email_state' AND table_schema = current_schema()""")
    return {name for (name,) in cr.fetchall()}


def migrate(cr, version):
    if not version:
        return
    columns = _columns(cr)
    if not set(_OLD) <= columns:
        return  # nothing of the old shape left (a second run, or a database that never had it)
    cr.execute("""
        UPDATE maildesk_email_state SET
               read_intent = CASE WHEN dirty_flags AND has_seen
                                  THEN CASE WHEN seen THEN 'read' ELSE 'unread' END END,
               star_intent = CASE WHEN dirty_flags AND has_starred
                                  THEN CASE WHEN starred THEN 'starred' ELSE 'unstarred' END END,
               place_intent = CASE WHEN dirty_move AND is_delete THEN 'delete'
                                   WHEN dirty_move AND target_folder_id IS NOT NULL THEN 'move' END
         WHERE read_intent IS NULL AND star_intent IS NULL AND place_intent IS NULL
    """)
    _logger.info("MailDesk: %s state change row(s) converted to tri-state intents",
                 cr.rowcount)
    # Odoo would drop them at the end of the upgrade, but only those it still knows as fields.
    cr.execute("ALTER TABLE maildesk_email_state "
               + ", ".join(f'DROP COLUMN IF EXISTS "{name}"' for name in _DROPPED))
