"""Unit tests of cpmkit.stakeholders.rules: pure logic over plain values and DataFrames.

Expected values are worked out by hand in the comments, never recomputed with the code under test.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
import pytest

from cpmkit.core import fields
from cpmkit.errors import ValidationError
from cpmkit.stakeholders.rules import (
    CADENCES,
    CATEGORIES,
    CHANNELS,
    ENGAGEMENT_LEVELS,
    HIGH_FROM,
    QUADRANTS,
    clean_measure_field,
    clean_stakeholder_field,
    communication_plan,
    engagement_gaps,
    name_key,
    power_interest_grid,
    progress_percent,
    quadrant,
    touchpoint_status,
    value_scorecard,
)

TODAY = dt.date(2024, 6, 15)
PLAN_COLUMNS = ["name", "expected_value", "channel", "cadence", "owner", "last_contact", "next_touchpoint"]
MEASURE_COLUMNS = ["stakeholder", "metric", "unit", "baseline", "target", "latest", "measured_on"]


def _label(field: str) -> str:
    return field.replace("_", " ").capitalize()


def _refused(field: str, value: Any, **kwargs: Any) -> ValidationError:
    """Clean ``value`` for ``field`` expecting a refusal; check the error's context and return it."""
    with pytest.raises(ValidationError) as info:
        clean_stakeholder_field(field, value, **kwargs)
    error = info.value
    assert error.field == field
    assert error.value is value
    assert str(error).startswith(f"{_label(field)}: "), str(error)
    return error


def _measure_refused(field: str, value: Any, current: dict[str, Any] | None = None) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        clean_measure_field(field, value, current=current or {})
    error = info.value
    assert error.field == field
    assert error.value is value
    assert str(error).startswith(f"{_label(field)}: "), str(error)
    return error


# -- constants -------------------------------------------------------------------------------


def test_cadence_days() -> None:
    assert CADENCES == {"weekly": 7, "fortnightly": 14, "monthly": 30, "per milestone": None}


def test_engagement_levels_run_from_least_to_most_engaged() -> None:
    assert ENGAGEMENT_LEVELS == ("unaware", "resistant", "neutral", "supportive", "leading")


# -- clean_stakeholder_field: name ------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"), [("Ann Lee", "Ann Lee"), ("  Ann Lee \t\n", "Ann Lee"), ("Ann  Lee", "Ann  Lee")]
)
def test_name_is_trimmed_but_inner_spacing_kept(raw: str, clean: str) -> None:
    assert clean_stakeholder_field("name", raw) == clean


@pytest.mark.parametrize("value", [None, "", "   ", "\t\n"])
def test_name_is_required(value: Any) -> None:
    error = _refused("name", value)
    assert str(error) == "Name: cannot be empty."


def test_name_length_limit_is_120_after_trimming() -> None:
    assert clean_stakeholder_field("name", "x" * 120) == "x" * 120
    assert clean_stakeholder_field("name", "  " + "x" * 120 + "  ") == "x" * 120
    error = _refused("name", "x" * 121)
    assert str(error) == "Name: is 121 characters long; the limit is 120."


@pytest.mark.parametrize("value", ["Ann Lee", "ann lee", "ANN LEE", "  Ann   Lee  ", "ann\tlee"])
def test_duplicate_name_ignores_case_and_spacing(value: str) -> None:
    error = _refused("name", value, other_names=["Bob", "Ann Lee"])
    assert "another stakeholder is already called" in str(error)
    assert repr(value.strip()) in str(error)


def test_name_different_from_others_is_accepted() -> None:
    assert clean_stakeholder_field("name", "Ann Leigh", other_names=["Ann Lee", "Bob"]) == "Ann Leigh"
    # other_names may be any iterable, e.g. a generator or a pandas Series
    assert clean_stakeholder_field("name", "Cy", other_names=(n for n in ["Ann"])) == "Cy"
    assert clean_stakeholder_field("name", "Cy", other_names=pd.Series(["Ann", "Bob"])) == "Cy"


def test_name_key() -> None:
    assert name_key is fields.name_key  # one comparison for every name (tests/test_fields.py)
    assert name_key("  Ann   LEE\t") == name_key("annlee")
    assert name_key("Straße") == name_key("STRASSE")  # casefold, not lower


@pytest.mark.parametrize("look_alike", ["Bоb", "Bob\u200b", "B o b", "ＢＯＢ"])
def test_a_look_alike_of_another_name_is_refused(look_alike: str) -> None:
    with pytest.raises(ValidationError, match="another stakeholder is already called"):
        clean_stakeholder_field("name", look_alike, other_names=["Bob"])


def test_a_name_nothing_of_which_shows_is_refused() -> None:
    with pytest.raises(ValidationError, match="^Name: nothing of it shows on screen"):
        clean_stakeholder_field("name", "\u200b\u2060")


# -- clean_stakeholder_field: other text -------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "limit"), [("role", 200), ("organisation", 200), ("expected_value", 2000), ("owner", 120)]
)
def test_optional_text_fields(field: str, limit: int) -> None:
    assert clean_stakeholder_field(field, "  some text ") == "some text"
    assert clean_stakeholder_field(field, None) is None
    assert clean_stakeholder_field(field, "") is None
    assert clean_stakeholder_field(field, "   ") is None
    assert clean_stakeholder_field(field, "y" * limit) == "y" * limit
    error = _refused(field, "y" * (limit + 1))
    assert str(error) == f"{_label(field)}: is {limit + 1} characters long; the limit is {limit}."


def test_unknown_stakeholder_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="Unknown stakeholder field 'colour'") as info:
        clean_stakeholder_field("colour", "blue")
    assert info.value.field == "colour"
    assert info.value.value == "blue"


# -- clean_stakeholder_field: power and interest ---------------------------------------------


@pytest.mark.parametrize("field", ["power", "interest"])
@pytest.mark.parametrize(("value", "clean"), [(1, 1), (5, 5), ("3", 3), (" 4 ", 4), (3.0, 3), ("2.0", 2)])
def test_scale_accepts_whole_numbers_1_to_5(field: str, value: Any, clean: int) -> None:
    result = clean_stakeholder_field(field, value)
    assert result == clean
    assert type(result) is int


@pytest.mark.parametrize("field", ["power", "interest"])
@pytest.mark.parametrize("value", [0, 6, -1, 2.5, "2.5", "x", float("inf"), True])
def test_scale_refuses_anything_else(field: str, value: Any) -> None:
    error = _refused(field, value)
    assert str(error) == f"{_label(field)}: must be a whole number from 1 to 5, not {value!r}."


@pytest.mark.parametrize("field", ["power", "interest"])
@pytest.mark.parametrize("value", ["", "  ", None, float("nan")])
def test_a_blank_scale_means_not_rated_yet(field: str, value: Any) -> None:
    assert clean_stakeholder_field(field, value) is None


# -- clean_stakeholder_field: choices --------------------------------------------------------

CHOICE_FIELDS = [
    ("category", CATEGORIES),
    ("current_engagement", ENGAGEMENT_LEVELS),
    ("desired_engagement", ENGAGEMENT_LEVELS),
    ("channel", CHANNELS),
    ("cadence", tuple(CADENCES)),
]


@pytest.mark.parametrize(("field", "choices"), CHOICE_FIELDS)
def test_choices_are_case_insensitive(field: str, choices: tuple[str, ...]) -> None:
    for choice in choices:
        assert clean_stakeholder_field(field, choice) == choice
        assert clean_stakeholder_field(field, f"  {choice.upper()} ") == choice
        assert clean_stakeholder_field(field, choice.title()) == choice


@pytest.mark.parametrize(("field", "choices"), CHOICE_FIELDS)
def test_choice_may_be_left_empty(field: str, choices: tuple[str, ...]) -> None:
    assert clean_stakeholder_field(field, None) is None
    assert clean_stakeholder_field(field, "") is None


@pytest.mark.parametrize(("field", "choices"), CHOICE_FIELDS)
def test_unknown_choice_is_refused_with_the_allowed_list(field: str, choices: tuple[str, ...]) -> None:
    error = _refused(field, "Sometimes")
    assert str(error) == f"{_label(field)}: 'Sometimes' is not one of: {', '.join(choices)}."


def test_choice_messages_spelled_out() -> None:
    assert (
        str(_refused("category", "vip"))
        == "Category: 'vip' is not one of: customer, sponsor, user, team, supplier, other."
    )
    assert str(_refused("cadence", "daily")) == (
        "Cadence: 'daily' is not one of: weekly, fortnightly, monthly, per milestone."
    )
    assert str(_refused("current_engagement", "keen")).startswith("Current engagement: 'keen' is not one of: unaware,")


# -- clean_stakeholder_field: dates ------------------------------------------------------------


@pytest.mark.parametrize("field", ["last_contact", "next_touchpoint"])
@pytest.mark.parametrize(
    ("value", "clean"),
    [
        ("2024-03-05", dt.date(2024, 3, 5)),
        (" 2024-03-05 ", dt.date(2024, 3, 5)),
        (dt.date(2024, 3, 5), dt.date(2024, 3, 5)),
        (dt.datetime(2024, 3, 5, 23, 59), dt.date(2024, 3, 5)),
        (pd.Timestamp("2024-03-05 10:00"), dt.date(2024, 3, 5)),
        (None, None),
        ("", None),
        (pd.NaT, None),
    ],
)
def test_dates(field: str, value: Any, clean: dt.date | None) -> None:
    result = clean_stakeholder_field(field, value)
    assert result == clean
    assert type(result) is (dt.date if clean is not None else type(None))


@pytest.mark.parametrize("field", ["last_contact", "next_touchpoint"])
@pytest.mark.parametrize("value", ["05/03/2024", "2024-02-30", "tomorrow", "2024-13-01"])
def test_bad_date_says_use_yyyy_mm_dd(field: str, value: str) -> None:
    error = _refused(field, value)
    assert str(error) == f"{_label(field)}: {value!r} is not a date (use YYYY-MM-DD)."


# -- every refusal names its field -------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("name", "", "Name"),
        ("role", "r" * 201, "Role"),
        ("organisation", "o" * 201, "Organisation"),
        ("category", "vip", "Category"),
        ("power", 0, "Power"),
        ("interest", 6, "Interest"),
        ("current_engagement", "keen", "Current engagement"),
        ("desired_engagement", "keen", "Desired engagement"),
        ("expected_value", "v" * 2001, "Expected value"),
        ("channel", "pigeon", "Channel"),
        ("cadence", "daily", "Cadence"),
        ("owner", "w" * 121, "Owner"),
        ("last_contact", "yesterday", "Last contact"),
        ("next_touchpoint", "soon", "Next touchpoint"),
    ],
)
def test_every_message_starts_with_the_field_label(field: str, value: Any, label: str) -> None:
    error = _refused(field, value)
    assert str(error).startswith(f"{label}: ")
    assert isinstance(error, ValueError)


# -- clean_measure_field -----------------------------------------------------------------------


def test_metric_is_required_and_trimmed() -> None:
    assert clean_measure_field("metric", "  Net promoter score ", current={}) == "Net promoter score"
    for empty in (None, "", "  "):
        assert str(_measure_refused("metric", empty)) == "Metric: cannot be empty."
    assert clean_measure_field("metric", "m" * 200, current={}) == "m" * 200
    assert str(_measure_refused("metric", "m" * 201)) == "Metric: is 201 characters long; the limit is 200."


def test_unit_is_optional() -> None:
    assert clean_measure_field("unit", " % ", current={}) == "%"
    assert clean_measure_field("unit", "", current={}) is None
    assert clean_measure_field("unit", None, current={}) is None
    assert str(_measure_refused("unit", "u" * 41)) == "Unit: is 41 characters long; the limit is 40."


@pytest.mark.parametrize("field", ["baseline", "target", "latest"])
@pytest.mark.parametrize(
    ("value", "clean"),
    [("1,200", 1200.0), (" 3.5 ", 3.5), ("-2", -2.0), ("1,234,567.5", 1234567.5), (7, 7.0), (0, 0.0), (2.25, 2.25)],
)
def test_measure_numbers(field: str, value: Any, clean: float) -> None:
    result = clean_measure_field(field, value, current={})
    assert result == clean
    assert type(result) is float


@pytest.mark.parametrize("field", ["baseline", "target", "latest"])
@pytest.mark.parametrize("value", [None, "", "   ", float("nan")])
def test_blank_measure_number_is_none(field: str, value: Any) -> None:
    assert clean_measure_field(field, value, current={}) is None


@pytest.mark.parametrize("field", ["baseline", "target", "latest"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "Infinity", float("inf")])
def test_non_finite_measure_number_is_refused(field: str, value: Any) -> None:
    error = _measure_refused(field, value)
    assert str(error) == f"{_label(field)}: {value!r} is not a finite number."


@pytest.mark.parametrize("value", ["abc", "12 kg", "1.2.3", [1]])
def test_non_number_is_refused(value: Any) -> None:
    error = _measure_refused("latest", value)
    assert str(error) == f"Latest: {value!r} is not a number."


def test_target_equal_to_baseline_is_refused_when_setting_the_target() -> None:
    error = _measure_refused("target", "1,200", {"baseline": 1200.0, "target": None})
    assert str(error) == "Target: the target equals the baseline (1200), so progress cannot be measured."


def test_baseline_equal_to_target_is_refused_when_setting_the_baseline() -> None:
    error = _measure_refused("baseline", 2.5, {"baseline": 1.0, "target": 2.5})
    assert str(error) == "Baseline: the target equals the baseline (2.5), so progress cannot be measured."


def test_target_different_from_baseline_is_accepted() -> None:
    assert clean_measure_field("target", "5", current={"baseline": 10.0}) == 5.0
    assert clean_measure_field("baseline", 0, current={"target": 0.5}) == 0.0
    # Clearing either side, or a latest equal to both, is fine.
    assert clean_measure_field("baseline", "", current={"baseline": 3.0, "target": 3.5}) is None
    assert clean_measure_field("latest", 10, current={"baseline": 10.0, "target": 20.0}) == 10.0
    assert clean_measure_field("target", 10, current={"baseline": None}) == 10.0


def test_measured_on_is_a_date() -> None:
    assert clean_measure_field("measured_on", "2024-06-01", current={}) == dt.date(2024, 6, 1)
    assert clean_measure_field("measured_on", None, current={}) is None
    assert str(_measure_refused("measured_on", "June")) == "Measured on: 'June' is not a date (use YYYY-MM-DD)."


def test_unknown_measure_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="Unknown measure field 'weight'") as info:
        clean_measure_field("weight", 3, current={})
    assert info.value.field == "weight"


# -- quadrant ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("power", "interest", "strategy"),
    [
        (3, 3, "manage closely"),
        (5, 5, "manage closely"),
        (2, 3, "keep informed"),
        (1, 5, "keep informed"),
        (3, 2, "keep satisfied"),
        (5, 1, "keep satisfied"),
        (2, 2, "monitor"),
        (1, 1, "monitor"),
    ],
)
def test_quadrant_boundaries(power: int, interest: int, strategy: str) -> None:
    assert HIGH_FROM == 3
    assert quadrant(power, interest) == strategy


def test_four_strategies() -> None:
    assert sorted(QUADRANTS.values()) == ["keep informed", "keep satisfied", "manage closely", "monitor"]


# -- power_interest_grid -----------------------------------------------------------------------

GRID_COLUMNS = ["power", "interest", "strategy", "count", "names"]


def test_grid_aggregates_people_in_the_same_cell() -> None:
    register = pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6, 7, 8],
            "name": ["carl", "Bob", "ann", "Dee", "Eve", "Fay", "Gus", "Hal"],
            "power": [4, 4, 4, 2, 4, None, 3, 1],
            "interest": [3, 3, 3, 2, 5, 4, None, 5],
        }
    )
    grid = power_interest_grid(register)
    assert list(grid.columns) == GRID_COLUMNS
    # Highest power first, then highest interest; Fay and Gus are not rated and left out.
    assert grid.to_dict("records") == [
        {"power": 4, "interest": 5, "strategy": "manage closely", "count": 1, "names": "Eve"},
        {"power": 4, "interest": 3, "strategy": "manage closely", "count": 3, "names": "ann, Bob, carl"},
        {"power": 2, "interest": 2, "strategy": "monitor", "count": 1, "names": "Dee"},
        {"power": 1, "interest": 5, "strategy": "keep informed", "count": 1, "names": "Hal"},
    ]
    assert list(grid.index) == [0, 1, 2, 3]
    assert register["name"].tolist() == ["carl", "Bob", "ann", "Dee", "Eve", "Fay", "Gus", "Hal"]  # input untouched


def test_grid_counts_are_integers() -> None:
    register = pd.DataFrame({"name": ["A", "B"], "power": [5.0, 1.0], "interest": [1.0, 1.0]})
    grid = power_interest_grid(register)
    assert grid[["power", "interest"]].to_dict("records") == [{"power": 5, "interest": 1}, {"power": 1, "interest": 1}]
    assert grid["strategy"].tolist() == ["keep satisfied", "monitor"]
    assert all(isinstance(v, int) for v in grid["power"].tolist() + grid["count"].tolist())


@pytest.mark.parametrize(
    "register",
    [
        pd.DataFrame({"name": [], "power": [], "interest": []}),
        pd.DataFrame({"name": ["A", "B"], "power": [None, 3], "interest": [2, None]}),
    ],
    ids=["no rows", "none rated"],
)
def test_grid_of_nobody_is_an_empty_frame_with_the_columns(register: pd.DataFrame) -> None:
    grid = power_interest_grid(register)
    assert grid.empty
    assert list(grid.columns) == GRID_COLUMNS


def test_grid_needs_its_columns() -> None:
    with pytest.raises(ValidationError, match=r"^The power/interest grid needs the column\(s\) interest\.$"):
        power_interest_grid(pd.DataFrame({"name": ["A"], "power": [3]}))


# -- engagement_gaps ---------------------------------------------------------------------------


def test_engagement_gaps_sign_and_order() -> None:
    register = pd.DataFrame(
        {
            "name": ["Ann", "Bea", "Cy", "Dan", "Eve", "Fay", "Abe", "Gus", "Hal"],
            "current_engagement": [
                "neutral",
                "supportive",
                "unaware",
                "resistant",
                "neutral",
                "unaware",
                "leading",
                None,
                "neutral",
            ],
            "desired_engagement": [
                "supportive",
                "neutral",
                "leading",
                "leading",
                "neutral",
                "resistant",
                "neutral",
                "leading",
                None,
            ],
            "power": [1] * 9,
        }
    )
    gaps = engagement_gaps(register)
    assert list(gaps.columns) == ["name", "current_engagement", "desired_engagement", "gap"]
    # unaware=0 resistant=1 neutral=2 supportive=3 leading=4; gap = desired - current.
    # Largest |gap| first; on a tie positive before negative, then by name. Gus and Hal lack a level.
    assert list(zip(gaps["name"], gaps["gap"])) == [
        ("Cy", 4),
        ("Dan", 3),
        ("Abe", -2),
        ("Ann", 1),
        ("Fay", 1),
        ("Bea", -1),
        ("Eve", 0),
    ]
    assert gaps["gap"].dtype.kind == "i"
    assert list(gaps.index) == list(range(7))


def test_engagement_gap_negative_means_more_engaged_than_needed() -> None:
    register = pd.DataFrame({"name": ["Zed"], "current_engagement": ["leading"], "desired_engagement": ["resistant"]})
    row = engagement_gaps(register).iloc[0]
    assert int(row["gap"]) == -3


def test_engagement_gaps_of_nobody() -> None:
    gaps = engagement_gaps(pd.DataFrame({"name": [], "current_engagement": [], "desired_engagement": []}))
    assert gaps.empty
    assert list(gaps.columns) == ["name", "current_engagement", "desired_engagement", "gap"]


def test_engagement_gaps_need_their_columns() -> None:
    with pytest.raises(ValidationError, match=r"needs the column\(s\) desired_engagement\."):
        engagement_gaps(pd.DataFrame({"name": ["A"], "current_engagement": ["neutral"]}))


# -- communication_plan ------------------------------------------------------------------------


def _register(rows: list[dict[str, Any]]) -> pd.DataFrame:
    defaults = {
        "expected_value": None,
        "channel": "email",
        "owner": "PM",
        "last_contact": None,
        "next_touchpoint": None,
    }
    return pd.DataFrame([{**defaults, **row} for row in rows], columns=["id", *PLAN_COLUMNS, "power"])


def test_communication_plan_next_due_overdue_and_order() -> None:
    d = dt.date
    register = _register(
        [
            {"name": "Ann", "cadence": "weekly", "last_contact": d(2024, 6, 10)},  # 06-17, not overdue
            {"name": "Bob", "cadence": "fortnightly", "last_contact": d(2024, 5, 20)},  # 06-03, 12 days over
            {"name": "Cy", "cadence": "monthly", "last_contact": d(2024, 5, 1)},  # 05-31, 15 days over
            {"name": "Dee", "cadence": "per milestone", "last_contact": d(2024, 5, 1)},  # no date
            {
                "name": "Eve",
                "cadence": "weekly",
                "last_contact": d(2024, 6, 14),
                "next_touchpoint": d(2024, 7, 1),
            },  # manual
            {"name": "Fay", "cadence": "monthly"},  # never contacted: due today, not overdue
            {"name": "Gus", "cadence": "per milestone", "next_touchpoint": d(2024, 6, 10)},  # manual, 5 days over
            {"name": "Hal", "cadence": None, "last_contact": d(2024, 6, 1)},  # no cadence: no date
        ]
    )
    plan = communication_plan(register, today=TODAY)
    assert list(plan.columns) == [
        "name",
        "expected_value",
        "channel",
        "cadence",
        "owner",
        "last_contact",
        "next_due",
        "overdue",
        "days_overdue",
    ]
    # Overdue first (earliest due first), then by due date, undated last (by name).
    assert plan["name"].tolist() == ["Cy", "Bob", "Gus", "Fay", "Ann", "Eve", "Dee", "Hal"]
    assert plan["next_due"].tolist() == [
        d(2024, 5, 31),
        d(2024, 6, 3),
        d(2024, 6, 10),
        TODAY,
        d(2024, 6, 17),
        d(2024, 7, 1),
        None,
        None,
    ]
    assert plan["overdue"].tolist() == [True, True, True, False, False, False, False, False]
    assert plan["days_overdue"].tolist() == [15, 12, 5, 0, 0, 0, 0, 0]
    assert list(plan.index) == list(range(8))


def test_manual_touchpoint_overrides_an_earlier_or_later_cadence_date() -> None:
    register = _register(
        [
            {
                "name": "Early",
                "cadence": "monthly",
                "last_contact": dt.date(2024, 6, 1),
                "next_touchpoint": dt.date(2024, 6, 5),
            },
            {
                "name": "Late",
                "cadence": "weekly",
                "last_contact": dt.date(2024, 6, 14),
                "next_touchpoint": dt.date(2024, 9, 1),
            },
        ]
    )
    plan = communication_plan(register, today=TODAY).set_index("name")
    assert plan.loc["Early", "next_due"] == dt.date(2024, 6, 5)  # not 07-01
    assert plan.loc["Early", "days_overdue"] == 10
    assert plan.loc["Late", "next_due"] == dt.date(2024, 9, 1)  # not 06-21
    assert not plan.loc["Late", "overdue"]


def test_due_today_is_not_overdue_due_yesterday_is() -> None:
    register = _register(
        [
            {"name": "Today", "cadence": "weekly", "last_contact": dt.date(2024, 6, 8)},
            {"name": "Yesterday", "cadence": "weekly", "last_contact": dt.date(2024, 6, 7)},
        ]
    )
    plan = communication_plan(register, today=TODAY).set_index("name")
    assert plan.loc["Today", "next_due"] == TODAY and not plan.loc["Today", "overdue"]
    assert plan.loc["Today", "days_overdue"] == 0
    assert plan.loc["Yesterday", "next_due"] == dt.date(2024, 6, 14) and plan.loc["Yesterday", "overdue"]
    assert plan.loc["Yesterday", "days_overdue"] == 1


def test_never_contacted_is_due_today_whatever_the_cadence() -> None:
    register = _register([{"name": n, "cadence": c} for n, c in [("A", "weekly"), ("B", "per milestone"), ("C", None)]])
    plan = communication_plan(register, today=TODAY)
    assert plan["next_due"].tolist() == [TODAY, TODAY, TODAY]
    assert plan["overdue"].tolist() == [False, False, False]


def test_datetime_contacts_count_as_their_date() -> None:
    register = _register(
        [
            {"name": "A", "cadence": "weekly", "last_contact": dt.datetime(2024, 6, 10, 17, 45)},
            {"name": "B", "cadence": "weekly", "next_touchpoint": pd.Timestamp("2024-06-12 09:00")},
        ]
    )
    plan = communication_plan(register, today=TODAY).set_index("name")
    assert plan.loc["A", "next_due"] == dt.date(2024, 6, 17)
    assert plan.loc["B", "next_due"] == dt.date(2024, 6, 12)
    assert plan.loc["B", "days_overdue"] == 3


def test_communication_plan_of_nobody() -> None:
    plan = communication_plan(pd.DataFrame({c: [] for c in PLAN_COLUMNS}), today=TODAY)
    assert plan.empty
    assert "next_due" in plan.columns and "next_touchpoint" not in plan.columns


def test_communication_plan_needs_its_columns() -> None:
    register = _register([{"name": "A", "cadence": "weekly"}]).drop(columns=["owner", "last_contact"])
    with pytest.raises(ValidationError, match=r"^The communication plan needs the column\(s\) owner, last_contact\.$"):
        communication_plan(register, today=TODAY)


# -- value_scorecard ---------------------------------------------------------------------------


def _measures(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["stakeholder", "metric", "baseline", "target", "latest"])
    frame.insert(0, "id", range(1, len(frame) + 1))
    frame["unit"] = None
    frame["measured_on"] = None
    return frame


def test_value_scorecard_progress_and_status() -> None:
    nan = math.nan
    card = value_scorecard(
        _measures(
            [
                ("Ann", "NPS", 20, 50, 35),  # 15/30 = 0.5
                ("Ann", "Wait days", 10, 5, 7),  # decreasing target: -3/-5 = 0.6
                ("Bob", "Defects", 10, 5, 12),  # 2/-5 = -0.4, moving away
                ("Bob", "Sales", 100, 200, 250),  # 1.5, beyond the target
                ("Cy", "Uptime", 90, 99, 99),  # exactly 1.0
                ("Cy", "Score", 1, 4, nan),  # not measured yet
                ("Dee", "Vague", nan, 5, 3),  # no baseline
                ("Dee", "Vaguer", 3, nan, nan),  # no target
                ("Eve", "Thirds", 0, 3, 1),  # 0.3333 -> 0.333
                ("Eve", "Start", 4, 8, 4),  # still at the baseline: 0.0
            ]
        )
    )
    assert list(card.columns) == [*MEASURE_COLUMNS, "progress", "status"]
    rows = [
        (r["stakeholder"], r["metric"], None if pd.isna(r["progress"]) else r["progress"], r["status"])
        for r in card.to_dict("records")
    ]
    # Not-yet-computable first (by stakeholder, metric), then by progress ascending.
    assert rows == [
        ("Cy", "Score", None, "not measured"),
        ("Dee", "Vague", None, "not defined"),
        ("Dee", "Vaguer", None, "not defined"),
        ("Bob", "Defects", -0.4, "moving away"),
        ("Eve", "Start", 0.0, "in progress"),
        ("Eve", "Thirds", 0.333, "in progress"),
        ("Ann", "NPS", 0.5, "in progress"),
        ("Ann", "Wait days", 0.6, "in progress"),
        ("Cy", "Uptime", 1.0, "target met"),
        ("Bob", "Sales", 1.5, "target met"),
    ]
    assert list(card.index) == list(range(10))


def test_decreasing_target_progress() -> None:
    card = value_scorecard(_measures([("Ann", "Wait days", 10, 5, 7)]))
    assert card.loc[0, "progress"] == pytest.approx(0.6)
    assert card.loc[0, "status"] == "in progress"


def test_value_scorecard_with_nothing_filled_in() -> None:
    """A measure just added in the store has only a metric: every number is None (object column)."""
    frame = pd.DataFrame([(1, "Ann", "NPS", None, None, None, None, None)], columns=["id", *MEASURE_COLUMNS])
    card = value_scorecard(frame)
    assert card.loc[0, "status"] == "not defined"
    assert pd.isna(card.loc[0, "progress"])


def test_value_scorecard_of_no_measures() -> None:
    card = value_scorecard(pd.DataFrame(columns=MEASURE_COLUMNS))
    assert card.empty
    assert list(card.columns) == [*MEASURE_COLUMNS, "progress", "status"]


def test_value_scorecard_needs_its_columns() -> None:
    with pytest.raises(ValidationError, match=r"^The value scorecard needs the column\(s\) latest\.$"):
        value_scorecard(_measures([("Ann", "NPS", 1, 2, 1)]).drop(columns="latest"))


def test_touchpoint_status_says_how_late_an_overdue_touchpoint_is() -> None:
    today = dt.date(2024, 3, 10)
    register = pd.DataFrame(
        {
            "name": ["Late", "Fine", "Never"],
            "expected_value": None,
            "channel": None,
            "cadence": ["weekly", "monthly", "weekly"],
            "owner": None,
            "last_contact": [dt.date(2024, 3, 1), dt.date(2024, 3, 1), None],
            "next_touchpoint": None,
        }
    )
    plan = communication_plan(register, today=today)
    # Late: 1 March + 7 days = 8 March, 2 days ago; never contacted: due today, not overdue.
    assert dict(zip(plan["name"], touchpoint_status(plan))) == {"Late": "OVERDUE by 2 day(s)", "Fine": "", "Never": ""}
    assert touchpoint_status(plan.iloc[0:0]) == []


def test_progress_percent_is_whole_percent_of_the_way_to_the_target() -> None:
    card = pd.DataFrame({"progress": [0.0, 0.333, 1.0, -0.255, math.nan]})
    assert list(progress_percent(card).fillna(-999)) == [0.0, 33.0, 100.0, -26.0, -999]
