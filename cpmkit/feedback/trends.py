"""Workbook 4's trends across sessions of one project: the themes of retrospective cards from one
retrospective to the next (and which recur), the actions each retrospective agreed, carried over
and completed, the pulse scores per round (NPS, CSAT and each comfort question, each with its n),
and workbook 3's gap per assessment date, weighted by importance.

Pure functions over the stores' frames, each built on the scoring its own workbook already
uses (``comments`` for themes, ``retro.rules.carried_actions``, ``scores`` for the pulse,
``gap.rules`` for gaps): no I/O, no widgets. A trend needs ``MIN_SESSIONS`` sessions;
``too_few`` says so in a sentence instead of an empty chart.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Final

import pandas as pd

from cpmkit.core.frames import require_columns
from cpmkit.feedback import comments
from cpmkit.feedback import scores as feedback
from cpmkit.feedback.pulse.template import UNTHEMED, FeedbackTaxonomy, PulseSurvey
from cpmkit.feedback.retro.rules import carried_actions
from cpmkit.gap.rules import current_ratings, gap_table

__all__ = [
    "ACTION_TREND_COLUMNS",
    "GAP_TREND_COLUMNS",
    "MIN_SESSIONS",
    "OVERALL",
    "PULSE_COLUMNS",
    "RETRO_COLUMNS",
    "SCORE_MEASURES",
    "THEME_TREND_COLUMNS",
    "action_trend",
    "pulse_table",
    "pulse_trend",
    "recurring_themes",
    "retrospectives",
    "theme_trend",
    "too_few",
    "weighted_gap_trend",
]

#: Sessions a trend needs: with one, there is nothing to compare.
MIN_SESSIONS: Final = 2
#: The ``dimension`` of the gap trend's row over all dimensions.
OVERALL: Final = "overall"
#: Columns of ``retrospectives``.
RETRO_COLUMNS: Final = ["board_id", "retrospective", "held_on", "created_at"]
THEME_TREND_COLUMNS: Final = [
    "board_id", "retrospective", "held_on", "theme", "label", "cards", "negative", "retrospectives", "recurring",
]  # fmt: skip
ACTION_TREND_COLUMNS: Final = [
    "board_id", "retrospective", "held_on", "created", "carried_over", "completed_by_next", "next_held",
]  # fmt: skip
#: The ``measure`` of the pulse scores (NPS, CSAT); every other measure is a comfort question.
SCORE_MEASURES: Final = ("nps", "csat")
PULSE_COLUMNS: Final = ["round", "measure", "label", "value", "n", "small_n", "low", "high"]
GAP_TREND_COLUMNS: Final = ["assessed_on", "dimension", "weighted_gap", "stakeholders"]
_DONE: Final = "done"
_NUMBERS: Final = {0: "none", 1: "one", 2: "two", 3: "three"}


def too_few(count: int, *, what: str, plural: str | None = None) -> str | None:
    """The sentence a trend shows instead of a chart with fewer than ``MIN_SESSIONS`` sessions
    ("Trends need two retrospectives; this project has one."); None when there are enough."""
    if count >= MIN_SESSIONS:
        return None
    many = plural or f"{what}s"
    has = "none yet" if count == 0 else _NUMBERS.get(count, str(count))
    return f"Trends need {_NUMBERS.get(MIN_SESSIONS, str(MIN_SESSIONS))} {many}; this project has {has}."


# -- retrospectives --------------------------------------------------------------------------


def retrospectives(boards: pd.DataFrame) -> pd.DataFrame:
    """The project's retrospectives in the order they were held (created, then id), each with a
    label for charts that tells two of the same title apart: "Sprint 3 (2026-03-12)"."""
    require_columns(boards, ["id", "title", "created_at"], "list of retrospectives")
    ordered = boards.assign(created_at=pd.to_datetime(boards["created_at"])).sort_values(
        ["created_at", "id"], kind="stable"
    )
    held = ordered["created_at"].dt.date
    labels = [f"{title} ({day.isoformat()})" for title, day in zip(ordered["title"], held)]
    seen: dict[str, int] = {}
    for index, label in enumerate(labels):  # the same title on the same day: number the later ones
        seen[label] = seen.get(label, 0) + 1
        labels[index] = label if seen[label] == 1 else f"{label} #{seen[label]}"
    table = pd.DataFrame(
        {
            "board_id": ordered["id"].astype(int).to_numpy(),
            "retrospective": labels,
            "held_on": held.to_numpy(),
            "created_at": ordered["created_at"].to_numpy(),
        }
    )
    return table[RETRO_COLUMNS]


def theme_trend(boards: pd.DataFrame, cards: pd.DataFrame, taxonomy: FeedbackTaxonomy) -> pd.DataFrame:
    """The feedback themes of the cards, per retrospective (in the order held) and theme (the
    taxonomy's order, then unthemed): the cards mentioning it, how many of them are negative,
    the retrospectives whose cards mention it, and whether it recurs (a theme, not unthemed, in
    ``MIN_SESSIONS`` or more). Cards are classified as pulse comments are
    (``comments.analyse_comments``); a retrospective without cards has no rows.

    ``boards`` needs id, title, created_at; ``cards`` board_id and text."""
    require_columns(cards, ["board_id", "text"], "list of cards")
    held = retrospectives(boards)
    if cards.empty or held.empty:
        return pd.DataFrame(columns=THEME_TREND_COLUMNS)
    place = {board_id: index for index, board_id in enumerate(held["board_id"])}
    chosen = cards.loc[cards["board_id"].isin(list(place)), ["board_id", "text"]]
    chosen = chosen.assign(_place=chosen["board_id"].map(place)).sort_values("_place", kind="stable")
    if chosen.empty:
        return pd.DataFrame(columns=THEME_TREND_COLUMNS)
    by_board = held.set_index("board_id")
    chosen = chosen.assign(
        retrospective=chosen["board_id"].map(by_board["retrospective"]),
        submitted_at=chosen["board_id"].map(by_board["created_at"]),  # orders them as held
    ).drop(columns="_place")
    analysed = comments.analyse_comments(chosen, taxonomy, text_columns=["text"])
    trend = comments.theme_trend(analysed, taxonomy, by="retrospective").rename(columns={"comments": "cards"})
    by_label = held.set_index("retrospective")
    trend["board_id"] = trend["retrospective"].map(by_label["board_id"]).astype(int)
    trend["held_on"] = trend["retrospective"].map(by_label["held_on"])
    trend["retrospectives"] = (trend["cards"] > 0).groupby(trend["theme"]).transform("sum").astype(int)
    trend["recurring"] = (trend["retrospectives"] >= MIN_SESSIONS) & (trend["theme"] != UNTHEMED)
    return trend[THEME_TREND_COLUMNS].reset_index(drop=True)


def recurring_themes(trend: pd.DataFrame) -> pd.DataFrame:
    """The themes that recur, one row each (theme, label, retrospectives, cards in all), seen in
    the most retrospectives first, then the most cards, then the taxonomy's order."""
    require_columns(trend, ["theme", "label", "cards", "retrospectives", "recurring"], "recurring themes")
    rows = trend[trend["recurring"].astype(bool)]
    table = rows.groupby(["theme", "label"], sort=False).agg(
        retrospectives=("retrospectives", "first"), cards=("cards", "sum")
    )
    table = table.reset_index().sort_values(["retrospectives", "cards"], ascending=False, kind="stable")
    return table.astype({"retrospectives": int, "cards": int}).reset_index(drop=True)


def action_trend(boards: pd.DataFrame, actions: pd.DataFrame) -> pd.DataFrame:
    """Per retrospective, in the order held: the actions it agreed (``created``); those of
    earlier ones (earlier in the order held) agreed before it began and still open then
    (``carried_over``, what it reviewed first: ``retro.rules.carried_actions``); and of its own
    actions, those done by the end of the next one (``completed_by_next``), as a team marks them
    done while the next one reviews them: up to its ``finished_at``, else the start of the one
    after it, else now (done so far for the latest, whose ``next_held`` is False).

    ``boards`` needs id, project_id, title, created_at, finished_at; ``actions`` id, project_id,
    board_id, status, created_at, closed_at."""
    require_columns(boards, ["id", "project_id", "title", "created_at", "finished_at"], "list of retrospectives")
    require_columns(actions, ["id", "project_id", "board_id", "status", "created_at", "closed_at"], "list of actions")
    held = retrospectives(boards)
    by_id = boards.assign(id=boards["id"].astype(int)).set_index("id")
    closed_at = pd.to_datetime(actions["closed_at"])
    created_at = pd.to_datetime(actions["created_at"])
    done = (actions["status"] == _DONE) & closed_at.notna()
    # carried_actions takes a lower board id as earlier: give it each board's place in the order held
    # (an action of a board not listed, since deleted, stays NaN: earlier than any).
    place = {board_id: index for index, board_id in enumerate(held["board_id"])}
    placed = actions.assign(board_id=pd.to_numeric(actions["board_id"], errors="coerce").map(place))
    rows: list[dict[str, Any]] = []
    for index, board in enumerate(held.to_dict("records")):
        board_id = int(board["board_id"])
        own = actions["board_id"].eq(board_id).fillna(False).astype(bool)
        next_held = index + 1 < len(held)
        end = _review_end(held, by_id["finished_at"], index + 1) if next_held else None
        by_next = done if end is None else done & (closed_at <= end)
        before = placed[created_at < pd.Timestamp(board["created_at"])]  # what there was when it began
        reviewed = carried_actions(
            before, {"id": index, "project_id": by_id.at[board_id, "project_id"], "created_at": board["created_at"]}
        )
        rows.append(
            {
                **{c: board[c] for c in ("board_id", "retrospective", "held_on")},
                "created": int(own.sum()),
                "carried_over": len(reviewed),
                "completed_by_next": int((own & by_next).sum()),
                "next_held": next_held,
            }
        )
    return pd.DataFrame(rows, columns=ACTION_TREND_COLUMNS)


def _review_end(held: pd.DataFrame, finished_at: pd.Series, index: int) -> pd.Timestamp | None:
    """When the retrospective at ``index`` of ``held`` ended: its ``finished_at``, else the start
    of the one after it, else None (still running)."""
    finished = finished_at.get(int(held["board_id"].iloc[index]))
    if finished is not None and not pd.isna(finished):
        return pd.Timestamp(finished)
    return pd.Timestamp(held["created_at"].iloc[index + 1]) if index + 1 < len(held) else None


# -- pulse rounds ----------------------------------------------------------------------------


def pulse_trend(
    responses: pd.DataFrame, survey: PulseSurvey, *, small_n: int = feedback.SMALL_N
) -> tuple[pd.DataFrame, list[str]]:
    """One row per round (in the order the rounds ran) and measure: NPS (-100..100), CSAT (%
    satisfied) and each rating question (the comfort questions: the mean answer), each with its
    ``n`` and ``small_n`` (fewer than ``small_n`` answers: one answer moves it far). ``value`` is
    NaN for a round where no one answered it (n = 0), never 0. A question no response has a
    column for is left out; so is one whose answers cannot give a figure
    (``scores.ratings_by_round``), with a sentence saying why, in the list returned beside the
    table, and NPS and CSAT are drawn all the same. ``responses`` is ``PulseStore.responses()``."""
    if responses.empty:
        return pd.DataFrame(columns=PULSE_COLUMNS), []
    parts = []
    recommend = survey.recommend
    nps = feedback.nps_by_round(responses, column=recommend.id)
    parts.append(_measure(nps, "nps", "NPS", "nps", (-100, 100)))
    satisfaction = survey.satisfaction
    if satisfaction is not None and satisfaction.scale is not None and satisfaction.id in responses.columns:
        scale = (satisfaction.scale.low, satisfaction.scale.high)
        csat = feedback.csat_by_round(responses, column=satisfaction.id, scale=scale)
        parts.append(_measure(csat, "csat", "CSAT (% satisfied)", "csat", (0, 100)))
    left_out = []
    scales = survey.rating_scales
    for question_id, ratings in feedback.ratings_by_round(responses, scales).items():
        text = survey.question(question_id).text
        if isinstance(ratings, str):
            left_out.append(f"{text}: left out, {ratings}")
        else:
            parts.append(_measure(ratings, question_id, text, "mean", scales[question_id]))
    table = pd.concat(parts, ignore_index=True)
    order = {name: index for index, name in enumerate(nps["round"])}
    table = table.assign(_order=table["round"].map(order)).sort_values("_order", kind="stable")
    table["small_n"] = table["n"] < small_n
    return table[PULSE_COLUMNS].reset_index(drop=True), left_out


def pulse_table(trend: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """``pulse_trend`` as a reader sees it: a row per round, a column per measure, each cell its
    figure with n ("25 (n = 12)", "67% (n = 3, few answers)", "not answered (n = 0)"); and the
    columns' headings (``round`` first), for ``table_html``."""
    require_columns(trend, PULSE_COLUMNS, "pulse table")
    headings = {"round": "Round"}
    headings.update(dict(zip(trend["measure"].astype(str), trend["label"].astype(str))))
    cells = trend.assign(text=[_cell(row) for row in trend.to_dict("records")])
    wide = cells.pivot(index="round", columns="measure", values="text")
    rounds = list(dict.fromkeys(trend["round"]))
    table = wide.reindex(index=rounds, columns=list(headings)[1:]).fillna("").rename_axis(None, axis=1)
    return table.rename_axis("round").reset_index(), headings


def _cell(row: Mapping[Hashable, Any]) -> str:
    n = int(row["n"])
    if n == 0 or pd.isna(row["value"]):
        return "not answered (n = 0)"
    value = float(row["value"])
    shown = {"nps": f"{round(value)}", "csat": f"{round(value)}%"}.get(str(row["measure"]), f"{value:.1f}")
    return f"{shown} (n = {n:,}{', few answers' if row['small_n'] else ''})"


def _measure(by_round: pd.DataFrame, measure: str, label: str, column: str, scale: tuple[int, int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "round": by_round["round"].astype(str).to_numpy(),
            "measure": measure,
            "label": label,
            "value": by_round[column].astype(float).to_numpy(),
            "n": by_round["n"].astype(int).to_numpy(),
            "low": scale[0],
            "high": scale[1],
        }
    )


# -- the expectation gap ---------------------------------------------------------------------


def weighted_gap_trend(ratings: pd.DataFrame, *, sources: Sequence[str], dimensions: Sequence[str]) -> pd.DataFrame:
    """The importance-weighted mean gap (perceived - expected, workbook 3's gap) at each date
    something was assessed, per dimension (of ``dimensions``, in that order) and ``OVERALL``, from
    the figures that counted on that date (``gap.rules.current_ratings`` of what was known by
    then; each stakeholder's importance shares as ``gap.rules.gap_table`` weighs them).

    A dimension's figure is sum(gap x share) / sum(share) over the stakeholders with an
    importance: workbook 3's mean gap of that dimension (its gap-over-time chart), with each
    stakeholder counted by the share of importance they give it. ``OVERALL`` is the mean over
    the stakeholders of each one's importance-weighted mean gap over the dimensions. So every
    figure is a gap on the expectation scale, and the overall lies among the dimensions'.
    ``stakeholders`` is how many each figure is over."""
    require_columns(ratings, ["dimension", "source", "assessed_on", "expectation", "perception"], "gap trend")
    order = list(dict.fromkeys(dimensions))
    rated = ratings[ratings["source"].isin(list(sources)) & ratings["dimension"].isin(order)]
    rated = rated.dropna(subset=["expectation", "perception"])
    rows: list[dict[str, Any]] = []
    for day in sorted(set(rated["assessed_on"])):
        known = current_ratings(ratings[ratings["assessed_on"] <= day], sources=sources)
        weighted = gap_table(known, dimensions=order).dropna(subset=["weighted_gap"])
        if weighted.empty:
            continue
        for dimension in order:
            mine = weighted[weighted["dimension"] == dimension]
            if mine["weight"].sum() > 0:
                rows.append(_gap_row(day, dimension, mine["weighted_gap"].sum() / mine["weight"].sum(), len(mine)))
        totals = weighted.groupby("stakeholder_id")["weighted_gap"].sum()  # each one's weighted mean gap
        rows.append(_gap_row(day, OVERALL, float(totals.mean()), len(totals)))
    trend = pd.DataFrame(rows, columns=GAP_TREND_COLUMNS)
    return trend.astype({"weighted_gap": float, "stakeholders": int})


def _gap_row(day: Any, dimension: str, value: Any, stakeholders: int) -> dict[str, Any]:
    return {
        "assessed_on": day,
        "dimension": dimension,
        "weighted_gap": float(value) + 0.0,  # never -0.0
        "stakeholders": stakeholders,
    }
