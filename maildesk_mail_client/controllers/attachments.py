from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request

from ..application.services import bodies
from ..infrastructure import attachment_serving


class MailDeskAttachments(http.Controller):
    @http.route("/maildesk/attachment/<int:index_id>/<string:part_id>", type="http", auth="user",
                methods=["GET"])
    def download(self, index_id, part_id, download="1", **_kw):
        """One attachment of a message the user may read, fetched from the mail server.

        The type and the disposition are ours (``attachment_serving.decide``), never the
        mail's; every answer, errors included, is sandboxed and ``nosniff``.
        """
        row = request.env["maildesk.message_index"].browse(index_id)
        try:
            name, mimetype, data = bodies.attachment_bytes(row, part_id)
        except (AccessError, MissingError):
            # The same answer whether the message exists or not.
            return self._plain(request.env._("Not found."), 404)
        except UserError as exc:
            return self._plain(str(exc), 409)
        content_type, disposition = attachment_serving.decide(mimetype, data, download == "0")
        return request.make_response(data, attachment_serving.headers(content_type, disposition, name))

    @staticmethod
    def _plain(text, status):
        return request.make_response(text, [("Content-Type", "text/plain; charset=utf-8"),
                                            *attachment_serving.SECURITY_HEADERS], status=status)
