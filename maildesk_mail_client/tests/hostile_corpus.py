"""A generated corpus of broken and hostile messages, as found in real mailboxes."""
import base64


def corpus():
    """(name, raw bytes) pairs."""
    deep = b"Content-Type: text/plain\r\n\r\ninnermost\r\n"
    for level in range(60):
        deep = (f"Content-Type: multipart/mixed; boundary=b{level}\r\n\r\n--b{level}\r\n".encode()
                + deep + f"\r\n--b{level}--\r\n".encode())
    many_parts = b"Content-Type: multipart/mixed; boundary=x\r\n\r\n" + b"".join(
        b"--x\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; "
        b"filename=f%d.bin\r\n\r\nAAAA\r\n" % n for n in range(800)) + b"--x--\r\n"
    return [
        ("unknown charset", b"Subject: =?x-unknown?q?Hall=F6?=\r\nFrom: a@example.org\r\n"
                            b"Content-Type: text/plain; charset=x-unknown\r\n\r\nHall\xf6 Welt\r\n"),
        ("8-bit headers", "Subject: Grüße aus Köln\r\nFrom: Jürgen <j@example.org>\r\n\r\nok\r\n"
                          .encode()),
        ("8-bit latin-1 headers", "Subject: Grüße\r\nFrom: x@example.org\r\n\r\nok\r\n"
                                  .encode("latin-1")),
        ("no headers at all", b"just a body, nothing else\r\n"),
        ("empty", b""),
        ("duplicated headers", b"Subject: one\r\nSubject: two\r\nFrom: a@example.org\r\n"
                               b"From: b@example.org\r\nDate: junk\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000"
                               b"\r\nMessage-ID: <1@x>\r\nMessage-ID: <2@x>\r\n\r\nbody\r\n"),
        ("broken date", b"Date: 99 Foo 20x4 25:61:61 +9999\r\nFrom: a@example.org\r\n\r\nx\r\n"),
        ("date far in the future", b"Date: Tue, 1 Jan 2999 00:00:00 +0000\r\nFrom: a@example.org\r\n"
                                   b"Subject: from the future\r\n\r\nx\r\n"),
        ("date long ago", b"Date: Mon, 1 Jan 1900 00:00:00 +0000\r\nFrom: a@example.org\r\n"
                          b"Subject: from the past\r\n\r\nx\r\n"),
        ("huge header", b"Subject: " + b"A" * 300_000 + b"\r\nFrom: a@example.org\r\n\r\nx\r\n"),
        ("many recipients", b"To: " + b", ".join(b"u%d@example.org" % n for n in range(5000))
         + b"\r\nFrom: a@example.org\r\n\r\nx\r\n"),
        ("deep multipart", b"From: a@example.org\r\nSubject: deep\r\n" + deep),
        ("many parts", b"From: a@example.org\r\nSubject: parts\r\n" + many_parts),
        ("broken base64", b"From: a@example.org\r\nContent-Type: text/plain\r\n"
                          b"Content-Transfer-Encoding: base64\r\n\r\n@@@not base64!!!\r\n"),
        ("missing boundary", b"From: a@example.org\r\nContent-Type: multipart/mixed\r\n\r\n"
                             b"--nothing\r\nhello\r\n"),
        ("script html", b"From: a@example.org\r\nContent-Type: text/html\r\n\r\n"
                        b"<p onclick=\"steal()\">Hi<script>alert(1)</script>"
                        b"<img src=\"https://tracker.example/p.gif\" onerror=\"x()\"></p>\r\n"),
        ("encoded attachment name", b"From: a@example.org\r\nContent-Type: multipart/mixed; "
                                    b"boundary=z\r\n\r\n--z\r\nContent-Type: text/plain\r\n\r\nsee att"
                                    b"\r\n--z\r\nContent-Type: application/pdf\r\nContent-Disposition:"
                                    b" attachment; filename*=utf-8''R%C3%A9sum%C3%A9.pdf\r\n"
                                    b"Content-Transfer-Encoding: base64\r\n\r\n"
                                    + base64.b64encode(b"%PDF-1.4 fake") + b"\r\n--z--\r\n"),
        ("8-bit attachment name", b"From: a@example.org\r\nContent-Type: multipart/mixed; boundary=q"
                                  b"\r\n\r\n--q\r\nContent-Type: text/plain\r\n\r\nhi\r\n--q\r\n"
                                  b"Content-Type: application/pdf\r\nContent-Disposition: attachment;"
                                  b" filename=\"Q3 r\xc3\xa9sum\xc3\xa9.pdf\"\r\n\r\n%PDF\r\n--q--\r\n"),
        ("nul bytes", b"Subject: nul\x00here\r\nFrom: a@example.org\r\n\r\nbody\x00\r\n"),
        ("bad address", b"From: \"unterminated <@@@>\r\nTo: ;;;,,,<>\r\n\r\nx\r\n"),
    ]
