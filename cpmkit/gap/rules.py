"""Workbook 3's arithmetic: which figures count, each gap and weighted gap, their ranking, and
the views built on them (per dimension, over time, where the PM misreads a stakeholder), and
the notes and open actions shown with each gap.

Gap = perception - expectation, so a negative gap is a shortfall. Where several sources rate
the same stakeholder and dimension, the most trusted source counts (the template's order),
and of it the latest assessment: one rule, ``latest_trusted``, for ratings and satisfaction.
Pure functions over the store's frames (see ``cpmkit.gap.store``): no I/O, no widgets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.fields import blank, not_one_of
from cpmkit.core.frames import require_columns
from cpmkit.errors import ValidationError
from cpmkit.gap.template import IMPORTANCE_MODES

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = [
    "ACTION_STATUSES",
    "DEFAULT_SCALE",
    "DONE",
    "GAP_COLUMNS",
    "MISREADING_COLUMNS",
    "NOTE_FIELDS",
    "RATING_COLUMNS",
    "current_ratings",
    "dimension_summary",
    "figures_as_of",
    "for_gap",
    "gap_note",
    "gap_table",
    "gap_trend",
    "is_open",
    "latest_trusted",
    "misreadings",
    "points_given",
    "satisfaction_as_of",
    "top_weighted",
    "unanswered",
    "weight_problems",
    "whole",
    "with_notes",
]

#: The scale figures are rated on unless the template says otherwise.
DEFAULT_SCALE: Final = (1, 7)
FIGURES: Final = ("expectation", "perception", "importance")
RATING_COLUMNS: Final = ["stakeholder_id", "stakeholder", "dimension", "source", "assessed_on", *FIGURES]
GAP_COLUMNS: Final = [*RATING_COLUMNS, "gap", "weight", "weighted_gap", "rank"]
MISREADING_COLUMNS: Final = [
    "stakeholder_id", "stakeholder", "dimension",
    "own_expectation", "own_perception", "own_importance",
    "est_expectation", "est_perception", "est_importance",
    "perception_misread", "expectation_misread",
]  # fmt: skip
#: An action's statuses, in the order it moves through them; it is open until DONE.
ACTION_STATUSES: Final = ("open", "in progress", "done")
DONE: Final = "done"
#: The two halves of a gap's note: the problem as the stakeholder states it, the expectation underneath.
NOTE_FIELDS: Final = ("stated_problem", "underlying_expectation")
_KEYS: Final = ["stakeholder_id", "dimension"]
_BOTH: Final = ["expectation", "perception"]
_TREND_COLUMNS: Final = ["dimension", "assessed_on", "gap", "n"]
_TOP_COLUMNS: Final = ["stakeholder_id", "stakeholder", "dimension", "importance", "gap"]


def latest_trusted(
    frame: pd.DataFrame, *, keys: Sequence[str], sources: Sequence[str], needed: Sequence[str] = ()
) -> pd.DataFrame:
    """Per ``keys``, the row that counts: among rows with every ``needed`` value, those of the most
    trusted source (first in ``sources``; other sources are ignored), and of them the latest
    ``assessed_on``. Exact duplicates keep the first row given."""
    require_columns(frame, [*keys, "source", "assessed_on", *needed], "choice of figures")
    trust = {source: index for index, source in enumerate(sources)}
    rows = frame[frame["source"].isin(list(trust))].dropna(subset=list(needed))
    rows = rows.assign(_trust=rows["source"].map(trust)).sort_values(
        ["_trust", "assessed_on"], ascending=[True, False], kind="stable"
    )
    return rows.drop_duplicates(subset=list(keys)).drop(columns="_trust").reset_index(drop=True)


def current_ratings(ratings: pd.DataFrame, *, sources: Sequence[str]) -> pd.DataFrame:
    """One row per stakeholder and dimension with both expectation and perception: the figures
    that count (``latest_trusted``), by stakeholder name then dimension id. Columns as
    ``RATING_COLUMNS``; expectation and perception whole numbers, importance a float (NaN if none)."""
    require_columns(ratings, RATING_COLUMNS, "gap analysis")
    current = latest_trusted(ratings[RATING_COLUMNS], keys=_KEYS, sources=sources, needed=_BOTH)
    current = current.astype({"expectation": int, "perception": int})
    current["importance"] = _numbers(current["importance"])
    return _sort(
        current, name=_name_key(current), stakeholder_id=current["stakeholder_id"], dimension=current["dimension"]
    )


def gap_table(current: pd.DataFrame, *, dimensions: Sequence[str]) -> pd.DataFrame:
    """The gap list, worst first: ``current`` (of ``dimensions`` only) with gap, weight, weighted_gap
    and rank 1..n added.

    weight = importance / the stakeholder's total importance (over their rows with one), so
    weights adding up to 100 count as w/100 and 1-5 ratings as their share; weighted_gap is NaN
    without an importance. Order: weighted_gap ascending with unweighted rows last, then gap,
    stakeholder name (casefold), stakeholder id, and the dimension's place in ``dimensions``.
    """
    require_columns(current, RATING_COLUMNS, "gap list")
    place = {dimension: index for index, dimension in enumerate(dict.fromkeys(dimensions))}
    table = current.loc[current["dimension"].isin(list(place)), RATING_COLUMNS].copy()
    table["gap"] = table["perception"] - table["expectation"]
    importance = _numbers(table["importance"])
    total = importance.groupby(table["stakeholder_id"]).transform("sum")
    total = total.where(total > 0)  # nothing to share out: no weight
    table["importance"] = importance
    table["weight"] = importance / total
    # gap * importance first, then / total: equal shares of equal gaps give the same float, so ties stay ties;
    # + 0.0 turns -0.0 (a shortfall of zero weight) into 0.0.
    table["weighted_gap"] = table["gap"] * importance / total + 0.0
    table = _sort(
        table,
        weighted_gap=table["weighted_gap"],
        gap=table["gap"],
        name=_name_key(table),
        stakeholder_id=table["stakeholder_id"],
        place=table["dimension"].map(place),
    )
    table["rank"] = range(1, len(table) + 1)
    return table


def weight_problems(current: pd.DataFrame, *, mode: str) -> list[str]:
    """What is wrong with the importance figures, as sentences for the PM: in "weights" mode each
    stakeholder whose weights do not add up to 100, and in either mode any importance missing."""
    if mode not in IMPORTANCE_MODES:
        raise ValidationError.for_field("importance", mode, not_one_of(mode, IMPORTANCE_MODES))
    require_columns(current, ["stakeholder_id", "stakeholder", "dimension", "importance"], "check of importance")
    rows = _sort(current, name=_name_key(current), stakeholder_id=current["stakeholder_id"])
    rows["importance"] = _numbers(rows["importance"])
    problems = []
    for _, group in rows.groupby("stakeholder_id", sort=False):
        name, given = group["stakeholder"].iloc[0], group["importance"].dropna()
        if mode == "weights" and len(given) and abs(given.sum() - 100) > 1e-9:
            problems.append(f"Weights for {name} add up to {given.sum():g}, not 100.")
        missing = group.loc[group["importance"].isna(), "dimension"]
        if len(missing):
            problems.append(f"Importance is missing for {name} on {', '.join(map(str, missing))}.")
    return problems


def dimension_summary(current: pd.DataFrame, *, dimensions: Sequence[str]) -> pd.DataFrame:
    """Per dimension of ``dimensions`` that has ratings, in that order: mean expectation, mean
    perception, mean gap and n (stakeholders rated). Dimensions without ratings are left out."""
    require_columns(current, ["dimension", *_BOTH], "summary per dimension")
    order = list(dict.fromkeys(dimensions))
    rows = current.loc[current["dimension"].isin(order), ["dimension", *_BOTH]].astype(
        {"expectation": float, "perception": float}
    )
    rows["gap"] = rows["perception"] - rows["expectation"]
    means = rows.groupby("dimension")[[*_BOTH, "gap"]].mean()
    means["n"] = rows.groupby("dimension").size()
    present = [d for d in order if d in means.index]
    return means.loc[present].rename_axis("dimension").reset_index().astype({"n": int})


def gap_trend(ratings: pd.DataFrame, *, sources: Sequence[str]) -> pd.DataFrame:
    """Each dimension's mean gap over time: a point at each date the dimension was assessed, the
    mean over stakeholders of the gap that counted on that date (``current_ratings`` of what was
    known by then, so a stakeholder rated earlier still counts), and n. By dimension, then date."""
    require_columns(ratings, RATING_COLUMNS, "gap trend")
    rated = ratings[ratings["source"].isin(list(sources))].dropna(subset=_BOTH)
    rows = []
    for day in sorted(set(rated["assessed_on"])):
        known = current_ratings(ratings[ratings["assessed_on"] <= day], sources=sources)
        known_gaps = (known["perception"] - known["expectation"]).groupby(known["dimension"])
        for dimension in sorted(set(rated.loc[rated["assessed_on"] == day, "dimension"])):
            gaps = known_gaps.get_group(dimension)
            rows.append({"dimension": dimension, "assessed_on": day, "gap": float(gaps.mean()), "n": len(gaps)})
    trend = pd.DataFrame(rows, columns=_TREND_COLUMNS).astype({"gap": float, "n": int})
    return _sort(trend, dimension=trend["dimension"], assessed_on=trend["assessed_on"])


def misreadings(ratings: pd.DataFrame, *, sources: Sequence[str], own: Sequence[str], estimate: str) -> pd.DataFrame:
    """Where the PM's estimate differs from the stakeholder's own figures: per stakeholder and
    dimension rated by both, their own figures that count (own sources, in ``sources`` order)
    beside the PM's latest estimate, and est - own for perception and expectation.
    Largest absolute misread first; then stakeholder name and dimension id."""
    require_columns(ratings, RATING_COLUMNS, "comparison with the stakeholder's own figures")
    theirs = current_ratings(ratings, sources=[s for s in sources if s in own])
    ours = current_ratings(ratings, sources=[estimate])
    both = theirs.merge(ours[[*_KEYS, *FIGURES]], on=_KEYS, suffixes=("", "_est"))
    table = pd.DataFrame(
        {"stakeholder_id": both["stakeholder_id"], "stakeholder": both["stakeholder"], "dimension": both["dimension"]}
    )
    for figure in FIGURES:
        table[f"own_{figure}"] = both[figure]
    for figure in FIGURES:
        table[f"est_{figure}"] = both[f"{figure}_est"]
    table["perception_misread"] = table["est_perception"] - table["own_perception"]
    table["expectation_misread"] = table["est_expectation"] - table["own_expectation"]
    size = pd.concat([table["perception_misread"].abs(), table["expectation_misread"].abs()], axis=1).max(axis=1)
    return _sort(
        table, size=-size, name=_name_key(table), stakeholder_id=table["stakeholder_id"], dimension=table["dimension"]
    )


def top_weighted(gaps: pd.DataFrame) -> pd.DataFrame:
    """Per stakeholder with an importance, their most important dimension and its gap; among
    dimensions sharing the highest importance, the worst gap (then the first in ``gaps``' order).
    By stakeholder name."""
    require_columns(gaps, _TOP_COLUMNS, "most important dimension")
    rated = gaps.loc[gaps["importance"].notna(), _TOP_COLUMNS].copy()
    rated["importance"] = _numbers(rated["importance"])
    top = _sort(rated, importance=-rated["importance"], gap=rated["gap"]).drop_duplicates("stakeholder_id")
    return _sort(top, name=_name_key(top), stakeholder_id=top["stakeholder_id"])


def figures_as_of(
    ratings: pd.DataFrame, *, stakeholder_id: int | None, source: str, on: dt.date
) -> dict[str, dict[str, int | None]]:
    """One stakeholder's figures from one source as they stood on ``on`` (per dimension, the latest
    assessment up to that date): what a rating form shows, ``{dimension: {figure: value}}``."""
    require_columns(ratings, RATING_COLUMNS, "rating form")
    theirs = ratings[(ratings["stakeholder_id"] == stakeholder_id) & (ratings["assessed_on"] <= on)]
    latest = latest_trusted(theirs, keys=["dimension"], sources=[source])
    return {
        str(row["dimension"]): {figure: whole(row[figure]) for figure in FIGURES} for row in latest.to_dict("records")
    }


def satisfaction_as_of(
    satisfaction: pd.DataFrame, *, stakeholder_id: int | None, source: str, on: dt.date
) -> int | None:
    """One stakeholder's satisfaction score from one source as it stood on ``on``, or None."""
    require_columns(satisfaction, ["stakeholder_id", "source", "assessed_on", "score"], "satisfaction form")
    theirs = satisfaction[(satisfaction["stakeholder_id"] == stakeholder_id) & (satisfaction["assessed_on"] <= on)]
    latest = latest_trusted(theirs, keys=["stakeholder_id"], sources=[source])
    return None if latest.empty else whole(latest["score"].iloc[0])


def points_given(figures: Mapping[str, Mapping[str, Any]]) -> int:
    """The importance points given so far in a form's figures (``figures_as_of``), blanks as 0:
    in "weights" mode a stakeholder shares out 100."""
    return sum(whole(values.get("importance")) or 0 for values in figures.values())


def is_open(status: Any) -> bool:
    """Whether an action still counts as open: any status but done ("open", "in progress")."""
    return bool(status != DONE)


def for_gap(frame: pd.DataFrame, *, stakeholder_id: int | None, dimension: str | None) -> pd.DataFrame:
    """The rows of ``frame`` (notes or actions) on one stakeholder's gap in one dimension."""
    require_columns(frame, _KEYS, "one gap")
    return frame[(frame["stakeholder_id"] == stakeholder_id) & (frame["dimension"] == dimension)]


def gap_note(notes: pd.DataFrame, *, stakeholder_id: int | None, dimension: str | None) -> dict[str, str]:
    """One gap's note as the editor shows it: each of ``NOTE_FIELDS``, "" where nothing is saved."""
    require_columns(notes, [*_KEYS, *NOTE_FIELDS], "note on a gap")
    mine = for_gap(notes, stakeholder_id=stakeholder_id, dimension=dimension)
    return {
        field: "" if mine.empty or blank(mine.iloc[0][field]) else str(mine.iloc[0][field]) for field in NOTE_FIELDS
    }


def with_notes(gaps: pd.DataFrame, notes: pd.DataFrame, actions: pd.DataFrame) -> pd.DataFrame:
    """The gap list with each gap's note (``NOTE_FIELDS``, NaN where none) and its number of open
    actions (``is_open``; 0 where none), rows in the gap list's order."""
    require_columns(gaps, _KEYS, "gap list")
    require_columns(notes, [*_KEYS, *NOTE_FIELDS], "notes on the gaps")
    require_columns(actions, [*_KEYS, "status"], "actions on the gaps")
    rows = gaps.merge(notes[[*_KEYS, *NOTE_FIELDS]], on=_KEYS, how="left")
    still_open = actions[actions["status"].map(is_open).astype(bool)]
    counted = still_open.groupby(_KEYS).size().rename("open_actions").reset_index()
    rows = rows.merge(counted, on=_KEYS, how="left")
    rows["open_actions"] = rows["open_actions"].fillna(0).astype(int)
    return rows


def unanswered(figures: Mapping[str, Mapping[str, Any]], dimensions: Sequence[str]) -> dict[str, list[str]]:
    """The figures of ``dimensions`` (in order) not given yet in a form's ``figures``
    (``figures_as_of``): what Submit points out before it takes an incomplete survey."""
    missing = {d: [f for f in FIGURES if whole(figures.get(d, {}).get(f)) is None] for d in dimensions}
    return {d: figures for d, figures in missing.items() if figures}


def whole(value: Any) -> int | None:
    """A stored figure as an int, or None when blank (pandas gives NaN or NA)."""
    return None if value is None or pd.isna(value) else int(value)


def _sort(frame: pd.DataFrame, **keys: pd.Series) -> pd.DataFrame:
    """``frame`` ordered by each key in turn (ascending, NaN last), ties kept in their order."""
    if frame.empty:
        return frame.reset_index(drop=True)
    order = pd.DataFrame(keys, index=frame.index).sort_values(list(keys), kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def _name_key(frame: pd.DataFrame) -> pd.Series:
    return frame["stakeholder"].map(lambda name: str(name).casefold())


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype(float)
