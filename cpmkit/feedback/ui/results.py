"""Workbook 4's feedback results: NPS and CSAT per pulse round, each with the number of answers
beside it and the change since the round before; the rating questions' averages per round; the
charts; the themes of the comments with
counts and examples; and the comments themselves, most negative first, filtered by theme and
round. A theme or a comment becomes a lesson in one click (``on_lesson``).

A panel of the workbook-4 app: ``FeedbackResultsPanel(store).widget``, ``.show(project_id)``.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Final

import ipywidgets as W
import pandas as pd

from cpmkit.core.fields import shorten
from cpmkit.db.database import Store
from cpmkit.feedback import comments
from cpmkit.feedback import scores as feedback
from cpmkit.feedback.charts import csat_chart, nps_chart, theme_chart, theme_trend_chart
from cpmkit.feedback.lessons.rules import LessonSource
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.pulse.template import (
    UNTHEMED,
    FeedbackTaxonomy,
    PulseSurvey,
    feedback_taxonomy,
)
from cpmkit.ui.chart import VegaChart
from cpmkit.ui.widgets import guard, message_area, replace_children, table_html

__all__ = [
    "NO_ANSWERS",
    "NO_RESPONSES",
    "SHOWN_COMMENTS",
    "FeedbackResultsPanel",
    "rating_table",
    "score_table",
]

#: What a round without responses shows instead of a score: never 0.
NO_RESPONSES: Final = "no responses yet"
#: What a round shows for a question none of its responses answered (the score is optional, say).
NO_ANSWERS: Final = "not answered (n = 0)"
#: Comments listed at once (each with its own button); the filters reach the others.
SHOWN_COMMENTS: Final = 50
_EXCERPT: Final = 200
_SCORE_HEADINGS: Final = {
    "round": "Round",
    "responses": "Responses",
    "nps": "NPS",
    "nps_change": "NPS change",
    "csat": "CSAT",
    "csat_change": "CSAT change",
}
_THEME_HEADINGS: Final = {
    "label": "Theme",
    "comments": "Comments",
    "share": "Share",
    "negative": "Negative",
    "examples": "Examples (most negative first)",
}

OnLesson = Callable[[LessonSource], None]


class FeedbackResultsPanel:
    """Scores, charts, themes and comments of one project's pulse rounds."""

    def __init__(
        self,
        store: Store,
        *,
        on_lesson: OnLesson | None = None,
        survey: PulseSurvey | None = None,
        taxonomy: FeedbackTaxonomy | None = None,
    ) -> None:
        self.pulses = PulseStore(store, survey)
        self.taxonomy = taxonomy or feedback_taxonomy()
        self.on_lesson = on_lesson
        self.message = message_area()
        self.scores = W.HTML()
        self.ratings = W.HTML()
        self.charts = {name: VegaChart() for name in ("nps", "csat", "themes", "trend")}
        self.chart_box = W.VBox(list(self.charts.values()))
        self.themes = W.HTML()
        self.theme_lessons = W.VBox()
        self.theme_filter = W.Dropdown(description="Theme", options=[("All themes", None)], index=0)
        self.round_filter = W.Dropdown(description="Round", options=[("All rounds", None)], index=0)
        self.comment_count = W.HTML()
        self.comment_list = W.VBox()
        self.analysed = pd.DataFrame()
        self._analysed, self._analysed_digest = pd.DataFrame(), ""
        self.project_id: int | None = None
        for choice in (self.theme_filter, self.round_filter):
            choice.observe(lambda _change: self._filtered(), "value")
        self.widget = W.VBox(
            [
                self.message,
                W.HTML("<h4>Scores per pulse round</h4>"),
                self.scores,
                self.ratings,
                self.chart_box,
                W.HTML("<h4>Themes of the comments</h4>").add_class("cpmkit-section"),
                self.themes,
                self.theme_lessons,
                W.HTML("<h4>Comments, most negative first</h4>").add_class("cpmkit-section"),
                W.HBox([self.theme_filter, self.round_filter]),
                self.comment_count,
                self.comment_list,
            ]
        )
        self.widget.add_class("cpmkit-feedback-results")

    def show(self, project_id: int | None) -> None:
        """Read the project's responses again and redraw everything."""
        with guard(self.message):
            self._show(project_id)

    def _show(self, project_id: int | None) -> None:
        if project_id != self.project_id:  # another project: its filters start at "All"
            self.project_id = project_id
            for choice in (self.theme_filter, self.round_filter):
                choice.index = 0
        rounds = self.pulses.rounds(project_id) if project_id is not None else pd.DataFrame(columns=["name"])
        responses = self.pulses.responses(project_id) if project_id is not None else pd.DataFrame()
        survey = self.pulses.survey
        answered = not responses.empty
        nps = feedback.nps_by_round(responses, column=survey.recommend.id) if answered else None
        satisfaction = survey.satisfaction
        csat = None
        if answered and satisfaction is not None and satisfaction.scale is not None:
            scale = (satisfaction.scale.low, satisfaction.scale.high)
            csat = feedback.csat_by_round(responses, column=satisfaction.id, scale=scale)
        names = [str(name) for name in rounds["name"]]
        table = score_table(names, nps, csat)
        empty = "No pulse rounds yet: open one in the Pulse rounds tab."
        self.scores.value = table_html(
            table, columns=_SCORE_HEADINGS if csat is not None else _without_csat(), empty=empty
        )
        self.ratings.value = self._ratings_html(survey, responses, _round_order(names, nps))
        self.chart_box.layout.display = "flex" if answered else "none"
        if nps is not None:
            self.charts["nps"].draw(nps_chart(nps))
        if csat is not None:
            self.charts["csat"].draw(csat_chart(csat))
        self.charts["csat"].layout.display = "flex" if csat is not None else "none"
        has_text = answered and bool(survey.text_ids)
        self.analysed = self._analysis(responses) if has_text else pd.DataFrame()
        self._show_themes()
        _refill(self.round_filter, [("All rounds", None)] + [(str(name), str(name)) for name in rounds["name"]])
        self._filtered()

    def _ratings_html(self, survey: PulseSurvey, responses: pd.DataFrame, rounds: list[str]) -> str:
        """The rating questions (the comfort questions) per round: each round's average and n. A
        question the responses cannot give a figure for says why in its column, and the rest of
        the results are drawn all the same."""
        columns: dict[str, str] = {"round": "Round"}
        found = feedback.ratings_by_round(responses, survey.rating_scales) if not responses.empty else {}
        tables: list[tuple[str, pd.DataFrame | str | None]] = []
        for question_id, (low, high) in survey.rating_scales.items():
            columns[question_id] = f"{survey.question(question_id).text} ({low}-{high})"
            # No figure before any response; a question asked of none of them: not answered.
            tables.append((question_id, found.get(question_id, NO_ANSWERS if not responses.empty else None)))
        if not tables or not rounds:
            return ""
        return (
            "<p class='cpmkit-help'>The rating questions: each round's average answer, and how many answered.</p>"
            + (table_html(rating_table(rounds, tables), columns=columns))
        )

    def _analysis(self, responses: pd.DataFrame) -> pd.DataFrame:
        """The comments' tone and themes; analysed again only when the responses changed, as the
        tab is opened each time (VADER takes most of a second per 10,000 comments)."""
        digest = hashlib.sha256(pd.util.hash_pandas_object(responses, index=True).to_numpy().tobytes()).hexdigest()
        if digest != self._analysed_digest:
            self._analysed = comments.analyse_comments(
                responses, self.taxonomy, text_columns=self.pulses.survey.text_ids
            )
            self._analysed_digest = digest
        return self._analysed

    def _show_themes(self) -> None:
        commented = not self.analysed.empty
        for name in ("themes", "trend"):
            self.charts[name].layout.display = "flex" if commented else "none"
        labels = [(t.label, t.id) for t in self.taxonomy.themes] + [(comments.UNTHEMED_LABEL, UNTHEMED)]
        _refill(self.theme_filter, [("All themes", None), *labels])
        if not commented:
            self.themes.value = table_html(pd.DataFrame(), columns=_THEME_HEADINGS, empty="No comments yet.")
            replace_children(self.theme_lessons, [])
            return
        summary = comments.theme_summary(self.analysed, self.taxonomy)
        self.charts["themes"].draw(theme_chart(summary))
        self.charts["trend"].draw(theme_trend_chart(comments.theme_trend(self.analysed, self.taxonomy)))
        shown = summary.assign(
            share=[f"{share:.0f}%" for share in summary["share"]],
            examples=[
                " / ".join(f"'{shorten(text, _EXCERPT)}'" for text in examples) for examples in summary["examples"]
            ],
        )
        self.themes.value = table_html(shown[shown["comments"] > 0], columns=_THEME_HEADINGS)
        buttons = []
        if self.on_lesson is not None:
            for row in summary[summary["comments"] > 0].to_dict("records"):
                button = W.Button(
                    description=f"Make a lesson: {row['label']}", icon="lightbulb-o", layout=W.Layout(width="auto")
                )
                button.on_click(lambda _b, row=row: self._lesson(_theme_source(row)))
                buttons.append(button)
        replace_children(self.theme_lessons, buttons)

    def _filtered(self) -> None:
        with guard(self.message):
            if self.analysed.empty:
                self.comment_count.value = "<p class='cpmkit-help'>No comments yet.</p>"
                replace_children(self.comment_list, [])
                return
            chosen = comments.negative_first(self.analysed, theme=self.theme_filter.value)
            if self.round_filter.value is not None:
                chosen = chosen[chosen["round"] == self.round_filter.value]
            more = len(chosen) - SHOWN_COMMENTS
            count = f"{len(chosen)} comment{'s' if len(chosen) != 1 else ''}"
            count += (
                f"; the first {SHOWN_COMMENTS} are shown, choose a theme or round to see others." if more > 0 else "."
            )
            self.comment_count.value = f"<p class='cpmkit-help'>{html.escape(count)}</p>"
            replace_children(
                self.comment_list, [self._comment(row) for row in chosen.head(SHOWN_COMMENTS).to_dict("records")]
            )

    def _comment(self, row: Mapping[Hashable, Any]) -> W.Widget:
        names = {t.id: t.label for t in self.taxonomy.themes}
        themes = (
            ", ".join(names[t] for t in str(row["themes"]).split(comments.THEME_SEPARATOR) if t)
            or comments.UNTHEMED_LABEL
        )
        who = next((v for v in (row["stakeholder"], row["respondent"]) if isinstance(v, str) and v), "anonymous")
        header = f"{row['round']} · {who} · {row['tone']} · {themes}"
        text = W.HTML(
            f"<div class='cpmkit-comment cpmkit-tone-{html.escape(str(row['tone']))}'>"
            f"<span class='cpmkit-help'>{html.escape(header)}</span><br>{html.escape(str(row['text']))}</div>",
            layout=W.Layout(flex="1 1 auto"),
        )
        if self.on_lesson is None:
            return text
        button = W.Button(description="Make a lesson", icon="lightbulb-o", layout=W.Layout(width="140px"))
        source = LessonSource(
            "comment", f"{row['response_id']}:{row['question']}", str(row["text"])
        )  # a response has two text answers
        button.on_click(lambda _b: self._lesson(source))
        return W.HBox([text, button])

    def _lesson(self, source: LessonSource) -> None:
        made = False
        with guard(self.message):  # clears the message when the lesson is made: say so after it
            assert self.on_lesson is not None
            self.on_lesson(source)
            made = True
        if made:
            self.message.say(f"Lesson started from: {shorten(source.excerpt, _EXCERPT)}", ok=True)


def _refill(choice: W.Dropdown, options: list[tuple[str, Any]]) -> None:
    """New options for a filter, keeping its choice if still offered, else the first ("All ...").
    By index: a value of None would show no choice at all."""
    values = [value for _label, value in options]
    kept = choice.value if choice.index is not None and choice.value in values else values[0]
    choice.options = options
    choice.index = values.index(kept)


def score_table(rounds: list[str], nps: pd.DataFrame | None, csat: pd.DataFrame | None) -> pd.DataFrame:
    """One row per round (answered rounds in the order they ran, then the others): responses,
    "NPS 25 (n = 12)"-style scores with their change, or "no responses yet"."""
    rows = []
    for name in _round_order(rounds, nps):
        nps_row = _row(nps, name)
        csat_row = _row(csat, name)
        rows.append(
            {
                "round": name,
                "responses": int(nps_row["responses"]) if nps_row is not None else 0,
                "nps": _score(nps_row, "nps", "NPS {}"),
                "nps_change": _change(nps_row),
                "csat": _score(csat_row, "csat", "CSAT {}%"),
                "csat_change": _change(csat_row),
            }
        )
    return pd.DataFrame(rows, columns=list(_SCORE_HEADINGS))


def rating_table(rounds: list[str], ratings: list[tuple[str, pd.DataFrame | str | None]]) -> pd.DataFrame:
    """One row per round of ``rounds`` (in that order), a column per rating question: its id and
    ``scores.rating_by_round``'s table (None before any response, or a text saying why there is
    no figure). A cell reads "3.8 (n = 12)", or why there is no figure."""
    rows = []
    for name in rounds:
        row: dict[str, str] = {"round": name}
        for question, table in ratings:
            found = None if isinstance(table, str) else _row(table, name)
            row[question] = (
                table
                if isinstance(table, str)
                else NO_RESPONSES
                if found is None
                else NO_ANSWERS
                if pd.isna(found["mean"])
                else f"{found['mean']:.1f} (n = {int(found['n']):,})"
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=["round", *(question for question, _ in ratings)])


def _round_order(rounds: list[str], nps: pd.DataFrame | None) -> list[str]:
    """The rounds answered, in the order they ran, then the others of ``rounds``."""
    return list(dict.fromkeys([*(str(name) for name in (nps["round"] if nps is not None else [])), *rounds]))


def _row(table: pd.DataFrame | None, name: str) -> Mapping[Hashable, Any] | None:
    if table is None:
        return None
    found = table[table["round"] == name]
    return None if found.empty else found.iloc[0].to_dict()


def _score(row: Mapping[Hashable, Any] | None, column: str, shape: str) -> str:
    if row is None:
        return NO_RESPONSES
    if pd.isna(row[column]):
        return NO_ANSWERS
    return f"{shape.format(round(row[column]))} (n = {int(row['n']):,})"  # round(): never "-0"


def _change(row: Mapping[Hashable, Any] | None) -> str:
    """The change since the round before, e.g. "+5"; blank for the first round or no score."""
    return "" if row is None or pd.isna(row["change"]) else f"{round(row['change']):+d}"


def _without_csat() -> dict[str, str]:
    return {k: v for k, v in _SCORE_HEADINGS.items() if not k.startswith("csat")}


def _theme_source(row: Mapping[Hashable, Any]) -> LessonSource:
    n = int(row["comments"])
    example = f", e.g. '{shorten(row['examples'][0], _EXCERPT)}'" if row["examples"] else ""
    return LessonSource("theme", str(row["theme"]), f"{row['label']}: {n} comment{'s' if n != 1 else ''}{example}")
