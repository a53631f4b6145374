"""Workbook 4's trends across sessions of one project, on one page: the themes that recur in its
retrospectives' cards, the actions each retrospective agreed, carried over and completed, the
team health checks as a heat map (``cpmkit.feedback.health``'s own history and chart), the
pulse scores and comfort questions per round (each with its n), and workbook 3's gap per
assessment date, weighted by importance. Each chart downloads as PNG and SVG (``ChartWithFiles``).

A section with fewer than two sessions says so in a sentence instead of drawing an empty
chart. Each ``show`` reads each workbook's store once (``RetroStore.history``,
``HealthStore.history_rows``, ``PulseStore.responses``, ``GapStore.rating_history``), and a section that cannot be drawn
says why without hiding the others.

A panel of the workbook-4 app: ``TrendsPanel(store).widget``, ``.show(project_id)``.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import ipywidgets as W
import pandas as pd

from cpmkit.db.database import Store
from cpmkit.feedback import trend_charts, trends
from cpmkit.feedback.health.charts import heat_map
from cpmkit.feedback.health.rules import MIN_VOTERS
from cpmkit.feedback.health.rules import history as health_history
from cpmkit.feedback.health.store import HealthStore
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.pulse.template import FeedbackTaxonomy, PulseSurvey, feedback_taxonomy
from cpmkit.feedback.retro.store import RetroHistory, RetroStore
from cpmkit.feedback.scores import SMALL_N
from cpmkit.gap.store import GapStore
from cpmkit.gap.template import GapTemplate, load_gap_template
from cpmkit.ui.chart_files import ChartWithFiles
from cpmkit.ui.widgets import MessageArea, guard, message_area, scrolling_table, table_html

__all__ = ["NO_PROJECT", "TrendsPanel"]

#: What every section says before a project is chosen.
NO_PROJECT: Final = "Choose a project to see its trends."
_ACTION_HEADINGS: Final = {
    "retrospective": "Retrospective",
    "created": "Actions agreed",
    "carried_over": "Carried over, still open",
    "completed": "Done by the end of the next",
}

#: What "done by the end of the next" counts: teams mark actions done as the next one reviews them.
_ACTIONS_NOTE: Final = (
    "Done by the end of the next: closed by the time the next retrospective was finished (or, if it never was, "
    "when the one after it began), as actions are often marked done while the next one reviews them."
)
_HEALTH_NOTE: Final = (
    "Each column is a finished team health check, each row a dimension, coloured by the average of "
    "the votes (red 0, amber 0.5, green 1). A check with fewer than three voters, and a dimension "
    "with fewer than three votes, are left out: so few votes would tell who gave them."
)


class _Section:
    """A heading, a message area, a note (the empty state, or what the charts show), a table of
    the figures and charts, built when first drawn (``chart``): a tab never opened builds none."""

    def __init__(self, title: str, charts: int, css: str) -> None:
        self.message: MessageArea = message_area()
        self.note = W.HTML()
        self.table = W.HTML()
        self.charts: list[ChartWithFiles] = []
        self._count = charts
        self.chart_box = W.VBox(layout=W.Layout(display="none"))
        heading = W.HTML(f'<h4 class="cpmkit-section">{html.escape(title)}</h4>')
        self.widget = W.VBox([heading, self.message, self.note, self.table, self.chart_box])
        self.widget.add_class(css)

    @contextmanager
    def drawing(self) -> Iterator[None]:
        """Around drawing the section: it starts empty, so nothing of the project shown before
        stays; what goes wrong is said in its message area, and it stays empty."""
        self.message.say("")
        self.clear()
        drawn = False
        with guard(self.message):
            yield
            drawn = True
        if not drawn:
            self.clear()

    def clear(self) -> None:
        """No note, no table, no charts."""
        self.note.value = ""
        self.table.value = ""
        self.chart_box.layout.display = "none"

    def chart(self, index: int) -> ChartWithFiles:
        """The section's chart at ``index``, its charts built on first need."""
        if not self.charts:
            self.charts = [ChartWithFiles() for _ in range(self._count)]
            self.chart_box.children = [chart.widget for chart in self.charts]
        return self.charts[index]

    def empty(self, sentence: str) -> None:
        """Say ``sentence`` in place of the charts."""
        self.clear()
        self.note.value = f'<p class="cpmkit-help cpmkit-trend-empty">{html.escape(sentence)}</p>'

    def shown(self, note: str, table: str = "") -> None:
        """Show the charts, with ``note`` (escaped) and ``table`` (HTML already escaped) above them."""
        self.note.value = f'<p class="cpmkit-help">{html.escape(note)}</p>' if note else ""
        self.table.value = table
        self.chart_box.layout.display = "flex"


class TrendsPanel:
    """One project's trends across retrospectives, pulse rounds and gap assessments. The feedback
    taxonomy and workbook 3's template are loaded when a section first needs them, inside its
    guard: a broken template says so in that section, and the rest of workbook 4 still works."""

    def __init__(
        self,
        store: Store,
        *,
        survey: PulseSurvey | None = None,
        taxonomy: FeedbackTaxonomy | None = None,
        gap_template: GapTemplate | None = None,
    ) -> None:
        self.store = store
        self.retros = RetroStore(store)
        self.pulses = PulseStore(store, survey)
        self.health = HealthStore(store)
        self.taxonomy = taxonomy
        self.gap_template = gap_template
        self.gaps: GapStore | None = None
        self.project_id: int | None = None
        self.sections = {
            "themes": _Section("Recurring themes in the retrospectives", 1, "cpmkit-trend-themes"),
            "actions": _Section("Retrospective actions: carried over and done", 1, "cpmkit-trend-actions"),
            "health": _Section("Team health checks over time", 1, "cpmkit-trend-health"),
            "pulse": _Section("Pulse rounds: NPS, CSAT and comfort", 2, "cpmkit-trend-pulse"),
            "gap": _Section("Expectation gap over time (workbook 3)", 1, "cpmkit-trend-gap"),
        }
        intro = W.HTML(
            '<p class="cpmkit-help">How this project moves from one session to the next. '
            f"A figure from fewer than {SMALL_N} answers is marked: one answer moves it far.</p>"
        )
        self.widget = W.VBox([intro, *(section.widget for section in self.sections.values())])
        self.widget.add_class("cpmkit-trends")

    def show(self, project_id: int | None) -> None:
        """Read the project's sessions again and redraw every section."""
        self.project_id = project_id
        if project_id is None:
            for section in self.sections.values():
                section.empty(NO_PROJECT)
            return
        stem = f"project-{project_id}"
        themes, actions = self.sections["themes"], self.sections["actions"]
        history: RetroHistory | None = None
        with themes.drawing():
            history = self.retros.history(project_id)
            self._themes(history, stem)
        with actions.drawing():
            if history is not None:
                self._actions(history, stem)
        if history is None:  # the read failed: this section says why, as the themes do
            actions.message.value = themes.message.value
        with self.sections["health"].drawing():
            self._health(project_id, stem)
        with self.sections["pulse"].drawing():
            self._pulse(self.pulses.responses(project_id), stem)
        with self.sections["gap"].drawing():
            template, gaps = self._gap_store()
            ratings, chosen = gaps.rating_history(project_id)
            self._gap(template, ratings, template.asked_dimensions(chosen), stem)

    def _gap_store(self) -> tuple[GapTemplate, GapStore]:
        """Workbook 3's template and its store, made on first need."""
        template = self.gap_template = self.gap_template or load_gap_template()
        if self.gaps is None:
            t = template
            self.gaps = GapStore(self.store, scale=t.scale, importance=t.importance, satisfaction=t.satisfaction)
        return template, self.gaps

    def _themes(self, history: RetroHistory, stem: str) -> None:
        section = self.sections["themes"]
        self.taxonomy = self.taxonomy or feedback_taxonomy()
        trend = trends.theme_trend(history.boards, history.cards, self.taxonomy)
        held = trend["retrospective"].nunique()
        few = trends.too_few(held, what="retrospective with cards", plural="retrospectives with cards")
        if few is not None:
            section.empty(few)
            return
        recurring = trends.recurring_themes(trend)
        note = (
            "Recurring: "
            + "; ".join(f"{row.label} (in {row.retrospectives} of {held})" for row in recurring.itertuples())
            + "."
            if not recurring.empty
            else f"No theme has come up in more than one of the {held} retrospectives yet."
        )
        section.shown(note)
        section.chart(0).draw(trend_charts.theme_trend_chart(trend), stem=f"{stem}-retro-themes")

    def _actions(self, history: RetroHistory, stem: str) -> None:
        section = self.sections["actions"]
        table = trends.action_trend(history.boards, history.actions)
        few = trends.too_few(len(table), what="retrospective")
        if few is not None:
            section.empty(few)
            return
        shown = table.assign(
            completed=[
                f"{done}" if later else f"{done} so far"
                for done, later in zip(table["completed_by_next"], table["next_held"])
            ]
        )
        section.shown(
            _ACTIONS_NOTE,
            scrolling_table(table_html(shown, columns=_ACTION_HEADINGS), name="Actions per retrospective"),
        )
        section.chart(0).draw(trend_charts.action_trend_chart(table), stem=f"{stem}-retro-actions")

    def _health(self, project_id: int, stem: str) -> None:
        section = self.sections["health"]
        found = health_history(self.health.history_rows(project_id), self.health.checks.names)
        few = trends.too_few(
            found["board_id"].nunique(),
            what=f"finished health check with {MIN_VOTERS} or more voters",
            plural=f"finished health checks with {MIN_VOTERS} or more voters",
        )
        if few is not None:
            section.empty(few)
            return
        section.shown(_HEALTH_NOTE)
        section.chart(0).draw(heat_map(found), stem=f"{stem}-health")

    def _pulse(self, responses: pd.DataFrame, stem: str) -> None:
        section = self.sections["pulse"]
        trend, left_out = trends.pulse_trend(responses, self.pulses.survey)
        few = trends.too_few(
            trend["round"].nunique(), what="pulse round with answers", plural="pulse rounds with answers"
        )
        if few is not None:
            section.empty(few)
            return
        table, headings = trends.pulse_table(trend)
        note = " ".join(
            ["Each figure with the number of answers it rests on (n); hollow points rest on few answers.", *left_out]
        )
        section.shown(note, scrolling_table(table_html(table, columns=headings), name="Pulse figures per round"))
        section.chart(0).draw(trend_charts.score_trend_chart(trend), stem=f"{stem}-pulse-scores")
        comfort = section.chart(1)
        comfort_rows = trend[~trend["measure"].isin(trends.SCORE_MEASURES)]
        asked = bool((comfort_rows["n"] > 0).any())  # a comfort question has an answer to draw
        if asked:
            comfort.draw(trend_charts.comfort_trend_chart(trend), stem=f"{stem}-pulse-comfort")
        comfort.widget.layout.display = "flex" if asked else "none"

    def _gap(self, template: GapTemplate, ratings: pd.DataFrame, dimensions: list[str], stem: str) -> None:
        section = self.sections["gap"]
        trend = trends.weighted_gap_trend(ratings, sources=template.source_order, dimensions=dimensions)
        few = trends.too_few(trend["assessed_on"].nunique(), what="gap assessment")
        if few is not None:
            section.empty(few)
            return
        note = (
            "Each line is a dimension's mean gap, perceived minus expected, as in workbook 3's gap over time, "
            "with each stakeholder's gap counted by the share of importance they give that dimension. "
            "The thick line is each stakeholder's importance-weighted mean gap over all dimensions, averaged "
            "over the stakeholders. Below zero, stakeholders perceive less than they expect."
        )
        section.shown(note)
        chart = trend_charts.gap_trend_chart(trend, template.dimension_names)
        section.chart(0).draw(chart, stem=f"{stem}-gap-trend")
