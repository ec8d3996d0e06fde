"""MailDesk sync benchmark. Runs inside `odoo-bin shell` (see bench/run-benchmarks).

Builds a mailbox of N messages in a private Dovecot, then measures in one run:
  1. the raw fetch rate of the same metadata with imapclient (parsed ENVELOPE) and imaplib
  2. MailDesk's initial sync into Odoo (messages/s), taking turns with (1) for three rounds
     (BENCH_ROUNDS); the bar compares the medians
  3. Odoo's own fetchmail importing a sample of the same messages
  4. a resync with nothing changed (IMAP round trips, ms per folder)
  5. a resync after 100 flag changes made by another client
  6. peak Python memory of a full sync, at two mailbox sizes
Prints the figures and writes them as JSON (BENCH_OUT).
"""
# ruff: noqa: F821  (``env`` comes from odoo shell)
import gc
import imaplib
import json
import os
import random
import shutil
import statistics
import time
import tracemalloc

from imapclient import IMAPClient

from odoo.addons.maildesk_mail_client.application.services import sync
from odoo.addons.maildesk_mail_client.tests.mailservers import PASSWORD, Dovecot

N = int(os.environ.get("BENCH_MESSAGES", "20000"))
SMALL = int(os.environ.get("BENCH_SMALL", "5000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
FETCHMAIL_SAMPLE = int(os.environ.get("BENCH_FETCHMAIL_SAMPLE", "300"))
OUT = os.environ.get("BENCH_OUT", "bench/out/results.json")
ITEMS = ["UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"]
rng = random.Random(7)
WORDS = ("invoice meeting project update report offer order delivery question thanks team "
         "budget review contract schedule support ticket release customer quarterly plan").split()


def make_message(n):
    subject = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 7))).capitalize()
    if n % 10 == 0:
        subject = "=?utf-8?q?R=C3=A9union_" + str(n) + "?="
    body = "\r\n".join(" ".join(rng.choice(WORDS) for _ in range(12)) for _ in range(rng.randint(3, 60)))
    refs = f"References: <m{n - 1}@bench.example>\r\nIn-Reply-To: <m{n - 1}@bench.example>\r\n" \
        if n % 3 == 0 and n else ""
    head = (f"From: Sender {n % 97} <sender{n % 97}@example.org>\r\nTo: team@example.com\r\n"
            f"Cc: cc{n % 13}@example.org\r\nSubject: {subject}\r\nMessage-ID: <m{n}@bench.example>\r\n"
            f"{refs}Date: Mon, {1 + n % 28} Jun 2026 {n % 24:02d}:{n % 60:02d}:00 +0000\r\n"
            f"MIME-Version: 1.0\r\n")
    if n % 5 == 0:
        attachment = "QUJD" * 600
        return (head + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n--b\r\n"
                "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=f.pdf\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n" + attachment + "\r\n--b--\r\n").encode()
    return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n").encode()


def populate(server, user, count, start=0):
    """Write messages straight into the user's maildir (as a delivery agent would)."""
    client = IMAPClient("127.0.0.1", server.imap_port, ssl=False)
    client.login(user, PASSWORD)  # creates the mailbox
    client.logout()
    maildir = os.path.join(server.root, "mail", user, "Maildir")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    cur = os.path.join(maildir, "cur")
    size = 0
    for n in range(start, start + count):
        raw = make_message(n)
        size += len(raw)
        with open(os.path.join(cur, f"{1700000000 + n}.M{n}P1.bench,S={len(raw)}:2,"), "wb") as fh:
            fh.write(raw)
    if os.geteuid() == 0:
        shutil.chown(os.path.join(server.root, "mail", user), "dovecot", "dovecot")
        for root, dirs, files in os.walk(os.path.join(server.root, "mail", user)):
            for name in dirs + files:
                shutil.chown(os.path.join(root, name), "dovecot", "dovecot")
    return size


def connect(server, user):
    client = IMAPClient("127.0.0.1", server.imap_port, ssl=False)
    client.login(user, PASSWORD)
    client._imap.debug = 0
    return client


def rate(count, seconds):
    return round(count / seconds) if seconds else 0


def measure_imapclient(server, user):
    client = connect(server, user)
    client.select_folder("INBOX", readonly=True)
    uids = client.search("ALL")
    start = time.perf_counter()
    for i in range(0, len(uids), 1000):
        client.fetch(uids[i:i + 1000], ITEMS)
    elapsed = time.perf_counter() - start
    client.logout()
    return rate(len(uids), elapsed)


def measure_imaplib(server, user):
    imap = imaplib.IMAP4("127.0.0.1", server.imap_port)
    imap.login(user, PASSWORD)
    imap.select("INBOX", readonly=True)
    start = time.perf_counter()
    _typ, data = imap.uid("FETCH", "1:*", "(" + " ".join(ITEMS) + ")")
    elapsed = time.perf_counter() - start
    imap.logout()
    return rate(len([d for d in data if isinstance(d, bytes | tuple)]), elapsed)


def new_account(server, user, name):
    account = env["mailbox.account"].create({
        "name": name, "email": f"{user}.{name.replace(' ', '-')}@bench.example",
        "imap_host": "127.0.0.1",
        "imap_port": server.imap_port, "imap_security": "none", "imap_login": user,
        "password": PASSWORD,
    })
    env.cr.commit()
    return account


def timed_sync(account):
    gc.collect()
    start = time.perf_counter()
    result = sync.sync_account(env, account.id, time_budget=3600)
    elapsed = time.perf_counter() - start
    env.cr.commit()  # end this snapshot: see what the sync committed on its own cursor
    env.invalidate_all()
    return result, elapsed


def measure_fetchmail(server, user, sample):
    """Odoo's fetchmail on a mailbox holding ``sample`` of the same messages."""
    fm_user = server.new_user("fetchmail")
    client = connect(server, user)
    client.select_folder("INBOX", readonly=True)
    uids = client.search("ALL")[:sample]
    other = connect(server, fm_user)
    for data in client.fetch(uids, ["BODY.PEEK[]"]).values():
        other.append("INBOX", data[b"BODY[]"])
    client.logout()
    other.logout()
    model = env["ir.model"]._get("res.partner")
    fetchmail = env["fetchmail.server"].create({
        "name": "bench", "server": "127.0.0.1", "port": server.imap_port, "server_type": "imap",
        "is_ssl": False, "user": fm_user, "password": PASSWORD, "object_id": model.id,
        "state": "done"})
    env.cr.commit()
    start = time.perf_counter()
    while True:
        fetchmail._fetch_mail(batch_limit=50)
        check = connect(server, fm_user)
        check.select_folder("INBOX", readonly=True)
        left = len(check.search("UNSEEN"))
        check.logout()
        if not left or time.perf_counter() - start > 600:
            break
    elapsed = time.perf_counter() - start
    fetchmail.unlink()
    env.cr.commit()
    return rate(sample, elapsed), round(elapsed, 2)


def peak_memory(server, count):
    user = server.new_user("mem")
    populate(server, user, count, start=100000)
    account = new_account(server, user, f"memory {count}")
    gc.collect()
    tracemalloc.start()
    sync.sync_account(env, account.id, time_budget=3600)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    env.invalidate_all()
    return round(peak / 2**20, 1)


def main():
    results = {"messages": N}
    server = Dovecot().start()
    try:
        user = server.new_user("bench")
        results["mailbox_mb"] = round(populate(server, user, N) / 2**20, 1)
        os.sync()  # the new maildir reaches the disk now, not during the measurements
        time.sleep(2)
        # warm Dovecot's index once, as a mailbox in use would be
        warm = connect(server, user)
        warm.select_folder("INBOX", readonly=True)
        warm.fetch([1], ["UID"])
        warm.logout()
        # imapclient and MailDesk take turns, three rounds, so that the machine's ups and
        # downs fall on both. Round 1 is cold for both: Dovecot computes envelopes for
        # imapclient, previews for MailDesk. Each MailDesk round is a new account (an initial
        # sync) on the same mailbox.
        rounds_imapclient, rounds_sync = [], []
        for round_no in range(1, ROUNDS + 1):
            rounds_imapclient.append(measure_imapclient(server, user))
            account = new_account(server, user, f"bench {round_no}")
            result, elapsed = timed_sync(account)
            count = env["maildesk.message_index"].search_count([("account_id", "=", account.id)])
            rounds_sync.append(rate(count, elapsed))
            if round_no == 1:
                results.update(initial_sync_seconds=round(elapsed, 2), initial_sync_indexed=count,
                               initial_sync_status=result["status"])
                folders, first_account = result["folders"], account
        account = first_account
        results.update(imapclient_envelope_msg_s_rounds=rounds_imapclient,
                       initial_sync_msg_s_rounds=rounds_sync,
                       imapclient_envelope_msg_s=statistics.median(rounds_imapclient),
                       initial_sync_msg_s=statistics.median(rounds_sync),
                       imaplib_envelope_unparsed_msg_s=measure_imaplib(server, user))

        result, elapsed = timed_sync(account)
        results.update(nochange_round_trips=result["round_trips"], folders=folders,
                       nochange_round_trips_per_folder=round(result["round_trips"] / folders, 2),
                       nochange_ms_total=round(elapsed * 1000, 1),
                       nochange_ms_per_folder=round(elapsed * 1000 / folders, 1))

        inbox = env["mailbox.folder"].search([("account_id", "=", account.id),
                                              ("folder_type", "=", "inbox")])
        Sync = env["mailbox.sync"]
        for label, kwargs in (("page", {}), ("search_subject", {"search": "quarterly budget"}),
                              ("search_sender", {"search": "sender42@"}),
                              ("search_preview", {"search": "delivery release"}),
                              ("filter_unread_from", {"filters": {"unread": True, "from": "sender7"}})):
            timings = []
            for _attempt in range(5):
                start = time.perf_counter()
                page = Sync.message_search_load(folder_id=inbox.id, limit=40, **kwargs)
                timings.append((time.perf_counter() - start) * 1000)
            results[f"list_{label}_ms"] = round(sorted(timings)[2], 1)
            results[f"list_{label}_total"] = page["total"]

        other = connect(server, user)
        other.select_folder("INBOX")
        changed = rng.sample(range(1, N + 1), 100)
        other.add_flags(changed, [b"\\Flagged"])
        other.logout()
        result, elapsed = timed_sync(account)
        starred = env["maildesk.message_index"].search_count(
            [("account_id", "=", account.id), ("is_starred", "=", True)])
        results.update(flags100_ms=round(elapsed * 1000, 1), flags100_round_trips=result["round_trips"],
                       flags100_updated=result["updated"], flags100_starred_in_index=starred)

        fetch_rate, fetch_seconds = measure_fetchmail(server, user, FETCHMAIL_SAMPLE)
        results.update(fetchmail_sample=FETCHMAIL_SAMPLE, fetchmail_msg_s=fetch_rate,
                       fetchmail_seconds=fetch_seconds)

        results[f"peak_mb_{SMALL}"] = peak_memory(server, SMALL)
        results[f"peak_mb_{N}"] = peak_memory(server, N)
    finally:
        server.stop()
    sync_rate = results["initial_sync_msg_s"]
    results["bar_sync_vs_imapclient"] = sync_rate >= results["imapclient_envelope_msg_s"]
    results["bar_sync_vs_fetchmail_20x"] = sync_rate >= 20 * max(results["fetchmail_msg_s"], 1)
    results["bar_nochange_3_rt_per_folder"] = results["nochange_round_trips_per_folder"] <= 3
    os.makedirs(os.path.dirname(OUT) or ".", exist_ok=True)
    with open(OUT, "w") as fh:
        json.dump(results, fh, indent=2)
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key:<{width}}  {value}")


main()
