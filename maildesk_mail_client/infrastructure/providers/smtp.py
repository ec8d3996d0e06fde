"""Sending over SMTP (SSL/TLS or STARTTLS, with AUTH). Bcc goes in the envelope only.

What the caller must know to send a message exactly once is told apart:
  * ``send`` returns the recipients the server refused while it took the message for the others;
  * ``SmtpRefused`` is an answer from the server (``temporary`` for 4xx: trying later may work);
  * ``ServerUnreachable``: the message was never handed over, trying again is safe;
  * ``DeliveryUncertain``: the connection failed after the message was handed over, before the
    server's answer: it may have been accepted, so it must not be sent again blindly.
"""
import contextlib
import smtplib
import ssl

from .base import AuthenticationFailed, DeliveryUncertain, ProviderError, ServerUnreachable  # noqa: F401 (DeliveryUncertain: re-exported)

SEND_TIMEOUT = 60  # seconds any single step of the conversation may take


class SmtpRefused(ProviderError):
    """The server said no. ``refused`` maps each refused recipient to the server's words."""

    def __init__(self, text, code=None, refused=None):
        super().__init__(text)
        self.code = code
        self.refused = refused or {}
        self.codes = [c for c, _words in self.refused.values()] or ([code] if code else [])

    @property
    def temporary(self):
        return bool(self.codes) and all(400 <= c < 500 for c in self.codes)

    def refused_words(self):
        return {addr: f"{c} {words}".strip() for addr, (c, words) in self.refused.items()}


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

    def _open(self, context):
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def _sign_in(self, smtp, context):
        smtp.ehlo()
        if self.security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        if self.access_token:
            smtp.auth("XOAUTH2", self._xoauth2)
        elif self.login_name:
            smtp.login(self.login_name, self.password or "")

    def send(self, message, envelope_from, recipients):
        """Send ``message`` (an EmailMessage) to every address in ``recipients``.

        Returns ``{address: the server's words}`` for the recipients refused while the server
        took the message for the others (empty when all got it). Raises when nobody got it.
        """
        context = self.ssl_context or ssl.create_default_context()
        where = f"{self.host}:{self.port}"
        handed_over = []
        try:
            smtp = self._open(context)
            try:
                self._sign_in(smtp, context)
                smtp.data = _noting_hand_over(smtp.data, handed_over)
                refused = smtp.send_message(message, from_addr=envelope_from,
                                            to_addrs=list(recipients))
            except BaseException:
                smtp.close()
                raise
            # The message is accepted: a goodbye that fails changes nothing about that.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
        except smtplib.SMTPAuthenticationError as exc:
            raise AuthenticationFailed(f"the mail server {where} refused the sign-in: "
                                       f"{_words(exc)}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            refused = {addr: _code_words(resp) for addr, resp in exc.recipients.items()}
            detail = "; ".join(f"{addr}: {c} {w}" for addr, (c, w) in refused.items())
            raise SmtpRefused(f"the mail server refused every recipient ({detail})",
                              refused=refused) from exc
        except smtplib.SMTPSenderRefused as exc:
            raise SmtpRefused(f"the mail server refused the sender {exc.sender}: {_words(exc)}",
                              code=exc.smtp_code) from exc
        except smtplib.SMTPResponseException as exc:
            raise SmtpRefused(f"the mail server {where} did not accept the message: {_words(exc)}",
                              code=exc.smtp_code) from exc
        except (smtplib.SMTPServerDisconnected, OSError) as exc:  # timeouts, TLS, refused, cut
            words = exc.strerror if isinstance(exc, OSError) and exc.strerror else _words(exc)
            if handed_over:
                raise DeliveryUncertain(f"the connection to {where} failed after the message was "
                                        f"handed over, before the server confirmed it: "
                                        f"{words}") from exc
            raise ServerUnreachable(f"sending through {where}: {words}") from exc
        except smtplib.SMTPException as exc:
            raise ProviderError(f"the mail server {where} did not accept the message: "
                                f"{_words(exc)}") from exc
        return {addr: "{} {}".format(*_code_words(resp)).strip() for addr, resp in refused.items()}


def _noting_hand_over(data, handed_over):
    """Wrap SMTP.data: once DATA starts, a broken connection no longer means 'not sent'."""
    def data_noted(msg):
        handed_over.append(True)
        return data(msg)
    return data_noted


def _code_words(response):
    code, text = response
    return code, text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
