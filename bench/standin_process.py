"""What the Gmail and Graph benchmarks share: the addon loaded without Odoo, and a stand-in
served from a process of its own (in one process the GIL would make the service and the client
share a core), driven through a pipe by commands the benchmark's ``serve`` function answers."""
import multiprocessing
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_addon_without_odoo():
    """The addon as a bare package: its infrastructure and stand-ins import, its models do not."""
    for name, path in (("maildesk_mail_client", ROOT / "maildesk_mail_client"),
                       ("maildesk_mail_client.tests", ROOT / "maildesk_mail_client" / "tests")):
        sys.modules.setdefault(name, types.ModuleType(name)).__path__ = [str(path)]


class StandInProcess:
    """``serve(conn, *args)`` runs in the child: it sends the stand-in's details once, then
    answers ``(command, argument)`` messages until "stop"."""

    def __init__(self, serve, *args):
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=serve, args=(child, *args), daemon=True)
        self.process.start()
        self.info = self.conn.recv()

    def ask(self, command, argument=None):
        self.conn.send((command, argument))
        return self.conn.recv()

    def stop(self):
        self.ask("stop")
        self.process.join(10)


def trust(ca_file):
    """This process trusts the stand-in process's CA (as ca_environment does in tests)."""
    from maildesk_mail_client.tests.standins.tls import trust_everywhere  # noqa: PLC0415

    trust_everywhere(ca_file)


def save(name, lines):
    """Write the printed figures to bench/results/<name>-<date>.txt; return the path."""
    from datetime import date  # noqa: PLC0415

    out = ROOT / "bench" / "results" / f"{name}-{date.today()}.txt"
    out.write_text("\n".join(lines) + "\n")
    return out
