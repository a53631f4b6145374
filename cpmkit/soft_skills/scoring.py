"""Workbook 2 logic: a participant's soft-skills self-assessment, the view of others
(360-degree "blind spots") and the trainer's cohort view.

Pure functions over a :class:`~cpmkit.soft_skills.bank.QuestionBank` and plain answers
(``{item id: scale value}``): no widgets, no I/O.

Conventions:

* An answer of ``None`` or NaN means "not answered yet"; any other value must be a point of
  the bank's scale, else a ValidationError names the item and the value.
* Scores are computed exactly (fractions) and only rounded for display: to 2 decimals,
  halves away from zero (3.125 shows as 3.13).
* Anonymity: no figure about other people is shown for a group smaller than ``MIN_GROUP``.
  The thresholds can be raised but not lowered below it.
* Releases: a figure about a group that grows (a cohort, a participant's raters) is updated
  only in whole batches of ``MIN_GROUP`` more people (``released_count``), so two successive
  figures never differ by one person's answers.
* Others' view: only competency averages, never items; only raters with a score for every
  competency count; the average is rounded to ``OTHERS_STEP``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, Final

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.fields import is_whole
from cpmkit.core.frames import require_columns, require_fields
from cpmkit.errors import ValidationError
from cpmkit.soft_skills.bank import Competency, Item, QuestionBank, Scale

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = [
    "MIN_ANSWERS_PER_COMPETENCY",
    "MIN_GROUP",
    "OTHERS_STEP",
    "PeerRelease",
    "cohort_distribution",
    "competency_score_rows",
    "competency_scores",
    "finished_raters",
    "item_score",
    "known_answers",
    "next_unanswered",
    "others_view",
    "own_change_rows",
    "paired_change",
    "plan_rows",
    "progress",
    "release_peer_view",
    "released_count",
    "released_rows",
    "released_table",
    "round_change",
    "strengths_and_development",
]

#: Answers a competency needs before it gets a score. A competency with fewer items than
#: this needs all of them (a 2-item competency needs both), so every competency can be scored.
MIN_ANSWERS_PER_COMPETENCY: Final = 3
#: Anonymity threshold: no figure about a group (raters, a cohort, a round) of fewer people,
#: and a growing group's figures change only when this many more people are in them.
MIN_GROUP: Final = 3
#: Others' averages are shown rounded to this step (3.5, 4.0 on a 1-5 scale): with two of three
#: ratings known, the third is still only known to within about a point and a half.
OTHERS_STEP: Final = Fraction(1, 2)

_SCORE_COLUMNS: Final = ["competency", "name", "answered", "items", "score", "status"]
_PLAN_COLUMNS: Final = ["rank", "competency", "name", "score", "practices"]
_OTHERS_COLUMNS: Final = ["competency", "name", "self", "others", "raters", "gap", "status"]
_CHANGE_COLUMNS: Final = [
    "competency",
    "name",
    "mean_before",
    "mean_after",
    "change",
    "n_before",
    "n_after",
    "status",
]
_PAIRED_COLUMNS: Final = ["competency", "name", "mean_before", "mean_after", "change", "pairs", "status"]

Answers = Mapping[str, Any]


def item_score(bank_or_scale: QuestionBank | Scale, item: Item, value: Any) -> int:
    """The score one answer gives, on the same scale: a reverse item answered 2 on 1..5 scores 4."""
    scale = bank_or_scale.scale if isinstance(bank_or_scale, QuestionBank) else bank_or_scale
    number = _on_scale(scale, item, value)
    return scale.low + scale.high - number if item.reverse else number


def competency_score_rows(
    bank: QuestionBank, answers: Answers, *, min_answers: int = MIN_ANSWERS_PER_COMPETENCY
) -> list[dict[str, Any]]:
    """``competency_scores``' rows as plain dicts (score NaN when incomplete): what a participant's
    results page draws, with no DataFrame (pandas' first frame alone copies 6 MB of the zygote's
    memory into a forked kernel)."""
    scores = _exact_scores(bank, _clean_answers(bank, answers), min_answers=min_answers)
    return [
        {
            "competency": competency.id,
            "name": competency.name,
            "answered": answered,
            "items": len(items),
            "score": _round2(score),
            "status": "incomplete" if score is None else "scored",
        }
        for (competency, items), (score, answered) in zip(_steps(bank), scores.values())
    ]


def competency_scores(
    bank: QuestionBank, answers: Answers, *, min_answers: int = MIN_ANSWERS_PER_COMPETENCY
) -> pd.DataFrame:
    """One row per competency, in the bank's order: how many items are answered and the score.

    The score is the mean of the item scores (reverse items turned round); it stays NaN,
    status "incomplete", until ``min_answers`` items (or all, if there are fewer) are answered.
    """
    frame = pd.DataFrame(competency_score_rows(bank, answers, min_answers=min_answers), columns=_SCORE_COLUMNS)
    return frame.astype({"answered": int, "items": int, "score": float})


def strengths_and_development(
    scores: pd.DataFrame, bank: QuestionBank, *, n: int = 3
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``n`` highest-scored competencies and the ``n`` to develop, each with the bank's practices
    (``plan_rows`` of the frame's rows, as frames)."""
    require_columns(scores, ["competency", "score"], "list of strengths and development areas")
    rows = [
        {"competency": competency, "score": None if pd.isna(score) else score}
        for competency, score in zip(scores["competency"], scores["score"])
    ]
    strengths, development = plan_rows(rows, bank, n=n)
    return _plan_table(strengths), _plan_table(development)


def plan_rows(
    scores: Sequence[Mapping[str, Any]], bank: QuestionBank, *, n: int = 3
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``n`` highest-scored competencies and the ``n`` to develop, each with the bank's practices,
    from rows with a ``competency`` and a ``score`` (None, NaN or pd.NA: not scored yet).

    Only scored competencies count; equal scores keep the bank's order. A competency is never
    in both lists: with fewer than ``2 * n`` scored, the strengths take the larger half.
    """
    require_fields(scores, ["competency", "score"], "list of strengths and development areas")
    if not is_whole(n) or n < 1:
        raise ValidationError(f"The number of strengths to list must be a whole number of at least 1, not {n!r}.")
    order = {competency.id: i for i, competency in enumerate(bank.competencies)}
    named = [row["competency"] for row in scores]
    unknown = [c for c in named if c not in order]
    if unknown:
        raise ValidationError(f"These competencies are not in the question bank {bank.name!r}: {_names(unknown)}.")
    repeated = list(dict.fromkeys(c for i, c in enumerate(named) if c in named[:i]))
    if repeated:
        raise ValidationError(f"These competencies have more than one score: {_names(repeated)}.")
    scored = [(row["competency"], float(row["score"])) for row in scores if not _no_score(row["score"])]
    strong_first = sorted(scored, key=lambda pair: (-pair[1], order[pair[0]]))
    n_strong = min(n, math.ceil(len(scored) / 2))
    strengths = strong_first[:n_strong]
    rest = sorted(strong_first[n_strong:], key=lambda pair: (pair[1], order[pair[0]]))
    development = rest[: min(n, len(scored) - n_strong)]
    return _with_practices(strengths, bank), _with_practices(development, bank)


def next_unanswered(bank: QuestionBank, answers: Answers) -> tuple[int, str] | None:
    """Where a participant resumes: (competency step, item id) of the first unanswered item, or None."""
    clean = _clean_answers(bank, answers)
    for step, (_competency, items) in enumerate(_steps(bank)):
        for item in items:
            if item.id not in clean:
                return step, item.id
    return None


def progress(bank: QuestionBank, answers: Answers) -> tuple[int, int]:
    """(items answered, items in the bank), for a progress bar."""
    clean = _clean_answers(bank, answers)
    return len(clean), sum(len(items) for _competency, items in _steps(bank))


def known_answers(bank: QuestionBank, answers: Mapping[str, int]) -> dict[str, int]:
    """The answers to items of ``bank`` that are on its scale: saved answers to a bank edited
    since are kept out of the way, not refused."""
    ids = {item.id for item in bank.items}
    points = {point for point, _label in bank.scale.points}
    return {item: value for item, value in answers.items() if item in ids and value in points}


@dataclass(frozen=True)
class PeerRelease:
    """What a participant is shown of their colleagues' ratings until the next release.

    ``raters`` are the ids of the raters it covers; ``others`` each competency's average of
    their scores, already rounded to the release's step. Kept as it is until enough more
    raters finish (``release_peer_view``), so later changes never show one rater at a time.
    """

    raters: frozenset[int]
    others: Mapping[str, Fraction] = field(default_factory=dict)


def released_count(completed: int, *, released: int = 0, min_group: int = MIN_GROUP) -> int:
    """The anonymity rule for a growing group: how many of the ``completed`` people (in the
    order they completed) its figures may cover, when the last figures covered ``released``.

    Nothing below ``min_group``; after that the figures move only in whole batches of
    ``min_group`` more people, so two successive figures differ by at least ``min_group``
    people and never isolate one. With no memory of the last release (``released=0``) this
    is the largest multiple of ``min_group``: 2 -> 0, 3 -> 3, 5 -> 3, 6 -> 6.
    """
    _check_threshold("min_group", min_group)
    for name, value in (("completed", completed), ("released", released)):
        if not is_whole(value) or value < 0:
            raise ValidationError(f"The number of people {name} must be a whole number of at least 0, not {value!r}.")
    if completed <= released:
        return int(released)
    return int(released + (completed - released) // min_group * min_group)


def finished_raters(
    bank: QuestionBank, ratings: Mapping[int, Answers], *, min_answers: int = MIN_ANSWERS_PER_COMPETENCY
) -> list[int]:
    """The raters (ids, ascending) with a score for every competency: only they count in others' view."""
    return sorted(_finished_scores(bank, ratings, min_answers=min_answers))


def release_peer_view(
    bank: QuestionBank,
    ratings: Mapping[int, Answers],
    previous: PeerRelease | None = None,
    *,
    min_raters: int = MIN_GROUP,
    min_answers: int = MIN_ANSWERS_PER_COMPETENCY,
    step: Fraction = OTHERS_STEP,
) -> PeerRelease | None:
    """The colleagues' view a participant may see now, given every rater's answers
    (``{rater id: answers}``) and the ``previous`` release (None: nothing shown yet).

    The rule, for the sybil-resistant part that an average can give:

    * only raters with a score for every competency count (``finished_raters``);
    * the first release needs ``min_raters`` of them; afterwards the view changes only when
      ``min_raters`` more have finished (``released_count``); raters waiting for their batch are
      taken in id order (the order their links were made). Until then ``previous`` is returned
      as it is, even if a rater in it changed an answer;
    * each competency's average of the raters' scores is rounded to ``step`` (halves up).

    A subject who filled ``min_raters - 1`` links themselves still learns the remaining rater's
    competency scores to within about ``min_raters * step``: the UI refuses rating links opened
    in the subject's own browser, but an average cannot stop that (see the README).
    """
    _check_threshold("min_raters", min_raters)
    if not isinstance(step, (Fraction, Integral)) or step <= 0:
        raise ValidationError(f"The rounding step of others' view must be a positive fraction, not {step!r}.")
    if isinstance(ratings, Sequence) or not isinstance(ratings, Mapping):
        raise ValidationError("Others' answers must be given by rater: {rater id: answers}.")
    finished = _finished_scores(bank, ratings, min_answers=min_answers)
    before = previous.raters if previous is not None else frozenset()
    waiting = sorted(rater for rater in finished if rater not in before)
    take = released_count(len(before) + len(waiting), released=len(before), min_group=min_raters) - len(before)
    raters = before | frozenset(waiting[:take])
    counted = [finished[rater] for rater in sorted(raters) if rater in finished]
    if take == 0 or len(counted) < min_raters:
        return previous
    others = {
        competency.id: _round_to_step(_mean([scores[competency.id] for scores in counted]), Fraction(step))
        for competency in bank.competencies
    }
    return PeerRelease(raters=raters, others=others)


def released_rows(
    bank: QuestionBank,
    self_answers: Answers,
    release: PeerRelease | None,
    *,
    finished: int = 0,
    min_raters: int = MIN_GROUP,
    min_answers: int = MIN_ANSWERS_PER_COMPETENCY,
) -> list[dict[str, Any]]:
    """Self score against a release of others' view per competency, and the gap (others - self),
    as plain rows (``released_table`` makes them a frame).

    One row per competency: ``others`` is the release's (rounded) average, ``raters`` how many
    raters it covers; with no release yet every ``others`` is NaN, ``raters`` is ``finished``
    (raters who finished so far) and the status says why it is hidden.
    """
    _check_threshold("min_raters", min_raters)
    own = _exact_scores(bank, _clean_answers(bank, self_answers, who="Self-assessment"), min_answers=min_answers)
    rows = []
    for competency, _items in _steps(bank):
        mine = _round2(own[competency.id][0])
        average = release.others.get(competency.id) if release is not None else None
        shown = average is not None
        others = float(average) if average is not None else math.nan
        rows.append(
            {
                "competency": competency.id,
                "name": competency.name,
                "self": mine,
                "others": others,
                "raters": len(release.raters) if release is not None else int(finished),
                "gap": _difference(others, mine),
                "status": "shown" if shown else f"hidden: fewer than {min_raters} raters",
            }
        )
    return rows


def released_table(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """``released_rows`` as a frame (the report's sheet, the chart's data)."""
    frame = pd.DataFrame(rows, columns=_OTHERS_COLUMNS)
    return frame.astype({"self": float, "others": float, "raters": int, "gap": float})


def others_view(
    bank: QuestionBank,
    self_answers: Answers,
    rater_answers: Sequence[Answers],
    *,
    min_raters: int = MIN_GROUP,
    min_answers: int = MIN_ANSWERS_PER_COMPETENCY,
    step: Fraction = OTHERS_STEP,
) -> pd.DataFrame:
    """The first release of others' view for these raters (in link order), as ``released_table`` of ``released_rows``
    shows it: the first whole batch of ``min_raters`` finished raters (3 of 4, 6 of 7), each
    competency's average rounded to ``step``; hidden below ``min_raters`` finished raters.
    """
    _check_threshold("min_raters", min_raters)
    if isinstance(rater_answers, (Mapping, str)):
        raise ValidationError("Others' answers must be a list with one set of answers per rater.")
    ratings = dict(enumerate(rater_answers, start=1))
    release = release_peer_view(bank, ratings, None, min_raters=min_raters, min_answers=min_answers, step=step)
    finished = len(finished_raters(bank, ratings, min_answers=min_answers))
    return released_table(
        released_rows(bank, self_answers, release, finished=finished, min_raters=min_raters, min_answers=min_answers)
    )


def cohort_distribution(
    bank: QuestionBank,
    participants: Mapping[str, Answers],
    *,
    min_group: int = MIN_GROUP,
    min_answers: int = MIN_ANSWERS_PER_COMPETENCY,
) -> pd.DataFrame:
    """Per competency, how the cohort's scores spread: n, mean, min, quartiles, max and how many
    scored each scale point (score rounded, 3.5 counts as 4).

    Quartiles interpolate linearly between scores (as pandas and Excel's QUARTILE do). Every
    figure is hidden for a competency fewer than ``min_group`` participants have a score for.
    """
    _check_threshold("min_group", min_group)
    groups = _group_scores(bank, participants, min_answers=min_answers)
    points = [point for point, _label in bank.scale.points]
    count_columns = [f"n_{point}" for point in points]
    rows = []
    for competency, _items in _steps(bank):
        values = sorted(groups[competency.id])
        row: dict[str, Any] = {"competency": competency.id, "name": competency.name}
        if len(values) < min_group:
            row |= dict.fromkeys(["n", "mean", "min", "q1", "median", "q3", "max", *count_columns])
            row["status"] = f"hidden: fewer than {min_group}"
        else:
            nearest = [_round_half_away(value, 0) for value in values]
            row |= {
                "n": len(values),
                "mean": _round2(_mean(values)),
                "min": _round2(values[0]),
                "q1": _round2(_quantile(values, Fraction(1, 4))),
                "median": _round2(_quantile(values, Fraction(1, 2))),
                "q3": _round2(_quantile(values, Fraction(3, 4))),
                "max": _round2(values[-1]),
            }
            row |= {column: nearest.count(point) for column, point in zip(count_columns, points)}
            row["status"] = "shown"
        rows.append(row)
    columns = ["competency", "name", "n", "mean", "min", "q1", "median", "q3", "max", *count_columns, "status"]
    frame = pd.DataFrame(rows, columns=columns)
    dtypes = {column: float for column in ("mean", "min", "q1", "median", "q3", "max")}
    return frame.astype(dtypes | dict.fromkeys(["n", *count_columns], "Int64"))


def round_change(
    bank: QuestionBank,
    by_round: Mapping[str, Mapping[str, Answers]],
    *,
    before: str,
    after: str,
    min_group: int = MIN_GROUP,
    min_answers: int = MIN_ANSWERS_PER_COMPETENCY,
) -> pd.DataFrame:
    """Per competency, the cohort's mean score in two rounds and the change (after - before).

    Each round's mean is over everyone with a score in that round (not only people in both).
    Every figure is hidden when either round has fewer than ``min_group`` scores.
    """
    _check_threshold("min_group", min_group)
    missing = [name for name in (before, after) if name not in by_round]
    if missing:
        known = _names(list(by_round)) if by_round else "none yet"
        raise ValidationError(f"There is no round called {_names(missing)}; the rounds are: {known}.")
    if before == after:
        raise ValidationError(f"Pick two different rounds to compare, not {before!r} twice.")
    first = _group_scores(bank, by_round[before], min_answers=min_answers, round_name=before)
    second = _group_scores(bank, by_round[after], min_answers=min_answers, round_name=after)
    rows = []
    for competency, _items in _steps(bank):
        old, new = first[competency.id], second[competency.id]
        row: dict[str, Any] = {"competency": competency.id, "name": competency.name}
        if min(len(old), len(new)) < min_group:
            row |= dict.fromkeys(["mean_before", "mean_after", "change", "n_before", "n_after"])
            row["status"] = f"hidden: fewer than {min_group} in a round"
        else:
            mean_before, mean_after = _round2(_mean(old)), _round2(_mean(new))
            row |= {
                "mean_before": mean_before,
                "mean_after": mean_after,
                "change": _difference(mean_after, mean_before),
                "n_before": len(old),
                "n_after": len(new),
                "status": "shown",
            }
        rows.append(row)
    frame = pd.DataFrame(rows, columns=_CHANGE_COLUMNS)
    return frame.astype(
        {"mean_before": float, "mean_after": float, "change": float, "n_before": "Int64", "n_after": "Int64"}
    )


def own_change_rows(
    bank: QuestionBank, before: Answers, after: Answers, *, min_answers: int = MIN_ANSWERS_PER_COMPETENCY
) -> list[dict[str, Any]]:
    """One participant's own change per competency between two rounds they took, as plain rows
    (what their results page draws, with no DataFrame): their score ``before``, ``after`` and the
    change (after - before), NaN where either round has no score for the competency."""
    first = _exact_scores(bank, _clean_answers(bank, before, who="Earlier round"), min_answers=min_answers)
    second = _exact_scores(bank, _clean_answers(bank, after, who="This round"), min_answers=min_answers)
    rows = []
    for competency, _items in _steps(bank):
        old, new = _round2(first[competency.id][0]), _round2(second[competency.id][0])
        rows.append(
            {
                "competency": competency.id,
                "name": competency.name,
                "before": old,
                "after": new,
                "change": _difference(new, old),
            }
        )
    return rows


def paired_change(
    bank: QuestionBank,
    pairs: Sequence[tuple[Answers, Answers]],
    *,
    min_group: int = MIN_GROUP,
    min_answers: int = MIN_ANSWERS_PER_COMPETENCY,
) -> pd.DataFrame:
    """Per competency, the cohort's change measured within each person: over the ``pairs`` (one
    participant's answers in the earlier round and in the later one) with a score in both, the
    mean score before and after, the change (after - before of the means shown: over the same
    people, the mean of their own changes) and how many pairs. Every figure is hidden for fewer
    than ``min_group`` pairs.

    Which pairs may count (whole batches, so two releases never differ by one person's change)
    is :func:`cpmkit.soft_skills.workshop.released_pairs`' rule.
    """
    _check_threshold("min_group", min_group)
    changes: dict[str, list[tuple[Fraction, Fraction]]] = {competency.id: [] for competency in bank.competencies}
    for number, (before, after) in enumerate(pairs, start=1):
        first = _exact_scores(bank, _clean_answers(bank, before, who=f"Pair {number}, before"), min_answers=min_answers)
        second = _exact_scores(bank, _clean_answers(bank, after, who=f"Pair {number}, after"), min_answers=min_answers)
        for competency_id, (old, _answered) in first.items():
            new = second[competency_id][0]
            if old is not None and new is not None:
                changes[competency_id].append((old, new))
    rows = []
    for competency, _items in _steps(bank):
        scored = changes[competency.id]
        row: dict[str, Any] = {"competency": competency.id, "name": competency.name}
        if len(scored) < min_group:
            row |= dict.fromkeys(["mean_before", "mean_after", "change", "pairs"])
            row["status"] = f"hidden: fewer than {min_group} pairs"
        else:
            mean_before = _round2(_mean([old for old, _new in scored]))
            mean_after = _round2(_mean([new for _old, new in scored]))
            row |= {
                "mean_before": mean_before,
                "mean_after": mean_after,
                "change": _difference(mean_after, mean_before),
                "pairs": len(scored),
                "status": "shown",
            }
        rows.append(row)
    frame = pd.DataFrame(rows, columns=_PAIRED_COLUMNS)
    return frame.astype({"mean_before": float, "mean_after": float, "change": float, "pairs": "Int64"})


# -- helpers ---------------------------------------------------------------------------------


def _steps(bank: QuestionBank) -> list[tuple[Competency, tuple[Item, ...]]]:
    """The competencies in the order asked, each with its items: one step of the questionnaire each."""
    return [(competency, bank.items_for(competency.id)) for competency in bank.competencies]


def _clean_answers(bank: QuestionBank, answers: Answers, *, who: str | None = None) -> dict[str, int]:
    """Answered items only, as ``{item id: value}``; unknown ids and off-scale values refused."""
    items = {item.id: item for item in bank.items}
    try:
        unknown = [item_id for item_id in answers if item_id not in items]
        if unknown:
            raise ValidationError(
                f"These answers are for items that are not in the question bank {bank.name!r}: {_names(unknown)}."
            )
        clean = {
            item_id: _on_scale(bank.scale, items[item_id], value)
            for item_id, value in dict(answers).items()
            if not _blank(value)
        }
    except ValidationError as error:
        if who is None:
            raise
        raise ValidationError(f"{who}: {error}", field=error.field, value=error.value) from None
    return clean


def _on_scale(scale: Scale, item: Item, value: Any) -> int:
    """``value`` as a whole number if it is a point of ``scale``, else a ValidationError naming the item."""
    points = [point for point, _label in scale.points]
    number = _as_int(value)
    if number is None or number not in points:
        shown = ", ".join(str(p) for p in points)
        raise ValidationError(
            f"Item {item.id!r}: the answer {value!r} is not on the scale (use one of {shown}).",
            field=item.id,
            value=value,
        )
    return number


def _exact_scores(
    bank: QuestionBank, clean: Mapping[str, int], *, min_answers: int
) -> dict[str, tuple[Fraction | None, int]]:
    """``{competency id: (exact score or None if incomplete, items answered)}`` in bank order."""
    if not is_whole(min_answers) or min_answers < 1:
        raise ValidationError(
            f"The answers needed per competency must be a whole number of at least 1, not {min_answers!r}."
        )
    result: dict[str, tuple[Fraction | None, int]] = {}
    for competency, items in _steps(bank):
        given = [item_score(bank, item, clean[item.id]) for item in items if item.id in clean]
        enough = bool(given) and len(given) >= min(min_answers, len(items))
        result[competency.id] = (_mean(given) if enough else None, len(given))
    return result


def _group_scores(
    bank: QuestionBank,
    participants: Mapping[str, Answers],
    *,
    min_answers: int,
    round_name: str | None = None,
) -> dict[str, list[Fraction]]:
    """``{competency id: the exact scores of the participants who have one}``."""
    groups: dict[str, list[Fraction]] = {competency.id: [] for competency in bank.competencies}
    for participant, answers in dict(participants).items():
        who = f"Participant {participant!r}" + (f" in round {round_name!r}" if round_name is not None else "")
        scores = _exact_scores(bank, _clean_answers(bank, answers, who=who), min_answers=min_answers)
        for competency_id, (score, _answered) in scores.items():
            if score is not None:
                groups[competency_id].append(score)
    return groups


def _finished_scores(
    bank: QuestionBank, ratings: Mapping[int, Answers], *, min_answers: int
) -> dict[int, dict[str, Fraction]]:
    """``{rater id: {competency id: exact score}}`` of the raters with a score for every competency."""
    finished: dict[int, dict[str, Fraction]] = {}
    for rater, answers in dict(ratings).items():
        scores = _exact_scores(bank, _clean_answers(bank, answers, who=f"Rater {rater}"), min_answers=min_answers)
        if all(score is not None for score, _answered in scores.values()):
            finished[rater] = {cid: score for cid, (score, _answered) in scores.items() if score is not None}
    return finished


def _with_practices(chosen: Sequence[tuple[str, float]], bank: QuestionBank) -> list[dict[str, Any]]:
    return [
        {
            "rank": rank,
            "competency": competency_id,
            "name": bank.competency(competency_id).name,
            "score": float(score),
            "practices": bank.competency(competency_id).practices,
        }
        for rank, (competency_id, score) in enumerate(chosen, start=1)
    ]


def _plan_table(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=_PLAN_COLUMNS).astype({"rank": int, "score": float})


def _no_score(value: Any) -> bool:
    """Not scored yet: a blank (``_blank``), or any number that is NaN (a Decimal's too)."""
    if _blank(value):
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def _check_threshold(name: str, value: Any) -> None:
    if not is_whole(value) or value < MIN_GROUP:
        raise ValidationError(
            f"The anonymity threshold ({name}) must be a whole number of at least {MIN_GROUP}, not {value!r}: "
            f"smaller groups would let people work out each other's answers."
        )


def _mean(values: Sequence[int] | Sequence[Fraction]) -> Fraction:
    return Fraction(sum(values)) / len(values)


def _quantile(ordered: Sequence[Fraction], p: Fraction) -> Fraction:
    """Linear interpolation between the closest ranks (pandas' default, Excel's QUARTILE.INC)."""
    position = (len(ordered) - 1) * p
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def _round_half_away(value: Fraction, digits: int) -> int | Fraction:
    scaled = abs(value) * 10**digits
    rounded = math.floor(scaled + Fraction(1, 2))
    signed = -rounded if value < 0 else rounded
    return signed if digits == 0 else Fraction(signed, 10**digits)


def _round_to_step(value: Fraction, step: Fraction) -> Fraction:
    """``value`` to the nearest multiple of ``step``, halves away from zero (3.25 -> 3.5 for 1/2)."""
    return _round_half_away(value / step, 0) * step


def _round2(value: Fraction | None) -> float:
    """A score for display: 2 decimals, halves away from zero; NaN for no score."""
    return math.nan if value is None else float(_round_half_away(value, 2))


def _difference(a: float, b: float) -> float:
    """a - b for two 2-decimal figures, exact to the shown decimals (no 0.30000000000000004)."""
    if math.isnan(a) or math.isnan(b):
        return math.nan
    return round(a - b, 2)


def _as_int(value: Any) -> int | None:
    """A whole number given as int, numpy integer or integral float; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        number = float(value)
        if math.isfinite(number) and number.is_integer():
            return int(number)
    return None


def _blank(value: Any) -> bool:
    """None, NaN or pd.NA: the item is not answered yet. pd.NA exists only once pandas is loaded,
    and a participant's page never loads it for this."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    pandas = sys.modules.get("pandas")
    return pandas is not None and value is pandas.NA


def _names(values: Sequence[Any]) -> str:
    return ", ".join(repr(v) for v in values)
