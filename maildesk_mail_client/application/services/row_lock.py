"""Taking one queued row for a worker: what the send queue and Pro's update queue share."""
from psycopg2 import errors


def take_one(cr, query, params):
    """The id of the one row ``query`` (``... LIMIT 1 FOR UPDATE SKIP LOCKED``) locks on this
    cursor, or None. Rows another worker holds are skipped. The lock and every write to that
    row stay on this one cursor: a row locked by one cursor and written by another of the same
    process would wait for ever, unseen by PostgreSQL."""
    try:
        cr.execute(query, params)
    except errors.SerializationFailure:  # another worker changed it an instant ago: look again
        cr.rollback()
        cr.execute(query, params)
    row = cr.fetchone()
    return row and row[0]
