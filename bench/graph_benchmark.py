"""Microsoft Graph provider benchmark: GraphProvider against the Graph stand-in holding N messages.

The stand-in runs in a process of its own (multiprocessing, spawn): in one process the GIL would
make the service and the client share a core. The provider drives what the sync engine does:

  1. initial sync: list_folders, then every folder listed through its delta pages until the
     delta link (the Inbox holds about 77 % of the mailbox): API calls per 1,000 messages, msg/s
  2. resync with nothing changed: list_folders + one folder_changes per folder (goal: one delta
     call per folder)
  3. with the stand-in enforcing Exchange's per-mailbox limits, scaled to a test: at most 4
     requests in flight and RATE requests in any second (429 + Retry-After: 1 beyond either):
     a bulk read/unread change of FLAGS messages (one PATCH each, 4 in flight) and fetch_meta of
     as many (one GET each), with the provider's request meter set to RATE per 1.1 s, and once
     without a meter for comparison. Ceiling = RATE messages/s (one request per message);
     goal: >= 80 % of it and no (or a few) 429s. The listing is timed under the limits too.
  4. as 3 with every call taking LATENCY (0.1 s, about a real service's answer time), so the
     limit of 4 in flight binds as well: ceiling min(RATE, 4 / LATENCY) messages/s.

Run from the repository root (no Odoo needed):
    .venv/bin/python bench/graph_benchmark.py                     # 20,000 messages, RATE 50
    .venv/bin/python bench/graph_benchmark.py --messages 5000 --rate 20 --flags 500 --no-save
Prints the figures and writes them to bench/results/graph-<date>.txt (unless --no-save).
"""

import argparse
import os
import platform
import shutil
import time
from datetime import date

from standin_process import ROOT, StandInProcess, load_addon_without_odoo, save  # noqa: E402

load_addon_without_odoo()

from maildesk_mail_client.infrastructure.providers.graph import GraphProvider  # noqa: E402
from maildesk_mail_client.infrastructure.providers.http_api import QuotaMeter  # noqa: E402
from maildesk_mail_client.tests.standins import MicrosoftStandIn  # noqa: E402


# -- the stand-in's process -----------------------------------------------------------------------
def serve(conn, messages):
    standin = MicrosoftStandIn(messages=messages, concurrency=None, retry_after=1).start()
    mailbox = standin.mailbox()  # Exchange's own folders, which the provider leaves out
    mailbox.add_folder("Conversation History", well_known="conversationhistory")
    mailbox.add_folder("Conflicts", mailbox.add_folder("Sync Issues", well_known="syncissues"))
    conn.send(
        {
            "base_url": standin.base_url,
            "ca_file": standin.ca_file,
            "client_id": standin.client_id,
            "client_secret": standin.client_secret,
            "owner": standin.owner,
            "refresh": standin.grant(),
        }
    )
    while True:
        command, argument = conn.recv()
        if command == "limits":  # (in flight, per second); None: no limit
            standin.throttle.in_flight_cap, standin.throttle.per_second = argument
            conn.send(True)
        elif command == "latency":
            standin.latency = argument
            conn.send(True)
        elif command == "clear":
            standin.clear_calls()
            with standin.throttle.lock:
                standin.throttle.peak_in_flight.clear()
            conn.send(True)
        elif command == "stats":
            calls = standin.graph_calls()
            conn.send(
                {
                    "calls": len(calls),
                    "delta": sum(1 for c in calls if c.path.endswith("/messages/delta")),
                    "throttled": sum(1 for c in calls if c.status == 429),
                    "peak_in_flight": standin.peak_in_flight(),
                }
            )
        elif command == "inbox_ids":
            conn.send(sorted(standin.folder_message_ids("inbox")))
        elif command == "stop":
            standin.stop()
            shutil.rmtree(os.path.dirname(standin.ca_file), ignore_errors=True)
            conn.send(True)
            return


# -- the client side --------------------------------------------------------------------------------
def provider(info, meter=None):
    return GraphProvider(
        info["owner"],
        info["refresh"],
        info["client_id"],
        info["client_secret"],
        authority_host=info["base_url"],
        base_url=info["base_url"] + "/v1.0",
        meter=meter if meter is not None else QuotaMeter(None),
        on_tokens=lambda access, refresh, expires: info.update(refresh=refresh),
    )


def list_everything(session):
    """The engine's first sync: every folder, page after page; {remote id: cursor}, messages."""
    cursors, listed = {}, 0
    for folder in session.list_folders():
        cursor = None
        while True:
            page = session.folder_changes(folder, cursor)
            listed += len(page.metas)
            cursor = page.cursor
            if page.done:
                break
        cursors[folder.remote_id] = (folder, cursor)
    return cursors, listed


def timed(service, work):
    """``work()`` from a clean record of calls: (its result, seconds, the stand-in's stats)."""
    service.ask("clear")
    started = time.monotonic()
    result = work()
    elapsed = time.monotonic() - started
    return result, elapsed, service.ask("stats")


def throughput(what, count, elapsed, stats, ceiling):
    rate = count / elapsed
    return (f"   {what} of {count}: {elapsed:.1f} s, {rate:.1f} msg/s = {100 * rate / ceiling:.0f} % of "
            f"the ceiling; {stats['throttled']} x 429 in {stats['calls']} calls; "
            f"peak {stats['peak_in_flight']} in flight")


def listing(listed, elapsed, stats):
    return (f"{listed} messages, {elapsed:.2f} s, {listed / elapsed:,.0f} msg/s; "
            f"{stats['throttled']} x 429 in {stats['calls']} calls")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--rate", type=int, default=50, help="requests per second the stand-in allows")
    parser.add_argument("--flags", type=int, default=1000, help="messages in the bulk change")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds a call takes in part 4")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    lines = []

    def say(text=""):
        print(text, flush=True)
        lines.append(text)

    started = time.monotonic()
    service = StandInProcess(serve, args.messages)
    info = service.info
    os.environ["REQUESTS_CA_BUNDLE"] = os.environ["SSL_CERT_FILE"] = info["ca_file"]
    say(f"Graph provider benchmark, {date.today()}, {platform.node()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs; stand-in with {args.messages} messages in its own process "
        f"(ready in {time.monotonic() - started:.1f} s)")
    try:
        # 1. initial sync, no limits
        service.ask("limits", (None, None))
        with provider(info) as session:
            session.tokens.access_token()  # sign-in first: it is not a Graph call
            (cursors, listed), elapsed, stats = timed(service, lambda: list_everything(session))
            say()
            say("1. Initial sync (list_folders + every folder through its delta pages, no limits)")
            say(f"   {len(cursors)} folders, " + listing(listed, elapsed, stats))
            say(f"   API calls: {stats['calls']} ({stats['delta']} delta, {stats['calls'] - stats['delta']} "
                f"folder list / well-known), {1000 * stats['calls'] / listed:.2f} per 1,000 messages "
                f"({1000 * stats['delta'] / listed:.2f} delta calls per 1,000)")

            # 2. resync with nothing changed
            folders, _, stats = timed(service, session.list_folders)

            def resync():
                for folder in folders:
                    page = session.folder_changes(folder, cursors[folder.remote_id][1])
                    assert page.done and not page.metas and not page.removed

            _, elapsed, delta_stats = timed(service, resync)
            say()
            say("2. Resync with nothing changed")
            say(f"   {delta_stats['delta']} delta calls for {len(folders)} folders "
                f"({delta_stats['delta'] / len(folders):.2f} per folder; goal 1) in {1000 * elapsed:.0f} ms, "
                f"plus {stats['calls']} calls for the folder list (its pages; the well-known folders' ids "
                f"are known from the first sync)")

            inbox_ids = service.ask("inbox_ids")[: args.flags]
            _, elapsed, stats = timed(service, lambda: session.set_flags("Inbox", inbox_ids, seen=False))
            say(f"   (set_flags of {len(inbox_ids)} without limits: {len(inbox_ids) / elapsed:.0f} msg/s, "
                f"peak {stats['peak_in_flight']} in flight: answers return before the next call is ready)")
            session.set_flags("Inbox", inbox_ids, seen=True)

        # 3. under the per-mailbox limits
        service.ask("limits", (4, args.rate))
        say()
        say(f"3. Under the stand-in's limits: 4 in flight and {args.rate} requests per second "
            f"(429 + Retry-After: 1 beyond either); ceiling {args.rate} messages/s for one request "
            f"per message")
        for label, meter in (
            (f"meter {args.rate} per 1.1 s", QuotaMeter(args.rate)),
            ("no meter (for comparison)", QuotaMeter(None)),
        ):
            with provider(info, meter) as session:
                session.tokens.access_token()
                session.list_folders()
                for what, run in (
                    ("set_flags (PATCH)", lambda s=session: s.set_flags("Inbox", inbox_ids, seen=False)),
                    ("fetch_meta (GET)", lambda s=session: list(s.fetch_meta("Inbox", inbox_ids))),
                ):
                    time.sleep(1.1)  # the service's window forgets the calls before
                    _, elapsed, stats = timed(service, run)
                    say(throughput(f"{label}, {what}", len(inbox_ids), elapsed, stats, args.rate))
                session.set_flags("Inbox", inbox_ids, seen=True)  # back, not timed
        with provider(info, QuotaMeter(args.rate)) as session:
            session.tokens.access_token()
            time.sleep(1.1)
            (_, listed), elapsed, stats = timed(service, lambda: list_everything(session))
            say(f"   initial sync (meter {args.rate} per 1.1 s): " + listing(listed, elapsed, stats))

        # 4. the same limits with a real service's answer time: 4 in flight now binds too
        service.ask("latency", args.latency)
        ceiling = min(args.rate, 4 / args.latency)
        say()
        say(f"4. As 3, each call taking {1000 * args.latency:.0f} ms: ceiling min({args.rate}, "
            f"4 / {args.latency}) = {ceiling:.0f} messages/s")
        with provider(info, QuotaMeter(args.rate)) as session:
            session.tokens.access_token()
            session.list_folders()
            time.sleep(1.1)
            for seen in (False, True):
                change = lambda v=seen: session.set_flags("Inbox", inbox_ids, seen=v)  # noqa: E731
                _, elapsed, stats = timed(service, change)
                say(throughput("set_flags (PATCH)", len(inbox_ids), elapsed, stats, ceiling))
            (_, listed), elapsed, stats = timed(service, lambda: list_everything(session))
            say("   initial sync: " + listing(listed, elapsed, stats))
    finally:
        service.stop()
    if not args.no_save:
        out = save("graph", lines)
        print(f"\nsaved to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
