"""The inbox's search box syntax, read by the server (no Odoo needed)."""
import random
from datetime import date

import pytest

from maildesk_mail_client.application.services.search_syntax import (
    MAX_INPUT,
    MAX_TERMS,
    SearchQuery,
    parse,
)


def test_operators_words_and_phrases_are_told_apart():
    q = parse('from:Anna to:team@example.com subject:"quarterly report" invoice "due date" '
              'has:attachment is:unread is:starred tag:Urgent before:2026-03-01 after:2026-01-15')
    assert q.from_ == ["anna"] and q.to == ["team@example.com"]
    assert q.subject == ["quarterly report"]
    assert q.words == ["invoice", "due date"]
    assert (q.has_attachment, q.unread, q.starred) == (True, True, True)
    assert q.tags == ["Urgent"], "tag names keep their case: tags are matched by name"
    assert (q.after, q.before) == (date(2026, 1, 15), date(2026, 3, 1))


def test_is_read_is_the_opposite_of_is_unread_and_operators_ignore_case():
    assert parse("is:read").unread is False
    assert parse("IS:Unread FROM:Bob").unread is True
    assert parse("FROM:Bob").from_ == ["bob"]


def test_plain_words_are_lower_case_and_all_kept_in_order():
    assert parse("  Budget   Review\t2026 ").words == ["budget", "review", "2026"]


def test_empty_and_non_text_input_is_an_empty_query():
    for text in ("", "   ", None, 42, ["from:x"], '""', 'from:""'):
        assert parse(text).is_empty()


@pytest.mark.parametrize("text, words", [
    ('"unbalanced quote', ["unbalanced quote"]),
    ('subject:"open ended', []),
    ("foo:bar", ["foo:bar"]),  # unknown operator: searched as typed
    ("is:everything", ["is:everything"]),
    ("before:yesterday", ["before:yesterday"]),
    ("after:2026-02-30", ["after:2026-02-30"]),  # no such day
    ("http://example.com/x", ["http://example.com/x"]),
    ('a"b', ["a", "b"]),
    ("\x00\x07ctrl\x1b", ["ctrl"]),
    ("%_\\", ["%_\\"]),  # LIKE wildcards are the caller's to escape
])
def test_odd_input_never_raises_and_is_searched_as_typed(text, words):
    assert parse(text).words == words


def test_an_open_quoted_operator_value_runs_to_the_end():
    assert parse('subject:"open ended').subject == ["open ended"]


def test_huge_input_is_capped():
    q = parse("word " * 100_000 + "from:late")
    assert len(q.words) == MAX_TERMS and q.from_ == []
    q = parse("x" * (MAX_INPUT * 10))
    assert len(q.words) == 1 and len(q.words[0]) <= MAX_INPUT
    q = parse('"' * 10_000)
    assert len(q.words) <= MAX_TERMS


def test_hostile_random_input_never_raises():
    rng = random.Random(3)
    alphabet = 'ab:"\' \t\n\\%_-\x00é中from:to:is:has:before:after:tag:subject:2026-01-01'
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        assert isinstance(parse(text), SearchQuery)


def test_a_lone_surrogate_from_json_is_dropped_not_an_error():
    query = parse("invoice \ud800 from:\udfffmüller")
    assert query.words == ["invoice"] and query.from_ == ["müller"]
    " ".join(query.words + query.from_).encode("utf-8")  # the database can take it
