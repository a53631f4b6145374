"""Workbook 4's team health check, as pure logic: what a vote may hold (a colour, a trend, a
note), each dimension's distribution of green, amber and red with its spread and trend counts,
and the anonymity rules: nothing of a check shows before it is finished (watching the figures
move would tell each vote), nothing of a check with fewer than ``MIN_VOTERS`` voters nor of a
dimension with fewer than ``MIN_VOTERS`` votes, and names only on a check whose votes are named;
then the history of a project's finished checks for a heat map.

Pure: plain values and DataFrames in, new values out; no widgets, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.fields import clean_choice, clean_text, not_one_of
from cpmkit.core.frames import require_columns
from cpmkit.errors import ValidationError
from cpmkit.feedback.health.template import HealthCheck

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = [
    "COLOURS",
    "HEALTH",
    "HISTORY_COLUMNS",
    "HISTORY_ROW_COLUMNS",
    "MIN_VOTERS",
    "NOTE_LIMIT",
    "SCORES",
    "TRENDS",
    "VOTE_COLUMNS",
    "VOTE_FIELDS",
    "CheckResults",
    "DimensionResult",
    "HealthState",
    "Note",
    "check_results",
    "clean_vote_field",
    "history",
    "member_votes",
    "spread",
    "spread_label",
    "voters",
]

#: ``retro_boards.kind`` of a health check (a retrospective's is "retro").
HEALTH: Final = "health"
#: The colours a member gives a dimension, best first.
COLOURS: Final = ("green", "amber", "red")
#: Whether a dimension is getting better, staying the same or getting worse since the last check.
TRENDS: Final = ("better", "same", "worse")
#: What a member saves on one dimension, each on its own, as it is tapped or typed.
VOTE_FIELDS: Final = ("colour", "trend", "note")
#: A finished check shows nothing (not even one dimension) unless this many members gave a colour,
#: and a dimension shows nothing unless this many gave it one: with fewer, anyone could tell who
#: voted what.
MIN_VOTERS: Final = 3
#: The longest note, in characters.
NOTE_LIMIT: Final = 500
#: Each colour as a score from 0 (red) to 1 (green): a dimension's average, and its spread.
SCORES: Final[Mapping[str, float]] = {"green": 1.0, "amber": 0.5, "red": 0.0}
#: Above this spread (the standard deviation of the scores) a dimension is "split"; up to it
#: "mostly agreed": half green and half amber is mostly agreed; one red among up to 13 greens is
#: split, among more it is mostly agreed.
SPLIT_ABOVE: Final = 0.25
#: Columns of a check's votes (the store's ``HealthStore.state``): one row per member and dimension.
VOTE_COLUMNS: Final = ["member_id", "name", "dimension", "colour", "trend", "note"]
#: Columns ``history`` needs: one row per vote, with its check's board id, title and date.
HISTORY_ROW_COLUMNS: Final = ["board_id", "title", "created_at", "member_id", "dimension", "colour"]
#: Columns ``history`` returns: one row per check and dimension.
HISTORY_COLUMNS: Final = [
    "board_id",
    "check",
    "date",
    "dimension",
    "name",
    "votes",
    "green",
    "amber",
    "red",
    "score",
]


@dataclass(frozen=True)
class HealthState:
    """A health check read at one moment: its board row, its members (``retro.store.MEMBER_COLUMNS``) and their votes
    (``VOTE_COLUMNS``)."""

    board: dict[str, Any]
    members: pd.DataFrame
    votes: pd.DataFrame

    @property
    def named(self) -> bool:
        return bool(self.board.get("named_votes"))


@dataclass(frozen=True)
class Note:
    """A member's note on a dimension; ``name`` only on a check whose votes are named."""

    text: str
    name: str | None = None


@dataclass(frozen=True)
class DimensionResult:
    """One dimension of a finished check: the votes by colour (in ``COLOURS`` order) and by trend
    (in ``TRENDS`` order), the spread and its label, the notes, and who gave each colour (only on
    a named check; else empty). With fewer than ``MIN_VOTERS`` colours all of these are empty
    (``shown`` is False) and the label says so."""

    id: str
    name: str
    colours: tuple[int, ...]
    trends: tuple[int, ...]
    spread: float
    spread_label: str
    notes: tuple[Note, ...]
    names: tuple[tuple[str, ...], ...] = ()

    @property
    def votes(self) -> int:
        return sum(self.colours)

    @property
    def shown(self) -> bool:
        return bool(self.colours)


@dataclass(frozen=True)
class CheckResults:
    """A check's results: how many of its members gave a colour (and, on a named check, who), and
    once it is ``finished`` each dimension's result; ``dimensions`` is empty while it is open or
    if fewer than ``MIN_VOTERS`` gave a colour (``shown`` is then False)."""

    voters: int
    members: int
    dimensions: tuple[DimensionResult, ...]
    finished: bool = False
    voted: tuple[str, ...] = ()

    @property
    def shown(self) -> bool:
        return bool(self.dimensions)


def clean_vote_field(field: str, value: Any) -> str | None:
    """A colour, trend or note as saved (lower case, trimmed; None when blank); ValidationError
    naming what is wrong otherwise."""
    if field == "colour":
        return clean_choice("colour", value, COLOURS)
    if field == "trend":
        return clean_choice("trend", value, TRENDS)
    if field == "note":
        return clean_text("note", value, limit=NOTE_LIMIT)
    raise ValidationError.for_field("field", field, not_one_of(field, VOTE_FIELDS))


def voters(votes: pd.DataFrame) -> int:
    """How many members gave at least one dimension a colour (a trend or note alone is no vote)."""
    require_columns(votes, ["member_id", "colour"], "list of health votes")
    return int(votes.loc[votes["colour"].isin(COLOURS), "member_id"].nunique())


def spread(counts: Mapping[str, int]) -> float:
    """How far the votes of one dimension are apart: the standard deviation of their scores
    (``SCORES``), from 0 (all alike) to 0.5 (half green, half red); 0 with no vote."""
    total = sum(counts.get(c, 0) for c in COLOURS)
    if total == 0:
        return 0.0
    mean = sum(SCORES[c] * counts.get(c, 0) for c in COLOURS) / total
    return math.sqrt(sum(counts.get(c, 0) * (SCORES[c] - mean) ** 2 for c in COLOURS) / total)


def spread_label(value: float) -> str:
    """A spread in plain words: "agreed" (everyone gave the same colour), "mostly agreed", or
    "split" (worth talking about)."""
    if value == 0:
        return "agreed"
    return "mostly agreed" if value <= SPLIT_ABOVE else "split"


def check_results(
    votes: pd.DataFrame, members: int, check: HealthCheck, *, named: bool, finished: bool
) -> CheckResults:
    """What can be seen of a check: ``members`` joined, ``votes`` (``VOTE_COLUMNS``) given, who
    voted if ``named``; and only once it is ``finished`` (the figures then never move, so no
    single vote can be told by watching them change) every dimension of ``check`` in its order,
    none at all if fewer than ``MIN_VOTERS`` members gave a colour. Notes and names are in
    alphabetical order, never in the order people joined or voted, which could tell who wrote
    what; names only if ``named``."""
    require_columns(votes, VOTE_COLUMNS, "list of health votes")
    found = voters(votes)
    voted = tuple(sorted({str(n) for n in votes.loc[votes["colour"].isin(COLOURS), "name"]})) if named else ()
    if not finished or found < MIN_VOTERS:
        return CheckResults(found, members, (), finished, voted)
    dimensions = tuple(_dimension(votes, d.id, d.name, named=named) for d in check.dimensions)
    return CheckResults(found, members, dimensions, finished, voted)


def member_votes(votes: pd.DataFrame, member_id: int) -> dict[str, dict[str, str | None]]:
    """What ``member_id`` saved, by dimension: ``{"colour", "trend", "note"}`` (None where not given)."""
    require_columns(votes, ["member_id", "dimension", *VOTE_FIELDS], "list of health votes")
    mine = votes[votes["member_id"] == member_id]
    return {
        str(row["dimension"]): {field: _text(row[field]) for field in VOTE_FIELDS} for row in mine.to_dict("records")
    }


def history(rows: pd.DataFrame, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A project's checks over time (``HISTORY_COLUMNS``), one row per check and dimension, for
    a heat map: the votes by colour, and the average ``score`` (0 red .. 1 green). ``rows`` has
    ``HISTORY_ROW_COLUMNS``, one per vote, of any number of finished checks. A check with fewer
    than ``MIN_VOTERS`` voters is left out entirely, and so is a dimension with fewer than
    ``MIN_VOTERS`` votes. ``check`` names a check by its date and title, with "#2", "#3" after
    the later checks of the same day and title; ``names`` gives the dimensions' names (and their
    order) by id, else the ids are shown. Ordered by date (then board), then dimension."""
    require_columns(rows, HISTORY_ROW_COLUMNS, "list of health check votes")
    voted = rows[rows["colour"].isin(COLOURS)].copy()
    counted = voted.groupby("board_id")["member_id"].nunique()
    voted = voted[voted["board_id"].isin(counted[counted >= MIN_VOTERS].index)]
    if voted.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in HISTORY_COLUMNS})
    voted["date"] = pd.to_datetime(voted["created_at"]).dt.date
    voted["check"] = voted["date"].map(lambda d: f"{d:%Y-%m-%d}") + " · " + voted["title"].astype(str)
    voted["check"] = voted["board_id"].map(_check_labels(voted))
    table = voted.pivot_table(
        index=["board_id", "check", "date", "dimension"], columns="colour", values="member_id", aggfunc="count"
    )
    table = table.reindex(columns=list(COLOURS), fill_value=0).fillna(0).astype(int).reset_index()
    table.columns.name = None
    table["votes"] = table[list(COLOURS)].sum(axis=1)
    table = table[table["votes"] >= MIN_VOTERS].copy()
    table["score"] = sum(table[c] * SCORES[c] for c in COLOURS) / table["votes"]
    order = list(names or {})
    table["name"] = table["dimension"].map(lambda d: (names or {}).get(d, d))
    table["_order"] = table["dimension"].map(lambda d: order.index(d) if d in order else len(order))
    table = table.sort_values(["date", "board_id", "_order", "dimension"], kind="stable")
    return table[HISTORY_COLUMNS].reset_index(drop=True)


def _check_labels(voted: pd.DataFrame) -> dict[Any, str]:
    """Each board's label, made unique: two checks of the same day and title must not share a column."""
    labels: dict[Any, str] = {}
    times: dict[str, int] = {}
    for board_id, label in voted.sort_values("board_id")[["board_id", "check"]].drop_duplicates().values.tolist():
        times[label] = times.get(label, 0) + 1
        labels[board_id] = f"{label} #{times[label]}" if times[label] > 1 else str(label)
    return labels


def _dimension(votes: pd.DataFrame, dimension: str, name: str, *, named: bool) -> DimensionResult:
    rows = votes[votes["dimension"] == dimension]
    counts = {c: int((rows["colour"] == c).sum()) for c in COLOURS}
    if sum(counts.values()) < MIN_VOTERS:  # one or two votes: their colours, trends and notes would tell who
        return DimensionResult(dimension, name, (), (), 0.0, f"fewer than {MIN_VOTERS} votes", ())
    value = spread(counts)
    notes = [
        Note(str(row["note"]), str(row["name"]) if named else None)
        for row in rows.to_dict("records")
        if (_text(row["note"]) or "").strip()
    ]
    notes.sort(key=lambda n: (n.name or "", n.text) if named else (n.text, ""))
    names = (
        tuple(tuple(sorted(str(n) for n in rows.loc[rows["colour"] == c, "name"])) for c in COLOURS) if named else ()
    )
    return DimensionResult(
        dimension,
        name,
        tuple(counts[c] for c in COLOURS),
        tuple(int((rows["trend"] == t).sum()) for t in TRENDS),
        value,
        spread_label(value),
        tuple(notes),
        names,
    )


def _text(value: Any) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
