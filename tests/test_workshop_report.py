"""Unit tests of cpmkit.workshop_report: the trainer dashboard's pure helpers.

The bank is built by hand so the expected figures can be worked out in the comments.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cpmkit.errors import ValidationError
from cpmkit.question_bank import Competency, Item, QuestionBank, Scale
from cpmkit.soft_skills import cohort_distribution, round_change
from cpmkit.workshop_report import (
    HIDDEN,
    HIDDEN_IN_A_ROUND,
    answers_by_round,
    change_table,
    distribution_table,
    export_tables,
    file_stem,
    has_figures,
    parse_rounds,
    participant_link,
    requested_workshop,
    status_table,
    trainer_link,
)

BANK = QuestionBank(
    name="Test bank",
    scale=Scale(((1, "never"), (2, "rarely"), (3, "sometimes"), (4, "often"), (5, "always"))),
    competencies=(
        Competency("listen", "Active listening", "About listening.", ("Listen more",)),
        Competency("feedback", "Giving feedback", "About feedback.", ("Give feedback",)),
    ),
    items=tuple(Item(i, c, f"Statement {i}", "test") for c, ids in (("listen", "L1 L2 L3"), ("feedback", "F1 F2 F3")) for i in ids.split()),
)


def _rows(round_name: str, who: str, listen: int, feedback: int) -> list[tuple[str, str, str, int]]:
    return [(round_name, who, item, listen) for item in ("L1", "L2", "L3")] + [
        (round_name, who, item, feedback) for item in ("F1", "F2", "F3")
    ]


def _export(*people: tuple[str, str, int, int]) -> pd.DataFrame:
    rows = [row for person in people for row in _rows(*person)]
    return pd.DataFrame(rows, columns=["round", "participant", "item_id", "value"])


# before: listen 2, 3, 4 (mean 3), feedback 3, 3, 3; after: listen 4, 5, 3 (mean 4), feedback 4, 4, 4.
BEFORE = [("before", "Ana", 2, 3), ("before", "Participant 1", 3, 3), ("before", "Bo", 4, 3)]
AFTER = [("after", "Ana", 4, 4), ("after", "Participant 2", 5, 4), ("after", "Bo", 3, 4)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("workshop=12", 12),
        ("project=3&workshop=5", 5),
        ("workshop=%2012%20", 12),
        ("", None),
        (None, None),
        ("workshop=", None),
        ("workshop=abc", None),
        ("workshop=-1", None),
        ("workshop=1.5", None),
        ("workshop=\u0661\u0662", None),  # Arabic-Indic digits: isdigit() but not a plain number
        ("project=12", None),
    ],
)
def test_the_workshop_number_comes_from_the_url(query: str | None, expected: int | None) -> None:
    assert requested_workshop(query) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("before, after", ["before", "after"]),
        ("  before ,after  ", ["before", "after"]),
        ("only", ["only"]),
        ("day 1, day 2, , day 3,", ["day 1", "day 2", "day 3"]),
    ],
)
def test_rounds_are_split_on_commas_and_trimmed(text: str, expected: list[str]) -> None:
    assert parse_rounds(text) == expected


@pytest.mark.parametrize("text", ["", "   ", " , ,"])
def test_no_round_at_all_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValidationError, match="before, after"):
        parse_rounds(text)


def test_rounds_must_be_text() -> None:
    with pytest.raises(ValidationError, match="separated by commas"):
        parse_rounds(["before"])  # type: ignore[arg-type]


def test_links_point_at_the_generated_notebooks_and_never_carry_a_key() -> None:
    assert participant_link("ABC234") == "02_soft_skills.ipynb?code=ABC234"
    assert participant_link("A&B C") == "02_soft_skills.ipynb?code=A%26B%20C"
    assert trainer_link(7) == "02_workshop_trainer.ipynb?workshop=7"


def test_status_table_keeps_the_rounds_in_order_and_counts_those_still_answering() -> None:
    table = status_table({"before": {"joined": 5, "completed": 3}, "after": {"joined": 0, "completed": 0}})
    assert table.to_dict("records") == [
        {"round": "before", "joined": 5, "completed": 3, "in_progress": 2},
        {"round": "after", "joined": 0, "completed": 0, "in_progress": 0},
    ]
    assert status_table({}).empty


def test_answers_by_round_nests_the_long_export_and_keeps_every_round() -> None:
    export = _export(*BEFORE[:2])
    extra = pd.DataFrame([("elsewhere", "Zed", "L1", 5)], columns=export.columns)
    by_round = answers_by_round(pd.concat([export, extra], ignore_index=True), ["before", "after"])
    assert list(by_round) == ["before", "after"]
    assert by_round["after"] == {}
    assert by_round["before"]["Ana"] == {"L1": 2, "L2": 2, "L3": 2, "F1": 3, "F2": 3, "F3": 3}
    assert set(by_round["before"]) == {"Ana", "Participant 1"}
    assert all(type(v) is int for answers in by_round["before"].values() for v in answers.values())


def test_answers_by_round_names_a_missing_column() -> None:
    with pytest.raises(ValidationError, match="participant"):
        answers_by_round(pd.DataFrame({"round": [], "item_id": [], "value": []}), ["before"])


def test_distribution_table_words_hidden_rows_for_the_page() -> None:
    # 3 before: both competencies shown; only 2 after: both hidden.
    by_round = answers_by_round(_export(*BEFORE, *AFTER[:2]), ["before", "after"])
    shown = cohort_distribution(BANK, by_round["before"])
    table = distribution_table(shown)
    assert list(table["status"]) == ["", ""]
    listen = table.iloc[0]
    # listen scores 2, 3, 4: mean 3, quartiles 2.5 / 3 / 3.5, one each at 2, 3 and 4.
    assert (listen["n"], listen["mean"], listen["q1"], listen["median"], listen["q3"]) == (3, 3.0, 2.5, 3.0, 3.5)
    assert (listen["n_2"], listen["n_3"], listen["n_4"]) == (1, 1, 1)
    assert has_figures(shown)

    hidden = cohort_distribution(BANK, by_round["after"])
    worded = distribution_table(hidden)
    assert list(worded["status"]) == [HIDDEN, HIDDEN] == ["hidden: fewer than 3 participants"] * 2
    assert worded["mean"].isna().all() and list(worded["n"]) == ["", ""], "a blank cell, not <NA>"
    assert not has_figures(hidden)
    assert list(hidden["status"]) == ["hidden: fewer than 3"] * 2, "the input frame is left as it was"


def test_change_table_words_hidden_rows_for_the_page() -> None:
    both = answers_by_round(_export(*BEFORE, *AFTER), ["before", "after"])
    change = change_table(round_change(BANK, both, before="before", after="after"))
    assert list(change["change"]) == [1.0, 1.0]  # listen 3 -> 4, feedback 3 -> 4
    assert list(change["status"]) == ["", ""]
    short = answers_by_round(_export(*BEFORE, *AFTER[:2]), ["before", "after"])
    hidden = change_table(round_change(BANK, short, before="before", after="after"))
    assert list(hidden["status"]) == [HIDDEN_IN_A_ROUND] * 2
    assert hidden["change"].isna().all()


def test_export_tables_hold_the_answers_each_rounds_distribution_and_the_change() -> None:
    tables = export_tables(_export(*BEFORE, *AFTER), BANK, ["before", "after"])
    assert list(tables) == ["answers", "distribution", "change"]
    answers = tables["answers"]
    assert list(answers.columns) == ["round", "participant", "competency", "item_id", "value"]
    assert len(answers) == 36 and set(answers["competency"]) == {"listen", "feedback"}
    distribution = tables["distribution"]
    assert list(distribution["round"]) == ["before", "before", "after", "after"]
    assert list(distribution["mean"]) == [3.0, 3.0, 4.0, 4.0]
    assert distribution["n"].dtype == "Int64", "the files keep the counts as numbers"
    change = tables["change"]
    assert list(change[["before", "after"]].iloc[0]) == ["before", "after"]
    assert list(change["change"]) == [1.0, 1.0]


def test_export_tables_keep_small_groups_hidden_and_skip_the_change_with_one_round() -> None:
    tables = export_tables(_export(("only", "Ana", 2, 3), ("only", "Bo", 4, 3)), BANK, ["only"])
    assert list(tables) == ["answers", "distribution"]
    assert list(tables["distribution"]["status"]) == [HIDDEN, HIDDEN]
    assert all(math.isnan(v) for v in tables["distribution"]["mean"])


def test_an_answer_to_an_item_outside_the_bank_is_named_in_the_refusal() -> None:
    export = pd.DataFrame([("only", "Ana", "old_item", 3)], columns=["round", "participant", "item_id", "value"])
    with pytest.raises(ValidationError, match="old_item"):
        export_tables(export, BANK, ["only"])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Soft skills, March!", "workshop-12-soft-skills-march"),
        ("Équipe été", "workshop-12-equipe-ete"),
        ("<script>alert(1)</script>", "workshop-12-script-alert-1-script"),
        ("", "workshop-12"),
        ("!!!", "workshop-12"),
        ("x" * 100, "workshop-12-" + "x" * 40),
    ],
)
def test_file_stem_is_safe_for_a_file_name(name: str, expected: str) -> None:
    assert file_stem(name, 12) == expected
