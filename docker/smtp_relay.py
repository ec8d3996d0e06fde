"""The demo's SMTP server (docker-compose.yml, service `smtp`): what MailDesk sends is delivered
to the demo Dovecot over LMTP, each recipient into the mailbox named like its address's local
part (a reply to sarah@brightlane.example lands in mailbox "sarah"), as the tests' SMTP
receiver does (maildesk_mail_client/tests/mailservers.py). Demo only: any login with the demo
password, no TLS, nothing leaves the compose network.

    python3 smtp_relay.py        (MAILDESK_DEMO_SMTP_PORT, _LMTP_HOST, _LMTP_PORT, _MAIL_PASSWORD)
"""
import logging
import os
import smtplib
import threading
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

PORT = int(os.environ.get("MAILDESK_DEMO_SMTP_PORT", "2525"))
LMTP_HOST = os.environ.get("MAILDESK_DEMO_LMTP_HOST", "mail")
LMTP_PORT = int(os.environ.get("MAILDESK_DEMO_LMTP_PORT", "24"))
PASSWORD = os.environ.get("MAILDESK_DEMO_MAIL_PASSWORD", "demo").encode()

log = logging.getLogger("smtp_relay")


class ToLmtp:
    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        # one recipient per LMTP transaction: smtplib.LMTP reads one reply after DATA
        for recipient in envelope.rcpt_tos:
            with smtplib.LMTP(LMTP_HOST, LMTP_PORT, timeout=30) as lmtp:
                lmtp.sendmail(envelope.mail_from, [recipient], envelope.original_content)
        log.info("delivered a message from %s to %s", envelope.mail_from,
                 ", ".join(envelope.rcpt_tos))
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD
    return AuthResult(success=ok, handled=False)


def relay(hostname, port):
    # AUTH without TLS is intended on the demo's private network: no warning for it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Controller(ToLmtp(), hostname=hostname, port=port, authenticator=authenticate,
                          auth_require_tls=False, auth_required=True)


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    controller = relay("0.0.0.0", PORT)
    controller.start()
    log.info("SMTP on port %s, delivering to LMTP %s:%s", PORT, LMTP_HOST, LMTP_PORT)
    threading.Event().wait()


if __name__ == "__main__":
    main()
