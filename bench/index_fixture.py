"""A big message index, written fast (SQL COPY), for the inbox benchmarks.

    sys.path.insert(0, "bench"); import index_fixture   # bench/ is not a package
    info = index_fixture.fill(env, messages=200_000)     # env: superuser env of the database
    env.cr.commit(); index_fixture.vacuum(env.cr.dbname)

``fill`` makes three mailboxes (Support: shared, the biggest; Sales: shared; Billing: one the
benchmark user is not on), 46 folders (the user's two mailboxes have 40), a Mailbox User who is
on Support and Sales, and ``messages`` index rows with realistic subjects, addresses, previews,
conversations (about a third of the mail are replies), attachments, stars and a few percent
unread (more among the newest). It returns ids and the login:

    {"accounts": {"support": id, "sales": id, "billing": id},
     "folders": {"support": [ids], ...}, "inboxes": {"support": id, ...},
     "login": ..., "password": ..., "user_id": id, "messages": n}

Rows of a folder get uids 1, 2, ... oldest first, so the oldest rows of a folder can be made
real by delivering that many messages to a server folder (the benchmark does it for opening).
"""
import io
import random
from datetime import datetime, timezone

LOGIN = PASSWORD = "bench_inbox_user"
# share of the messages per mailbox, and the folders of each (inbox first)
MAILBOXES = {
    "support": (0.70, ["INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"]
                + [f"Clients/Client {n:02d}" for n in range(1, 19)]),
    "sales": (0.20, ["INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"]
              + [f"Leads/{r}" for r in ("North", "South", "East", "West", "Partners")]
              + [f"Deals/{y}" for y in range(2021, 2026)]),
    "billing": (0.10, ["INBOX", "Sent", "Drafts", "Trash", "Archive", "Invoices"]),
}
INBOX_SHARE = 0.8  # of a mailbox's messages; the rest spread over its other folders
SPECIAL = {"INBOX": "inbox", "Sent": "sent", "Drafts": "drafts", "Trash": "trash", "Junk": "spam",
           "Archive": "archive"}
FIRST_NAMES = ("Anna Ben Carla David Emma Felix Grace Hugo Ines Jonas Kira Leon Maria Noah Olga "
               "Paul Rosa Sami Tara Uwe Vera Wim Yara Zoe Jürgen Zoë Ørjan François").split()
LAST_NAMES = ("Meyer Schmidt Novak Rossi García Dubois Jensen Kowalski Silva Smith Tanaka Müller "
              "Okafor Larsen Ivanova Costa Brown Weber Nguyen Haddad").split()
COMPANIES = ("acme globex initech umbrella stark wayne hooli vandelay soylent tyrell cyberdyne "
             "wonka gringotts oscorp aperture").split()
TLDS = ("com", "de", "fr", "co.uk", "io", "org", "nl")
TOPICS = ("invoice payment order delivery contract offer meeting report budget release ticket "
          "password account refund shipment renewal quote appointment webinar newsletter "
          "survey roadmap onboarding audit migration").split()
SUBJECTS = (
    "Invoice {n} from {Company}", "Your order #{n} has shipped", "Meeting on {day} about the {topic}",
    "Question about my {topic}", "{Company}: {topic} update", "Quarterly {topic} review",
    "Reminder: {topic} due {day}", "[Ticket #{n}] Problem with {topic}", "Offer for {Company}",
    "Welcome to {Company}", "Your {topic} request", "Fwd: {topic} documents",
    "Urgent: {topic} needs approval", "Weekly {topic} digest", "Thanks for the {topic}",
)
DAYS = "Monday Tuesday Wednesday Thursday Friday".split()
WORDS = ("please find attached the latest version we discussed regarding your request could "
         "you confirm whether the numbers are correct before friday thanks again best regards "
         "let me know if anything is missing the team will follow up shortly").split()
START = int(datetime(2019, 1, 1, tzinfo=timezone.utc).timestamp())
END = int(datetime(2026, 11, 30, tzinfo=timezone.utc).timestamp())
COLUMNS = ("account_id", "provider", "folder_id", "uid", "message_id", "from_addr",
           "sender_display_name", "to_addrs", "cc_addrs", "subject", "date", "preview",
           "search_text", "size", "has_attachments", "is_read", "is_starred", "thread_id",
           "in_reply_to", "sort_ts", "deleted_on_server", "pending_delete", "indexed_at",
           "create_uid", "write_uid", "create_date", "write_date")


def _person(rng):
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    domain = f"{rng.choice(COMPANIES)}.{rng.choice(TLDS)}"
    email = f"{first.lower()}.{last.lower()}@{domain}".encode("ascii", "ignore").decode()
    return f"{first} {last}", email


def _subject(rng, n):
    return rng.choice(SUBJECTS).format(n=n, Company=rng.choice(COMPANIES).capitalize(),
                                       day=rng.choice(DAYS), topic=rng.choice(TOPICS))


def _escape(value):
    """A value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ").replace("\r", " ")


def _setup(env):
    Users = env["res.users"].with_context(no_reset_password=True)
    user = Users.search([("login", "=", LOGIN)])
    if not user:
        user = Users.create({
            "name": "Bench Inbox User", "login": LOGIN, "password": PASSWORD,
            "email": "bench.user@example.com",
            "group_ids": [(6, 0, [env.ref("base.group_user").id,
                                  env.ref("maildesk_mail_client.group_mailbox_user").id])]})
    accounts, folders, inboxes = {}, {}, {}
    for key, (_share, paths) in MAILBOXES.items():
        account = env["mailbox.account"].create({
            "name": f"Bench {key.capitalize()}", "email": f"{key}@bench.example",
            "is_shared": key != "billing", "imap_host": "127.0.0.1",
            "owner_id": user.id if key != "billing" else env.uid,
            "access_user_ids": [(6, 0, [user.id] if key != "billing" else [])]})
        accounts[key] = account.id
        made = []
        by_path = {}
        for path in paths:
            parent = by_path.get(path.rsplit("/", 1)[0]) if "/" in path else None
            folder = env["mailbox.folder"].create({
                "account_id": account.id, "name": path.rsplit("/", 1)[-1], "imap_name": path,
                "delimiter": "/", "folder_type": SPECIAL.get(path, "other"),
                "parent_id": parent.id if parent else False, "sync_state": "incremental",
                "uid_validity": "1"})
            by_path[path] = folder
            made.append(folder.id)
        folders[key], inboxes[key] = made, made[0]
    return user, accounts, folders, inboxes


def fill(env, messages=200_000, seed=7):
    """Fill the database of ``env`` (superuser) with the benchmark's index; see the module
    docstring for what it returns. Call once per database."""
    rng = random.Random(seed)
    user, accounts, folders, inboxes = _setup(env)
    env.flush_all()
    now = datetime.now(timezone.utc).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S")
    buffer = io.StringIO()
    n_global = 0
    for key, (share, _paths) in MAILBOXES.items():
        count = int(messages * share)
        account_id = accounts[key]
        inbox = inboxes[key]
        others = folders[key][1:]
        plan = []  # (folder id, sort_ts) oldest first
        for _ in range(count):
            folder_id = inbox if rng.random() < INBOX_SHARE else rng.choice(others)
            plan.append((folder_id, rng.randint(START, END)))
        plan.sort(key=lambda p: p[1])
        next_uid = {}
        open_threads = []  # recent thread ids, for replies
        newest = {f: 0 for f in folders[key]}
        for folder_id, _ts in plan:
            newest[folder_id] += 1
        seen_in_folder = {f: 0 for f in folders[key]}
        for folder_id, sort_ts in plan:
            n_global += 1
            uid = next_uid[folder_id] = next_uid.get(folder_id, 0) + 1
            seen_in_folder[folder_id] += 1
            name, email = _person(rng)
            if open_threads and rng.random() < 0.35:
                thread, subject = rng.choice(open_threads)
                subject = subject if subject.startswith("Re: ") else f"Re: {subject}"
                in_reply_to = thread
            else:
                subject = _subject(rng, rng.randint(1000, 99999))
                thread = f"<b{n_global}@bench.example>"
                in_reply_to = None
                open_threads.append((thread, subject))
                if len(open_threads) > 300:
                    open_threads.pop(0)
            to_addrs = f"{key}@bench.example"
            cc_addrs = _person(rng)[1] if rng.random() < 0.2 else None
            recent = newest[folder_id] - seen_in_folder[folder_id] < 300
            is_read = rng.random() < (0.6 if recent else 0.98)
            preview = " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 30)))
            search_text = " ".join(filter(None, (subject, name, email, to_addrs, cc_addrs))).lower()
            date = datetime.fromtimestamp(sort_ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
            row = (account_id, "imap", folder_id, uid, f"<m{n_global}@bench.example>", email,
                   name, to_addrs, cc_addrs, subject, date, preview, search_text,
                   rng.randint(2_000, 400_000), rng.random() < 0.15, is_read,
                   rng.random() < 0.03, thread, in_reply_to, sort_ts, False, False, now,
                   env.uid, env.uid, now, now)
            buffer.write("\t".join(_escape(v) for v in row) + "\n")
    buffer.seek(0)
    env.cr._obj.copy_expert(
        f"COPY maildesk_message_index ({', '.join(COLUMNS)}) FROM STDIN", buffer)
    env.invalidate_all()
    return {"accounts": accounts, "folders": folders, "inboxes": inboxes, "login": LOGIN,
            "password": PASSWORD, "user_id": user.id, "messages": n_global}


def vacuum(dbname):
    """VACUUM ANALYZE the index after a bulk load (after the fill is committed): fresh
    statistics for the planner and a visibility map, as autovacuum leaves them on a live
    database, so index-only scans read no table pages."""
    import odoo.sql_db  # noqa: PLC0415 (bench scripts run inside Odoo)
    connection = odoo.sql_db.db_connect(dbname)
    with connection.cursor() as cr:
        cr._cnx.autocommit = True
        cr.execute("VACUUM ANALYZE maildesk_message_index")
        cr.execute("ANALYZE mailbox_folder")
        cr.execute("ANALYZE mailbox_account")
