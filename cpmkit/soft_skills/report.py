"""A participant's results and personal report, the logic part: the scores, strengths and
development areas of a self-assessment, the tables of the downloadable report, and the escaped
HTML the results page and the report show.

Pure functions of an :class:`~cpmkit.soft_skills.state.AssessmentState` (and of the colleagues'
view the store released, ``scoring.released_rows``): no widgets, no store. Every text a person
typed or a bank holds (names, reflection, commitments, practices) is escaped.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.export import rows_html
from cpmkit.soft_skills.scoring import (
    MIN_GROUP,
    competency_score_rows,
    competency_scores,
    plan_rows,
    released_table,
    strengths_and_development,
)
from cpmkit.soft_skills.state import AssessmentState

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = [
    "others_html",
    "others_note_html",
    "own_change_html",
    "personal_report_html",
    "plan_html",
    "report_tables",
    "scored",
    "scored_rows",
    "scores_html",
]

#: Plain rows (``scored_rows``, ``scoring.released_rows``): what the results page draws, no DataFrame.
Rows = Sequence[Mapping[str, Any]]

_OTHERS_COLUMNS: Final = {
    "name": "Competency",
    "self_text": "Me",
    "others_text": "Others",
    "gap_text": "Others - me",
    "raters_text": "Raters",
}
_REPORT_CSS: Final = (
    "body{font-family:sans-serif;max-width:900px;margin:24px auto;color:#222}"
    "table{border-collapse:collapse}th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}"
    "th{background:#f3f5f7}.cpmkit-help{color:#555}"
)


def scored(state: AssessmentState) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(scores, strengths, development) from the answers so far."""
    scores = competency_scores(state.bank, state.answers)
    strengths, development = strengths_and_development(scores, state.bank)
    return scores, strengths, development


def scored_rows(state: AssessmentState) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(scores, strengths, development) from the answers so far, as ``scored``'s rows."""
    scores = competency_score_rows(state.bank, state.answers)
    strengths, development = plan_rows(scores, state.bank)
    return scores, strengths, development


def scores_html(scores: Rows) -> str:
    """``scored_rows``' scores as the page's table: answered "n of m", a score or "incomplete"."""
    shown = [
        {"name": row["name"], "answered_of": f"{row['answered']} of {row['items']}", "shown": _score_text(row["score"])}
        for row in scores
    ]
    return rows_html(shown, columns={"name": "Competency", "answered_of": "Answered", "shown": "Score"})


def plan_html(title: str, chosen: Rows, empty: str) -> str:
    """Strengths or development areas (``scored_rows``'), each with the bank's practices, as escaped HTML."""
    if not chosen:
        return f"<h4>{html.escape(title)}</h4><p class='cpmkit-help'>{html.escape(empty)}</p>"
    entries = "".join(
        f"<li><b>{html.escape(str(row['name']))}</b> ({float(row['score']):.2f})<ul>"
        + "".join(f"<li>{html.escape(p)}</li>" for p in row["practices"])
        + "</ul></li>"
        for row in chosen
    )
    return f"<h4>{html.escape(title)}</h4><ol>{entries}</ol>"


def others_note_html(released: int, waiting: int) -> str:
    """Where others' view stands: shown for how many colleagues, and how many finished since."""
    so_far = f" ({waiting} so far)" if waiting else ""
    if not released:
        return f"<p class='cpmkit-help'>Shown once {MIN_GROUP} colleagues have finished rating you{html.escape(so_far)}.</p>"
    return (
        f"<p class='cpmkit-help'>Shown: the average of {released} colleagues. It changes when {MIN_GROUP} more "
        f"have finished{html.escape(so_far)}.</p>"
    )


def others_html(view: Rows) -> str:
    """``scoring.released_rows`` as the page's (and the report's) table: hidden rows say how many
    more raters they need."""
    return rows_html(_others_display(view), columns=_OTHERS_COLUMNS)


def own_change_html(rows: Rows, *, before: str, after: str) -> str:
    """A participant's own change since an earlier round they took (``scoring.own_change_rows``) as
    the page's table: per competency their score in round ``before``, in round ``after`` and the
    change; "" when no competency had a score then (nothing to compare)."""
    if all(_missing(row["before"]) for row in rows):
        return ""
    shown = [
        {
            "name": row["name"],
            "before_text": "" if _missing(row["before"]) else f"{row['before']:.2f}",
            "after_text": "" if _missing(row["after"]) else f"{row['after']:.2f}",
            "change_text": "" if _missing(row["change"]) else f"{row['change']:+.2f}",
        }
        for row in rows
    ]
    columns = {"name": "Competency", "before_text": before, "after_text": after, "change_text": "Change"}
    return (
        f"<h3 class='cpmkit-section'>My change since the round {html.escape(repr(before))}</h3>"
        f"<p class='cpmkit-help'>Your score in each competency when you took the round {html.escape(repr(before))}, "
        f"and in this round {html.escape(repr(after))}. Only you see this comparison.</p>"
        + rows_html(shown, columns=columns)
    )


def report_tables(state: AssessmentState, others: Rows) -> dict[str, pd.DataFrame]:
    """The personal report's tables, by sheet name (for ``export.to_xlsx``). Others' figures
    only where enough colleagues rated (``others`` is ``scoring.released_rows``)."""
    scores, strengths, development = scored(state)
    chosen = ["rank", "name", "score", "practices"]
    released = released_table(others)
    shown_others = released[released["status"] == "shown"][["name", "self", "others", "gap", "raters"]]
    commitments = pd.DataFrame(
        [
            {"commitment": position, "what": c.what, "by when": c.by_when}
            for position, c in enumerate(state.commitments, start=1)
            if c.what
        ],
        columns=["commitment", "what", "by when"],
    )
    return {
        "scores": scores[["name", "answered", "items", "score", "status"]].rename(columns={"name": "competency"}),
        "strengths": strengths[chosen].assign(practices=strengths["practices"].map(_practices_text)),
        "to develop": development[chosen].assign(practices=development["practices"].map(_practices_text)),
        "others view": shown_others.rename(columns={"name": "competency"}),
        "reflection": pd.DataFrame({"reflection": [state.reflection]}),
        "commitments": commitments,
    }


def personal_report_html(state: AssessmentState, others: Rows, *, display_name: str | None, today: dt.date) -> str:
    """The participant's report as one standalone HTML page: no script, every text escaped."""
    bank = state.bank
    scores, strengths, development = scored_rows(state)
    who = f" of {html.escape(display_name)}" if display_name else ""
    commitments = [
        {"what": c.what, "by_when": "" if c.by_when is None else c.by_when.isoformat()}
        for c in state.commitments
        if c.what
    ]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Soft-skills self-assessment{who}</title><style>{_REPORT_CSS}</style></head><body>",
        f"<h1>Soft-skills self-assessment{who}</h1>",
        (
            f"<p class='cpmkit-help'>{html.escape(bank.name)}, {today.isoformat()}. "
            f"Scores run from {bank.scale.low} ({html.escape(bank.scale.points[0][1])}) "
            f"to {bank.scale.high} ({html.escape(bank.scale.points[-1][1])}).</p>"
        ),
        "<h2>Scores</h2>",
        scores_html(scores),
        plan_html("My strengths", strengths, "None scored yet."),
        plan_html("To develop", development, "None scored yet."),
        "<h2>How others see me</h2>",
        (
            f"<p class='cpmkit-help'>Each competency's average over at least {MIN_GROUP} colleagues who finished "
            "rating me, rounded to half points.</p>"
        ),
        others_html(others),
        "<h2>My development plan</h2><h3>Reflection</h3>",
        f"<p style='white-space:pre-wrap'>{html.escape(state.reflection)}</p>"
        if state.reflection
        else "<p class='cpmkit-help'>No reflection yet.</p>",
        "<h3>Commitments</h3>",
        rows_html(commitments, columns={"what": "What I will do", "by_when": "By when"}, empty="No commitments yet."),
        "</body></html>",
    ]
    return "\n".join(parts)


def _score_text(score: float | None) -> str:
    return "incomplete" if _missing(score) else f"{score:.2f}"


def _missing(value: float | None) -> bool:
    return value is None or math.isnan(value)


def _practices_text(practices: Sequence[str]) -> str:
    return "; ".join(practices)


def _others_display(view: Rows) -> list[dict[str, Any]]:
    """``released_rows`` with figures as text: hidden rows say how many more raters they need."""

    def raters(count: int, status: str) -> str:
        if status == "shown":
            return f"{count} raters"
        more = max(1, MIN_GROUP - count)
        return f"needs {more} more rater{'s' if more > 1 else ''}"

    return [
        {
            "name": row["name"],
            "self_text": _score_text(row["self"]),
            "others_text": "" if _missing(row["others"]) else f"{row['others']:.1f}",
            "gap_text": "" if _missing(row["gap"]) else f"{row['gap']:+.2f}",
            "raters_text": raters(int(row["raters"]), str(row["status"])),
        }
        for row in view
    ]
