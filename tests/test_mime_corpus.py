"""The MIME reader over other projects' test mail (see tests/data/README.md), and over any
further corpus named by MAILDESK_MIME_CORPUS (a directory, read recursively).

Whatever the message, reading it never raises, offers only plain file names, and the text of
an attached message never becomes part of the outer body.
"""
import os
import unicodedata
from pathlib import Path

import pytest

from maildesk_mail_client.infrastructure import mime

DATA = Path(__file__).parent / "data" / "mime"
SKIPPED_SUFFIXES = {".json", ".rs", ".md", ".toml", ".php", ".py", ".yml", ".yaml"}


def _files():
    roots = [DATA] + [Path(p) for p in os.environ.get("MAILDESK_MIME_CORPUS", "").split(os.pathsep) if p]
    found = []
    for root in roots:
        found += sorted(p for p in root.rglob("*") if p.is_file() and p.suffix not in SKIPPED_SUFFIXES
                        and p.name != "README.md" and p.stat().st_size < 5_000_000)
    return found


FILES = _files()


def test_the_kept_corpus_is_there():
    assert len([p for p in FILES if DATA in p.parents]) >= 10


def assert_plain_file_name(name):
    assert name and name == name.strip() and not name.startswith(".")
    assert "/" not in name and "\\" not in name
    assert not any(unicodedata.category(c) in ("Cc", "Cf") for c in name), repr(name)
    assert len(name.encode("utf-8")) <= mime.MAX_FILENAME_BYTES


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(p.parents[1])) for p in FILES])
def test_other_projects_mail_is_read_safely(path):
    raw = path.read_bytes()
    parsed = mime.parse_message(raw)
    assert isinstance(parsed.preview, str)
    for attachment in parsed.attachments:
        assert_plain_file_name(attachment.filename)
        payload = mime.part_payload(raw, attachment.part_id)
        assert payload is not None and len(payload) == attachment.size, attachment
        if attachment.content_type in mime.MESSAGE_TYPES and len(payload) > 40 and payload in raw:
            # the outer body is the same with the attached message's content taken away
            hollow = mime.parse_message(raw.replace(payload, b"X-Gone: yes\r\n\r\nX\r\n", 1))
            assert (hollow.text, hollow.html) == (parsed.text, parsed.html), attachment
    assert len({(a.filename, a.size, a.content_id) for a in parsed.attachments}) == len(parsed.attachments)


@pytest.mark.parametrize(("name", "files", "text_starts", "text_lacks"), [
    ("cpython-msg_02.txt", ["[Ppp] testing #1.eml", "message-2.eml", "[Ppp] testing #3.eml",
                            "[Ppp] testing #4.eml", "[Ppp] testing #5.eml"],
     "Send Ppp mailing list submissions", "hello"),
    ("cpython-msg_44.txt", ["msg.txt"], "", "mirror"),
    ("dovecot-thirdparty-007.eml", ["my opinion.eml", "i disagree.eml", "funny hat.eml"], "", ""),
    ("flanker-bounce-mailbox-full.eml", ["delivery-status.txt", "original-headers.txt"],
     "*** ATTENTION ***", "Final-Recipient"),
    ("flanker-complaints-yahoo.eml", ["feedback-report.txt", "Some subject.eml"],
     "This is an email abuse report", "Feedback-Type"),
    ("flanker-disposition-notification.eml", ["disposition-notification.txt", "Hi.eml"],
     "The message sent on 1995 Sep 19", "Disposition:"),
    ("flanker-enclosed-global.eml", ["thanks.eml"], "Hello", "thanks"),
])
def test_known_messages_read_as_a_person_expects(name, files, text_starts, text_lacks):
    parsed = mime.parse_message((DATA / name).read_bytes())
    assert [a.filename for a in parsed.attachments] == files
    assert parsed.text.startswith(text_starts)
    if text_lacks:
        assert text_lacks not in parsed.text + parsed.html
