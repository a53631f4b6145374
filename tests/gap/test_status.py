"""Unit tests of cpmkit.gap.status: the all-red rule on hand-computed cases (by satisfaction,
by the gap on the most important dimension, ties, non-key stakeholders), the other lights,
and the standalone HTML export (escaped, no script, nothing fetched)."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cpmkit.errors import ValidationError
from cpmkit.gap.rules import RATING_COLUMNS, current_ratings, gap_table
from cpmkit.gap.status import CUSTOMER_COLUMNS, CUSTOMER_LIGHT, LIGHTS, StatusReport, status_report, status_report_html
from cpmkit.gap.template import StatusRules, load_gap_template

# The rules of templates/expectation_gap.yaml (checked below), written out so each case reads alone.
RULES = StatusRules(
    areas=("scope", "schedule", "budget"),
    key_categories=("customer", "sponsor"),
    dissatisfied_satisfaction=2,
    dissatisfied_gap=-2.0,
    at_risk_satisfaction=3,
    at_risk_gap=-1.0,
    satisfaction_scale=(1, 5),
)
SOURCES = ("survey", "stakeholder", "estimate")
NAMES = {"reliability": "Reliability", "schedule": "Schedule", "scope": "Scope", "budget": "Budget"}
SET = {"scope": "green", "schedule": "amber", "budget": None}
JAN, FEB, MAR = dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)
ACME, BEA, ZED = (1, "Acme"), (2, "Bea"), (3, "Zed Corp")
REGISTER = pd.DataFrame(
    {
        "id": [1, 2, 3],
        "name": ["Acme", "Bea", "Zed Corp"],
        "category": ["customer", "team", "sponsor"],
        "power": [5, 3, 4],
    }
)


def scores(*rows: tuple[tuple[int, str], int, str, dt.date]) -> pd.DataFrame:
    """Satisfaction rows of ((id, name), score, source, date)."""
    return pd.DataFrame(
        [(sid, name, source, on, score) for (sid, name), score, source, on in rows],
        columns=["stakeholder_id", "stakeholder", "source", "assessed_on", "score"],
    )


def gaps(*rows: tuple[tuple[int, str], str, int, int, Any]) -> pd.DataFrame:
    """The gap list from estimate rows of ((id, name), dimension, expectation, perception, importance)."""
    frame = pd.DataFrame(
        [(sid, name, dimension, "estimate", JAN, e, p, i) for (sid, name), dimension, e, p, i in rows],
        columns=RATING_COLUMNS,
    )
    return gap_table(current_ratings(frame, sources=SOURCES), dimensions=list(NAMES))


def report(
    satisfaction: pd.DataFrame | None = None, gap_list: pd.DataFrame | None = None, **kwargs: Any
) -> StatusReport:
    return status_report(
        kwargs.pop("set_lights", SET),
        kwargs.pop("register", REGISTER),
        scores() if satisfaction is None else satisfaction,
        gaps() if gap_list is None else gap_list,
        rules=kwargs.pop("rules", RULES),
        sources=SOURCES,
        names=NAMES,
        **kwargs,
    )


ALL_RED = {"scope": "red", "schedule": "red", "budget": "red", CUSTOMER_LIGHT: "red"}


def test_the_rules_are_the_templates() -> None:
    assert load_gap_template(Path(__file__).resolve().parents[2] / "templates").rules == RULES
    assert LIGHTS == ("green", "amber", "red")


# -- all red -----------------------------------------------------------------------------------


def test_a_key_customer_at_or_below_2_of_5_turns_every_light_red() -> None:
    shown = report(scores((ACME, 2, "survey", JAN)))  # 2 <= 2
    assert shown.all_red
    assert shown.lights == ALL_RED
    assert shown.set_lights == SET  # what the PM set is kept
    assert shown.reasons == (
        "Every light is red because Acme (a key customer) is dissatisfied: satisfaction 2 of 5 is at or below 2.",
    )
    assert list(shown.customers.columns) == CUSTOMER_COLUMNS
    assert shown.customers.drop(columns="stakeholder_id").astype(object).where(shown.customers.notna(), None).to_dict("records")[0] == {
        "stakeholder": "Acme", "category": "customer", "satisfaction": 2, "top_dimension": None, "top_gap": None, "verdict": "dissatisfied",
    }  # fmt: skip


def test_a_gap_at_or_below_minus_2_on_the_most_important_dimension_turns_every_light_red() -> None:
    shown = report(
        scores((ACME, 4, "survey", JAN)),  # satisfied enough: 4 > 3
        gaps(
            (ACME, "reliability", 6, 3, 60),  # most important (60): gap 3 - 6 = -3 <= -2
            (ACME, "schedule", 5, 4, 40),  # gap -1
        ),
    )
    assert shown.all_red and shown.lights == ALL_RED
    assert shown.reasons == (
        (
            "Every light is red because Acme (a key customer) is dissatisfied: "
            "the gap on Reliability, their most important dimension, is -3, at or below -2."
        ),
    )
    assert shown.customers[["stakeholder", "satisfaction", "top_dimension", "top_gap", "verdict"]].values.tolist()[0] == [
        "Acme", 4, "Reliability", -3, "dissatisfied",
    ]  # fmt: skip


def test_a_tie_in_top_importance_takes_the_worst_gap() -> None:
    shown = report(
        gap_list=gaps(
            (ACME, "reliability", 6, 5, 50),  # 50, gap -1 (only at risk on its own)
            (ACME, "scope", 6, 4, 50),  # 50 too, gap -2: the worse of the tie -> -2 <= -2: dissatisfied
        )
    )
    assert shown.all_red
    assert shown.reasons == (
        (
            "Every light is red because Acme (a key customer) is dissatisfied: "
            "the gap on Scope, their most important dimension, is -2, at or below -2."
        ),
    )


def test_a_worse_gap_on_a_less_important_dimension_does_not_count() -> None:
    shown = report(
        scores((ACME, 4, "survey", JAN)),
        gaps(
            (ACME, "reliability", 6, 6, 70), (ACME, "schedule", 6, 1, 30)
        ),  # top: reliability, gap 0; schedule -5 is less important
    )
    assert not shown.all_red
    assert shown.lights == {**SET, CUSTOMER_LIGHT: "green"}
    assert shown.reasons == ()
    assert shown.customers["verdict"].tolist() == ["on track", "not assessed"]  # Acme, then Zed Corp


def test_both_rules_met_give_both_reasons() -> None:
    shown = report(scores((ACME, 1, "survey", JAN)), gaps((ACME, "budget", 7, 2, 100)))  # 1 <= 2; gap -5 <= -2
    assert shown.reasons == (
        "Every light is red because Acme (a key customer) is dissatisfied: satisfaction 1 of 5 is at or below 2.",
        (
            "Every light is red because Acme (a key customer) is dissatisfied: "
            "the gap on Budget, their most important dimension, is -5, at or below -2."
        ),
    )


def test_a_dissatisfied_stakeholder_who_is_not_a_key_customer_changes_nothing() -> None:
    shown = report(
        scores((BEA, 1, "survey", JAN)),  # Bea is "team": not a key customer
        gaps((BEA, "reliability", 7, 1, 100)),
    )
    assert not shown.all_red
    assert shown.lights == {**SET, CUSTOMER_LIGHT: None}  # no key customer has any figure
    assert shown.reasons == ()
    assert shown.customers["stakeholder"].tolist() == ["Acme", "Zed Corp"]  # the key customers only
    assert shown.customers["verdict"].tolist() == ["not assessed", "not assessed"]


def test_a_sponsor_is_a_key_customer_and_the_worst_verdict_comes_first() -> None:
    shown = report(scores((ACME, 3, "survey", JAN), (ZED, 2, "estimate", JAN)))  # Acme at risk, Zed dissatisfied
    assert shown.all_red
    # Only the dissatisfied customer's reason: the light is red, not amber.
    assert shown.reasons == (
        "Every light is red because Zed Corp (a key customer) is dissatisfied: satisfaction 2 of 5 is at or below 2.",
    )
    assert shown.customers[["stakeholder", "verdict"]].values.tolist() == [
        ["Zed Corp", "dissatisfied"],
        ["Acme", "at risk"],
    ]


# -- the customer satisfaction light -----------------------------------------------------------


def test_at_risk_by_satisfaction_is_amber() -> None:
    shown = report(scores((ACME, 3, "survey", JAN)))  # 2 < 3 <= 3
    assert not shown.all_red
    assert shown.lights == {**SET, CUSTOMER_LIGHT: "amber"}
    assert shown.reasons == (
        "Customer satisfaction is amber because Acme (a key customer) is at risk: satisfaction 3 of 5 is at or below 3.",
    )


def test_at_risk_by_gap_is_amber() -> None:
    shown = report(scores((ACME, 5, "survey", JAN)), gaps((ACME, "schedule", 5, 4, 100)))  # -2 < -1 <= -1
    assert shown.lights[CUSTOMER_LIGHT] == "amber"
    assert shown.reasons == (
        (
            "Customer satisfaction is amber because Acme (a key customer) is at risk: "
            "the gap on Schedule, their most important dimension, is -1, at or below -1."
        ),
    )


def test_green_when_key_customers_are_assessed_and_none_at_risk() -> None:
    shown = report(scores((ACME, 4, "survey", JAN)))  # Zed not assessed: still green (nobody at risk)
    assert shown.lights == {**SET, CUSTOMER_LIGHT: "green"}
    assert shown.customers[["stakeholder", "verdict"]].values.tolist() == [
        ["Acme", "on track"],
        ["Zed Corp", "not assessed"],
    ]


def test_satisfaction_is_the_most_trusted_source_then_the_latest() -> None:
    shown = report(
        scores(
            (ACME, 1, "estimate", MAR),  # the PM's later estimate would be red...
            (ACME, 2, "survey", JAN),
            (ACME, 4, "survey", FEB),  # ...but the latest survey counts: 4 -> on track
        )
    )
    assert shown.lights[CUSTOMER_LIGHT] == "green"
    assert shown.customers["satisfaction"].tolist()[0] == 4


def test_no_key_customer_and_no_data() -> None:
    shown = report(register=REGISTER.iloc[0:0], set_lights={})
    assert shown.lights == {"scope": None, "schedule": None, "budget": None, CUSTOMER_LIGHT: None}
    assert shown.set_lights == {"scope": None, "schedule": None, "budget": None}
    assert shown.customers.empty and list(shown.customers.columns) == CUSTOMER_COLUMNS
    assert shown.reasons == ()


def test_a_light_that_is_not_a_colour_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        report(set_lights={"scope": "blue"})
    assert str(info.value) == "Light: scope must be green, amber or red, not 'blue'."


def test_other_thresholds_from_the_template() -> None:
    strict = StatusRules(("scope",), ("customer",), 3, -1.0, 4, -0.5, (0, 10))
    shown = report(scores((ACME, 3, "survey", JAN)), rules=strict, set_lights={"scope": "green"})
    assert shown.lights == {"scope": "red", CUSTOMER_LIGHT: "red"}
    assert shown.reasons == (
        "Every light is red because Acme (a key customer) is dissatisfied: satisfaction 3 of 10 is at or below 3.",
    )


# -- HTML export -------------------------------------------------------------------------------


ACTIONS = pd.DataFrame(
    {
        "id": [7],
        "stakeholder_id": [1],
        "stakeholder": ["Acme"],
        "dimension": ["reliability"],
        "what": ["Weekly demo <b>bold</b> & more"],
        "owner": ["Pat"],
        "due": [dt.date(2024, 4, 30)],
        "status": ["open"],
    }
)


class _Tags(HTMLParser):
    """Every tag and attribute of a document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += attrs


def _html(
    shown: StatusReport, project: str = "Apollo", gap_list: pd.DataFrame | None = None, actions: pd.DataFrame = ACTIONS
) -> str:
    return status_report_html(
        shown, project=project, gaps=gaps() if gap_list is None else gap_list, actions=actions,
        generated=dt.datetime(2024, 3, 5, 14, 7), names=NAMES,
    )  # fmt: skip


def test_html_report_content() -> None:
    gap_list = gaps((ACME, "reliability", 6, 3, 60), (ACME, "schedule", 5, 4, 40))
    document = _html(report(scores((ACME, 4, "survey", JAN)), gap_list), gap_list=gap_list)
    assert document.startswith("<!DOCTYPE html>")
    assert "<title>Status report: Apollo</title>" in document
    assert "Generated 2024-03-05 14:07" in document
    # Each light says its colour in words, and what the PM set.
    assert '<tr><td>Scope</td><td class="light red"><span class="dot"></span> red</td><td>green</td></tr>' in document
    assert (
        '<tr><td>Budget</td><td class="light red"><span class="dot"></span> red</td><td>not set</td></tr>' in document
    )
    assert "<td>Customer satisfaction</td>" in document and "computed from key customers" in document
    assert "the gap on Reliability, their most important dimension, is -3, at or below -2." in document
    # The gap list, worst first: -3 x 0.6 = -1.8, then -1 x 0.4 = -0.4; dimension names, not ids.
    assert (
        "<td>1</td><td>Acme</td><td>Reliability</td><td>6</td><td>3</td><td>-3</td><td>60</td><td>-1.8</td>" in document
    )
    assert "<td>2</td><td>Acme</td><td>Schedule</td><td>5</td><td>4</td><td>-1</td><td>40</td><td>-0.4</td>" in document
    assert (
        "<td>Weekly demo &lt;b&gt;bold&lt;/b&gt; &amp; more</td><td>Pat</td><td>2024-04-30</td><td>open</td>"
        in document
    )
    assert document.index("Key customers") < document.index("Gaps, worst first") < document.index("Actions")


def test_html_report_escapes_user_text_and_runs_nothing() -> None:
    evil = "<script>alert('x')</script>"
    register = pd.DataFrame({"id": [1], "name": [evil], "category": ["customer"]})
    who = (1, evil)
    gap_list = gaps((who, "reliability", 6, 2, 100))
    actions = ACTIONS.assign(stakeholder=[evil], what=['<img src="http://example.com/x.png">'], owner=['"><script>'])
    document = _html(
        report(scores((who, 1, "survey", JAN)), gap_list, register=register),
        project=evil,
        gap_list=gap_list,
        actions=actions,
    )
    assert "<script" not in document.casefold()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in document
    parsed = _Tags()
    parsed.feed(document)
    assert set(parsed.tags) <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "h1",
        "h2",
        "p",
        "table",
        "tr",
        "th",
        "td",
        "span",
        "div",
        "ul",
        "li",
    }
    assert all(name in {"lang", "charset", "class"} for name, _ in parsed.attributes)
    for outside in ("http:", "https:", "//", "src=", "href=", "url(", "@import"):
        assert outside not in document.replace("&lt;img src=&quot;http://example.com/x.png&quot;&gt;", "")


def test_html_report_with_nothing_yet() -> None:
    empty_actions = ACTIONS.iloc[0:0]
    document = _html(report(register=REGISTER.iloc[0:0], set_lights={}), actions=empty_actions)
    assert "<p>No key customer in workbook 1 yet.</p>" in document
    assert "<p>No gap rated yet.</p>" in document and "<p>No action yet.</p>" in document
    assert (
        '<tr><td>Scope</td><td class="light none"><span class="dot"></span> not set</td><td>not set</td></tr>'
        in document
    )
    assert (
        '<td class="light none"><span class="dot"></span> not set</td><td>computed from key customers</td>' in document
    )
    assert 'class="all-red"' not in document
