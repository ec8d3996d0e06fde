from . import attachments, oauth
