from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.http import content_disposition, request

from ..application.services import bodies


class MailDeskAttachments(http.Controller):
    @http.route("/maildesk/attachment/<int:index_id>/<string:part_id>", type="http", auth="user",
                methods=["GET"])
    def download(self, index_id, part_id, download="1", **_kw):
        """One attachment of a message the user may read, streamed from the mail server."""
        row = request.env["maildesk.message_index"].browse(index_id)
        try:
            name, mimetype, data = bodies.attachment_bytes(row, part_id)
        except AccessError:
            raise request.not_found() from None
        except UserError as exc:
            return request.make_response(str(exc), [("Content-Type", "text/plain; charset=utf-8")],
                                         status=409)
        disposition = "attachment" if download != "0" else "inline"
        return request.make_response(data, [
            ("Content-Type", mimetype or "application/octet-stream"),
            ("Content-Disposition", content_disposition(name, disposition_type=disposition)),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
        ])
