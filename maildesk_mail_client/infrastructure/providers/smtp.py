"""Sending over SMTP (SSL/TLS or STARTTLS, with AUTH). Bcc goes in the envelope only."""
import smtplib
import ssl

from .base import AuthenticationFailed, ProviderError, ServerUnreachable

SEND_TIMEOUT = 60  # seconds for the whole conversation of one message


def _words(exc):
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) \
            else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}".strip()
    return str(exc) or exc.__class__.__name__


class SmtpSender:
    def __init__(self, host, port=465, security="ssl", login="", password="", ssl_context=None,
                 timeout=SEND_TIMEOUT, access_token=""):
        self.host, self.port, self.security = host, int(port), security
        self.login_name, self.password = login, password
        self.access_token = access_token  # OAuth 2.0 bearer token: AUTH XOAUTH2 instead of a password
        self.ssl_context = ssl_context
        self.timeout = timeout

    def _xoauth2(self, challenge=None):
        """The XOAUTH2 initial response; after a refusal the server sends a JSON error as a
        challenge, which is answered with an empty line before it says 535."""
        if challenge is not None:
            return ""
        return f"user={self.login_name}\x01auth=Bearer {self.access_token}\x01\x01"

    def send(self, message, envelope_from, recipients):
        """Send ``message`` (an EmailMessage) to every address in ``recipients``.

        Raises when any recipient is refused, so nothing is reported as sent that was not.
        """
        context = self.ssl_context or ssl.create_default_context()
        where = f"{self.host}:{self.port}"
        try:
            if self.security == "ssl":
                connection = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                              context=context)
            else:
                connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with connection as smtp:
                smtp.ehlo()
                if self.security == "starttls":
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if self.access_token:
                    smtp.auth("XOAUTH2", self._xoauth2)
                elif self.login_name:
                    smtp.login(self.login_name, self.password or "")
                refused = smtp.send_message(message, from_addr=envelope_from,
                                            to_addrs=list(recipients))
        except smtplib.SMTPAuthenticationError as exc:
            raise AuthenticationFailed(f"the mail server {where} refused the sign-in: "
                                       f"{_words(exc)}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            detail = "; ".join(f"{addr}: {_words_pair(resp)}" for addr, resp in exc.recipients.items())
            raise ProviderError(f"the mail server refused every recipient ({detail})") from exc
        except smtplib.SMTPSenderRefused as exc:
            raise ProviderError(f"the mail server refused the sender {exc.sender}: "
                                f"{_words(exc)}") from exc
        except (TimeoutError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError,
                ConnectionError, ssl.SSLError) as exc:
            raise ServerUnreachable(f"sending through {where}: {_words(exc)}") from exc
        except OSError as exc:
            raise ServerUnreachable(f"sending through {where}: {exc.strerror or exc}") from exc
        except smtplib.SMTPException as exc:
            raise ProviderError(f"the mail server {where} did not accept the message: "
                                f"{_words(exc)}") from exc
        if refused:
            detail = "; ".join(f"{addr}: {_words_pair(resp)}" for addr, resp in refused.items())
            raise ProviderError(f"some recipients were refused ({detail}); the others received it")
        return True


def _words_pair(response):
    code, text = response
    return f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
