"""MailDesk's demo mail: a few hundred realistic messages, the same on every run.

Plain Python (no Odoo): ``build()`` writes the messages, ``load()`` puts them on an IMAP server
with APPEND, into their folders and with their flags, so MailDesk's real sync indexes them like
any mail. Used by docker/demo_mailbox.py, in Docker Compose and through scripts/demo alike.

Two mailboxes: Alice's own (``alice@``) and the team's shared ``support@``, which Alice and Bob
answer together. Their replies are in Sent, threaded to the mail they answer (In-Reply-To and
References), so the reading pane shows whole conversations. A few messages carry a PDF, a PNG
or a CSV; a newsletter and two others load remote images from a host that never resolves
(``.invalid``), to show MailDesk's blocked images.
"""
import imaplib
import random
import struct
import time
import zlib
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

DOMAIN = "maildesk.test"
SEED = 8
REMOTE = "https://cdn.newsletter.invalid"  # .invalid never resolves (RFC 2606)

ALICE = Address("Alice Martin", "alice", DOMAIN)
BOB = Address("Bob Okafor", "bob", DOMAIN)
SUPPORT = Address("Acme Support", "support", DOMAIN)

COLLEAGUES = [
    Address("Jürgen Weiß", "j.weiss", "northwind.example"),
    Address("Zoë Lefèvre", "zoe.lefevre", "maildesk.test"),
    Address("Priya Raman", "priya", "maildesk.test"),
    Address("Tom Becker", "tom.becker", "maildesk.test"),
    Address("Łukasz Nowak", "lukasz.nowak", "fabrikam.example"),
    Address("田中 花子", "hanako.tanaka", "contoso.example"),
    Address("José García", "jose.garcia", "tailspin.example"),
    Address("Mia Jensen", "mia", "maildesk.test"),
]
CUSTOMERS = [
    Address("Sarah Collins", "sarah.collins", "brightlane.example"),
    Address("Daniel Kim", "dkim", "harbor-logistics.example"),
    Address("Emma Dubois", "emma.dubois", "atelier-lune.example"),
    Address("Oliver Schmidt", "o.schmidt", "stadtwerke-nord.example"),
    Address("Ana Souza", "ana.souza", "verde.example"),
    Address("Marco Rossi", "marco", "rossi-ferramenta.example"),
    Address("Grace Liu", "grace.liu", "pinecrest.example"),
    Address("Ahmed Hassan", "ahmed", "nile-trading.example"),
    Address("Hannah Berg", "hannah.berg", "fjord.example"),
    Address("Lucas Martin", "lucas", "boulangerie-martin.example"),
    Address("Chloé Bernard", "chloe", "studio-bernard.example"),
    Address("Noah Wilson", "noah.wilson", "wilson-farms.example"),
]

# (subject, customer's first message, agent's answer, optional customer follow-up)
TICKETS = [
    ("Cannot sign in after the password reset",
     "Hi,\n\nsince I reset my password this morning the portal keeps saying \"invalid "
     "credentials\". I tried two browsers and cleared the cache. Could you have a look?\n",
     "Thanks for the details. The reset link had been used twice, which locks the account for "
     "an hour as a precaution. I have unlocked it: please try again now.\n",
     "That worked, thank you for the quick help!\n"),
    ("Invoice {n} shows the wrong VAT rate",
     "Hello,\n\nour invoice {n} was issued with 19 % VAT, but we are a registered business in "
     "another EU country and should be reverse-charged. Our VAT number is on the account.\n",
     "You are right: the VAT number had not been validated when the invoice was created. I have "
     "issued a credit note and a corrected invoice; both are in your portal.\n", None),
    ("Order #{n} arrived damaged",
     "Hi support,\n\nthe parcel for order #{n} arrived today with a broken corner and two of the "
     "mugs inside are cracked. Photo attached. What do we do now?\n",
     "I am sorry about that. A replacement for the two mugs leaves our warehouse tomorrow, no "
     "need to send the broken ones back. You will get the tracking number by email.\n",
     "Great, thanks. The replacement arrived in perfect condition.\n"),
    ("Feature request: export contacts to CSV",
     "Dear team,\n\nwe would love to be able to export our contact list as CSV, to import it "
     "into our newsletter tool. Is this planned?\n",
     "Good news: the export is in the next release (end of the month). Until then I attached "
     "your current list as CSV.\n", None),
    ("API returns 429 Too Many Requests",
     "Hi,\n\nsince yesterday about 5 % of our API calls return 429. We send around 20 requests "
     "per second at peak. Log excerpt attached.\n",
     "Your plan allows 10 requests per second; the peaks come from your nightly import. I have "
     "raised the limit to 25/s for your account for the next 30 days while you spread the "
     "import.\n", "Perfect, the errors are gone. We will batch the import.\n"),
    ("Question about the annual plan",
     "Hello,\n\nif we switch from monthly to annual billing now, is the remaining month "
     "credited?\n",
     "Yes: the unused part of this month is credited pro rata on the first annual invoice.\n",
     None),
    ("Two-factor codes arrive late",
     "Hi,\n\nthe SMS codes for two-factor sign-in often arrive after they have expired. We are "
     "in Portugal, if that matters.\n",
     "Some carriers delay our SMS by several minutes. An authenticator app is more reliable: "
     "Settings, Security, Authenticator app. Codes from it never arrive late.\n",
     "Switched to the app, works fine now.\n"),
    ("Change the billing address",
     "Please change our billing address to: Hafenstraße 12, 20457 Hamburg, Germany. Thank "
     "you!\n",
     "Done: the next invoice will use the new address.\n", None),
    ("Webhook deliveries failing since Friday",
     "Hello,\n\nour endpoint stopped receiving webhooks on Friday. Nothing changed on our side "
     "as far as we know. Can you see what happens?\n",
     "Our logs show your server answering with a TLS error since Friday at 14:02: the "
     "certificate on hooks.example expired. Once it is renewed, failed deliveries are retried "
     "for 72 hours.\n", "Oops, indeed. Certificate renewed, the backlog came through.\n"),
    ("Where can I download the user guide?",
     "Hi, is there a PDF version of the user guide? Our warehouse staff prefer paper.\n",
     "Here it is, attached. It is updated with every release.\n", None),
]

INTERNAL = [
    ("Website relaunch: kick-off on Thursday",
     "Hi Alice,\n\nthe agency confirmed Thursday 10:00 for the kick-off. Agenda: goals, "
     "timeline, content owners, and the new design system. Could you bring the analytics "
     "figures from last quarter?\n",
     "Thanks Zoë, I'll bring the figures and the list of pages we want to drop.\n"),
    ("Q3 budget review",
     "Hi all,\n\nplease send me your Q3 numbers by Friday so that I can prepare the review for "
     "the board. The template is the same as last time.\n",
     "Here are mine, see the attached CSV. Travel is a bit over, the rest is on track.\n"),
    ("Design system: colours and spacing",
     "Hi Alice,\n\nattached the first draft of the palette. The contrast of the light grey on "
     "white is still too low for WCAG AA, I will fix that in the next round.\n",
     "Looks great. Agreed on the grey; maybe try #6b7280.\n"),
    ("Offsite in Lisbon: rooms booked",
     "Hi team,\n\nthe hotel is booked for 14-16 May. Flights are up to everyone; please keep "
     "receipts for the expense report.\n",
     "Wonderful, thank you for organising!\n"),
    ("Customer interview notes",
     "Hi Alice,\n\nnotes from the interviews with three customers are in the shared folder. "
     "Main theme: they want search that finds attachments by name.\n",
     "Very useful, thanks Priya. Let's discuss at the planning.\n"),
    ("Release 4.2: go / no-go",
     "Hi,\n\nall blockers are closed, two minor bugs remain and are documented. I propose we "
     "release tomorrow at 9:00. Objections?\n",
     "Go from my side.\n"),
]

FOREIGN = [
    (COLLEAGUES[0], "Angebot für die Wartung 2027",
     "Hallo Alice,\n\nanbei unser Angebot für die Wartung im nächsten Jahr. Die Preise bleiben "
     "gegenüber 2026 unverändert. Über eine kurze Rückmeldung bis Monatsende würde ich mich "
     "freuen.\n\nViele Grüße\nJürgen Weiß\n"),
    (COLLEAGUES[1], "Réunion de lancement : compte rendu",
     "Bonjour à tous,\n\nvoici le compte rendu de la réunion de lancement. Prochaine étape : "
     "valider l'arborescence du site d'ici vendredi.\n\nBonne journée,\nZoë\n"),
    (COLLEAGUES[5], "来週の打ち合わせについて",
     "アリスさん\n\nお疲れさまです。来週火曜日の打ち合わせですが、14時からでよろしいでしょうか。"
     "資料は前日までにお送りします。\n\nよろしくお願いいたします。\n田中\n"),
    (COLLEAGUES[6], "Factura de noviembre",
     "Hola Alice:\n\nte envío la factura de noviembre. Si necesitas algún cambio en los datos "
     "fiscales, dímelo y la corrijo.\n\nUn saludo,\nJosé\n"),
    (COLLEAGUES[4], "Pytanie o harmonogram wdrożenia",
     "Dzień dobry,\n\nczy możemy przesunąć wdrożenie o tydzień? Zespół potrzebuje więcej czasu "
     "na testy.\n\nPozdrawiam\nŁukasz\n"),
]

NOTIFICATIONS = [
    (Address("CI", "ci", "builds.example"), "Build #{n} passed on main",
     "All 1,284 tests passed in 6 min 12 s.\n"),
    (Address("CI", "ci", "builds.example"), "Build #{n} failed on main",
     "1 test failed: test_checkout_applies_discount (expected 90.00, got 100.00).\n"),
    (Address("Expenses", "expenses", "maildesk.test"), "Expense report EXP-{n} approved",
     "Your expense report was approved and will be paid with the next salary run.\n"),
    (Address("Calendar", "calendar", "maildesk.test"), "Reminder: 1:1 with Tom at 15:00",
     "This is a reminder for your meeting today at 15:00 (30 minutes).\n"),
    (Address("IT Helpdesk", "it", "maildesk.test"), "Scheduled maintenance on Saturday",
     "The VPN will be unavailable on Saturday between 06:00 and 08:00 UTC.\n"),
]

CLOSINGS = ["Best regards", "Kind regards", "Thanks", "Cheers", "Best"]


# -- attachments: small, valid files written here (nothing binary in the repository) -----------
def _pdf(title):
    """A one-page PDF that any viewer opens, with ``title`` on it."""
    text = title.encode("latin-1", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 18 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _png(width=160, height=90, seed=1):
    """A small bar chart as PNG (RGB), drawn pixel by pixel."""
    rng = random.Random(seed)
    bars = [rng.randint(15, height - 10) for _ in range(8)]
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            bar = x * len(bars) // width
            inside = height - y <= bars[bar] and x % (width // len(bars)) > 3
            row += bytes((52, 120, 198) if inside else (245, 247, 250))
        rows.append(bytes(row))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


def _csv(rng):
    lines = ["date,category,amount_eur"]
    for day in range(1, 13):
        lines.append(f"2026-09-{day:02d},{rng.choice(['travel', 'software', 'hardware', 'food'])},"
                     f"{rng.randint(12, 900)}.{rng.randint(0, 99):02d}")
    return ("\n".join(lines) + "\n").encode()


# -- messages -----------------------------------------------------------------------------------
class DemoMessage:
    __slots__ = ("folder", "flags", "date", "raw")

    def __init__(self, folder, flags, date, raw):
        self.folder, self.flags, self.date, self.raw = folder, tuple(flags), date, raw


def _html(text, extra=""):
    paragraphs = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in text.strip().split("\n\n"))
    return (f'<html><body style="font-family: Arial, sans-serif; font-size: 14px">{paragraphs}'
            f"{extra}</body></html>")


class _Writer:
    def __init__(self, now, seed):
        self.rng = random.Random(seed)
        self.now = now
        self.count = 0

    def message_id(self):
        self.count += 1
        return f"<demo-{self.count:04d}@{DOMAIN}>"

    def make(self, sender, to, subject, text, date, *, html=True, parent=None, cc=(),
             attachments=(), html_extra="", headers=None):
        message = EmailMessage()
        message["From"] = sender
        message["To"] = to
        if cc:
            message["Cc"] = cc
        message["Subject"] = subject
        message["Date"] = format_datetime(date)
        message["Message-ID"] = self.message_id()
        if parent is not None:
            message["In-Reply-To"] = parent["Message-ID"]
            message["References"] = " ".join(
            filter(None, [parent.get("References"), parent["Message-ID"]]))
        for name, value in (headers or {}).items():
            message[name] = value
        message.set_content(text)
        if html:
            message.add_alternative(_html(text, html_extra), subtype="html")
        for filename, maintype, subtype, data in attachments:
            message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
        return message

    def when(self, days_ago_max, days_ago_min=0):
        """A working-hours moment between the two ages (in days), in UTC."""
        day = self.now - timedelta(days=self.rng.uniform(days_ago_min, days_ago_max))
        day = day.replace(hour=self.rng.randint(7, 17), minute=self.rng.randint(0, 59),
                          second=self.rng.randint(0, 59), microsecond=0)
        return min(day, self.now - timedelta(minutes=self.rng.randint(10, 300)))

    def later(self, date, hours_min=1, hours_max=30):
        moment = date + timedelta(hours=self.rng.uniform(hours_min, hours_max))
        return min(moment, self.now - timedelta(minutes=5)).replace(microsecond=0)

    def flags(self, date, replied=False):
        """Old mail read (but for a few), the last ten days' often not; now and then a star."""
        age = (self.now - date).days
        flags = []
        if (age >= 10 and self.rng.random() < 0.96) or self.rng.random() < 0.35:
            flags.append("\\Seen")
        if self.rng.random() < 0.08:
            flags.append("\\Flagged")
        if replied:
            flags += ["\\Answered", "\\Seen"]
        return sorted(set(flags))

    def filed(self, date, inbox="INBOX"):
        """Mail older than six weeks mostly went to Archive."""
        if (self.now - date).days > 42 and self.rng.random() < 0.65:
            return "Archive"
        return inbox


def _greeted(text):
    return text if text.startswith(("Hi", "Hello", "Dear")) else "Hello,\n\n" + text


def _signed(text, closing, name):
    return f"{text}\n{closing},\n{name}\n"


def _support(w):
    out = []
    agents = [ALICE, BOB]
    serial = 10400
    for round_ in range(6):
        for number, (subject, question, answer, follow_up) in enumerate(TICKETS):
            serial += w.rng.randint(3, 40)
            customer = CUSTOMERS[(number + round_ * 5) % len(CUSTOMERS)]
            subject_text = subject.format(n=f"INV-2026-{serial}" if "Invoice" in subject else serial)
            asked = w.when(150 - round_ * 25, 120 - round_ * 24 if round_ < 5 else 0)
            attachments = []
            if "damaged" in subject:
                attachments = [("parcel.png", "image", "png", _png(seed=serial))]
            elif "429" in subject:
                attachments = [("api-errors.csv", "text", "csv",
                                b"time,status,endpoint\n" + b"".join(
                                    b"2026-11-%02d 10:%02d:00,429,/v2/orders\n" % (
                                        w.rng.randint(1, 28), minute) for minute in range(12)))]
            first = w.make(customer, SUPPORT, subject_text,
                           _signed(_greeted(question.format(n=serial)),
                                   w.rng.choice(CLOSINGS), customer.display_name),
                           asked, html=number % 3 != 0, attachments=attachments)
            recent_and_open = (w.now - asked).days < 9 and w.rng.random() < 0.7
            agent = agents[(number + round_) % 2]
            folder = w.filed(asked)
            out.append(DemoMessage(folder, w.flags(asked, replied=not recent_and_open), asked,
                                   first))
            if recent_and_open:
                continue  # waiting for an answer: unread in the shared inbox
            answered = w.later(asked, 1, 20)
            reply_attachments = []
            if "user guide" in subject:
                reply_attachments = [("user-guide.pdf", "application", "pdf",
                                      _pdf("Acme user guide, release 4.2"))]
            elif "CSV" in subject:
                reply_attachments = [("contacts.csv", "text", "csv", _csv(w.rng))]
            reply = w.make(Address(agent.display_name, SUPPORT.username, DOMAIN), customer,
                           "Re: " + subject_text,
                           _signed(f"Hi {customer.display_name.split()[0]},\n\n" + answer,
                                   "Best regards", f"{agent.display_name}, Acme Support"),
                           answered, parent=first, attachments=reply_attachments)
            out.append(DemoMessage("Sent", ["\\Seen"], answered, reply))
            if follow_up:
                thanked = w.later(answered, 2, 40)
                last = w.make(customer, SUPPORT, "Re: " + subject_text,
                              _signed(follow_up, "Thanks again", customer.display_name),
                              thanked, html=False, parent=reply)
                out.append(DemoMessage(folder, w.flags(thanked), thanked, last))
    # The ACME rollout, a project the team files in a folder of its own.
    project = "Customers/ACME Rollout"
    lead = Address("Rachel Green", "rachel.green", "acme-corp.example")
    steps = ["Kick-off agenda", "Data migration plan", "Test accounts for the pilot group",
             "Pilot feedback, week 1", "Pilot feedback, week 2", "Go-live checklist",
             "Training sessions for the service desk", "Go-live: all green"]
    previous = None
    date = w.when(80, 75)
    for step in steps:
        date = w.later(date, 60, 200)
        message = w.make(lead, SUPPORT, f"ACME rollout: {step}",
                         _signed(f"Hi team,\n\nupdate on the rollout: {step.lower()}. Details "
                                 "below, comments welcome before our next call.\n\n- owner: "
                                 "Rachel\n- status: on track\n", "Best", "Rachel"),
                         date, parent=previous, cc=[ALICE],
                         attachments=[("rollout-plan.pdf", "application", "pdf",
                                       _pdf(f"ACME rollout: {step}"))] if step == steps[1] else ())
        out.append(DemoMessage(project, ["\\Seen"], date, message))
        answer_date = w.later(date, 1, 8)
        answer = w.make(Address(BOB.display_name, SUPPORT.username, DOMAIN), lead,
                        f"Re: ACME rollout: {step}",
                        _signed("Thanks Rachel, noted. We are ready on our side.\n", "Best",
                                "Bob"), answer_date, parent=message)
        out.append(DemoMessage("Sent", ["\\Seen"], answer_date, answer))
        previous = answer
    return out


def _alice(w):
    out = []
    for round_ in range(5):
        for number, (subject, text, answer) in enumerate(INTERNAL):
            sender = COLLEAGUES[(number + round_) % len(COLLEAGUES)]
            again = ["v2", "follow-up", "notes", "next steps"]
            topic = subject if round_ == 0 else f"{subject} ({again[round_ - 1]})"
            asked = w.when(140 - round_ * 28, 110 - round_ * 27 if round_ < 4 else 0)
            attachments = []
            if "palette" in text:
                attachments = [("palette-draft.png", "image", "png", _png(seed=number + round_))]
            first = w.make(sender, ALICE, topic, _signed(text, w.rng.choice(CLOSINGS),
                                                         sender.display_name.split()[0]),
                           asked, cc=[BOB] if number % 2 else ())
            replied = w.rng.random() < 0.6
            folder = "Projects/Website Relaunch" if "Website" in subject or "Design" in subject \
                else w.filed(asked)
            out.append(DemoMessage(folder, w.flags(asked, replied=replied), asked, first))
            if attachments:
                first.add_attachment(attachments[0][3], maintype="image", subtype="png",
                                     filename=attachments[0][0])
            if replied:
                answered = w.later(asked, 0.5, 10)
                reply_attachments = [("q3-expenses.csv", "text", "csv", _csv(w.rng))] \
                    if "budget" in subject else ()
                reply = w.make(ALICE, sender, "Re: " + topic,
                               _signed(answer, "Best", "Alice"), answered, parent=first,
                               attachments=reply_attachments)
                out.append(DemoMessage("Sent", ["\\Seen"], answered, reply))
                if w.rng.random() < 0.5:
                    again = w.later(answered, 1, 24)
                    back = w.make(sender, ALICE, "Re: " + topic,
                                  "Thanks Alice, sounds good. See you then!\n", again,
                                  html=False, parent=reply)
                    out.append(DemoMessage(folder, w.flags(again), again, back))
    for sender, subject, text in FOREIGN:
        date = w.when(60)
        attachments = [("angebot-2027.pdf", "application", "pdf", _pdf("Angebot Wartung 2027"))] \
            if "Angebot" in subject else ()
        out.append(DemoMessage("INBOX", w.flags(date), date,
                               w.make(sender, ALICE, subject, text, date,
                                      attachments=attachments)))
    serial = 2200
    for week in range(20):
        for sender, subject, text in NOTIFICATIONS:
            if w.rng.random() < 0.55:
                continue
            serial += w.rng.randint(1, 9)
            date = w.when(week * 7 + 7, week * 7)
            folder = "Archive" if week > 3 else "INBOX"
            out.append(DemoMessage(folder, ["\\Seen"] if week or w.rng.random() < 0.5 else [],
                                   date, w.make(sender, ALICE, subject.format(n=serial), text,
                                                date, html=False)))
    out += _with_remote_images(w)
    return out


def _with_remote_images(w):
    """The newsletter and two others whose pictures live on a server that never answers."""
    out = []
    news = Address("The Product Letter", "news", "productletter.example")
    for issue in range(3):
        date = w.when(issue * 30 + 28, issue * 30 + 1)
        cards = "".join(
            f'<tr><td style="padding:12px"><img src="{REMOTE}/issue{issue}/story{k}.jpg" '
            f'width="120" height="80" alt="Story {k}"></td><td><h3>{title}</h3><p>{blurb}</p>'
            f'<a href="https://productletter.example/read/{issue}-{k}">Read more</a></td></tr>'
            for k, (title, blurb) in enumerate([
                ("Shipping small, shipping often", "Why weekly releases beat big launches."),
                ("The inbox is a to-do list", "Triage in three moves: archive, answer, snooze."),
                ("Accessibility is a feature", "Contrast, focus order and keyboard paths."),
            ]))
        html = (f'<html><body style="margin:0;background:#f4f4f7"><table width="600" '
                f'align="center" style="background:#fff;font-family:Georgia,serif">'
                f'<tr><td colspan="2"><img src="{REMOTE}/header.png" width="600" height="120" '
                f'alt="The Product Letter"></td></tr>{cards}<tr><td colspan="2" '
                f'style="font-size:11px;color:#888;padding:12px">You receive this because you '
                f'subscribed. <a href="https://productletter.example/unsubscribe">Unsubscribe</a>'
                f'<img src="{REMOTE}/open.gif?u=alice" width="1" height="1" alt=""></td></tr>'
                f"</table></body></html>")
        message = w.make(news, ALICE, f"The Product Letter #{41 + issue}: ship small, ship often",
                         "The Product Letter: three stories this week. View it in your browser.",
                         date, html=False,
                         headers={"List-Unsubscribe": "<https://productletter.example/unsubscribe>",
                                  "List-Id": "The Product Letter <news.productletter.example>"})
        message.add_alternative(html, subtype="html")
        out.append(DemoMessage("INBOX", ["\\Seen"] if issue else [], date, message))
    date = w.when(0.3)  # this morning
    out.append(DemoMessage("INBOX", [], date, w.make(
        COLLEAGUES[0], ALICE, "Photos from the trade fair",
        "Hi Alice,\n\nhere are two photos from our stand in Hanover. The full set is on our "
        "server.\n\nViele Grüße\nJürgen\n", date,
        html_extra=f'<p><img src="{REMOTE}/fair/stand-1.jpg" width="300" alt="Our stand"> '
                   f'<img src="{REMOTE}/fair/stand-2.jpg" width="300" alt="Visitors"></p>')))
    date = w.when(10, 4)
    out.append(DemoMessage("INBOX", ["\\Seen"], date, w.make(
        Address("Northwind Travel", "hello", "northwind-travel.example"), ALICE,
        "Your booking for Lisbon is confirmed",
        "Booking LIS-48213: Hotel Miradouro, 14-16 May, 3 nights, breakfast included.\n", date,
        html_extra=f'<p><img src="{REMOTE}/travel/miradouro.jpg" width="480" alt="Hotel '
                   f'Miradouro"></p><p><img src="{REMOTE}/travel/logo.png" width="90" '
                   f'alt="Northwind Travel"></p>')))
    return out


def build(now=None, seed=SEED):
    """{login: [DemoMessage]} for the two demo mailboxes, oldest first."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    writer = _Writer(now, seed)
    mail = {"support": _support(writer), "alice": _alice(writer)}
    for messages in mail.values():
        messages.sort(key=lambda m: m.date)
        for message in messages:  # boundaries are random otherwise: the same bytes every run
            for number, part in enumerate(message.raw.walk()):
                if part.is_multipart():
                    part.set_boundary(f"=_demo_{number}_{message.raw['Message-ID'].strip('<>')}")
    return mail


FOLDERS = {"support": ["Customers", "Customers/ACME Rollout"],
           "alice": ["Projects", "Projects/Website Relaunch"]}


def _quoted(folder):
    """imaplib sends names as they are: "ACME Rollout" must be quoted (ASCII names only here)."""
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _connect(host, port, wait=60):
    """The mail server may still be starting (docker compose starts the services together)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return imaplib.IMAP4(host, port, timeout=30)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def load(host, port, password, mail, log=print):
    """APPEND each mailbox's messages to its folders, with their flags and dates.

    A mailbox whose INBOX already holds mail is left as it is: running the demo again (or
    ``docker compose up`` again) does not double anything. Returns {login: messages added}.
    """
    added = {}
    for login, messages in mail.items():
        imap = _connect(host, port)
        try:
            imap.login(login, password)
            status, data = imap.select("INBOX", readonly=True)
            if status == "OK" and int(data[0]) > 0:
                log(f"{login}@{DOMAIN}: the mail server already holds its mail, left as it is")
                added[login] = 0
                continue
            for folder in FOLDERS.get(login, []):
                imap.create(_quoted(folder))
                imap.subscribe(_quoted(folder))
            for message in messages:
                status, data = imap.append(_quoted(message.folder), " ".join(message.flags) or None,
                                           imaplib.Time2Internaldate(message.date),
                                           message.raw.as_bytes().replace(b"\r\n", b"\n")
                                           .replace(b"\n", b"\r\n"))
                if status != "OK":
                    raise RuntimeError(f"APPEND to {message.folder} failed: {data}")
            added[login] = len(messages)
            log(f"{login}@{DOMAIN}: {len(messages)} messages put on the mail server")
        finally:
            try:
                imap.logout()
            except (OSError, imaplib.IMAP4.error):
                pass
    return added
