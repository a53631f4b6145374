"""Workbook 4 scores: the Net Promoter Score and customer satisfaction (CSAT) of pulse-survey
responses, overall, per pulse round and as a trend from round to round.

Pure functions over plain scores or a responses frame (one row per response, with the
columns ``round``, ``submitted_at`` and one per question id: ``recommend``, ``satisfaction``...).

Conventions:

* A blank score (None, NaN, pd.NA) means the question was not answered: it is not counted.
  Any other score must be a whole number on the question's scale, else a ValidationError
  names the value and its row.
* With no answers a score is None (NaN in a frame), never 0: "no one answered" is not
  "as many promoters as detractors". The number of answers ``n`` is always given beside it.
* Percentages are not rounded; NPS is usually shown as a whole number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from numbers import Real
from typing import Any, Final

import numpy as np
import pandas as pd

from cpmkit.core.frames import require_columns
from cpmkit.errors import ValidationError

__all__ = [
    "CSAT_SCALE",
    "DETRACTORS_UP_TO",
    "NPS_SCALE",
    "PROMOTERS_FROM",
    "SATISFIED_FROM",
    "SMALL_N",
    "Csat",
    "Nps",
    "csat",
    "csat_by_round",
    "nps",
    "nps_by_round",
    "rating_by_round",
    "ratings_by_round",
    "rounds",
]

#: The recommend question's scale and the NPS bands: 9-10 promoters, 7-8 passives, 0-6 detractors.
NPS_SCALE: Final = (0, 10)
PROMOTERS_FROM: Final = 9
DETRACTORS_UP_TO: Final = 6
#: The satisfaction question's scale; answers from 4 up count as satisfied.
CSAT_SCALE: Final = (1, 5)
SATISFIED_FROM: Final = 4
#: Below this many answers a score is shown as resting on few answers: one answer moves it far
#: (a round of 4 answers moves its NPS by 25 points per person).
SMALL_N: Final = 5

_ROUND_COLUMNS: Final = ["responses", "first_response", "last_response"]

Scores = Iterable[Any] | pd.Series


@dataclass(frozen=True)
class Nps:
    """Net Promoter Score of ``n`` answers: % promoters - % detractors, from -100 to 100."""

    n: int
    promoters: int
    passives: int
    detractors: int

    @property
    def score(self) -> float | None:
        return None if self.n == 0 else 100 * (self.promoters - self.detractors) / self.n

    @property
    def pct_promoters(self) -> float | None:
        return _percent(self.promoters, self.n)

    @property
    def pct_passives(self) -> float | None:
        return _percent(self.passives, self.n)

    @property
    def pct_detractors(self) -> float | None:
        return _percent(self.detractors, self.n)


@dataclass(frozen=True)
class Csat:
    """Customer satisfaction of ``n`` answers: the % of answers that are satisfied."""

    n: int
    satisfied: int

    @property
    def score(self) -> float | None:
        return _percent(self.satisfied, self.n)


def nps(scores: Scores, *, what: str = "recommend") -> Nps:
    """The NPS of answers to the recommend question (0-10); blanks are not counted.

    ``what`` names the question in error messages.
    """
    return _nps_of(_checked(scores, NPS_SCALE, what))


def csat(
    scores: Scores,
    *,
    scale: tuple[int, int] = CSAT_SCALE,
    satisfied_from: int = SATISFIED_FROM,
    what: str = "satisfaction",
) -> Csat:
    """CSAT: the share of answers on ``scale`` at ``satisfied_from`` or above (4-5 of 1-5); blanks not counted."""
    _check_csat_options(scale, satisfied_from)
    return _csat_of(_checked(scores, scale, what), satisfied_from)


def rounds(frame: pd.DataFrame, *, by: str = "round") -> pd.DataFrame:
    """The pulse rounds of a responses frame in the order they ran (earliest response first),
    with ``responses``, ``first_response`` and ``last_response`` (from ``submitted_at``).

    A round without dated responses comes last; equal dates keep the frame's order.
    """
    require_columns(frame, [by, "submitted_at"], "list of pulse rounds")
    blank = frame[by].isna()
    if blank.any():
        rows = ", ".join(str(label) for label in frame.index[blank][:5])
        raise ValidationError(f"Every response needs a {by}; these rows have none: {rows}.", field=by)
    grouped = frame.groupby(by, sort=False)["submitted_at"]
    table = pd.DataFrame({"responses": grouped.size(), "first_response": grouped.min(), "last_response": grouped.max()})
    table = table.sort_values("first_response", kind="stable", na_position="last")
    return table.rename_axis(by).reset_index()[[by, *_ROUND_COLUMNS]]


def nps_by_round(frame: pd.DataFrame, *, by: str = "round", column: str = "recommend") -> pd.DataFrame:
    """NPS per round, in the order the rounds ran: one row per round with the columns of
    :func:`rounds`, then n, promoters, passives, detractors, pct_promoters, pct_passives,
    pct_detractors, nps, and change (nps minus the previous round's)."""
    table, groups = _grouped(frame, by, column, NPS_SCALE, "NPS")
    results = [_nps_of(scores) for scores in groups]
    figures: dict[str, list[Any]] = {
        "n": [r.n for r in results],
        "promoters": [r.promoters for r in results],
        "passives": [r.passives for r in results],
        "detractors": [r.detractors for r in results],
        "pct_promoters": [r.pct_promoters for r in results],
        "pct_passives": [r.pct_passives for r in results],
        "pct_detractors": [r.pct_detractors for r in results],
        "nps": [r.score for r in results],
    }
    return _trend(table, figures, "nps")


def csat_by_round(
    frame: pd.DataFrame,
    *,
    by: str = "round",
    column: str = "satisfaction",
    scale: tuple[int, int] = CSAT_SCALE,
    satisfied_from: int = SATISFIED_FROM,
) -> pd.DataFrame:
    """CSAT per round, in the order the rounds ran: the columns of :func:`rounds`, then n,
    satisfied, csat, and change (csat minus the previous round's)."""
    _check_csat_options(scale, satisfied_from)
    table, groups = _grouped(frame, by, column, scale, "CSAT")
    results = [_csat_of(scores, satisfied_from) for scores in groups]
    figures: dict[str, list[Any]] = {
        "n": [r.n for r in results],
        "satisfied": [r.satisfied for r in results],
        "csat": [r.score for r in results],
    }
    return _trend(table, figures, "csat")


def rating_by_round(frame: pd.DataFrame, *, column: str, scale: tuple[int, int], by: str = "round") -> pd.DataFrame:
    """A rating question's answers per round (a pulse survey's comfort questions), in the order
    the rounds ran: the columns of :func:`rounds`, then n (answers), mean (NaN for none) and
    change (mean minus the previous round's)."""
    table, groups = _grouped(frame, by, column, scale, column)
    figures: dict[str, list[Any]] = {
        "n": [int(scores.notna().sum()) for scores in groups],
        "mean": [float(scores.mean()) if scores.notna().any() else np.nan for scores in groups],
    }
    return _trend(table, figures, "mean")


def ratings_by_round(frame: pd.DataFrame, scales: Mapping[str, tuple[int, int]]) -> dict[str, pd.DataFrame | str]:
    """:func:`rating_by_round` of each rating question of ``scales`` (id to its scale) that
    ``frame`` has a column for, by id. A question with answers outside its scale (the scale was
    changed after answers were saved) gets a sentence saying so instead of its table, so the
    other questions are drawn all the same."""
    found: dict[str, pd.DataFrame | str] = {}
    for column, (low, high) in scales.items():
        if column not in frame.columns:
            continue
        try:
            found[column] = rating_by_round(frame, column=column, scale=(low, high))
        except ValidationError:
            found[column] = f"answers outside {low}-{high}: was the question's scale changed?"
    return found


# -- helpers ---------------------------------------------------------------------------------


def _grouped(
    frame: pd.DataFrame, by: str, column: str, scale: tuple[int, int], what: str
) -> tuple[pd.DataFrame, list[pd.Series]]:
    """The rounds of ``frame`` in order, and the checked scores of each."""
    require_columns(frame, [by, "submitted_at", column], f"{what} by {by}")
    table = rounds(frame, by=by)
    scores = _checked(frame[column], scale, column)
    groups = dict(tuple(scores.groupby(frame[by].to_numpy(), sort=False)))
    return table, [groups[key] for key in table[by]]


def _trend(table: pd.DataFrame, figures: dict[str, list[Any]], score: str) -> pd.DataFrame:
    """``table`` with the figures of each round beside it (percentages as floats, NaN for
    none; counts as whole numbers), and the change of ``score`` since the round before."""
    types = {name: float if name == score or name.startswith("pct_") else int for name in figures}
    result = pd.concat([table, pd.DataFrame(figures, index=table.index).astype(types)], axis=1)
    result["change"] = result[score].diff()
    return result


def _nps_of(scores: pd.Series) -> Nps:
    given = scores.dropna()
    promoters = int((given >= PROMOTERS_FROM).sum())
    detractors = int((given <= DETRACTORS_UP_TO).sum())
    return Nps(len(given), promoters, len(given) - promoters - detractors, detractors)


def _csat_of(scores: pd.Series, satisfied_from: int) -> Csat:
    given = scores.dropna()
    return Csat(len(given), int((given >= satisfied_from).sum()))


def _checked(values: Scores, scale: tuple[int, int], what: str) -> pd.Series:
    """``values`` as floats (NaN = not answered), each a whole number on ``scale``; rows keep
    their labels (a plain list is numbered from 1) so an error can say where the bad value is."""
    if isinstance(values, pd.Series):
        series = values
    else:
        given = list(values)
        series = pd.Series(given, index=range(1, len(given) + 1), dtype=object)
    blank = series.isna()
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        numbers = pd.Series(series.to_numpy(dtype=float, na_value=np.nan), index=series.index)
    else:
        numbers = series.map(_as_float).astype(float)
    low, high = scale
    whole = np.isfinite(numbers) & (numbers == np.floor(numbers)) & (numbers >= low) & (numbers <= high)
    bad = ~blank & ~whole
    if bad.any():
        labels = series.index[bad.to_numpy()]
        value = series[labels[0]]
        value = value.item() if isinstance(value, np.generic) else value
        shown = int(value) if isinstance(value, float) and value.is_integer() else value
        more = f" and {len(labels) - 1} more" if len(labels) > 1 else ""
        raise ValidationError(
            f"The {what.replace('_', ' ')} score {shown!r} (row {labels[0]}{more}) is not a whole number "
            f"from {low} to {high}.",
            field=what,
            value=value,
        )
    return numbers


def _as_float(value: Any) -> float:
    """A real number as a float; NaN for anything else (a blank, or text, which is then refused)."""
    if isinstance(value, Real) and not isinstance(value, bool):
        return float(value)
    return np.nan


def _check_csat_options(scale: tuple[int, int], satisfied_from: int) -> None:
    low, high = scale
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high, satisfied_from)) or low >= high:
        raise ValidationError(f"The CSAT scale must be two whole numbers, lowest first, not {scale!r}.", field="scale")
    if not low < satisfied_from <= high:
        raise ValidationError(
            f"'Satisfied from' must be a point of the scale {low}-{high} above {low}, not {satisfied_from!r}.",
            field="satisfied_from",
            value=satisfied_from,
        )


def _percent(part: int, n: int) -> float | None:
    return None if n == 0 else 100 * part / n
