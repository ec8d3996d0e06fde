"""Sending through a real SMTP server that delivers into Dovecot."""
import email

import pytest
from imapclient import IMAPClient

from maildesk_mail_client.infrastructure import mime
from maildesk_mail_client.infrastructure.providers.base import AuthenticationFailed, ServerUnreachable
from maildesk_mail_client.infrastructure.providers.smtp import DeliveryUncertain, SmtpRefused, SmtpSender
from maildesk_mail_client.tests.mailservers import PASSWORD, SmtpReceiver, free_port


@pytest.fixture
def smtp(dovecot):
    with SmtpReceiver(dovecot=dovecot, tls_cert=dovecot.cert) as server:
        yield server


def test_sent_mail_arrives_with_bcc_only_in_the_envelope(dovecot, smtp):
    to_user, bcc_user = dovecot.new_user(), dovecot.new_user()
    msg = mime.build_message(sender="Team <team@example.com>", to=[f"{to_user}@example.com"],
                             subject="Quarterly numbers", text="See attached.",
                             attachments=[("q3.csv", "text/csv", b"a,b\n1,2\n")])
    sender = SmtpSender("127.0.0.1", smtp.port, "starttls", login="team", password=PASSWORD,
                        ssl_context=dovecot.tls_context())
    sender.send(msg, "team@example.com", [f"{to_user}@example.com", f"{bcc_user}@example.com"])
    for user in (to_user, bcc_user):
        client = IMAPClient("127.0.0.1", dovecot.imap_port, ssl=False)
        client.login(user, PASSWORD)
        client.select_folder("INBOX", readonly=True)
        raw = client.fetch([1], ["BODY.PEEK[]"])[1][b"BODY[]"]
        received = email.message_from_bytes(raw)
        assert received["Subject"] == "Quarterly numbers" and received["Bcc"] is None
        client.logout()
    assert smtp.messages[0]["login"] == "team"


def test_a_wrong_smtp_password_is_an_authentication_failure(dovecot, smtp):
    sender = SmtpSender("127.0.0.1", smtp.port, "starttls", login="team", password="nope",
                        ssl_context=dovecot.tls_context())
    with pytest.raises(AuthenticationFailed) as caught:
        sender.send(mime.build_message(sender="t@example.com", to=["x@example.com"]),
                    "t@example.com", ["x@example.com"])
    assert "refused the sign-in" in str(caught.value)
    assert smtp.messages == []


def test_implicit_tls_and_an_unreachable_server(dovecot):
    user = dovecot.new_user()
    with SmtpReceiver(dovecot=dovecot, tls_cert=dovecot.cert, implicit_tls=True) as server:
        SmtpSender("127.0.0.1", server.port, "ssl", login="t", password=PASSWORD,
                   ssl_context=dovecot.tls_context()).send(
            mime.build_message(sender="t@example.com", to=[f"{user}@example.com"]),
            "t@example.com", [f"{user}@example.com"])
        assert len(server.messages) == 1
    with pytest.raises(ServerUnreachable):
        SmtpSender("127.0.0.1", free_port(), "none").send(
            mime.build_message(sender="t@example.com", to=["x@example.com"]), "t@example.com",
            ["x@example.com"])


def test_sending_with_an_oauth_token_and_a_revoked_one(dovecot, oauth):
    user = dovecot.new_user()
    token = oauth.issue("team@example.com")
    msg = mime.build_message(sender="Team <team@example.com>", to=[f"{user}@example.com"],
                             subject="Signed in with a token", text="No password involved.")
    with SmtpReceiver(dovecot=dovecot, tls_cert=dovecot.cert, oauth=oauth) as server:
        sender = SmtpSender("127.0.0.1", server.port, "starttls", login="team@example.com",
                            access_token=token, ssl_context=dovecot.tls_context())
        sender.send(msg, "team@example.com", [f"{user}@example.com"])
        assert server.messages[0]["login"] == "team@example.com"
        del oauth.tokens[token]
        with pytest.raises(AuthenticationFailed, match="535"):
            sender.send(msg, "team@example.com", [f"{user}@example.com"])
        assert len(server.messages) == 1


def _inbox_count(dovecot, user):
    client = IMAPClient("127.0.0.1", dovecot.imap_port, ssl=False)
    client.login(user, PASSWORD)
    try:
        return client.select_folder("INBOX", readonly=True)[b"EXISTS"]
    finally:
        client.logout()


def test_a_partial_refusal_names_each_refused_recipient_and_the_others_receive_it(dovecot):
    kept, gone = dovecot.new_user(), dovecot.new_user("gone")
    with SmtpReceiver(dovecot=dovecot, refuse=r"^gone") as server:
        refused = SmtpSender("127.0.0.1", server.port, "none", login="t", password=PASSWORD).send(
            mime.build_message(sender="t@example.com", to=[f"{kept}@example.com"]),
            "t@example.com", [f"{kept}@example.com", f"{gone}@example.com"])
    assert list(refused) == [f"{gone}@example.com"]
    assert refused[f"{gone}@example.com"].startswith("550 5.1.1") and "no such user" in \
        refused[f"{gone}@example.com"]
    assert _inbox_count(dovecot, kept) == 1


def test_refusing_everyone_is_permanent_or_temporary_as_the_server_says(dovecot):
    with SmtpReceiver(dovecot=dovecot, refuse=r"^gone", defer=r"^full") as server:
        sender = SmtpSender("127.0.0.1", server.port, "none", login="t", password=PASSWORD)
        msg = mime.build_message(sender="t@example.com", to=["gone@example.com"])
        with pytest.raises(SmtpRefused) as permanent:
            sender.send(msg, "t@example.com", ["gone@example.com"])
        with pytest.raises(SmtpRefused) as temporary:
            sender.send(msg, "t@example.com", ["full@example.com"])
        assert server.messages == []
    assert not permanent.value.temporary and "550" in str(permanent.value)
    assert permanent.value.refused_words() == {
        "gone@example.com": "550 5.1.1 <gone@example.com>: Recipient address rejected: no such user"}
    assert temporary.value.temporary and "450" in str(temporary.value)


def test_a_connection_cut_after_the_data_is_uncertain_not_unreachable(dovecot):
    """The server took the message: calling it 'unreachable' would invite a second send."""
    user = dovecot.new_user()
    with SmtpReceiver(dovecot=dovecot, cut_after_data=True) as server:
        with pytest.raises(DeliveryUncertain):
            SmtpSender("127.0.0.1", server.port, "none", login="t", password=PASSWORD).send(
                mime.build_message(sender="t@example.com", to=[f"{user}@example.com"]),
                "t@example.com", [f"{user}@example.com"])
        assert len(server.messages) == 1
    assert _inbox_count(dovecot, user) == 1
