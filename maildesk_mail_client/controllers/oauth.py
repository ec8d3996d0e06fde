"""Sign in with Google / Microsoft: the start and callback routes (the logic is in
application/services/oauth_signin.py)."""
import logging
import re

import psycopg2

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from ..application.services import oauth_signin

_logger = logging.getLogger(__name__)
_STATUS = {"no_access": 403, "new_mailbox_not_allowed": 403, "too_many_pending": 429,
           "unreachable": 502}
# The pages of a sign-in may carry its code (relay) or follow a URL that did: kept out of
# caches and of the Referer of the next page.
_PRIVATE = [("Cache-Control", "no-store"), ("Referrer-Policy", "no-referrer")]
# A callback's query (Google's code and state; Microsoft's, should it ever answer in the URL)
# up to the request line's protocol, or to the end of the line when there is none.
_CALLBACK_QUERY = re.compile(r"(/maildesk/oauth/(?:google|microsoft)/callback)\?(?:.*(?= HTTP/)|.*)")


class RedactSignInCallbacks(logging.Filter):
    """Odoo's access log (the "werkzeug" logger, at INFO) writes each request's whole URL:
    the query of a sign-in callback becomes "?<redacted>", so no code or state reaches it."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # not ours to mend: logging reports the bad record itself
        if "/maildesk/oauth/" in message:
            redacted = _CALLBACK_QUERY.sub(r"\1?<redacted>", message)
            if redacted != message:
                record.msg, record.args = redacted, ()
        return True


def install_log_redaction(logger=None):
    """Install the filter on the werkzeug logger, once per process (idempotent)."""
    logger = logger or logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactSignInCallbacks) for f in logger.filters):
        logger.addFilter(RedactSignInCallbacks())


install_log_redaction()


class MailDeskOAuth(http.Controller):
    @http.route("/maildesk/oauth/<any(google,microsoft):route>/start", type="http", auth="user",
                methods=["GET"])
    def start(self, route, account_id="", **_kw):
        provider = oauth_signin.ROUTE_PROVIDERS[route]
        try:
            url = oauth_signin.start(request.env, provider, account_id or None)
        except oauth_signin.SignInRefused as refused:
            return self._refused(refused)
        except UserError as exc:
            return self._page(str(exc), None, 400)
        except psycopg2.Error:
            raise  # Odoo retries the request on a serialisation failure
        except Exception as exc:  # noqa: BLE001 (a sign-in never shows a traceback)
            return self._unexpected(exc)
        return request.redirect(url, local=False)

    @http.route("/maildesk/oauth/google/callback", type="http", auth="user", methods=["GET"])
    def google_callback(self, **params):
        return self._finish("gmail", params)

    # Microsoft posts its answer (form_post) from its own site: the signed, single-use state
    # bound to the user replaces Odoo's CSRF token. Browsers do not send Odoo's session cookie
    # (SameSite=Lax by default) with a cross-site POST, so such a request is relayed once, by a
    # page of Odoo's own that posts the same fields again, this time with the session.
    # save_session=False: the sessionless request must not hand the browser a new session.
    @http.route("/maildesk/oauth/microsoft/callback", type="http", auth="public",
                methods=["GET", "POST"], csrf=False, save_session=False)
    def microsoft_callback(self, relayed=None, **params):
        if request.env.user._is_public():
            if relayed:
                return self._page(request.env._(
                    "You are not signed in to Odoo any more. Sign in to Odoo, then start the "
                    "sign-in with Microsoft again."), None, 401, back_url="/web/login")
            fields = {k: params[k] for k in oauth_signin.CALLBACK_FIELDS if isinstance(params.get(k), str)}
            return request.render("maildesk_mail_client.oauth_relay_page", {
                "action": request.httprequest.path, "fields": fields}, headers=_PRIVATE)
        return self._finish("outlook", params)

    def _finish(self, provider, params):
        try:
            account = oauth_signin.finish(request.env, provider, params)
        except oauth_signin.SignInRefused as refused:
            return self._refused(refused)
        except UserError as exc:  # e.g. no encryption key configured: its own sentence
            return self._page(str(exc), None, 400)
        except psycopg2.Error:
            raise  # Odoo retries the request on a serialisation failure
        except Exception as exc:  # noqa: BLE001 (a sign-in never shows a traceback)
            return self._unexpected(exc)
        return request.redirect(oauth_signin.back_url(account.id))

    def _unexpected(self, exc):
        # The exception's text may quote what the provider sent: only its type is logged.
        _logger.error("MailDesk sign-in failed unexpectedly (%s)", type(exc).__name__)
        return self._page(request.env._(
            "The sign-in could not be completed. Nothing was changed: try again, and if it "
            "fails again, ask your administrator to look at the server log."), None, 500)

    def _refused(self, refused):
        return self._page(str(refused), refused.account_id, _STATUS.get(refused.reason, 400))

    def _page(self, message, account_id, status, back_url=None):
        env = request.env
        return request.render("maildesk_mail_client.oauth_result_page", {
            "title": env._("The sign-in did not complete"),
            "message": message,
            "back_url": back_url or oauth_signin.back_url(account_id),
            "back_label": env._("Back to the mailbox") if account_id else env._("Back to MailDesk"),
        }, status=status, headers=_PRIVATE)
