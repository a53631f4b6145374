"""Unit tests of cpmkit.soft_skills.scoring: scoring a self-assessment, others' view and the cohort view.

Expected values are worked out by hand in the comments, never recomputed with the code under test.
The question banks are built by hand here, so these tests do not depend on load_bank.
"""

from __future__ import annotations

import itertools
import math
import random
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cpmkit.errors import ValidationError
from cpmkit.soft_skills.bank import Competency, Item, QuestionBank, Scale
from cpmkit.soft_skills.scoring import (
    MIN_ANSWERS_PER_COMPETENCY,
    MIN_GROUP,
    PeerRelease,
    cohort_distribution,
    competency_scores,
    finished_raters,
    item_score,
    known_answers,
    next_unanswered,
    others_view,
    own_change_rows,
    paired_change,
    plan_rows,
    progress,
    release_peer_view,
    released_count,
    released_rows,
    released_table,
    round_change,
    strengths_and_development,
)

SCALE = Scale(((1, "never"), (2, "rarely"), (3, "sometimes"), (4, "often"), (5, "always")))


def _competency(cid: str, name: str) -> Competency:
    practices = (f"Practise {name.lower()} daily", f"Ask for {cid} feedback")
    return Competency(cid, name, f"About {name.lower()}.", practices)


def _item(iid: str, competency: str, *, reverse: bool = False) -> Item:
    return Item(iid, competency, f"Statement {iid}", "test", reverse)


#: 4 competencies, 12 items; L2 and F3 are reverse items; "conflict" has only 2 items.
BANK = QuestionBank(
    name="Test bank",
    scale=SCALE,
    competencies=(
        _competency("listen", "Active listening"),
        _competency("feedback", "Giving feedback"),
        _competency("conflict", "Handling conflict"),
        _competency("influence", "Influencing"),
    ),
    items=(
        _item("L1", "listen"),
        _item("L2", "listen", reverse=True),
        _item("L3", "listen"),
        _item("L4", "listen"),
        _item("F1", "feedback"),
        _item("F2", "feedback"),
        _item("F3", "feedback", reverse=True),
        _item("C1", "conflict"),
        _item("C2", "conflict"),
        _item("I1", "influence"),
        _item("I2", "influence"),
        _item("I3", "influence"),
    ),
)
ITEMS = {item.id: item for item in BANK.items}


def _nan(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def _row(frame: pd.DataFrame, competency: str) -> pd.Series:
    rows = frame[frame["competency"] == competency]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# =========================================================================================
# item_score
# =========================================================================================


def test_defaults() -> None:
    assert MIN_GROUP == 3
    assert MIN_ANSWERS_PER_COMPETENCY == 3


@pytest.mark.parametrize(("value", "expected"), [(1, 5), (2, 4), (3, 3), (4, 2), (5, 1)])
def test_reverse_item_scores_low_plus_high_minus_value(value: int, expected: int) -> None:
    assert item_score(BANK, ITEMS["L2"], value) == expected  # 1 + 5 - value


@pytest.mark.parametrize("value", [1, 2, 3, 4, 5])
def test_normal_item_scores_its_value(value: int) -> None:
    assert item_score(BANK, ITEMS["L1"], value) == value


def test_item_score_takes_a_scale_and_whole_numbers_of_any_type() -> None:
    assert item_score(SCALE, ITEMS["L2"], 2) == 4
    assert item_score(SCALE, ITEMS["L2"], 2.0) == 4
    assert item_score(SCALE, ITEMS["L2"], np.int64(2)) == 4
    assert type(item_score(SCALE, ITEMS["L2"], np.int64(2))) is int


def test_reverse_on_a_scale_not_starting_at_1() -> None:
    zero_to_six = Scale(tuple((v, str(v)) for v in range(7)))
    assert item_score(zero_to_six, ITEMS["L2"], 1) == 5  # 0 + 6 - 1
    assert item_score(zero_to_six, ITEMS["L2"], 0) == 6


@pytest.mark.parametrize("value", [0, 6, -1, 2.5, "3", True, None, math.inf, [3]])
def test_value_off_the_scale_is_refused_naming_item_and_value(value: Any) -> None:
    with pytest.raises(ValidationError) as info:
        item_score(BANK, ITEMS["F3"], value)
    assert "'F3'" in str(info.value)
    assert repr(value) in str(info.value)
    assert "1, 2, 3, 4, 5" in str(info.value)
    assert info.value.field == "F3"
    assert info.value.value is value


# =========================================================================================
# competency_scores
# =========================================================================================


def test_competency_scores_one_row_per_competency_in_bank_order() -> None:
    answers = {"L1": 4, "L2": 2, "L3": 5, "F1": 5, "C1": 3, "C2": 4}
    scores = competency_scores(BANK, answers)
    assert list(scores.columns) == ["competency", "name", "answered", "items", "score", "status"]
    assert list(scores["competency"]) == ["listen", "feedback", "conflict", "influence"]
    assert list(scores["name"]) == ["Active listening", "Giving feedback", "Handling conflict", "Influencing"]
    assert list(scores["answered"]) == [3, 1, 2, 0]
    assert list(scores["items"]) == [4, 3, 2, 3]
    assert list(scores["status"]) == ["scored", "incomplete", "scored", "incomplete"]
    # listen: 4, reverse(2) = 4, 5 -> 13 / 3 = 4.333.. -> 4.33 (3 of 4 answered is enough)
    assert _row(scores, "listen")["score"] == 4.33
    # conflict has only 2 items, so both answered is enough: (3 + 4) / 2
    assert _row(scores, "conflict")["score"] == 3.5
    assert scores["score"].dtype == float


def test_too_few_answers_is_incomplete_and_nan_not_a_number() -> None:
    scores = competency_scores(BANK, {"F1": 5, "F2": 5, "C1": 4})
    feedback = _row(scores, "feedback")
    assert feedback["status"] == "incomplete"
    assert math.isnan(feedback["score"])  # not 5.0 from the two answers given
    assert feedback["answered"] == 2
    conflict = _row(scores, "conflict")  # 1 of 2 items
    assert conflict["status"] == "incomplete"
    assert math.isnan(conflict["score"])


def test_mixed_reverse_and_normal_items_are_averaged_after_reversal() -> None:
    # F1 5, F2 4, F3 reverse of 1 = 5 -> 14 / 3 = 4.666.. -> 4.67
    assert _row(competency_scores(BANK, {"F1": 5, "F2": 4, "F3": 1}), "feedback")["score"] == 4.67
    # L1 1, L2 reverse of 5 = 1, L3 2, L4 3 -> 7 / 4 = 1.75 (not 11 / 4 without reversal)
    assert _row(competency_scores(BANK, {"L1": 1, "L2": 5, "L3": 2, "L4": 3}), "listen")["score"] == 1.75


def test_scores_round_halves_up() -> None:
    bank = QuestionBank(
        "Eight",
        SCALE,
        (_competency("c", "Eight items"),),
        tuple(_item(f"q{i}", "c") for i in range(8)),
    )
    # 3+3+3+3+3+3+3+4 = 25, / 8 = 3.125 exactly -> 3.13 (Python's round() would give 3.12)
    answers = {f"q{i}": 3 for i in range(7)} | {"q7": 4}
    assert competency_scores(bank, answers)["score"].iloc[0] == 3.13


def test_min_answers_can_be_changed() -> None:
    scores = competency_scores(BANK, {"F1": 5}, min_answers=1)
    assert _row(scores, "feedback")["score"] == 5.0
    assert _row(scores, "feedback")["status"] == "scored"
    assert _row(scores, "listen")["status"] == "incomplete"  # 0 answers is never a score
    # 4 needed, listen has 4 items: 3 answers are not enough
    scores = competency_scores(BANK, {"L1": 5, "L2": 1, "L3": 5}, min_answers=4)
    assert _row(scores, "listen")["status"] == "incomplete"


@pytest.mark.parametrize("min_answers", [0, -1, 1.5, True])
def test_min_answers_must_be_a_positive_whole_number(min_answers: Any) -> None:
    with pytest.raises(ValidationError, match="answers needed per competency"):
        competency_scores(BANK, {}, min_answers=min_answers)


def test_blank_answers_are_not_answered() -> None:
    scores = competency_scores(BANK, {"L1": 4, "L2": None, "L3": math.nan, "L4": pd.NA, "F1": 3})
    assert _row(scores, "listen")["answered"] == 1
    assert _row(scores, "listen")["status"] == "incomplete"


def test_no_answers_at_all() -> None:
    scores = competency_scores(BANK, {})
    assert list(scores["answered"]) == [0, 0, 0, 0]
    assert scores["score"].isna().all()


def test_unknown_item_ids_are_refused_naming_them() -> None:
    with pytest.raises(ValidationError) as info:
        competency_scores(BANK, {"L1": 4, "X9": 3, "Y1": 2})
    assert "'X9'" in str(info.value) and "'Y1'" in str(info.value)
    assert "'L1'" not in str(info.value)
    assert "Test bank" in str(info.value)


def test_out_of_range_answer_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"Item 'C2': the answer 7 is not on the scale"):
        competency_scores(BANK, {"C1": 3, "C2": 7})


def test_answers_are_not_changed() -> None:
    answers = {"L1": 4, "L2": None}
    competency_scores(BANK, answers)
    assert answers == {"L1": 4, "L2": None}


# =========================================================================================
# strengths_and_development
# =========================================================================================


def _scores(**by_competency: float) -> pd.DataFrame:
    return pd.DataFrame({"competency": list(by_competency), "score": list(by_competency.values())})


def test_strongest_and_weakest_with_practices() -> None:
    scores = _scores(listen=4.33, feedback=3.0, conflict=4.5, influence=2.0)
    strengths, development = strengths_and_development(scores, BANK, n=1)
    assert list(strengths.columns) == ["rank", "competency", "name", "score", "practices"]
    assert list(strengths["competency"]) == ["conflict"]
    assert list(development["competency"]) == ["influence"]
    assert development["name"].iloc[0] == "Influencing"
    assert development["score"].iloc[0] == 2.0
    assert development["practices"].iloc[0] == ("Practise influencing daily", "Ask for influence feedback")


def test_order_and_ties_follow_the_bank() -> None:
    # listen and conflict tie on 4.0, feedback and influence tie on 2.0
    scores = _scores(influence=2.0, conflict=4.0, feedback=2.0, listen=4.0)
    strengths, development = strengths_and_development(scores, BANK, n=1)
    assert list(strengths["competency"]) == ["listen"]  # listen comes before conflict in the bank
    assert list(development["competency"]) == ["feedback"]  # feedback comes before influence
    strengths, development = strengths_and_development(scores, BANK, n=2)
    assert list(strengths["competency"]) == ["listen", "conflict"]
    assert list(strengths["rank"]) == [1, 2]
    assert list(development["competency"]) == ["feedback", "influence"]


def test_development_lists_the_weakest_first() -> None:
    scores = _scores(listen=3.0, feedback=1.5, conflict=5.0, influence=2.5)
    strengths, development = strengths_and_development(scores, BANK, n=2)
    assert list(strengths["competency"]) == ["conflict", "listen"]  # 5.0, 3.0
    assert list(development["competency"]) == ["feedback", "influence"]  # 1.5, 2.5


def test_only_scored_competencies_count() -> None:
    scores = competency_scores(BANK, {"L1": 4, "L2": 2, "L3": 5, "C1": 3, "C2": 4})  # listen 4.33, conflict 3.5
    strengths, development = strengths_and_development(scores, BANK)
    assert list(strengths["competency"]) == ["listen"]
    assert list(development["competency"]) == ["conflict"]


def test_no_competency_is_both_a_strength_and_to_develop() -> None:
    # 4 scored, n = 3: strengths take ceil(4 / 2) = 2, development the other 2
    scores = _scores(listen=4.0, feedback=3.0, conflict=2.0, influence=1.0)
    strengths, development = strengths_and_development(scores, BANK, n=3)
    assert list(strengths["competency"]) == ["listen", "feedback"]
    assert list(development["competency"]) == ["influence", "conflict"]
    # 3 scored: 2 strengths, 1 to develop; 1 scored: a strength only
    strengths, development = strengths_and_development(_scores(listen=4.0, feedback=3.0, conflict=2.0), BANK, n=3)
    assert (list(strengths["competency"]), list(development["competency"])) == (["listen", "feedback"], ["conflict"])
    strengths, development = strengths_and_development(_scores(feedback=3.0), BANK, n=3)
    assert (list(strengths["competency"]), list(development["competency"])) == (["feedback"], [])


def test_nothing_scored_gives_two_empty_lists() -> None:
    strengths, development = strengths_and_development(competency_scores(BANK, {}), BANK)
    assert strengths.empty and development.empty
    assert list(development.columns) == ["rank", "competency", "name", "score", "practices"]


def test_strengths_refuse_bad_input() -> None:
    with pytest.raises(ValidationError, match="column"):
        strengths_and_development(pd.DataFrame({"competency": ["listen"]}), BANK)
    with pytest.raises(ValidationError, match="'empathy'"):
        strengths_and_development(_scores(empathy=3.0), BANK)
    with pytest.raises(ValidationError, match="more than one score: 'listen'"):
        strengths_and_development(pd.DataFrame({"competency": ["listen", "listen"], "score": [1.0, 2.0]}), BANK)
    with pytest.raises(ValidationError, match="at least 1"):
        strengths_and_development(_scores(listen=3.0), BANK, n=0)


def test_plan_rows_take_any_blank_as_not_scored_and_name_what_is_wrong() -> None:
    rows = [
        {"competency": "listen", "score": 4.0},
        {"competency": "conflict", "score": pd.NA},
        {"competency": "feedback", "score": Decimal("NaN")},
    ]
    strengths, development = plan_rows(rows, BANK)
    assert [row["competency"] for row in strengths] == ["listen"] and development == []
    with pytest.raises(ValidationError, match="column"):
        plan_rows([{"competency": "listen"}], BANK)
    repeated = [{"competency": c, "score": 1.0} for c in ("listen", "feedback", "feedback", "listen")]
    with pytest.raises(ValidationError, match="more than one score: 'feedback', 'listen'"):
        plan_rows(repeated, BANK)  # named in the order they were repeated, as the frame's check did


def test_strengths_do_not_change_the_scores_frame() -> None:
    scores = _scores(listen=4.0, feedback=3.0)
    before = scores.copy()
    strengths_and_development(scores, BANK)
    pd.testing.assert_frame_equal(scores, before)


# =========================================================================================
# next_unanswered and progress
# =========================================================================================


def test_resume_at_the_first_unanswered_item() -> None:
    assert next_unanswered(BANK, {}) == (0, "L1")
    assert next_unanswered(BANK, {"L1": 3, "L3": 3}) == (0, "L2")  # a skipped item comes first
    assert next_unanswered(BANK, {"L1": 3, "L2": 3, "L3": 3, "L4": 3}) == (1, "F1")
    all_but_i3 = {item.id: 3 for item in BANK.items if item.id != "I3"}
    assert next_unanswered(BANK, all_but_i3) == (3, "I3")
    assert next_unanswered(BANK, all_but_i3 | {"I3": None}) == (3, "I3")  # blank is not answered
    assert next_unanswered(BANK, all_but_i3 | {"I3": 1}) is None


def test_resume_follows_competency_order_when_items_are_interleaved() -> None:
    bank = QuestionBank(
        "Interleaved",
        SCALE,
        (_competency("a", "A"), _competency("b", "B")),
        (_item("b1", "b"), _item("a1", "a"), _item("b2", "b"), _item("a2", "a")),
    )
    assert next_unanswered(bank, {}) == (0, "a1")
    assert next_unanswered(bank, {"a1": 2, "a2": 2}) == (1, "b1")
    assert next_unanswered(bank, {"a1": 2, "a2": 2, "b1": 2}) == (1, "b2")


def test_progress_counts_answered_items() -> None:
    assert progress(BANK, {}) == (0, 12)
    assert progress(BANK, {"L1": 1, "L2": None, "C2": 5}) == (2, 12)
    assert progress(BANK, {item.id: 2 for item in BANK.items}) == (12, 12)


def test_resume_and_progress_refuse_unknown_items() -> None:
    with pytest.raises(ValidationError, match="'Z1'"):
        next_unanswered(BANK, {"Z1": 3})
    with pytest.raises(ValidationError, match="'Z1'"):
        progress(BANK, {"Z1": 3})


# =========================================================================================
# others_view
# =========================================================================================

SELF = {"L1": 3, "L2": 3, "L3": 3, "L4": 3}  # listen 3.0; feedback not scored
# Finished raters score every competency (listen needs 3 of its 4 items).
# Rater 1: listen 5 (L2 reversed), feedback (4+4+4)/3 = 4, conflict 3.5, influence 2
RATER_1 = {"L1": 5, "L2": 1, "L3": 5, "L4": 5, "F1": 4, "F2": 4, "F3": 2, "C1": 3, "C2": 4, "I1": 2, "I2": 2, "I3": 2}
# Rater 2: listen 4 (3 answers), feedback (2+2+2)/3 = 2, conflict 3, influence 3
RATER_2 = {"L1": 4, "L2": 2, "L3": 4, "F1": 2, "F2": 2, "F3": 4, "C1": 3, "C2": 3, "I1": 3, "I2": 3, "I3": 3}
RATER_3 = {"L1": 4}  # not finished: does not count at all
# Rater 4: listen 11/3, feedback 3, conflict 4, influence 13/3
RATER_4 = {"L1": 3, "L3": 4, "L4": 4, "F1": 3, "F2": 3, "F3": 3, "C1": 4, "C2": 4, "I1": 4, "I2": 4, "I3": 5}
# Rater 5: listen 2, feedback 5, conflict 1, influence 1
RATER_5 = {"L1": 2, "L2": 4, "L3": 2, "L4": 2, "F1": 5, "F2": 5, "F3": 1, "C1": 1, "C2": 1, "I1": 1, "I2": 1, "I3": 1}


@pytest.mark.parametrize(
    ("completed", "released", "expected"),
    [
        (0, 0, 0),
        (2, 0, 0),
        (3, 0, 3),
        (5, 0, 3),
        (6, 0, 6),
        (7, 0, 6),
        (3, 3, 3),
        (5, 3, 3),
        (6, 3, 6),
        (8, 3, 6),
        (9, 3, 9),
        (7, 4, 7),
        (2, 3, 3),
    ],
)
def test_released_count_moves_only_in_whole_batches(completed: int, released: int, expected: int) -> None:
    assert released_count(completed, released=released) == expected


def test_released_count_threshold_can_be_raised_not_lowered() -> None:
    assert released_count(3, min_group=4) == 0
    assert released_count(7, min_group=4) == 4
    assert released_count(7, released=4, min_group=4) == 4
    assert released_count(11, released=4, min_group=4) == 8
    with pytest.raises(ValidationError, match="at least 3"):
        released_count(2, min_group=2)
    with pytest.raises(ValidationError, match="at least 0"):
        released_count(-1)
    with pytest.raises(ValidationError, match="whole number"):
        released_count(3, released=1.5)  # type: ignore[arg-type]


def test_others_hidden_below_three_finished_raters() -> None:
    view = others_view(BANK, SELF, [RATER_1, RATER_2, RATER_3])
    assert list(view.columns) == ["competency", "name", "self", "others", "raters", "gap", "status"]
    listen = _row(view, "listen")
    assert listen["self"] == 3.0
    assert listen["raters"] == 2  # rater 3 has not finished
    assert math.isnan(listen["others"]) and math.isnan(listen["gap"])
    assert listen["status"] == "hidden: fewer than 3 raters"
    influence = _row(view, "influence")
    assert influence["raters"] == 2 and math.isnan(influence["others"]) and math.isnan(influence["self"])


def test_others_shown_at_three_finished_raters_rounded_to_half_points() -> None:
    view = others_view(BANK, SELF, [RATER_1, RATER_2, RATER_3, RATER_4])
    listen = _row(view, "listen")
    assert listen["raters"] == 3
    # (5 + 4 + 11/3) / 3 = 38/9 = 4.22 -> 4.0 in half points (never the 4.22 that would pin rater 4 down)
    assert listen["others"] == 4.0
    assert listen["gap"] == 1.0  # 4.0 - 3.0
    assert listen["status"] == "shown"
    feedback = _row(view, "feedback")
    assert feedback["others"] == 3.0  # (4 + 2 + 3) / 3
    assert math.isnan(feedback["self"]) and math.isnan(feedback["gap"])  # no self score, no gap
    assert _row(view, "conflict")["others"] == 3.5  # (3.5 + 3 + 4) / 3 = 3.5
    assert _row(view, "influence")["others"] == 3.0  # (2 + 3 + 13/3) / 3 = 28/9 = 3.11 -> 3.0
    assert set(view["others"]) <= {x / 2 for x in range(2, 11)}


def test_others_view_takes_whole_batches_of_three() -> None:
    four = others_view(BANK, SELF, [RATER_1, RATER_2, RATER_4, RATER_5])
    three = others_view(BANK, SELF, [RATER_1, RATER_2, RATER_4])
    assert list(four["raters"]) == [3] * 4
    assert four["others"].tolist() == three["others"].tolist()  # rater 5 waits for two more


def test_negative_gap_when_others_rate_lower() -> None:
    high_self = {"F1": 5, "F2": 5, "F3": 1}  # feedback 5
    view = others_view(BANK, high_self, [RATER_1, RATER_2, RATER_4])
    assert _row(view, "feedback")["gap"] == -2.0  # 3.0 - 5.0


def test_others_threshold_can_be_raised_not_lowered() -> None:
    view = others_view(BANK, SELF, [RATER_1, RATER_2, RATER_4], min_raters=4)
    assert math.isnan(_row(view, "listen")["others"])
    assert _row(view, "listen")["status"] == "hidden: fewer than 4 raters"
    with pytest.raises(ValidationError, match="at least 3"):
        others_view(BANK, SELF, [RATER_1, RATER_2], min_raters=2)


def test_others_view_names_the_rater_with_a_bad_answer() -> None:
    with pytest.raises(ValidationError, match=r"^Rater 2: Item 'L1': the answer 9"):
        others_view(BANK, SELF, [RATER_1, {"L1": 9}, RATER_4])
    with pytest.raises(ValidationError, match=r"^Self-assessment: .*'Q1'"):
        others_view(BANK, {"Q1": 3}, [])


def test_others_view_wants_a_list_of_raters() -> None:
    with pytest.raises(ValidationError, match="one set of answers per rater"):
        others_view(BANK, SELF, RATER_1)  # type: ignore[arg-type]  # one rater's dict, not a list
    with pytest.raises(ValidationError, match="by rater"):
        release_peer_view(BANK, [RATER_1, RATER_2, RATER_4])  # type: ignore[arg-type]


def test_finished_raters_scored_every_competency() -> None:
    assert finished_raters(BANK, {7: RATER_1, 8: RATER_3, 2: RATER_4, 5: {}}) == [2, 7]


# -- releases: no two successive views differ by one rater -----------------------------------


def test_a_release_stands_until_three_more_raters_finished() -> None:
    ratings: dict[int, dict[str, int]] = {1: RATER_1, 2: RATER_2, 3: RATER_3}
    assert release_peer_view(BANK, ratings) is None  # two finished
    ratings[4] = RATER_4
    first = release_peer_view(BANK, ratings)
    assert first is not None and first.raters == {1, 2, 4}
    assert first.others == {"listen": 4, "feedback": 3, "conflict": Fraction(7, 2), "influence": 3}
    ratings[5] = RATER_5
    ratings[1] = {**RATER_1, "C1": 1, "C2": 1}  # a rater in the release changes answers
    assert release_peer_view(BANK, ratings, first) is first  # neither shows: one rater each
    ratings[6], ratings[3] = RATER_2, RATER_4  # rater 3 finishes too: three new in all
    second = release_peer_view(BANK, ratings, first)
    assert second is not None and second.raters == {1, 2, 3, 4, 5, 6}
    # listen (5 + 4 + 11/3 + 11/3 + 2 + 4) / 6 = 67/18 = 3.72 -> 3.5; conflict with rater 1's new 1:
    # (1 + 3 + 4 + 4 + 1 + 3) / 6 = 16/6 = 2.67 -> 2.5
    assert second.others["listen"] == Fraction(7, 2) and second.others["conflict"] == Fraction(5, 2)


def test_waiting_raters_join_in_link_order() -> None:
    first = release_peer_view(BANK, {1: RATER_1, 2: RATER_2, 4: RATER_4})
    ratings = {1: RATER_1, 2: RATER_2, 4: RATER_4, 9: RATER_5, 5: RATER_1, 7: RATER_2, 6: RATER_4}
    second = release_peer_view(BANK, ratings, first)
    assert second is not None and second.raters == {1, 2, 4, 5, 6, 7}  # 9 waits for two more


def test_successive_releases_never_isolate_one_rater() -> None:
    answer_sets = [RATER_1, RATER_2, RATER_4, RATER_5]
    for seed in range(40):
        rng = random.Random(seed)
        order = list(range(1, 15))
        rng.shuffle(order)
        ratings: dict[int, dict[str, int]] = {}
        release: PeerRelease | None = None
        for rater in order:  # raters finish one at a time, in any order, some changing answers
            ratings[rater] = rng.choice(answer_sets)
            if ratings and rng.random() < 0.3:
                ratings[rng.choice(list(ratings))] = rng.choice(answer_sets)
            new = release_peer_view(BANK, ratings, release)
            if new is not release:
                assert new is not None
                before = release.raters if release is not None else frozenset()
                assert new.raters >= before and len(new.raters - before) >= MIN_GROUP
            release = new


def _shown(view: pd.DataFrame) -> dict[str, float]:
    return dict(zip(view["competency"], view["others"]))


def test_a_subject_filling_two_of_three_links_cannot_recover_the_third_rating() -> None:
    """The finding: a subject makes three links, fills two, a colleague fills the third. What the
    page shows (released_rows) leaves several possible answers and scores for every competency."""
    fake_1 = {item.id: 4 for item in BANK.items}  # known to the subject
    fake_2 = {item.id: 2 for item in BANK.items}
    colleague = {
        "L1": 5,
        "L2": 1,
        "L3": 4,
        "L4": 5,
        "F1": 2,
        "F2": 3,
        "F3": 4,
        "C1": 5,
        "C2": 4,
        "I1": 1,
        "I2": 2,
        "I3": 2,
    }

    def page(third: dict[str, int]) -> dict[str, float]:
        release = release_peer_view(BANK, {1: fake_1, 2: fake_2, 3: third})
        return _shown(released_table(released_rows(BANK, SELF, release)))

    seen = page(colleague)
    assert all(not math.isnan(value) for value in seen.values())  # the view is shown...
    items_in_view = {item.id for item in BANK.items} & set(released_table(released_rows(BANK, SELF, None)).columns)
    assert not items_in_view  # ...per competency only, never per item
    for competency in BANK.competencies:
        items = [item.id for item in BANK.items_for(competency.id)]
        consistent = []
        for values in itertools.product(range(1, 6), repeat=len(items)):
            candidate = {**colleague, **dict(zip(items, values))}
            if page(candidate)[competency.id] == seen[competency.id]:
                consistent.append(values)
        scores = {sum(item_score(BANK, ITEMS[i], v) for i, v in zip(items, vs)) / len(items) for vs in consistent}
        assert len(consistent) > 5 and len(scores) >= 3, competency.id


# =========================================================================================
# cohort_distribution
# =========================================================================================

# conflict scores: p1 (2+3)/2 = 2.5, p2 4.0, p3 (5+4)/2 = 4.5, p4 3.0; listen: p1 only
P1 = {"C1": 2, "C2": 3, "L1": 4, "L2": 2, "L3": 4}
P2 = {"C1": 4, "C2": 4}
P3 = {"C1": 5, "C2": 4}
P4 = {"C1": 3, "C2": 3}
COUNTS = ["n_1", "n_2", "n_3", "n_4", "n_5"]


def test_cohort_hidden_at_two_participants() -> None:
    cohort = cohort_distribution(BANK, {"p1": P1, "p2": P2})
    conflict = _row(cohort, "conflict")
    assert conflict["status"] == "hidden: fewer than 3"
    assert conflict["name"] == "Handling conflict"
    for column in ["n", "mean", "min", "q1", "median", "q3", "max", *COUNTS]:
        assert _nan(conflict[column]), column


def test_cohort_shown_at_three_with_exact_quartiles() -> None:
    cohort = cohort_distribution(BANK, {"p1": P1, "p2": P2, "p3": P3})
    assert list(cohort.columns) == [
        "competency", "name", "n", "mean", "min", "q1", "median", "q3", "max", *COUNTS, "status",
    ]  # fmt: skip
    conflict = _row(cohort, "conflict")
    # sorted 2.5, 4.0, 4.5: q1 halfway between 2.5 and 4.0, q3 halfway between 4.0 and 4.5
    assert conflict["status"] == "shown"
    assert conflict["n"] == 3
    assert conflict["mean"] == 3.67  # 11 / 3
    assert (conflict["min"], conflict["q1"], conflict["median"], conflict["q3"], conflict["max"]) == (
        2.5, 3.25, 4.0, 4.25, 4.5,
    )  # fmt: skip
    # rounded 2.5 -> 3, 4.0 -> 4, 4.5 -> 5
    assert [conflict[c] for c in COUNTS] == [0, 0, 1, 1, 1]
    # listen: only p1 has a score, even though the cohort has 3 people
    assert _row(cohort, "listen")["status"] == "hidden: fewer than 3"
    assert _nan(_row(cohort, "listen")["mean"])


def test_cohort_quartiles_between_ranks() -> None:
    cohort = cohort_distribution(BANK, {"p1": P1, "p2": P2, "p3": P3, "p4": P4})
    conflict = _row(cohort, "conflict")
    # sorted 2.5, 3.0, 4.0, 4.5 (positions 0..3)
    # q1 at 0.75: 2.5 + 0.75 * 0.5 = 2.875 -> 2.88; median at 1.5: 3.5; q3 at 2.25: 4 + 0.25 * 0.5 = 4.125 -> 4.13
    assert (conflict["q1"], conflict["median"], conflict["q3"]) == (2.88, 3.5, 4.13)
    assert conflict["mean"] == 3.5  # 14 / 4
    assert [conflict[c] for c in COUNTS] == [0, 0, 2, 1, 1]  # 3, 3, 4, 5
    # the same positions as pandas' default (linear) quantiles, before rounding
    assert pd.Series([2.5, 3.0, 4.0, 4.5]).quantile([0.25, 0.5, 0.75]).tolist() == [2.875, 3.5, 4.125]


def test_cohort_counts_use_the_scale_points() -> None:
    three_points = Scale(((0, "no"), (1, "partly"), (2, "yes")))
    bank = QuestionBank("Three points", three_points, BANK.competencies[2:3], BANK.items[7:9])  # conflict: C1, C2
    cohort = cohort_distribution(bank, {"a": {"C1": 0, "C2": 0}, "b": {"C1": 1, "C2": 2}, "c": {"C1": 2, "C2": 2}})
    assert [c for c in cohort.columns if c.startswith("n_")] == ["n_0", "n_1", "n_2"]
    # scores 0.0, 1.5 -> 2, 2.0
    assert [cohort[c].iloc[0] for c in ["n_0", "n_1", "n_2"]] == [1, 0, 2]


def test_cohort_threshold_and_bad_answers() -> None:
    with pytest.raises(ValidationError, match="at least 3"):
        cohort_distribution(BANK, {"p1": P1, "p2": P2}, min_group=2)
    with pytest.raises(ValidationError, match=r"^Participant 'p2': Item 'C1': the answer 0"):
        cohort_distribution(BANK, {"p1": P1, "p2": {"C1": 0}})


def test_empty_cohort_hides_everything() -> None:
    cohort = cohort_distribution(BANK, {})
    assert list(cohort["status"]) == ["hidden: fewer than 3"] * 4


# =========================================================================================
# round_change
# =========================================================================================

# conflict after: (4+4)/2 = 4.0, (5+4)/2 = 4.5, (5+5)/2 = 5.0 -> mean 4.5
AFTER = {"p1": {"C1": 4, "C2": 4}, "p2": {"C1": 5, "C2": 4}, "p3": {"C1": 5, "C2": 5}}


def test_round_change_shown_when_both_rounds_have_three() -> None:
    rounds = {"start": {"p1": P1, "p2": P2, "p3": P3}, "end": AFTER}
    change = round_change(BANK, rounds, before="start", after="end")
    assert list(change.columns) == [
        "competency", "name", "mean_before", "mean_after", "change", "n_before", "n_after", "status",
    ]  # fmt: skip
    conflict = _row(change, "conflict")
    assert conflict["mean_before"] == 3.67  # (2.5 + 4 + 4.5) / 3 = 11 / 3
    assert conflict["mean_after"] == 4.5
    assert conflict["change"] == 0.83  # 4.5 - 3.67, the figures shown
    assert (conflict["n_before"], conflict["n_after"]) == (3, 3)
    assert conflict["status"] == "shown"
    assert _row(change, "listen")["status"] == "hidden: fewer than 3 in a round"


def test_round_change_hidden_when_one_round_has_two() -> None:
    rounds = {"start": {"p1": P1, "p2": P2, "p3": P3, "p4": P4}, "end": {"p1": AFTER["p1"], "p2": AFTER["p2"]}}
    conflict = _row(round_change(BANK, rounds, before="start", after="end"), "conflict")
    assert conflict["status"] == "hidden: fewer than 3 in a round"
    for column in ["mean_before", "mean_after", "change", "n_before", "n_after"]:
        assert _nan(conflict[column]), column


def test_round_change_uses_everyone_scored_in_each_round() -> None:
    rounds = {"start": {"p1": P1, "p2": P2, "p3": P3, "p4": P4}, "end": AFTER}
    conflict = _row(round_change(BANK, rounds, before="start", after="end"), "conflict")
    assert (conflict["mean_before"], conflict["n_before"], conflict["n_after"]) == (3.5, 4, 3)
    assert conflict["change"] == 1.0  # 4.5 - 3.5


def test_round_change_refuses_unknown_or_same_rounds() -> None:
    rounds = {"start": {"p1": P1}, "end": AFTER}
    with pytest.raises(ValidationError, match=r"no round called 'middle'; the rounds are: 'start', 'end'"):
        round_change(BANK, rounds, before="start", after="middle")
    with pytest.raises(ValidationError, match="two different rounds"):
        round_change(BANK, rounds, before="end", after="end")
    with pytest.raises(ValidationError, match="at least 3"):
        round_change(BANK, rounds, before="start", after="end", min_group=1)
    with pytest.raises(ValidationError, match=r"^Participant 'p9' in round 'end': .*'X1'"):
        round_change(BANK, {"start": {}, "end": {"p9": {"X1": 3}}}, before="start", after="end")


# =========================================================================================
# paired_change, own_change_rows
# =========================================================================================


def test_paired_change_is_measured_within_each_person() -> None:
    pairs = [(P1, AFTER["p1"]), (P2, AFTER["p2"]), (P3, AFTER["p3"])]
    change = paired_change(BANK, pairs)
    assert list(change.columns) == ["competency", "name", "mean_before", "mean_after", "change", "pairs", "status"]
    conflict = _row(change, "conflict")
    assert (conflict["mean_before"], conflict["mean_after"]) == (3.67, 4.5)  # 11/3 and 13.5/3, the same people
    assert conflict["change"] == 0.83 and conflict["pairs"] == 3 and conflict["status"] == "shown"
    assert _row(change, "listen")["status"] == "hidden: fewer than 3 pairs"  # only p1 has a score in both


def test_paired_change_counts_only_pairs_scored_in_both_rounds_and_hides_under_three() -> None:
    # p4 has no conflict score after: 3 people, 2 pairs scored in both.
    pairs = [(P1, AFTER["p1"]), (P2, AFTER["p2"]), (P4, {"C1": 3})]
    conflict = _row(paired_change(BANK, pairs), "conflict")
    assert conflict["status"] == "hidden: fewer than 3 pairs"
    for column in ["mean_before", "mean_after", "change", "pairs"]:
        assert _nan(conflict[column]), column
    with pytest.raises(ValidationError, match="at least 3"):
        paired_change(BANK, pairs, min_group=2)
    with pytest.raises(ValidationError, match=r"^Pair 2, after: .*'X1'"):
        paired_change(BANK, [(P1, AFTER["p1"]), (P2, {"X1": 3})])


def test_own_change_rows_give_one_persons_before_after_and_change() -> None:
    rows = own_change_rows(BANK, P1, AFTER["p1"])
    assert [row["competency"] for row in rows] == ["listen", "feedback", "conflict", "influence"]
    conflict = next(row for row in rows if row["competency"] == "conflict")
    assert conflict == {
        "competency": "conflict",
        "name": "Handling conflict",
        "before": 2.5,
        "after": 4.0,
        "change": 1.5,
    }
    listen = next(row for row in rows if row["competency"] == "listen")
    assert listen["before"] == 4.0 and math.isnan(listen["after"]) and math.isnan(listen["change"])
    assert all(isinstance(row, dict) for row in rows)  # plain rows: the results page loads no pandas


def test_known_answers_keep_only_the_banks_items_on_its_scale() -> None:
    """Answers saved against a bank edited since are left out, not refused."""
    given = {"L1": 4, "gone": 3, "L2": 9, "C1": 1}
    assert known_answers(BANK, given) == {"L1": 4, "C1": 1}
    assert given == {"L1": 4, "gone": 3, "L2": 9, "C1": 1}
