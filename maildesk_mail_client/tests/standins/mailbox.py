"""Generated mail for the stand-ins: N messages in a few threads, cheap enough for 20,000.

A message keeps only its header fields; the RFC 5322 bytes are built when asked for, so a big
mailbox costs a few dataclasses per message. Generation is deterministic for a given seed.
"""

import base64
import email.utils
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
PEOPLE = [
    ("Ada Lovelace", "ada@example.org"),
    ("Grace Hopper", "grace@example.net"),
    ("Alan Turing", "alan@example.com"),
    ("Katherine Johnson", "kj@example.org"),
    ("Linus Pauling", "linus@example.edu"),
]
TOPICS = [
    "Quarterly report",
    "Lunch on Friday?",
    "Invoice 2026-{n}",
    "Re: project plan",
    "Meeting notes",
    "Your order {n} has shipped",
    "Welcome aboard",
    "Release {n} candidate",
]


@dataclass
class Message:
    """One message as both stand-ins know it; provider state (labels, folder) lives beside it."""

    number: int
    subject: str
    sender: tuple
    to: str
    date: datetime
    message_id: str
    in_reply_to: str = ""
    thread: int = 0
    text: str = ""
    labels: set = field(default_factory=set)  # Gmail label ids
    folder: str = ""  # Graph folder id
    is_read: bool = False
    flagged: bool = False
    raw_override: bytes | None = None  # a message sent or drafted by the client, as it sent it

    @property
    def epoch_ms(self):
        return int(self.date.timestamp() * 1000)

    def header_pairs(self):
        pairs = [
            ("From", email.utils.formataddr(self.sender)),
            ("To", self.to),
            ("Subject", self.subject),
            ("Date", email.utils.format_datetime(self.date)),
            ("Message-ID", self.message_id),
        ]
        if self.in_reply_to:
            pairs += [("In-Reply-To", self.in_reply_to), ("References", self.in_reply_to)]
        return pairs

    def raw(self):
        if self.raw_override is not None:
            return self.raw_override
        head = "".join(f"{name}: {value}\r\n" for name, value in self.header_pairs())
        head += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        return (head + "\r\n" + self.text + "\r\n").encode()

    @property
    def snippet(self):
        return self.text[:100]


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate(count, owner, seed=7, thread_size=4):
    """``count`` messages to ``owner``, oldest first, one every ten minutes; every
    ``thread_size`` consecutive messages form a thread (replies point at the first)."""
    rng = random.Random(seed)
    messages = []
    for number in range(count):
        thread = number // thread_size
        first = number % thread_size == 0
        topic = TOPICS[thread % len(TOPICS)].format(n=thread)
        sender = PEOPLE[rng.randrange(len(PEOPLE))]
        messages.append(
            Message(
                number=number,
                subject=topic if first else f"Re: {topic}",
                sender=sender,
                to=owner,
                date=START + timedelta(minutes=10 * number),
                message_id=f"<m{number}.{seed}@standin.example>",
                in_reply_to="" if first else f"<m{thread * thread_size}.{seed}@standin.example>",
                thread=thread,
                text=f"Message {number} from {sender[0]} about {topic.lower()}.",
                is_read=rng.random() < 0.6,
                flagged=rng.random() < 0.05,
            )
        )
    return messages
