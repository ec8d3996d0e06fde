"""Reading mail never crashes, whatever arrives; writing gets threading headers right."""
import email
import email.utils

import pytest

from maildesk_mail_client.infrastructure import mime
from maildesk_mail_client.tests.hostile_corpus import corpus


@pytest.mark.parametrize(("name", "raw"), corpus(), ids=[n for n, _r in corpus()])
def test_hostile_mail_is_read_without_raising(name, raw):
    parsed = mime.parse_message(raw)
    headers = mime.parse_headers(raw.split(b"\r\n\r\n", 1)[0])
    assert isinstance(parsed.preview, str) and len(parsed.preview) <= mime.PREVIEW_LENGTH + 1
    assert len(headers.subject) <= mime.MAX_HEADER_LENGTH
    assert isinstance(headers.thread_key, str)


def test_broken_charsets_and_8bit_headers_become_readable_text():
    by_name = dict(corpus())
    assert mime.parse_headers(by_name["8-bit headers"]).subject == "Grüße aus Köln"
    assert mime.parse_headers(by_name["8-bit headers"]).sender_display_name == "Jürgen"
    assert mime.parse_headers(by_name["8-bit latin-1 headers"]).subject == "Grüße"
    assert "Hall" in mime.parse_headers(by_name["unknown charset"]).subject
    assert mime.parse_message(by_name["unknown charset"]).text.startswith("Hall")


def test_duplicated_headers_use_the_first_and_say_so():
    headers = mime.parse_headers(dict(corpus())["duplicated headers"])
    assert headers.subject == "one" and headers.from_addr == "a@example.org"
    assert headers.message_id == "<1@x>"
    assert any("2 Subject headers" in p for p in headers.problems)


def test_limits_stop_absurd_messages():
    by_name = dict(corpus())
    recipients = mime.parse_headers(by_name["many recipients"]).to_addrs.split(", ")
    assert 100 < len(recipients) <= mime.MAX_ADDRESSES and recipients[0] == "u0@example.org"
    deep = mime.parse_message(by_name["deep multipart"])
    assert any("nested too deep" in p for p in deep.problems)
    many = mime.parse_message(by_name["many parts"])
    assert len(many.attachments) < mime.MAX_PARTS and any("more than" in p for p in many.problems)


def test_attachments_are_listed_with_decoded_names():
    parsed = mime.parse_message(dict(corpus())["encoded attachment name"])
    assert [(a.filename, a.content_type, a.size) for a in parsed.attachments] == [
        ("Résumé.pdf", "application/pdf", 13)]
    assert mime.part_payload(dict(corpus())["encoded attachment name"], "2") == b"%PDF-1.4 fake"
    assert parsed.text.strip() == "see att"


def test_preview_skips_quotes_and_signatures():
    text = "Thanks, that works.\n\nOn Mon, 1 Jan 2024, Bob wrote:\n> earlier\n"
    assert mime.make_preview(text) == "Thanks, that works."
    assert mime.make_preview("Hi\n-- \nsig") == "Hi"
    assert mime.make_preview("word " * 200).endswith("…")


def test_threading_keys_follow_references_then_in_reply_to():
    raw = (b"Message-ID: <c@x>\r\nIn-Reply-To: <B@x>\r\nReferences: <A@x> <B@x>\r\n\r\n")
    headers = mime.parse_headers(raw)
    assert headers.references == ["<A@x>", "<B@x>"] and headers.thread_key == "a@x"
    assert mime.parse_headers(b"Message-ID: <Solo@X>\r\n\r\n").thread_key == "solo@x"


def test_a_reply_carries_the_whole_references_chain():
    chain = mime.reply_references(["<a@x>", "<b@x>"], "<b@x>", "<c@x>")
    assert chain == ["<a@x>", "<b@x>", "<c@x>"]
    assert mime.reply_references([], "<b@x>", "<c@x>") == ["<b@x>", "<c@x>"]
    msg = mime.build_message(sender="Team <team@example.com>", to=["a@example.org"],
                             bcc=["hidden@example.org"], subject="Re: hi", html="<p>Hello</p>",
                             in_reply_to="<c@x>", references=chain,
                             attachments=[("a.txt", "text/plain", b"data")])
    parsed = email.message_from_bytes(msg.as_bytes())
    assert parsed["In-Reply-To"] == "<c@x>" and parsed["References"] == "<a@x> <b@x> <c@x>"
    assert parsed["Message-ID"].endswith("@example.com>")
    assert "hidden@example.org" not in msg.as_string()
    assert mime.parse_message(msg.as_bytes()).attachments[0].filename == "a.txt"


def test_an_8bit_attachment_name_is_read():
    parsed = mime.parse_message(dict(corpus())["8-bit attachment name"])
    assert [a.filename for a in parsed.attachments] == ["Q3 résumé.pdf"]


def test_recipients_keep_readable_names_and_stay_parseable():
    raw = (b"From: =?utf-8?q?Ren=C3=A9_Dupont?= <rene@example.fr>\r\n"
           b"To: =?utf-8?b?SsO8cmdlbg==?= <j@example.de>, \"Doe, John\" <john@example.org>\r\n"
           b"Cc: plain@example.org, Anna <anna@example.org>\r\n\r\n")
    headers = mime.parse_headers(raw)
    assert headers.sender_display_name == "René Dupont"
    # names as people read them, not RFC 2047 words; a comma inside a name stays quoted
    assert headers.to_addrs == 'Jürgen <j@example.de>, "Doe, John" <john@example.org>'
    assert headers.cc_addrs == "plain@example.org, Anna <anna@example.org>"
    assert [a for _n, a in email.utils.getaddresses([headers.to_addrs])] == [
        "j@example.de", "john@example.org"]


def test_a_parsed_message_object_and_a_header_block_read_the_same():
    for name, raw in corpus():
        block = raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
        from_block = mime.parse_headers(block)
        from_message = mime.parse_message(raw).headers
        assert from_block.message_id == from_message.message_id, name
        assert from_block.from_addr == from_message.from_addr, name
        assert from_block.references == from_message.references, name


def test_the_text_of_an_html_part_is_read_in_one_pass():
    """Regular expressions went quadratic on '<script<script...': a hostile HTML-only mail pinned
    a worker for hours. The text comes out as before, and such a part costs its size."""
    assert mime.html_to_text("<p>Hi <b>you</b></p><br><script>x()</script>after &amp; "
                             "<style>a{}</style>end<unterminated") == \
        " Hi  you \n\n after &  end<unterminated"
    assert mime.html_to_text("<SCRIPT type=x>hidden</SCRIPT >shown") == " shown"
    assert mime.html_to_text("<title>never closed") == ""
    hostile = "<script" * 100_000
    assert mime.html_to_text(hostile) == hostile  # no tag ever closes: it is text
    assert mime.html_to_text("<a" * 100_000) == "<a" * 100_000
