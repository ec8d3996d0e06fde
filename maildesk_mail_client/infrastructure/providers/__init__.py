"""Mail providers behind one interface (base.MailProvider): IMAP now; Gmail and Graph next."""
