"""What kind of folder a server folder is: special-use flags first, then names people use."""
SPECIAL_USE = {
    "\\inbox": "inbox", "\\sent": "sent", "\\drafts": "drafts", "\\junk": "spam",
    "\\spam": "spam", "\\trash": "trash", "\\archive": "archive", "\\all": "archive",
    "\\allmail": "archive", "\\flagged": "starred", "\\important": "starred",
}
GMAIL_PATHS = {
    "sent mail": "sent", "drafts": "drafts", "spam": "spam", "trash": "trash", "bin": "trash",
    "all mail": "archive", "starred": "starred", "important": "starred",
}
# Leaf names in the languages the original product knew, lower case.
NAMES = {
    "sent": "sent", "sent items": "sent", "sent messages": "sent", "sent mail": "sent",
    "gesendet": "sent", "gesendete objekte": "sent", "gesendete elemente": "sent",
    "envoyés": "sent", "éléments envoyés": "sent", "inviata": "sent", "posta inviata": "sent",
    "enviados": "sent", "elementos enviados": "sent", "отправленные": "sent",
    "drafts": "drafts", "draft": "drafts", "entwürfe": "drafts", "brouillons": "drafts",
    "bozze": "drafts", "borradores": "drafts", "черновики": "drafts",
    "trash": "trash", "deleted items": "trash", "deleted messages": "trash", "bin": "trash",
    "papierkorb": "trash", "gelöscht": "trash", "gelöschte objekte": "trash",
    "gelöschte elemente": "trash", "corbeille": "trash", "éléments supprimés": "trash",
    "cestino": "trash", "posta eliminata": "trash", "papelera": "trash",
    "elementos eliminados": "trash", "удаленные": "trash", "корзина": "trash",
    "junk": "spam", "junk e-mail": "spam", "junk email": "spam", "spam": "spam",
    "bulk mail": "spam", "courrier indésirable": "spam", "indésirables": "spam",
    "posta indesiderata": "spam", "correo no deseado": "spam", "спам": "spam",
    "archive": "archive", "archives": "archive", "archiv": "archive", "archivio": "archive",
    "archivo": "archive", "архив": "archive",
}


def classify(path, flags=(), delimiter="/"):
    """One of inbox, starred, sent, drafts, archive, spam, trash, other."""
    for flag in flags:
        kind = SPECIAL_USE.get(str(flag).lower())
        if kind:
            return kind
    if path.upper() == "INBOX":
        return "inbox"
    parts = path.split(delimiter) if delimiter else [path]
    if len(parts) == 2 and parts[0].lower() in ("[gmail]", "[google mail]"):
        kind = GMAIL_PATHS.get(parts[1].lower())
        if kind:
            return kind
    leaf = parts[-1].strip().lower()
    if len(parts) == 1 or parts[0].upper() == "INBOX":
        return NAMES.get(leaf, "other")
    return "other"
