# The outside world, with no Odoo import: tested without Odoo.
