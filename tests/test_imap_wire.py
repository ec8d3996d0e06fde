"""The FETCH reader: its quick path for the usual answer reads exactly what the general
reader reads, and anything unusual still goes through the general reader, in order."""
import pytest

from maildesk_mail_client.infrastructure.providers import imap_wire

HEADER = b"BODY[HEADER.FIELDS (FROM SUBJECT)]"
ANSWERS = {
    "dovecot metadata": [
        (b'1 (UID 11 FLAGS (\\Seen $Label) INTERNALDATE "23-Nov-2026 20:47:38 +0000" '
         b'RFC822.SIZE 3489 PREVIEW "Hello there" ' + HEADER + b' {20}', b"Subject: Hi\r\n\r\n"),
        b")",
        (b'2 (UID 12 FLAGS () INTERNALDATE "23-Nov-2026 20:47:39 +0000" RFC822.SIZE 10 '
         b'PREVIEW NIL ' + HEADER + b' {2}', b"\r\n"),
        b")",
    ],
    "escaped quotes and backslashes in a preview": [
        (b'7 (UID 70 PREVIEW "say \\"hi\\" to C:\\\\temp" ' + HEADER + b" {3}", b"abc"), b")",
    ],
    "an empty preview": [(b'7 (UID 70 PREVIEW "" ' + HEADER + b" {3}", b"abc"), b")"],
    "flags only": [b"1 (UID 5 FLAGS () MODSEQ (77))", b"2 (UID 6 FLAGS (\\Seen) MODSEQ (78))"],
    "a preview sent as a literal": [
        (b"3 (UID 30 PREVIEW {5}", b'a "b"'), (b" " + HEADER + b" {3}", b"xyz"), b")"],
    "two sections": [
        (b"4 (UID 40 BODY[HEADER] {3}", b"abc"), (b" BODY[TEXT]<0> {2}", b"hi"), b")"],
    "nested lists": [b'5 (UID 50 ENVELOPE ("d" "s" NIL NIL NIL NIL NIL NIL NIL NIL))'],
    "quick and general answers mixed": [
        b"1 (UID 1 FLAGS ())",
        (b"2 (UID 2 PREVIEW {1}", b"x"), (b" " + HEADER + b" {1}", b"y"), b")",
        (b"3 (UID 3 PREVIEW \"z\" " + HEADER + b" {1}", b"w"), b")",
        b'4 (UID 4 ENVELOPE (NIL "s"))',
        b"5 (UID 5 FLAGS (\\Deleted))",
    ],
}


@pytest.mark.parametrize("name", list(ANSWERS))
def test_the_quick_path_reads_what_the_general_reader_reads(name):
    data = ANSWERS[name]
    assert imap_wire.parse_fetch(data) == imap_wire._parse_generic(data)


def test_values_as_the_sync_uses_them():
    first, second = imap_wire.parse_fetch(ANSWERS["dovecot metadata"])
    assert first[b"UID"] == b"11" and first[b"RFC822.SIZE"] == b"3489"
    assert imap_wire.flags_of(first[b"FLAGS"]) == ("\\Seen", "$Label")
    assert first[b"PREVIEW"] == b"Hello there"
    assert imap_wire.section_value(first, b"BODY[HEADER") == b"Subject: Hi\r\n\r\n"
    assert second[b"FLAGS"] == [] and second[b"PREVIEW"] is None
    (escaped,) = imap_wire.parse_fetch(ANSWERS["escaped quotes and backslashes in a preview"])
    assert escaped[b"PREVIEW"] == b'say "hi" to C:\\temp'


def test_order_is_kept_when_quick_and_general_answers_mix():
    uids = [m[b"UID"] for m in imap_wire.parse_fetch(ANSWERS["quick and general answers mixed"])]
    assert uids == [b"1", b"2", b"3", b"4", b"5"]


def test_a_truncated_answer_is_read_as_far_as_it_goes():
    data = [(b'1 (UID 1 PREVIEW "a" ' + HEADER + b" {3}", b"abc")]  # the closing ")" never came
    assert imap_wire.parse_fetch(data) == [{b"UID": b"1", b"PREVIEW": b"a", HEADER: b"abc"}]


def test_sequence_sets_become_ascending_arrays():
    assert list(imap_wire.sequence_set_array("5,1:3")) == [1, 2, 3, 5]
    assert list(imap_wire.sequence_set_array("9:7,2,8")) == [2, 7, 8, 9]  # reversed, overlapping
    assert list(imap_wire.sequence_set_array("")) == []
    assert imap_wire.sequence_set_array("1:100000").itemsize == 4
