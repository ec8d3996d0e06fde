from odoo import fields, models


class MailMessageTag(models.Model):
    _name = "mail.message.tag"
    _description = "MailDesk Message Tag"
    _order = "name, id"

    name = fields.Char(required=True)
    color = fields.Char(default="#6CC1ED", help="Colour as #RRGGBB.")

    _name_unique = models.Constraint(
        "UNIQUE(name)", "A tag with this name already exists: use it instead.")
