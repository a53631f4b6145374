"""Unit tests of cpmkit.feedback.scores: NPS and CSAT on hand-computed cases, per round and as a trend.

Expected values are worked out by hand in the comments, never recomputed with the code under test.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cpmkit.errors import ValidationError
from cpmkit.feedback.scores import Csat, Nps, csat, csat_by_round, nps, nps_by_round, rating_by_round, rounds

# -- NPS -------------------------------------------------------------------------------------


def test_nps_of_a_mixed_group() -> None:
    # 10, 9 promoters (2); 8, 7 passives (2); 6, 0 detractors (2); n = 6
    # NPS = 2/6 - 2/6 = 0 %
    result = nps([10, 9, 8, 7, 6, 0])
    assert result == Nps(n=6, promoters=2, passives=2, detractors=2)
    assert result.score == 0
    assert result.pct_promoters == pytest.approx(100 / 3)
    assert result.pct_passives == pytest.approx(100 / 3)
    assert result.pct_detractors == pytest.approx(100 / 3)


def test_nps_is_percent_promoters_minus_percent_detractors() -> None:
    # 4 promoters (10, 10, 9, 9), 1 passive (8), 2 detractors (3, 2); n = 7
    # NPS = 100 * (4 - 2) / 7 = 28.571428...
    result = nps([10, 10, 9, 9, 8, 3, 2])
    assert (result.n, result.promoters, result.passives, result.detractors) == (7, 4, 1, 2)
    assert result.score == pytest.approx(28.571428, abs=1e-6)
    assert result.pct_promoters is not None and result.pct_detractors is not None
    assert result.score == pytest.approx(result.pct_promoters - result.pct_detractors)


def test_all_promoters_is_100_and_all_detractors_is_minus_100() -> None:
    assert nps([9, 10, 10, 9]).score == 100
    assert nps([0, 6, 3, 5, 1]).score == -100


def test_only_passives_is_0_not_none() -> None:
    # 7 and 8 are passives: 0 % promoters - 0 % detractors = 0
    assert nps([7, 8, 8]).score == 0


def test_band_edges_6_7_8_9() -> None:
    # 6 is the highest detractor, 7 and 8 passives, 9 the lowest promoter
    assert nps([6]) == Nps(1, 0, 0, 1)
    assert nps([7]) == Nps(1, 0, 1, 0)
    assert nps([8]) == Nps(1, 0, 1, 0)
    assert nps([9]) == Nps(1, 1, 0, 0)


@pytest.mark.parametrize(("score", "expected"), [(10, 100.0), (9, 100.0), (8, 0.0), (7, 0.0), (6, -100.0), (0, -100.0)])
def test_a_single_response(score: int, expected: float) -> None:
    result = nps([score])
    assert result.n == 1 and result.score == expected


@pytest.mark.parametrize("scores", [[], [None], [None, math.nan, pd.NA], pd.Series([], dtype=float)])
def test_no_responses_is_none_not_zero(scores: Any) -> None:
    result = nps(scores)
    assert result == Nps(0, 0, 0, 0)
    assert result.score is None
    assert (result.pct_promoters, result.pct_passives, result.pct_detractors) == (None, None, None)


def test_blanks_are_not_counted() -> None:
    # 10, 2 answered (1 promoter, 1 detractor): NPS 0 of n = 2; the blanks do not count
    assert nps([10, None, 2, math.nan]) == Nps(2, 1, 0, 1)


@pytest.mark.parametrize(
    "scores",
    [
        np.array([10, 3], dtype=np.int8),
        pd.Series([10.0, 3.0, np.nan]),
        pd.Series([10, 3, None], dtype="Int64"),
        [np.int64(10), 3.0],
        pd.Series([10, 3, None], dtype=object),
    ],
)
def test_scores_may_come_as_any_whole_numbers(scores: Any) -> None:
    assert nps(scores) == Nps(2, 1, 0, 1)


@pytest.mark.parametrize(
    ("bad", "shown"), [(11, "11"), (-1, "-1"), (7.5, "7.5"), ("9", "'9'"), (True, "True"), (math.inf, "inf")]
)
def test_out_of_range_score_is_refused_naming_the_value(bad: Any, shown: str) -> None:
    with pytest.raises(ValidationError) as info:
        nps([9, bad, 3])
    assert f"recommend score {shown} (row 2)" in str(info.value)
    assert "whole number from 0 to 10" in str(info.value)
    assert info.value.field == "recommend"
    assert info.value.value is bad or info.value.value == bad


def test_error_names_the_frame_row_and_how_many_more() -> None:
    scores = pd.Series([9, 12, 3, 40], index=["r1", "r2", "r3", "r4"])
    with pytest.raises(ValidationError, match=r"score 12 \(row r2 and 1 more\)"):
        nps(scores)


def test_nps_does_not_change_its_input() -> None:
    scores = pd.Series([10, None, 2])
    before = scores.copy()
    nps(scores)
    pd.testing.assert_series_equal(scores, before)


# -- CSAT ------------------------------------------------------------------------------------


def test_csat_is_the_share_of_4_and_5() -> None:
    # 5 and 4 satisfied (2) out of 5 answers: 2/5 = 40 %
    result = csat([5, 4, 3, 2, 1])
    assert result == Csat(n=5, satisfied=2)
    assert result.score == 40


def test_csat_edges() -> None:
    assert csat([4, 4, 5]).score == 100  # all satisfied
    assert csat([3, 1, 2]).score == 0  # none satisfied: 0, not None
    assert csat([4]).score == 100  # a single response
    assert csat([None, 3, math.nan, 5]) == Csat(2, 1)  # blanks not counted: 1 of 2 = 50 %
    assert csat([]).score is None and csat([None]).n == 0


def test_csat_on_another_scale() -> None:
    # 1-7 scale, satisfied from 6: 7 and 6 satisfied, 5 and 1 not: 2/4 = 50 %
    assert csat([7, 6, 5, 1], scale=(1, 7), satisfied_from=6).score == 50


@pytest.mark.parametrize("bad", [0, 6, 4.5, "5"])
def test_csat_refuses_scores_off_the_scale(bad: Any) -> None:
    with pytest.raises(ValidationError, match="satisfaction score .* is not a whole number from 1 to 5") as info:
        csat([5, bad])
    assert info.value.field == "satisfaction"


@pytest.mark.parametrize(
    ("scale", "satisfied_from", "field"),
    [((5, 1), 4, "scale"), ((1.0, 5), 4, "scale"), ((1, 5), 1, "satisfied_from"), ((1, 5), 6, "satisfied_from")],
)
def test_csat_options_are_checked(scale: Any, satisfied_from: int, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        csat([5], scale=scale, satisfied_from=satisfied_from)
    assert info.value.field == field


# -- per round and trend ---------------------------------------------------------------------


def _responses() -> pd.DataFrame:
    """Three rounds, listed out of order: "May" ran first, then "June", then "July"."""
    return pd.DataFrame(
        {
            "round": ["June", "May", "June", "May", "July", "May", "June"],
            "submitted_at": pd.to_datetime(
                ["2025-06-02", "2025-05-05", "2025-06-03", "2025-05-09", "2025-07-01", "2025-05-06", "2025-06-04"]
            ),
            "recommend": [10, 6, 9, 9, None, 3, 7],
            "satisfaction": [5, 2, None, 4, 3, None, 4],
        },
        index=[f"resp{i}" for i in range(7)],
    )


def test_a_rating_question_gives_each_rounds_mean_its_n_and_the_change() -> None:
    # May: 2, (blank), 4 -> 3.0 (n 2); June: 5, 4, (blank) -> 4.5 (n 2), +1.5; July: nobody answered -> NaN (n 0)
    frame = _responses().assign(progress=[5, 2, 4, None, None, 4, None])
    table = rating_by_round(frame, column="progress", scale=(1, 5))
    assert list(table.columns) == ["round", "responses", "first_response", "last_response", "n", "mean", "change"]
    assert list(table["round"]) == ["May", "June", "July"]
    assert list(table["n"]) == [2, 2, 0]
    assert table["mean"].tolist()[:2] == [3.0, 4.5] and math.isnan(table.loc[2, "mean"])
    assert math.isnan(table.loc[0, "change"]) and table.loc[1, "change"] == 1.5
    with pytest.raises(ValidationError, match="progress score 7 .* from 1 to 5"):
        rating_by_round(frame.assign(progress=7), column="progress", scale=(1, 5))


def test_rounds_are_listed_in_the_order_they_ran() -> None:
    table = rounds(_responses())
    assert list(table.columns) == ["round", "responses", "first_response", "last_response"]
    assert list(table["round"]) == ["May", "June", "July"]
    assert list(table["responses"]) == [3, 3, 1]
    assert table.loc[0, "first_response"] == pd.Timestamp("2025-05-05")
    assert table.loc[0, "last_response"] == pd.Timestamp("2025-05-09")


def test_a_round_without_dates_comes_last() -> None:
    frame = pd.DataFrame(
        {"round": ["b", "a", "c"], "submitted_at": [pd.NaT, pd.Timestamp("2025-02-01"), pd.Timestamp("2025-01-01")]}
    )
    assert list(rounds(frame)["round"]) == ["c", "a", "b"]


def test_a_response_without_a_round_is_refused() -> None:
    frame = _responses()
    frame.loc["resp3", "round"] = None
    with pytest.raises(ValidationError, match="resp3"):
        rounds(frame)


def test_nps_by_round() -> None:
    # May:  6 (detractor), 9 (promoter), 3 (detractor): n 3, NPS 100 * (1 - 2) / 3 = -33.33
    # June: 10, 9 (promoters), 7 (passive):              n 3, NPS 100 * (2 - 0) / 3 = 66.67, change +100
    # July: no answer:                                   n 0, NPS NaN, change NaN
    table = nps_by_round(_responses())
    assert list(table.columns) == [
        "round", "responses", "first_response", "last_response", "n", "promoters", "passives", "detractors",
        "pct_promoters", "pct_passives", "pct_detractors", "nps", "change",
    ]  # fmt: skip
    assert list(table["round"]) == ["May", "June", "July"]
    assert list(table["n"]) == [3, 3, 0]
    assert list(table["promoters"]) == [1, 2, 0]
    assert list(table["passives"]) == [0, 1, 0]
    assert list(table["detractors"]) == [2, 0, 0]
    assert table["nps"].tolist()[:2] == pytest.approx([-100 / 3, 200 / 3])
    assert math.isnan(table.loc[2, "nps"])
    assert table.loc[1, "change"] == pytest.approx(100)
    assert math.isnan(table.loc[0, "change"]) and math.isnan(table.loc[2, "change"])
    assert table.loc[0, "pct_detractors"] == pytest.approx(200 / 3)
    assert table["n"].dtype == np.int64 and table["nps"].dtype == np.float64


def test_csat_by_round() -> None:
    # May:  2, 4 answered (one blank): 1 of 2 satisfied = 50 %
    # June: 5, 4 answered (one blank): 2 of 2 = 100 %, change +50
    # July: 3: 0 of 1 = 0 %, change -100
    table = csat_by_round(_responses())
    assert list(table.columns) == [
        "round",
        "responses",
        "first_response",
        "last_response",
        "n",
        "satisfied",
        "csat",
        "change",
    ]
    assert list(table["n"]) == [2, 2, 1]
    assert list(table["satisfied"]) == [1, 2, 0]
    assert list(table["csat"]) == [50, 100, 0]
    assert table["change"].tolist()[1:] == [50, -100]


def test_by_round_on_other_columns() -> None:
    frame = _responses().rename(columns={"round": "pulse", "recommend": "likely"})
    table = nps_by_round(frame, by="pulse", column="likely")
    assert list(table["pulse"]) == ["May", "June", "July"]
    assert list(table["n"]) == [3, 3, 0]


def test_by_round_with_no_responses() -> None:
    table = nps_by_round(_responses().iloc[:0])
    assert table.empty and "nps" in table.columns


def test_by_round_refuses_a_bad_score_naming_the_row() -> None:
    frame = _responses()
    frame.loc["resp4", "recommend"] = 11
    with pytest.raises(ValidationError, match=r"recommend score 11 \(row resp4\)"):
        nps_by_round(frame)


def test_by_round_needs_its_columns() -> None:
    with pytest.raises(ValidationError, match="needs the column"):
        csat_by_round(_responses().drop(columns="satisfaction"))
    with pytest.raises(ValidationError, match="submitted_at"):
        nps_by_round(_responses().drop(columns="submitted_at"))


def test_by_round_does_not_change_its_input() -> None:
    frame = _responses()
    before = frame.copy()
    nps_by_round(frame)
    csat_by_round(frame)
    pd.testing.assert_frame_equal(frame, before)
