"""The live side of the inbox: who has it open, who is on which conversation, bus notices,
the senders a user always loads remote images from, and the "traffic cop" before a reply.

Who may hear about a mailbox is decided here once (``readers``): its members and the
Mailbox Admins, among the users who have the inbox open (a ``maildesk.ui_presence`` ping
within PRESENCE_TTL). Notices go to each such user's own bus channel (``_bus_send`` on
res.users, queued by Odoo until the transaction commits), never to a shared channel.

Which conversation a user looks at is kept in a plain table, not in a model field: seed 003
gives presence rows no record rule, so anything stored on them is readable by every user.
"""
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError

from ...infrastructure.addresses import normalise_address
from ...models.maildesk_ui_presence import DEFAULT_MAX_AGE_SECONDS
from . import mailbox_access

PRESENCE_TTL = DEFAULT_MAX_AGE_SECONDS  # seconds; the inbox pings every HEARTBEAT seconds
HEARTBEAT = 30
MODES = ("viewing", "replying")
REMOTE_IMAGES_PARAM = "maildesk.remote_images_default"
CONVERSATION_ROWS_MAX = 200  # index ids named in one presence notice
CHANGED = "maildesk/changed"
PRESENCE = "maildesk/presence"
_PENDING_KEY = "maildesk.changed"


def _since(seconds=PRESENCE_TTL):
    return fields.Datetime.now() - timedelta(seconds=seconds)


def _group_user_ids(env, xmlid):
    # sudo: group membership decides who may read a mailbox; users cannot list groups.
    return env.ref(xmlid).sudo().all_user_ids.ids


def readers(env, account_id, user_ids):
    """The subset of ``user_ids`` who may read mailbox ``account_id`` (what the record rules
    allow: members who are Mailbox Users, and Mailbox Admins)."""
    if not user_ids:
        return []
    env["mailbox.account"].flush_model(["access_user_ids"])
    env.cr.execute("""
        SELECT u.id FROM res_users u
         WHERE u.id = ANY(%(users)s) AND u.active AND u.id = ANY(%(mailbox_users)s)
           AND (u.id = ANY(%(admins)s) OR EXISTS (
                SELECT 1 FROM mailbox_account_user_rel r
                 WHERE r.account_id = %(account)s AND r.user_id = u.id))
    """, {"users": list(user_ids), "account": account_id,
          "mailbox_users": _group_user_ids(env, mailbox_access.USER_GROUP),
          "admins": _group_user_ids(env, mailbox_access.ADMIN_GROUP)})
    return [uid for (uid,) in env.cr.fetchall()]


def online_readers(env, account_id):
    """Users who may read the mailbox and have the inbox open now."""
    env["maildesk.ui_presence"].flush_model()
    env.cr.execute("SELECT user_id FROM maildesk_ui_presence WHERE last_ping_at >= %s",
                   [_since()])
    return readers(env, account_id, [uid for (uid,) in env.cr.fetchall()])


def _readable_row(env, index_id):
    """One index row the caller may read; a foreign and a missing id get one answer."""
    return mailbox_access.require_readable(env, "maildesk.message_index", [index_id], env._(
        "You do not have access to this message, or it no longer exists."))


def _users(env, user_ids):
    # sudo: bus channels and names of users chosen by ``readers``.
    return env["res.users"].sudo().browse(user_ids)


# -- "this folder changed" ------------------------------------------------------------------------
def notify_changed(env, account, folder_ids):
    """Tell the mailbox's online readers that these folders' index changed.

    Sent when the transaction commits, once per mailbox however often this is called before
    (a sync writing many batches, a change to hundreds of messages); dropped on rollback.
    """
    data = env.cr.precommit.data
    if _PENDING_KEY not in data:
        data[_PENDING_KEY] = {}
        system = env(su=True)

        @env.cr.precommit.add
        def send_changed():
            for account_id, folders in data.pop(_PENDING_KEY, {}).items():
                users = online_readers(system, account_id)
                _users(system, users)._bus_send(CHANGED, {"account_id": account_id,
                                                          "folder_ids": sorted(folders)})
    for acc in account:
        data[_PENDING_KEY].setdefault(acc.id, set()).update(int(f) for f in folder_ids if f)


def rows_changed(rows, *folders):
    """notify_changed for index rows that changed (and folders they go to), per mailbox."""
    for account in rows.account_id:
        mine = rows.filtered(lambda r, a=account: r.account_id == a)
        extra = [f.id for folder in folders for f in folder if f.account_id == account]
        notify_changed(rows.env, account, mine.folder_id.ids + extra)


# -- presence on conversations --------------------------------------------------------------------
def _conversation_key(row):
    """A conversation of a mailbox: its thread, or the message alone when it has none (the
    prefixes keep a thread id taken from a mail from ever reading as a message id)."""
    return f"t:{row.thread_id}" if row.thread_id else f"m:{row.id}"


def ping(env, index_id=False, mode="viewing"):
    """The inbox is open (and, with ``index_id``, the user views or answers that conversation).

    Other readers of the mailbox hear about it only when the user arrives at, leaves or
    changes mode on a conversation, not on every heartbeat.
    """
    if mode not in (*MODES, "none"):
        raise UserError(env._("Unknown presence mode %s.", mode))
    env["maildesk.ui_presence"].ping()
    conversation = None
    if index_id and mode != "none":
        row = _readable_row(env, index_id)
        conversation = (row.account_id.id, _conversation_key(row))
    env.cr.execute("""SELECT account_id, thread_key, mode FROM maildesk_presence_conversation
                       WHERE user_id = %s AND pinged_at >= %s""", [env.uid, _since()])
    found = env.cr.fetchone()
    before = (found[0], found[1]) if found else None
    if conversation:
        env.cr.execute("""
            INSERT INTO maildesk_presence_conversation
                   (user_id, account_id, thread_key, index_id, mode, pinged_at)
            VALUES (%s, %s, %s, %s, %s, now() AT TIME ZONE 'UTC')
            ON CONFLICT (user_id) DO UPDATE
               SET account_id = EXCLUDED.account_id, thread_key = EXCLUDED.thread_key,
                   index_id = EXCLUDED.index_id, mode = EXCLUDED.mode,
                   pinged_at = EXCLUDED.pinged_at
        """, [env.uid, *conversation, row.id, mode])
    else:
        env.cr.execute("DELETE FROM maildesk_presence_conversation WHERE user_id = %s", [env.uid])
    was, now_on = found and (before, found[2]), conversation and (conversation, mode)
    if was != now_on:
        for changed in dict.fromkeys(filter(None, (before, conversation))):
            _announce(env, *changed)
    return {"others": _viewers(env, *conversation, exclude=env.uid) if conversation else []}


def _viewers(env, account_id, thread_key, exclude=None):
    """[{user_id, name, mode}] of the readers of the mailbox on this conversation now."""
    env.cr.execute("""SELECT user_id, mode FROM maildesk_presence_conversation
                       WHERE account_id = %s AND thread_key = %s AND pinged_at >= %s
                         AND user_id != %s ORDER BY pinged_at""",
                   [account_id, thread_key, _since(), exclude or 0])
    modes = dict(env.cr.fetchall())
    allowed = set(readers(env, account_id, list(modes)))
    return [{"user_id": user.id, "name": user.name, "mode": modes[user.id]}
            for user in _users(env, [u for u in modes if u in allowed])]


def _announce(env, account_id, thread_key):
    """"maildesk/presence" to the mailbox's other online readers: who is on it now."""
    recipients = [u for u in online_readers(env, account_id) if u != env.uid]
    if not recipients:
        return
    viewers = _viewers(env, account_id, thread_key)
    thread_id = thread_key[2:] if thread_key.startswith("t:") else False
    if thread_id:
        # sudo: rows of a conversation of a mailbox the caller may read (checked by ping).
        index_ids = env["maildesk.message_index"].sudo().search(
            [("account_id", "=", account_id), ("thread_id", "=", thread_id)],
            limit=CONVERSATION_ROWS_MAX).ids
    else:
        index_ids = [int(thread_key[2:])]
    for user in _users(env, recipients):
        user._bus_send(PRESENCE, {
            "account_id": account_id, "thread_id": thread_id, "index_ids": index_ids,
            "users": [v for v in viewers if v["user_id"] != user.id]})


def presence_of(env, index_ids):
    """{index_id: [{user_id, name, mode}]}: others on the conversations of these rows.

    Rows the caller cannot read (or that are gone) are left out, exactly like rows nobody
    looks at: the answer tells nothing about them.
    """
    ids = [int(i) for i in index_ids or [] if str(i).isdigit()]
    rows = env["maildesk.message_index"].search([("id", "in", ids)])  # the user's record rules
    if not rows:
        return {}
    rows.flush_recordset(["thread_id", "account_id"])
    env.cr.execute("""
        SELECT i.id, i.account_id, c.user_id, c.mode
          FROM maildesk_message_index i
          JOIN maildesk_presence_conversation c
            ON c.account_id = i.account_id
           AND c.thread_key = COALESCE('t:' || NULLIF(i.thread_id, ''), 'm:' || i.id)
         WHERE i.id = ANY(%s) AND c.pinged_at >= %s AND c.user_id != %s
         ORDER BY c.pinged_at
    """, [rows.ids, _since(), env.uid])
    found = env.cr.fetchall()
    allowed = {}
    for account_id in {a for _i, a, _u, _m in found}:
        users = {u for _i, a, u, _m in found if a == account_id}
        allowed[account_id] = set(readers(env, account_id, list(users)))
    names = {u.id: u.name for u in _users(env, list({u for _i, _a, u, _m in found}))}
    answer = {}
    for index_id, account_id, user_id, mode in found:
        if user_id in allowed[account_id]:
            answer.setdefault(index_id, []).append(
                {"user_id": user_id, "name": names[user_id], "mode": mode})
    return answer


# -- what a user has opened, and the traffic cop -------------------------------------------------
def record_opened(env, index_id):
    """The user opened this message (``get_message`` checked they may read it)."""
    env.cr.execute("""
        INSERT INTO maildesk_message_opened (user_id, index_id, opened_at)
        VALUES (%s, %s, now() AT TIME ZONE 'UTC')
        ON CONFLICT (user_id, index_id) DO UPDATE SET opened_at = EXCLUDED.opened_at
    """, [env.uid, int(index_id)])


def unseen_in_reply(draft):
    """How many messages of the conversation a draft answers the user has not seen, among
    those newer than the message answered or indexed since the draft was started.

    Seen: opened by this user in MailDesk (any copy of it in the mailbox), written by them,
    or, in a mailbox nobody else works in, read anywhere (their phone counts).
    """
    env = draft.env
    parent = draft.reply_to_index_id
    if not parent or draft.send_state not in ("draft", "failed"):
        return 0
    parent.check_access("read")
    if not parent.thread_id:
        return 0
    env.flush_all()
    account = parent.account_id
    alone = account.sudo().access_user_ids.ids == [env.uid]  # sudo: only its member list
    env.cr.execute("""
        SELECT count(DISTINCT COALESCE(i.message_id, i.id::text))
          FROM maildesk_message_index i
          JOIN mailbox_folder f ON f.id = i.folder_id
         WHERE i.account_id = %(account)s AND i.thread_id = %(thread)s
           AND i.id != %(parent)s
           AND i.message_id IS DISTINCT FROM %(parent_mid)s
           AND (i.sort_ts > %(parent_ts)s OR i.indexed_at > %(started)s)
           AND f.folder_type NOT IN ('trash', 'spam', 'drafts')
           AND i.deleted_on_server IS NOT TRUE AND i.pending_delete IS NOT TRUE
           AND NOT (%(alone)s AND COALESCE(i.is_read, FALSE))
           AND NOT EXISTS (
                SELECT 1 FROM maildesk_message_opened o
                  JOIN maildesk_message_index j ON j.id = o.index_id
                 WHERE o.user_id = %(uid)s AND j.account_id = i.account_id
                   AND (j.id = i.id OR j.message_id = i.message_id))
           AND NOT EXISTS (
                SELECT 1 FROM maildesk_draft d
                 WHERE d.user_id = %(uid)s AND d.outgoing_message_id = i.message_id)
    """, {"account": account.id, "thread": parent.thread_id, "parent": parent.id,
          "parent_mid": parent.message_id or None, "parent_ts": parent.sort_ts or 0,
          "started": draft.create_date, "alone": alone, "uid": env.uid})
    return env.cr.fetchone()[0]


def needs_confirmation(env, unseen):
    return {"needs_confirmation": "unseen_messages", "unseen": unseen, "message": env._(
        "This conversation has %(count)s message(s) you have not read, newer than the one you "
        "are answering. Read them before sending, or send anyway.", count=unseen)}


# -- remote images --------------------------------------------------------------------------------
def remote_images_default(env):
    """The admin's choice: remote images load for everyone without asking."""
    # sudo: a system setting every reader needs; nothing user-specific is read.
    return env["ir.config_parameter"].sudo().get_param(REMOTE_IMAGES_PARAM) in ("True", "1")


def remote_images_trusted(env, index_id):
    """True when this user loads remote images of this message without asking: the admin
    turned them on for everyone, or the user chose "always" for its sender."""
    if remote_images_default(env):
        return True
    row = env["maildesk.message_index"].search([("id", "=", int(index_id or 0))])
    sender = normalise_address(row.from_addr) if row else ""
    if not sender:
        return False
    env.cr.execute("""SELECT 1 FROM maildesk_remote_image_sender
                       WHERE user_id = %s AND sender = %s""", [env.uid, sender])
    return bool(env.cr.fetchone())


def allow_remote_images_from(env, index_id):
    row = _readable_row(env, index_id)
    sender = normalise_address(row.from_addr)
    if not sender:
        raise UserError(env._("This message has no sender address to trust."))
    env.cr.execute("""
        INSERT INTO maildesk_remote_image_sender (user_id, sender, create_date)
        VALUES (%s, %s, now() AT TIME ZONE 'UTC') ON CONFLICT DO NOTHING
    """, [env.uid, sender])
    return True


OPENED_KEPT_DAYS = 60  # "opened" only matters for mail newer than a reply being written


def forget_old_openings(env):
    """Drop the record of messages opened long ago; how many rows went."""
    env.cr.execute("""DELETE FROM maildesk_message_opened
                       WHERE opened_at < (now() AT TIME ZONE 'UTC') - make_interval(days => %s)""",
                   [OPENED_KEPT_DAYS])
    return env.cr.rowcount
