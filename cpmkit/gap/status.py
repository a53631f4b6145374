"""The customer-centric status report: the usual red/amber/green lights, plus customer
satisfaction, and the rule that if a key customer is dissatisfied every light shows red.

"If your client is dissatisfied, every single light should be flashing red": a key customer
(a workbook 1 stakeholder whose category the template names) is dissatisfied when their
satisfaction, or the gap on their most important dimension, is at or below the template's
threshold. The report says why in plain sentences, and exports as one standalone HTML file
(no script, nothing fetched, every user string escaped). Pure: no I/O, no widgets.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.frames import require_columns
from cpmkit.errors import ValidationError
from cpmkit.gap.rules import latest_trusted, top_weighted
from cpmkit.gap.template import CUSTOMER_LIGHT, StatusRules

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = [
    "CUSTOMER_COLUMNS",
    "CUSTOMER_LIGHT",
    "LIGHTS",
    "VERDICTS",
    "StatusReport",
    "lights_html",
    "status_report",
    "status_report_html",
]

LIGHTS: Final = ("green", "amber", "red")
#: A key customer's verdict, worst first.
VERDICTS: Final = ("dissatisfied", "at risk", "on track", "not assessed")
CUSTOMER_COLUMNS: Final = [
    "stakeholder_id",
    "stakeholder",
    "category",
    "satisfaction",
    "top_dimension",
    "top_gap",
    "verdict",
]


@dataclass(frozen=True)
class StatusReport:
    """The lights as shown and as the PM set them, whether the all-red rule applies and why,
    and one row per key customer (``CUSTOMER_COLUMNS``, worst verdict first)."""

    lights: dict[str, str | None]
    set_lights: dict[str, str | None]
    all_red: bool
    reasons: tuple[str, ...]
    customers: pd.DataFrame


def status_report(
    set_lights: Mapping[str, str | None],
    register: pd.DataFrame,
    satisfaction: pd.DataFrame,
    gaps: pd.DataFrame,
    *,
    rules: StatusRules,
    sources: Sequence[str],
    names: Mapping[str, str] | None = None,
) -> StatusReport:
    """The report from the lights the PM set (per area), workbook 1's register (id, name,
    category), the satisfaction scores and the gap list (``expectation_gap.gap_table``).

    A key customer's satisfaction is their score that counts (``latest_trusted`` over
    ``sources``); their top dimension comes from ``expectation_gap.top_weighted``. ``names``
    maps dimension ids to the names the sentences use.
    """
    for area, colour in set_lights.items():
        if colour is not None and colour not in LIGHTS:
            raise ValidationError.for_field("light", colour, f"{area} must be green, amber or red, not {colour!r}.")
    require_columns(register, ["id", "name", "category"], "status report")
    require_columns(satisfaction, ["stakeholder_id", "source", "assessed_on", "score"], "status report")
    names = names or {}
    scores = latest_trusted(satisfaction, keys=["stakeholder_id"], sources=sources, needed=["score"]).set_index(
        "stakeholder_id"
    )
    top = top_weighted(gaps).set_index("stakeholder_id")
    rows: list[dict[str, Any]] = []
    reasons: dict[str, list[str]] = {verdict: [] for verdict in VERDICTS}
    key = register[register["category"].isin(list(rules.key_categories))]
    for sid, name, category in zip(key["id"], key["name"], key["category"]):
        rated = sid in top.index
        found = {
            "satisfaction": int(scores["score"][sid]) if sid in scores.index else None,
            "top_dimension": names.get(top["dimension"][sid], top["dimension"][sid]) if rated else None,
            "top_gap": int(top["gap"][sid]) if rated else None,
        }
        verdict, why = _verdict(found, rules)
        reasons[verdict] += [f"{name} (a key customer) is {verdict}: {clause}." for clause in why]
        rows.append({"stakeholder_id": sid, "stakeholder": name, "category": category, **found, "verdict": verdict})
    rows.sort(key=lambda row: (VERDICTS.index(row["verdict"]), str(row["stakeholder"]).casefold()))
    customers = pd.DataFrame(rows, columns=CUSTOMER_COLUMNS).astype({"satisfaction": "Int64", "top_gap": "Int64"})
    verdicts = set(customers["verdict"])
    all_red = "dissatisfied" in verdicts
    chosen = {area: set_lights.get(area) for area in rules.areas}
    lights: dict[str, str | None] = {area: "red" if all_red else colour for area, colour in chosen.items()}
    lights[CUSTOMER_LIGHT] = (
        "red" if all_red else "amber" if "at risk" in verdicts else "green" if "on track" in verdicts else None
    )
    said = (
        [f"Every light is red because {r}" for r in reasons["dissatisfied"]]
        if all_red
        else [f"Customer satisfaction is amber because {r}" for r in reasons["at risk"]]
    )
    return StatusReport(lights, chosen, all_red, tuple(said), customers)


def _verdict(found: Mapping[str, Any], rules: StatusRules) -> tuple[str, list[str]]:
    """A key customer's verdict and, when dissatisfied or at risk, each clause of the rule met."""
    score, dimension, gap = found["satisfaction"], found["top_dimension"], found["top_gap"]
    if score is None and gap is None:
        return "not assessed", []
    high = rules.satisfaction_scale[1]
    for verdict, score_limit, gap_limit in (
        ("dissatisfied", rules.dissatisfied_satisfaction, rules.dissatisfied_gap),
        ("at risk", rules.at_risk_satisfaction, rules.at_risk_gap),
    ):
        why = []
        if score is not None and score <= score_limit:
            why.append(f"satisfaction {score} of {high} is at or below {score_limit}")
        if gap is not None and gap <= gap_limit:
            why.append(f"the gap on {dimension}, their most important dimension, is {gap}, at or below {gap_limit:g}")
        if why:
            return verdict, why
    return "on track", []


def status_report_html(
    report: StatusReport,
    *,
    project: str,
    gaps: pd.DataFrame,
    actions: pd.DataFrame,
    generated: dt.datetime,
    names: Mapping[str, str] | None = None,
) -> str:
    """The report as one standalone HTML document: lights (colour named in words), the reasons,
    key customers, the gap list and the actions. No script, no external resource; every
    user-supplied string is escaped. ``names`` maps dimension ids to names."""
    require_columns(
        gaps,
        ["rank", "stakeholder", "dimension", "expectation", "perception", "gap", "importance", "weighted_gap"],
        "gap list",
    )
    require_columns(actions, ["stakeholder", "dimension", "what", "owner", "due", "status"], "list of actions")
    names = names or {}
    lights = "".join(
        f'<tr><td>{_esc(area.capitalize())}</td><td class="light {_esc(colour or "none")}"><span class="dot"></span> '
        f"{_esc(colour or 'not set')}</td><td>{_esc(_as_set(area, report))}</td></tr>"
        for area, colour in report.lights.items()
    )
    items = "".join(f"<li>{_esc(reason)}</li>" for reason in report.reasons)
    banner = (
        f'<div class="all-red"><ul>{items}</ul></div>' if report.all_red else (f"<ul>{items}</ul>" if items else "")
    )
    gap_rows = gaps.assign(dimension=gaps["dimension"].map(lambda d: names.get(d, d)))
    action_rows = actions.assign(dimension=actions["dimension"].map(lambda d: names.get(d, d)))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Status report: {_esc(project)}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>Status report: {_esc(project)}</h1>
<p class="generated">Generated {generated:%Y-%m-%d %H:%M}</p>
<h2>Lights</h2>
<table><tr><th>Area</th><th>Light</th><th>As set by the PM</th></tr>{lights}</table>
{banner}
<h2>Key customers</h2>
{_table(report.customers, _CUSTOMER_HEADINGS, "No key customer in workbook 1 yet.")}
<h2>Gaps, worst first</h2>
{_table(gap_rows, _GAP_HEADINGS, "No gap rated yet.")}
<h2>Actions</h2>
{_table(action_rows, _ACTION_HEADINGS, "No action yet.")}
</body>
</html>
"""


_CUSTOMER_HEADINGS: Final = {
    "stakeholder": "Stakeholder", "category": "Category", "satisfaction": "Satisfaction",
    "top_dimension": "Most important dimension", "top_gap": "Its gap", "verdict": "Verdict",
}  # fmt: skip
_GAP_HEADINGS: Final = {
    "rank": "#", "stakeholder": "Stakeholder", "dimension": "Dimension", "expectation": "Expected",
    "perception": "Perceived", "gap": "Gap", "importance": "Importance", "weighted_gap": "Weighted gap",
}  # fmt: skip
_ACTION_HEADINGS: Final = {
    "stakeholder": "Stakeholder", "dimension": "Dimension", "what": "Action", "owner": "Owner", "due": "Due", "status": "Status",
}  # fmt: skip
_CSS: Final = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; }
.dot { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 50%; background: #ccc; vertical-align: middle; }
.green .dot { background: #27ae60; } .amber .dot { background: #f39c12; } .red .dot { background: #c0392b; }
.all-red { border: 2px solid #c0392b; background: #fdecea; padding: 0.5em 1em; }
.generated { color: #666; }
"""


def _as_set(area: str, report: StatusReport) -> str:
    if area not in report.set_lights:
        return "computed from key customers"
    return report.set_lights[area] or "not set"


def _table(frame: pd.DataFrame, headings: Mapping[str, str], empty: str) -> str:
    if frame.empty:
        return f"<p>{_esc(empty)}</p>"
    head = "".join(f"<th>{_esc(h)}</th>" for h in headings.values())
    body = "".join(
        "<tr>" + "".join(f"<td>{_esc(_cell(value))}</td>" for value in row) + "</tr>"
        for row in frame[list(headings)].itertuples(index=False)
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _cell(value: Any) -> str:
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{round(value, 2):g}" if math.isfinite(value) else ""
    return str(value)


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def lights_html(report: StatusReport) -> str:
    """The status board: each light as a coloured dot and its colour in words, then the all-red
    banner with its reasons (workbook 3's status view and the landing page)."""
    cells = []
    for area, colour in report.lights.items():
        was = report.set_lights.get(area)
        note = f" (set: {was})" if report.all_red and was and was != colour else ""
        word = colour or "not set"
        cells.append(
            f"<div class='cpmkit-light cpmkit-light-{html.escape(word.replace(' ', '-'))}'><span class='cpmkit-dot'></span>"
            f"<b>{html.escape(area.capitalize())}</b>: {html.escape(word)}{html.escape(note)}</div>"
        )
    reasons = "".join(f"<li>{html.escape(r)}</li>" for r in report.reasons)
    banner = (
        f"<div class='cpmkit-all-red'><ul>{reasons}</ul></div>"
        if report.all_red
        else (f"<ul class='cpmkit-help'>{reasons}</ul>" if reasons else "")
    )
    return f"<div class='cpmkit-lights'>{''.join(cells)}</div>{banner}"
