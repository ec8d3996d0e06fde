"""The one back-off rule of MailDesk: wait ``start``, then twice as long each time, up to ``cap``.

Every retry (a sync that failed, a change the server refused for now, a message to file,
a message to send) uses it with its own two constants.
"""


def delay(attempt, start, cap):
    """The wait before try number ``attempt + 1`` (``attempt`` >= 1 failures so far)."""
    return min(start * (2 ** max(attempt - 1, 0)), cap)
