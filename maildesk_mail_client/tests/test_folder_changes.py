"""Folders renamed, deleted or renumbered on the server: what users did to their mail stays."""
import json
import time

from odoo.tests import tagged

from ..application.services import folder_mirror
from ..infrastructure.providers.base import RemoteFolder
from .common_imap import ImapCase, rfc822


@tagged("post_install", "-at_install", "maildesk_sync")
class TestFolderChanges(ImapCase):

    def setUp(self):
        super().setUp()
        self.Sync = self.env["mailbox.sync"].with_user(self.member)

    def fill(self, path, *names):
        for name in names:
            self.other.append(path, rfc822(name, message_id=f"<{name}@x>"))

    def row(self, name, path=None):
        domain = [("account_id", "=", self.account.id), ("message_id", "=", f"<{name}@x>")]
        if path:
            domain.append(("folder_id.imap_name", "=", path))
        return self.env["maildesk.message_index"].search(domain)

    def state(self, row):
        return self.env["maildesk.email_state"].search([("index_id", "=", row.id)])

    def server_subjects(self, path):
        self.other.select_folder(path, readonly=True)
        fetched = self.other.fetch(self.other.search("ALL"), ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
        return sorted(v[b"BODY[HEADER.FIELDS (SUBJECT)]"].decode().split(":", 1)[1].strip()
                      for v in fetched.values())

    def server_uid(self, path, name):
        self.other.select_folder(path, readonly=True)
        return self.other.search(["HEADER", "Message-ID", f"<{name}@x>"])[0]

    def notes(self, partner):
        return self.env["mail.message"].search([
            ("model", "=", "mailbox.account"), ("res_id", "=", self.account.id),
            ("partner_ids", "in", partner.ids)]).mapped("body")

    # -- renames ---------------------------------------------------------------------------------
    def test_a_renamed_folder_keeps_its_messages_tags_pending_changes_and_settings(self):
        self.other.create_folder("INBOX/Projects")
        self.fill("INBOX/Projects", "tagged", "starred", "moved")
        self.fill("INBOX", "incoming")
        self.sync()
        projects = self.folder_at("INBOX/Projects")
        projects.is_visible = False  # a setting of the folder
        tag = self.make_tag()
        tagged_row, starred, moved, incoming = (self.row(n) for n in ("tagged", "starred", "moved",
                                                                       "incoming"))
        tagged_row.tag_ids = tag
        archive = self.folder("archive")
        # The server is out of reach while the user works: the changes wait as intents.
        self.account.imap_port = 1
        self.Sync.set_flags(starred.ids, is_starred=True)
        self.Sync.move_messages(moved.ids, archive.id)
        self.Sync.move_messages(incoming.ids, projects.id)  # into the folder about to be renamed
        self.env.flush_all()
        self.assertEqual(self.sync()["status"], "error")
        self.account.imap_port = self.dovecot.imap_port
        self.account.backoff_until = False
        self.assertEqual((self.state(starred).star_intent, self.state(moved).place_intent),
                         ("starred", "move"))
        ids = (tagged_row | starred).ids

        self.other.rename_folder("INBOX/Projects", "INBOX/Clients")
        self.assertEqual(self.sync()["status"], "ok")

        clients = self.folder_at("INBOX/Clients")
        self.assertEqual(clients, projects, "the same folder record, under its new path")
        self.assertFalse(self.folder_at("INBOX/Projects"))
        self.assertEqual((clients.name, clients.is_visible), ("Clients", False))
        self.assertEqual(self.row("tagged").ids + self.row("starred").ids, ids, "the same rows")
        self.assertEqual(self.row("tagged").tag_ids, tag)
        # The pending changes reached the server, under the folder's new name.
        self.assertIn(b"\\Flagged", self.server_flags("INBOX/Clients", self.row("starred").uid))
        self.assertEqual(self.server_subjects("INBOX/Clients"), ["incoming", "starred", "tagged"])
        self.assertIn("moved", self.server_subjects("Archive"))
        self.assertFalse(self.env["maildesk.email_state"].search(
            [("account_id", "=", self.account.id)]), "every intent applied, none refused")

    def test_a_renamed_parent_takes_its_children_along(self):
        self.other.create_folder("INBOX/Projects")
        self.other.create_folder("INBOX/Projects/2026")
        self.fill("INBOX/Projects/2026", "plan")
        self.sync()
        parent, child = self.folder_at("INBOX/Projects"), self.folder_at("INBOX/Projects/2026")
        tag = self.make_tag()
        self.row("plan").tag_ids = tag
        row = self.row("plan")

        self.other.rename_folder("INBOX/Projects", "INBOX/Clients")
        self.sync()

        self.assertEqual(self.folder_at("INBOX/Clients"), parent)
        self.assertEqual(self.folder_at("INBOX/Clients/2026"), child)
        self.assertEqual(child.parent_id, parent)
        self.assertEqual(self.row("plan"), row)
        self.assertEqual(row.tag_ids, tag)
        self.assertEqual(row.folder_id, child)

    def test_renames_are_matched_by_uidvalidity_then_by_content_only_when_unambiguous(self):
        def Remote(path, uidvalidity=None, messages=None, uidnext=None):  # noqa: N802
            return RemoteFolder(path=path, name=path, delimiter="/", folder_type="other",
                                uidvalidity=uidvalidity, messages=messages, uidnext=uidnext)

        Folder = self.env["mailbox.folder"]

        def folder(path, validity=False, total=0, uidnext=0):
            return Folder.create({"account_id": self.account.id, "name": path, "imap_name": path,
                                  "delimiter": "/", "uid_validity": validity,
                                  "total_count": total, "last_uidnext": uidnext})

        a, b, c, d = (folder("A", "11", 3, 4), folder("B", "12", 3, 4), folder("C", False, 5, 9),
                      folder("D", False, 2, 3))
        e, f = folder("E", False, 7, 8), folder("F", False, 7, 8)
        existing = {x.imap_name: x for x in (a, b, c, d, e, f)}
        listed = {r.path: r for r in (
            Remote("A2", 11, 3, 4), Remote("B2", 99, 3, 4),  # B's UIDVALIDITY differs: new
            Remote("C2", 20, 5, 9),                          # C never had one: same content
            Remote("D2", None, 2, 3), Remote("D3", None, 2, 3),  # two candidates: none
            Remote("E2", None, 7, 8))}                       # E and F alike: none
        matches = {old: item.path for old, item in folder_mirror._renames(existing, listed).items()}
        self.assertEqual(matches, {"A": "A2", "C": "C2"})
        # The hierarchy: a parent without a status follows its children; children whose
        # UIDVALIDITY is not unique follow their parent.
        p, px = folder("P"), folder("P/x", "31")
        m, mk, mj = folder("M", "60"), folder("M/k", "61"), folder("M/j", "61")
        existing = {x.imap_name: x for x in (p, px, m, mk, mj)}
        listed = {r.path: r for r in (Remote("Q"), Remote("Q/x", 31), Remote("N", 60),
                                      Remote("N/k", 61), Remote("N/j", 61))}
        matches = {old: item.path for old, item in folder_mirror._renames(existing, listed).items()}
        self.assertEqual(matches, {"P": "Q", "P/x": "Q/x", "M": "N", "M/k": "N/k", "M/j": "N/j"})
        # A server that gives every folder the same UIDVALIDITY: it proves nothing.
        x, y = folder("X", "1"), folder("Y", "1")
        listed = {r.path: r for r in (Remote("Y", 1), Remote("Z", 1))}
        self.assertEqual(folder_mirror._renames({"X": x, "Y": y}, listed), {})

    # -- deletions and resets ----------------------------------------------------------------
    def test_a_folder_deleted_and_filled_again_in_a_later_run_gets_its_tags_back(self):
        self.other.create_folder("Clients")
        self.fill("Clients", "one", "two")
        self.other.append("Clients", b"From: a@example.org\r\nSubject: no id\r\n\r\nHi.\r\n")
        self.sync()
        tag = self.make_tag()
        clients = self.folder_at("Clients")
        rows = self.env["maildesk.message_index"].search([("folder_id", "=", clients.id)])
        rows.tag_ids = tag
        self.assertEqual(len(rows), 3)

        self.other.delete_folder("Clients")
        self.sync()
        self.assertFalse(self.folder_at("Clients"))
        report = [b for b in self.notes(self.member.partner_id) if "no Message-ID" in b]
        self.assertEqual(len(report), 1, "the owner is told once")
        self.assertIn("1 message(s)", report[0])

        # Someone who knows a Message-ID sends a message of their own with it: no tags for it.
        self.deliver(rfc822("one", sender="Mallory <m@evil.example>", message_id="<one@x>"))
        self.sync()  # an ordinary run in between
        self.assertFalse(self.row("one", "INBOX").tag_ids)
        self.other.create_folder("Clients")
        self.fill("Clients", "one", "two")
        self.sync()
        again = self.env["maildesk.message_index"].search(
            [("folder_id", "=", self.folder_at("Clients").id)])
        self.assertEqual(len(again), 2)
        self.assertEqual(again.mapped("tag_ids"), tag)
        self.assertTrue(all(r.tag_ids == tag for r in again))
        self.assertEqual(len([b for b in self.notes(self.member.partner_id)
                              if "no Message-ID" in b]), 1, "and only once")

    def test_a_pending_move_into_a_deleted_folder_is_dropped_and_its_author_told(self):
        self.other.create_folder("Clients")
        self.fill("INBOX", "report")
        self.sync()
        row = self.row("report")
        self.account.imap_port = 1
        self.Sync.set_flags(row.ids, is_read=True)
        self.Sync.move_messages(row.ids, self.folder_at("Clients").id)
        self.env.flush_all()
        self.sync()
        self.account.write({"imap_port": self.dovecot.imap_port, "backoff_until": False})
        self.other.delete_folder("Clients")
        self.assertEqual(self.sync()["status"], "ok")
        self.assertEqual(self.server_subjects("INBOX"), ["report"])
        self.assertIn(b"\\Seen", self.server_flags("INBOX", row.uid), "the rest still applied")
        self.assertFalse(row.pending_move_to_id)
        told = [b for b in self.notes(self.member.partner_id) if "were not moved" in b]
        self.assertEqual(len(told), 1)
        self.assertIn("Clients", told[0])

    def test_a_uidvalidity_reset_keeps_tags_and_pending_changes_across_interrupted_runs(self):
        self.other.create_folder("Clients")
        names = [f"m{n:02d}" for n in range(40)]
        self.fill("Clients", *names)
        self.sync()
        clients = self.folder_at("Clients")
        tag = self.make_tag()
        marked = names[::4]  # spread over the whole folder, early and late batches alike
        for name in marked:
            self.row(name).tag_ids = tag
        starred, read = self.row(names[1]), self.row(names[38])
        self.account.imap_port = 1
        self.Sync.set_flags(starred.ids, is_starred=True)
        self.Sync.set_flags(read.ids, is_read=True)
        self.env.flush_all()
        self.sync()
        self.account.write({"imap_port": self.dovecot.imap_port, "backoff_until": False})
        old_validity = clients.uid_validity

        self.other.delete_folder("Clients")
        time.sleep(1.1)  # Dovecot derives UIDVALIDITY from the clock
        self.other.create_folder("Clients")
        self.fill("Clients", *reversed(names))  # the old UIDs now name other messages
        # A run whose time is spent after some batches of the reloaded folder, then the next.
        budget, first = 0.05, None
        for _attempt in range(60):
            first = self.sync(batch_size=1, time_budget=budget)
            if self.folder_at("Clients").uid_validity not in (old_validity, False):
                break
            budget *= 1.2
        clients = self.folder_at("Clients")
        self.assertFalse(first["complete"], "the reset folder's history needed another run")
        self.assertNotEqual(clients.sync_state, "incremental")
        self.assertEqual(self.sync()["status"], "ok")
        self.assertEqual(clients.sync_state, "incremental")

        self.assertEqual(sorted(self.rows("other").mapped("message_id")),
                         sorted(f"<{n}@x>" for n in names))
        self.assertEqual(sorted(r.message_id for r in self.rows("other") if r.tag_ids),
                         sorted(f"<{n}@x>" for n in marked))
        # The intents reach the messages they were made on, under their new UIDs (the one
        # indexed again in the first run is applied at the start of the second, the other waits
        # for the next).
        self.sync()
        starred, read = self.row(names[1]), self.row(names[38])
        self.assertTrue(starred.is_starred and read.is_read)
        self.assertIn(b"\\Flagged", self.server_flags("Clients", self.server_uid("Clients", names[1])))
        self.assertIn(b"\\Seen", self.server_flags("Clients", self.server_uid("Clients", names[38])))
        self.other.select_folder("Clients", readonly=True)
        self.assertEqual(len(self.other.search("FLAGGED")), 1, "no other message got the star")

    def test_pending_changes_kept_by_the_previous_version_come_back_too(self):
        """Marks kept before 19.0.1.1.0 hold a pending change as paired booleans (``has_seen`` +
        ``seen``, ``dirty_move`` + ``is_delete``...): a folder that reappears after the upgrade
        gets them back and they reach the server."""
        names = ("read", "starred", "moved", "deleted", "applied")
        self.other.create_folder("Clients")
        self.fill("Clients", *names)
        self.sync()
        clients, archive = self.folder_at("Clients"), self.folder("archive")
        headers = {n: (self.row(n).from_addr, self.row(n).subject, self.row(n).date) for n in names}
        self.other.delete_folder("Clients")
        self.sync()
        self.assertFalse(self.row("read"))
        old = {"dirty_flags": None, "dirty_move": None, "seen": None, "has_seen": None,
               "starred": None, "has_starred": None, "has_move": None, "is_delete": None,
               "has_delete": None, "target_folder_id": None, "expire_at": None,
               "apply_attempts": 0, "create_uid": self.member.id, "write_uid": self.member.id}
        kept = {
            "read": dict(old, dirty_flags=True, has_seen=True, seen=True),
            "starred": dict(old, dirty_flags=True, has_starred=True, starred=True),
            "moved": dict(old, dirty_move=True, has_move=True, target_folder_id=archive.id),
            "deleted": dict(old, dirty_move=True, has_delete=True, is_delete=True),
            # applied already (nothing dirty): nothing to do again
            "applied": dict(old, has_seen=True, seen=True, has_starred=True, starred=True),
        }
        for name, state in kept.items():
            from_addr, subject, date = headers[name]
            self.env.cr.execute(f"""
                INSERT INTO {folder_mirror.TABLE} (account_id, message_id, from_addr, subject, date,
                                                   folder_id, folder_path, state)
                VALUES (%s, %s, %s, %s, %s, %s, 'Clients', %s::jsonb)""",
                [self.account.id, f"<{name}@x>", from_addr, subject, date, clients.id,
                 json.dumps(state)])
        self.other.create_folder("Clients")
        self.fill("Clients", *names)
        self.sync()
        self.assertTrue(self.row("read").is_read and self.row("starred").is_starred)
        self.assertFalse(self.row("applied").is_read or self.row("applied").is_starred)
        self.sync()
        self.assertEqual(self.server_subjects("Clients"), ["applied", "read", "starred"])
        self.assertIn("moved", self.server_subjects("Archive"))
        self.assertIn("deleted", self.server_subjects("Trash"))
        self.assertIn(b"\\Seen", self.server_flags("Clients", self.server_uid("Clients", "read")))
        self.assertIn(b"\\Flagged",
                      self.server_flags("Clients", self.server_uid("Clients", "starred")))
        applied = self.server_flags("Clients", self.server_uid("Clients", "applied"))
        self.assertFalse({b"\\Seen", b"\\Flagged"} & applied)
        self.assertFalse(self.env["maildesk.email_state"].search(
            [("account_id", "=", self.account.id)]))

    def test_marks_whose_message_never_comes_back_are_reported_after_the_window(self):
        self.other.create_folder("Clients")
        self.fill("Clients", "gone")
        self.sync()
        self.row("gone").tag_ids = self.make_tag()
        self.other.delete_folder("Clients")
        self.sync()
        self.env.cr.execute(f"UPDATE {folder_mirror.TABLE} SET kept_at = kept_at - interval '31 days'"
                            " WHERE account_id = %s", [self.account.id])
        self.sync()
        self.sync()
        told = [b for b in self.notes(self.member.partner_id) if "did not come back" in b]
        self.assertEqual(len(told), 1)
        self.assertIn("1 message(s)", told[0])
