"""Attached messages, reports, duplicates, damaged structure and download names, as a reader
sees them: what is listed as a file, what the body shows, what the reader is told."""
import base64
import time
import tracemalloc

import pytest

from maildesk_mail_client.infrastructure import mime
from maildesk_mail_client.infrastructure.providers.imap import ImapProvider
from maildesk_mail_client.tests.mailservers import PASSWORD

INNER = (b"From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: Quarterly figures\r\n"
         b"Message-ID: <inner@example.org>\r\nContent-Type: multipart/alternative; boundary=in\r\n\r\n"
         b"--in\r\nContent-Type: text/plain\r\n\r\nSECRET INNER TEXT of the forwarded mail\r\n"
         b"--in\r\nContent-Type: text/html\r\n\r\n<p>SECRET INNER HTML</p>\r\n--in--\r\n")


def outer(*parts, boundary="out", subtype="mixed", head=b""):
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts)
    return (b"From: Alice <alice@example.org>\r\nSubject: Fwd: figures\r\n" + head
            + b"Content-Type: multipart/" + subtype.encode() + b"; boundary=" + boundary.encode()
            + b"\r\n\r\n" + body + b"--" + boundary.encode() + b"--\r\n")


TEXT = b"Content-Type: text/plain\r\n\r\nSee the forwarded mail below."


def assert_inner_text_not_in_body(parsed):
    for shown in (parsed.text, parsed.html, parsed.preview):
        assert "SECRET INNER" not in shown


def test_a_forwarded_message_is_one_eml_file_and_its_text_stays_out_of_the_body():
    raw = outer(TEXT, b"Content-Type: message/rfc822\r\n\r\n" + INNER)
    parsed = mime.parse_message(raw)
    assert [(a.part_id, a.filename, a.content_type, a.inline) for a in parsed.attachments] == [
        ("2", "Quarterly figures.eml", "message/rfc822", False)]
    assert parsed.text == "See the forwarded mail below."
    assert_inner_text_not_in_body(parsed)
    # downloaded, it is the attached message itself, byte for byte
    assert mime.part_payload(raw, "2") == INNER
    assert parsed.attachments[0].size == len(INNER)
    assert not parsed.problems


def test_a_forwarded_message_in_base64_downloads_decoded():
    raw = outer(TEXT, b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n"
                      b"Content-Disposition: attachment\r\n\r\n" + base64.encodebytes(INNER))
    parsed = mime.parse_message(raw)
    assert [a.filename for a in parsed.attachments] == ["Quarterly figures.eml"]
    assert mime.part_payload(raw, "2") == INNER
    assert_inner_text_not_in_body(parsed)


def test_a_named_eml_keeps_its_name_and_an_unnamed_subjectless_one_gets_one():
    raw = outer(TEXT, b"Content-Type: message/rfc822; name=\"original.eml\"\r\n\r\n" + INNER,
                b"Content-Type: message/rfc822\r\n\r\nFrom: x@example.org\r\n\r\nSECRET INNER 2\r\n")
    parsed = mime.parse_message(raw)
    assert [a.filename for a in parsed.attachments] == ["original.eml", "message-2.eml"]
    assert_inner_text_not_in_body(parsed)


def test_each_message_of_a_digest_is_a_file_of_its_own():
    digest = (b"Content-Type: multipart/digest; boundary=dg\r\n\r\n"
              + b"".join(b"--dg\r\n\r\nFrom: m%d@example.org\r\nSubject: Digest item %d\r\n\r\n"
                         b"SECRET INNER digest text %d\r\n" % (n, n, n) for n in (1, 2, 3))
              + b"--dg--")
    raw = outer(TEXT, digest)
    parsed = mime.parse_message(raw)
    assert [(a.part_id, a.filename) for a in parsed.attachments] == [
        ("2.1", "Digest item 1.eml"), ("2.2", "Digest item 2.eml"), ("2.3", "Digest item 3.eml")]
    assert mime.part_payload(raw, "2.2").startswith(b"From: m2@example.org\r\nSubject: Digest item 2")
    assert_inner_text_not_in_body(parsed)


def test_a_message_global_with_utf8_headers_is_named_after_its_subject():
    inner = "From: Jürgen <j@example.de>\r\nSubject: Grüße aus Köln\r\n\r\nSECRET INNER Grüße\r\n"
    raw = outer(TEXT, b"Content-Type: message/global\r\n\r\n" + inner.encode())
    parsed = mime.parse_message(raw)
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("Grüße aus Köln.eml", "message/global")]
    assert_inner_text_not_in_body(parsed)


def test_a_delivery_report_lists_its_status_and_the_returned_message_as_files():
    status = (b"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n"
              b"\r\nFinal-Recipient: rfc822; nobody@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n")
    human = b"Content-Type: text/plain\r\n\r\nYour message could not be delivered."
    returned = b"Content-Type: message/rfc822\r\n\r\n" + INNER
    raw = outer(human, status, returned, subtype="report; report-type=delivery-status")
    parsed = mime.parse_message(raw)
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("delivery-status.txt", "message/delivery-status"),
        ("Quarterly figures.eml", "message/rfc822")]
    assert parsed.text == "Your message could not be delivered."
    assert "Final-Recipient" not in parsed.text and "5.1.1" not in parsed.text
    assert mime.part_payload(raw, "2").endswith(b"Status: 5.1.1\r\n")
    assert_inner_text_not_in_body(parsed)


def test_a_read_receipt_and_returned_headers_are_files_not_body():
    notification = (b"Content-Type: message/disposition-notification\r\n\r\n"
                    b"Final-Recipient: rfc822; bob@example.org\r\nDisposition: manual-action/MDN-sent-"
                    b"manually; displayed\r\n")
    headers = (b"Content-Type: text/rfc822-headers\r\n\r\nFrom: a@example.org\r\n"
               b"Subject: SECRET INNER subject line\r\n")
    raw = outer(b"Content-Type: text/plain\r\n\r\nYour message was displayed.", notification, headers,
                subtype="report; report-type=disposition-notification")
    parsed = mime.parse_message(raw)
    assert [a.filename for a in parsed.attachments] == ["disposition-notification.txt",
                                                        "original-headers.txt"]
    assert parsed.text == "Your message was displayed."
    assert_inner_text_not_in_body(parsed)


def test_a_file_is_listed_once():
    png = base64.b64encode(b"\x89PNG fake image")
    image = (b"Content-Type: image/png; name=logo.png\r\nContent-ID: <logo@x>\r\n"
             b"Content-Transfer-Encoding: base64\r\n")
    related = (b"Content-Type: multipart/related; boundary=rel\r\n\r\n--rel\r\n"
               b"Content-Type: text/html\r\n\r\n<img src=\"cid:logo@x\">\r\n--rel\r\n"
               + image + b"Content-Disposition: inline\r\n\r\n" + png + b"\r\n--rel--")
    # the same image again as an attachment with the same Content-ID, and a second copy of a file
    again = image + b"Content-Disposition: attachment; filename=logo.png\r\n\r\n" + png
    pdf = (b"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(b"%PDF same"))
    raw = outer(related, again, pdf, pdf)
    parsed = mime.parse_message(raw)
    assert [(a.filename, a.content_id) for a in parsed.attachments] == [
        ("logo.png", "logo@x"), ("a.pdf", "")]
    assert parsed.attachments[0].inline


@pytest.mark.parametrize(("header", "expected"), [
    (b'filename="../../etc/passwd"', "passwd"),
    (b'filename="C:\\\\Windows\\\\System32\\\\evil.exe"', "evil.exe"),
    ("filename=\"invoice\u202efdp.exe\"".encode(), "invoicefdp.exe"),
    (b'filename=".bashrc"', "bashrc"),
    (b'filename="...."', "attachment-1.pdf"),
    (b'filename="bell\x07 and\ttab.txt"', "bell and tab.txt"),
    (b"filename*=utf-8''..%2F..%2Fhome%2Fx%2F.ssh%2Fauthorized_keys", "authorized_keys"),
    (b'filename="=?utf-8?q?..=2F..=2Fr=C3=A9sum=C3=A9.pdf?="', "résumé.pdf"),
    (b'filename="con.txt"', "_con.txt"),
    (b'filename="a<b>c:d|e?.pdf"', "a_b_c_d_e_.pdf"),
])
def test_names_offered_for_download_are_plain_file_names(header, expected):
    raw = outer(TEXT, b"Content-Type: application/pdf\r\nContent-Disposition: attachment; " + header
                + b"\r\n\r\n%PDF")
    assert [a.filename for a in mime.parse_message(raw).attachments] == [expected]


def test_a_very_long_name_is_cut_keeping_its_extension():
    raw = outer(TEXT, b"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=\""
                + "é".encode() * 400 + b".pdf\"\r\n\r\n%PDF")
    name = mime.parse_message(raw).attachments[0].filename
    assert name.endswith(".pdf") and name.startswith("é")
    assert len(name.encode()) <= mime.MAX_FILENAME_BYTES


def test_a_broken_boundary_is_reported_and_its_text_still_shown():
    raw = (b"From: a@example.org\r\nSubject: broken\r\nContent-Type: multipart/mixed; boundary=zz\r\n"
           b"\r\n--yy\r\nContent-Type: text/plain\r\n\r\nThe words of the sender.\r\n--yy--\r\n")
    parsed = mime.parse_message(raw)
    assert "The words of the sender." in parsed.text
    assert parsed.attachments == []  # no nameless "attachment" instead of the text
    assert any("boundary was not found" in p for p in parsed.problems)


def test_a_truncated_attachment_is_reported():
    raw = outer(TEXT, b"Content-Type: application/pdf\r\nContent-Disposition: attachment; "
                      b"filename=cut.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + base64.b64encode(b"%PDF-1.4 and more")[:-3], head=b"")
    parsed = mime.parse_message(raw[:-len(b"--out--\r\n")])  # the message is cut off too
    assert [a.filename for a in parsed.attachments] == ["cut.pdf"]
    assert any("'cut.pdf' is incomplete" in p for p in parsed.problems)
    assert any("ends before its last part" in p for p in parsed.problems)


def test_text_in_an_unknown_charset_is_shown_and_reported():
    raw = outer(b"Content-Type: text/plain; charset=x-klingon\r\n\r\nqapla\xe4")
    parsed = mime.parse_message(raw)
    assert parsed.text.startswith("qapla")
    assert any("unknown character set (x-klingon)" in p for p in parsed.problems)


def test_a_nesting_bomb_is_cut_short_quickly_and_the_headers_are_kept():
    bomb = b"Content-Type: text/plain\r\n\r\ninnermost\r\n"
    for level in range(5000):
        bomb = b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (level, level) + bomb
    raw = b"From: a@example.org\r\nSubject: bomb\r\n" + bomb
    started = time.perf_counter()
    parsed = mime.parse_message(raw)
    assert time.perf_counter() - started < 5
    assert parsed.headers.subject == "bomb"
    assert any("nested too deep" in p for p in parsed.problems)


def test_a_message_in_a_message_in_a_message_is_one_file():
    nested = b"From: deep@example.org\r\nSubject: level 0\r\n\r\nSECRET INNER deep\r\n"
    for level in range(1, 2000):
        nested = (b"Subject: level %d\r\nContent-Type: message/rfc822\r\n\r\n" % level) + nested
    raw = outer(TEXT, b"Content-Type: message/rfc822\r\n\r\n" + nested)
    parsed = mime.parse_message(raw)
    assert [a.filename for a in parsed.attachments] == ["level 1999.eml"]
    assert_inner_text_not_in_body(parsed)


def test_the_number_of_parts_is_bounded():
    raw = outer(*[b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; "
                  b"filename=f%d.bin\r\n\r\n%d" % (n, n) for n in range(5000)])
    started = time.perf_counter()
    parsed = mime.parse_message(raw)
    assert time.perf_counter() - started < 5
    assert len(parsed.attachments) < mime.MAX_PARTS
    assert any("more than" in p for p in parsed.problems)


def test_a_text_part_with_a_file_name_is_a_file_and_an_ics_gets_an_extension():
    raw = outer(TEXT, b"Content-Type: text/plain; name=notes.txt\r\n\r\nfile text",
                b"Content-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR")
    parsed = mime.parse_message(raw)
    assert [a.filename for a in parsed.attachments] == ["notes.txt", "attachment-2.ics"]
    assert parsed.text == "See the forwarded mail below."


def test_part_payload_refuses_paths_that_are_not_there():
    raw = outer(TEXT)
    assert mime.part_payload(raw, "9") is None
    assert mime.part_payload(raw, "1.1") is None
    assert mime.part_payload(raw, "../1") is None
    assert mime.part_payload(raw, "1") == b"See the forwarded mail below."


@pytest.mark.parametrize("body", [
    b"--x\r\n" * 1_000_000,  # a million empty parts
    b"X-Header: value\r\n" * 500_000,  # a "header block" that never ends
], ids=["million boundaries", "endless header lines"])
def test_hostile_bulk_is_read_in_bounded_time(body):
    raw = (b"From: a@example.org\r\nSubject: bulk\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
           b"--x\r\n" + body)
    tracemalloc.start()
    try:
        parsed = mime.parse_message(raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * len(raw)  # unbounded, a million part ranges alone took 120 MB here
    assert parsed.headers.subject == "bulk" and len(parsed.attachments) <= mime.MAX_PARTS


def test_an_absurd_boundary_is_reported():
    raw = outer(TEXT, boundary="b" * 5000)
    parsed = mime.parse_message(raw)
    assert any("absurdly long boundary" in p for p in parsed.problems)
    assert "See the forwarded mail below." in parsed.text


def test_a_forwarded_message_read_from_the_server_downloads_byte_for_byte(dovecot):
    user = dovecot.new_user()
    dovecot.deliver(user, outer(TEXT, b"Content-Type: message/rfc822\r\n\r\n" + INNER))
    with ImapProvider("127.0.0.1", dovecot.imap_port, security="none", login=user,
                      password=PASSWORD) as imap:
        raw = imap.fetch_raw("INBOX", 1)
    parsed = mime.parse_message(raw)
    assert [(a.filename, a.size) for a in parsed.attachments] == [("Quarterly figures.eml", len(INNER))]
    assert mime.part_payload(raw, parsed.attachments[0].part_id) == INNER
    assert_inner_text_not_in_body(parsed)
