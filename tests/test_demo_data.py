"""The demo mail (docker/demo_data.py) is worth looking at, and lands on a real Dovecot as built.

What a newcomer opening the demo should find: a few hundred messages over several folders, whole
conversations (the team's replies in Sent, threaded), the three kinds of attachment, mail in a
few languages, a newsletter whose images are blocked, read and unread mail, stars.
"""
import email
import imaplib
import smtplib
import sys
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docker"))
import demo_data  # noqa: E402

from maildesk_mail_client.tests.mailservers import PASSWORD, Dovecot, ServerUnavailable  # noqa: E402
from maildesk_mail_client.tests.mailservers import free_port as mailservers_free_port  # noqa: E402

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def dovecot():
    server = Dovecot()
    try:
        server.start()
    except ServerUnavailable as exc:
        pytest.skip(str(exc))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mail():
    return demo_data.build(now=NOW)


def parsed(message):
    return email.message_from_bytes(message.raw.as_bytes(), policy=policy.default)


def test_a_few_hundred_messages_over_several_folders_and_months(mail):
    assert set(mail) == {"alice", "support"}
    total = sum(len(messages) for messages in mail.values())
    assert 250 <= total <= 500
    for messages in mail.values():
        folders = {m.folder for m in messages}
        assert {"INBOX", "Archive", "Sent"} <= folders
        assert any("/" in folder for folder in folders), "no nested project folder"
        assert (max(m.date for m in messages) - min(m.date for m in messages)).days > 90
        assert all(m.date <= NOW for m in messages)
        unread = [m for m in messages if "\\Seen" not in m.flags and m.folder == "INBOX"]
        assert unread and [m for m in messages if "\\Flagged" in m.flags]


def test_replies_are_threaded_to_the_message_they_answer(mail):
    for login, messages in mail.items():
        ids = {parsed(m)["Message-ID"] for m in messages}
        replies = [parsed(m) for m in messages if m.folder == "Sent"]
        assert len(replies) >= 15
        for reply in replies:
            assert reply["In-Reply-To"] in ids
            assert reply["References"].split()[-1] == reply["In-Reply-To"]
            assert reply["From"].addresses[0].username == login
        follow_ups = [parsed(m) for m in messages
                      if m.folder != "Sent" and parsed(m)["In-Reply-To"]]
        assert follow_ups, f"{login}: no conversation goes on after a reply"


def test_attachments_languages_remote_images_and_a_newsletter(mail):
    messages = [parsed(m) for box in mail.values() for m in box]
    kinds = {part.get_content_type() for m in messages for part in m.iter_attachments()}
    assert {"application/pdf", "image/png", "text/csv"} <= kinds
    pdf = next(part for m in messages for part in m.iter_attachments()
               if part.get_content_type() == "application/pdf").get_content()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    png = next(part for m in messages for part in m.iter_attachments()
               if part.get_content_type() == "image/png").get_content()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    subjects = " ".join(m["Subject"] for m in messages)
    for text in ("Angebot", "Réunion", "来週", "Factura", "wdrożenia"):
        assert text in subjects
    html = [m.get_body(("html",)).get_content() for m in messages if m.get_body(("html",))]
    remote = [h for h in html if f'src="{demo_data.REMOTE}' in h]
    assert len(remote) >= 3 and demo_data.REMOTE.split("/")[2].endswith(".invalid")
    assert any(m["List-Unsubscribe"] for m in messages), "no newsletter"


def test_the_same_mail_every_run(mail):
    again = demo_data.build(now=NOW)
    assert [m.raw.as_bytes() for m in again["support"]] == [m.raw.as_bytes() for m in mail["support"]]


def test_loaded_into_a_real_dovecot_with_folders_and_flags_and_not_twice(mail, dovecot):
    # one fresh Dovecot user per demo mailbox
    small = {login: messages[:40] + [m for m in messages if "/" in m.folder][:3]
             for login, messages in mail.items()}
    assert demo_data.load("127.0.0.1", dovecot.imap_port, PASSWORD, small, log=lambda *_: None) \
        == {login: len(messages) for login, messages in small.items()}
    imap = imaplib.IMAP4("127.0.0.1", dovecot.imap_port)
    imap.login("support", PASSWORD)
    for folder in {m.folder for m in small["support"]}:
        status, data = imap.select(f'"{folder}"', readonly=True)
        assert status == "OK", folder
        expected = [m for m in small["support"] if m.folder == folder]
        assert int(data[0]) == len(expected), folder
        status, data = imap.search(None, "UNSEEN")
        assert len(data[0].split()) == sum("\\Seen" not in m.flags for m in expected)
    imap.logout()
    assert demo_data.load("127.0.0.1", dovecot.imap_port, PASSWORD, small,
                          log=lambda *_: None) == {"alice": 0, "support": 0}


def test_the_docker_smtp_relay_delivers_each_recipient_into_dovecot(monkeypatch, dovecot):
    pytest.importorskip("aiosmtpd", reason="aiosmtpd is not installed")
    import smtp_relay  # noqa: PLC0415 (docker/, on the path above)
    monkeypatch.setattr(smtp_relay, "LMTP_HOST", "127.0.0.1")
    monkeypatch.setattr(smtp_relay, "LMTP_PORT", dovecot.lmtp_port)
    port = mailservers_free_port()
    controller = smtp_relay.relay("127.0.0.1", port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            with pytest.raises(smtplib.SMTPAuthenticationError):
                smtp.login("alice", "wrong")
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.login("alice", "demo")
            smtp.sendmail("support@maildesk.test", ["sarah@brightlane.example", "alice@x.test"],
                          b"Subject: Re: your order\r\n\r\nOn its way.\r\n")
    finally:
        controller.stop()
    for user in ("sarah", "alice"):
        imap = imaplib.IMAP4("127.0.0.1", dovecot.imap_port)
        imap.login(user, PASSWORD)
        assert imap.select("INBOX", readonly=True)[1] == [b"1"], user
        imap.logout()
