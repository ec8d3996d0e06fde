"""Gmail provider benchmark: GmailProvider against the Gmail stand-in holding N messages.

The stand-in runs in a process of its own (multiprocessing, spawn): in one process the GIL would
make the service and the client share a core. The provider drives what the sync engine does:

  1. initial sync of the Inbox: list_folders, account_cursor, then messages.list pages (490 ids:
     ten batches of 49 metadata gets) and, for each page, fetch_meta_batches with the engine's
     batch size (500): API calls and quota units per 1,000 messages, msg/s with no quota enforced
  2. resync with nothing changed: account_changes from the cursor taken before the listing
     (goal: one history.list call; the engine lists folders at most every 10 minutes, so that
     call is the whole resync between two folder listings)
  3. with the stand-in enforcing Gmail's 250 units per user per second (429 + Retry-After: 1
     beyond it) and the provider's own QuotaMeter at its default (250 units per 1.1 s): an
     initial sync of QUOTA_MESSAGES Inbox messages. Ceiling = 50 metadata gets a second (5 units
     each); goal >= 80 % of it and no (or a few) 429s.

Run from the repository root (no Odoo needed):
    .venv/bin/python bench/gmail_benchmark.py                         # 20,000 messages
    .venv/bin/python bench/gmail_benchmark.py --messages 5000 --quota-messages 1000 --no-save
Prints the figures and writes them to bench/results/gmail-<date>.txt (unless --no-save).
"""

import argparse
import os
import platform
import time
import warnings
from datetime import date

from standin_process import ROOT, StandInProcess, load_addon_without_odoo, save, trust  # noqa: E402

warnings.filterwarnings("ignore", category=FutureWarning, module="google.api_core")  # Python 3.11 notice
load_addon_without_odoo()

from maildesk_mail_client.infrastructure.providers.gmail import GmailProvider  # noqa: E402
from maildesk_mail_client.infrastructure.providers.gmail_api import (  # noqa: E402
    PER_USER_UNITS_PER_SECOND,
    QUOTA_UNITS,
)
from maildesk_mail_client.infrastructure.providers.http_api import QuotaMeter  # noqa: E402
from maildesk_mail_client.tests.standins import GoogleStandIn  # noqa: E402

ENGINE_BATCH = 500  # sync.BATCH_SIZE: ids the engine hands to fetch_meta_batches at once


# -- the stand-in's process -----------------------------------------------------------------------
def serve(conn, messages):
    standin = GoogleStandIn(messages=messages, units_per_second=None, retry_after=1).start()
    conn.send({
        "base_url": standin.base_url, "ca_file": standin.ca_file, "client_id": standin.client_id,
        "client_secret": standin.client_secret, "owner": standin.owner,
    })
    while True:
        command, argument = conn.recv()
        if command == "limit":  # units per user per second; None: no limit
            standin.throttle.per_second = argument
            with standin.throttle.lock:
                standin.throttle.spent.clear()
            conn.send(True)
        elif command == "grant":
            conn.send(standin.grant())
        elif command == "clear":
            standin.clear_calls()
            conn.send(True)
        elif command == "stats":
            with standin.calls_lock:
                calls = list(standin.calls)
            http = [c for c in calls if not c.batch_part and c.path != "/token"]
            conn.send({
                "http": len(http),
                "batches": sum(1 for c in http if c.path == "/batch/gmail/v1"),
                "lists": sum(1 for c in http if c.path.endswith("/messages")),
                "history": sum(1 for c in http if c.path.endswith("/history")),
                "gets": sum(1 for c in calls if c.batch_part and c.status == 200),
                "throttled": sum(1 for c in calls if c.status == 429),
                "units": standin.units_spent(),
            })
        elif command == "inbox":
            conn.send(sum(1 for m in standin.messages.values()
                          if "INBOX" in m.labels and not {"SPAM", "TRASH"} & m.labels))
        elif command == "stop":
            standin.stop()
            conn.send(True)
            return


def provider(standin, quota):
    info = standin.info
    return GmailProvider(
        info["owner"], None, standin.ask("grant"), 0, info["client_id"], info["client_secret"],
        token_uri=info["base_url"] + "/token", api_endpoint=info["base_url"], quota=quota)


def initial_sync(gmail, limit=None):
    """What the engine does for a label never synced: pages, each page's metadata in batches."""
    folders = {f.path: f for f in gmail.list_folders()}
    cursor = gmail.account_cursor()
    inbox, page_cursor, count = folders["Inbox"], None, 0
    started = time.perf_counter()
    while True:
        page = gmail.folder_changes(inbox, page_cursor)
        ids = page.new_ids[: None if limit is None else max(limit - count, 0)]
        for _batch, metas in gmail.fetch_meta_batches("Inbox", ids, ENGINE_BATCH):
            count += len(metas)
        page_cursor = page.cursor
        if page.done or (limit is not None and count >= limit):
            break
    return count, time.perf_counter() - started, cursor, list(folders.values())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--quota-messages", type=int, default=3000)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    lines = []

    def say(text=""):
        print(text, flush=True)
        lines.append(text)

    say(f"Gmail provider benchmark, {date.today()} on {platform.node()} ({os.cpu_count()} cores), "
        f"Python {platform.python_version()}")
    say(f"stand-in: {args.messages} messages, in a process of its own")
    standin = StandInProcess(serve, args.messages)
    try:
        trust(standin.info["ca_file"])
        inbox_size = standin.ask("inbox")

        # 1. initial sync, no quota
        standin.ask("clear")
        with provider(standin, QuotaMeter()) as gmail:
            count, seconds, cursor, folders = initial_sync(gmail)
            stats = standin.ask("stats")
            say()
            say(f"1. initial sync of the Inbox ({inbox_size} messages), no quota enforced")
            say(f"   messages indexed      {count} in {seconds:.1f} s = {count / seconds:.0f} msg/s")
            per = 1000 / count
            others = stats["http"] - stats["lists"] - stats["batches"]
            say(f"   API calls / 1,000 msg {stats['http'] * per:.1f} "
                f"(messages.list {stats['lists'] * per:.1f}, "
                f"batches {stats['batches'] * per:.1f}, others {others * per:.1f}); "
                f"provider round_trips {gmail.round_trips} (token refresh included)")
            say(f"   quota units / 1,000   {stats['units'] * per:.0f} (provider counted {gmail.quota_units} "
                f"in all, stand-in charged {stats['units']})")
            say(f"   metadata gets         {stats['gets']} ({QUOTA_UNITS['messages.get']} units each)")

            # 2. resync with nothing changed
            standin.ask("clear")
            trips, units = gmail.round_trips, gmail.quota_units
            started = time.perf_counter()
            changes, _next, _done = gmail.account_changes(cursor, folders)
            elapsed = (time.perf_counter() - started) * 1000
            stats = standin.ask("stats")
            changed = sum(len(c.new_ids) + len(c.removed) + len(c.flag_changes) for c in changes.values())
            say()
            say("2. resync with nothing changed (account_changes from the cursor; goal: 1 call)")
            say(f"   API calls             {stats['http']} (history.list {stats['history']}); provider "
                f"round_trips +{gmail.round_trips - trips}, units +{gmail.quota_units - units}; "
                f"{elapsed:.0f} ms; changes reported {changed}")

        # 3. under the quota Gmail enforces
        standin.ask("limit", PER_USER_UNITS_PER_SECOND)
        standin.ask("clear")
        with provider(standin, None) as gmail:  # None: the client's default meter (250 units / 1.1 s)
            count, seconds, _cursor, _folders = initial_sync(gmail, limit=args.quota_messages)
            stats = standin.ask("stats")
        ceiling = PER_USER_UNITS_PER_SECOND / QUOTA_UNITS["messages.get"]
        rate = count / seconds
        say()
        say(f"3. initial sync of {count} Inbox messages with the stand-in enforcing "
            f"{PER_USER_UNITS_PER_SECOND} units/user/s")
        say(f"   messages per second   {rate:.1f} of a ceiling of {ceiling:.0f} = "
            f"{100 * rate / ceiling:.0f} % (goal >= 80 %); {seconds:.1f} s")
        say(f"   429s received         {stats['throttled']} (goal: none or a few)")
        say(f"   API calls             {stats['http']} (messages.list {stats['lists']}, "
            f"batches {stats['batches']})")
    finally:
        standin.stop()
    if not args.no_save:
        out = save("gmail", lines)
        print(f"\nsaved to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
