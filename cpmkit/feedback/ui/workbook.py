"""Workbook 4, lessons learned from feedback: pulse rounds and their survey links, survey
imports, NPS / CSAT / comment themes, mid-project retrospectives, the trends across all of a
project's sessions and the lessons-learned register, one tab each. Entry point: ``app()``.

Each tab is a panel that re-reads the store for the chosen project whenever it is opened, so
answers given through a survey link or on a retrospective board appear without a reload. A
theme, a comment or a retrospective card becomes a lesson in one click: the register creates
it, linked to its source, and opens it for editing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

import ipywidgets as W

from cpmkit.db.database import Store
from cpmkit.feedback.lessons.rules import LessonSource
from cpmkit.feedback.lessons.ui import LessonsPanel
from cpmkit.feedback.pulse.ui.rounds import PulseRoundsPanel
from cpmkit.feedback.retro.ui import RetroPanel
from cpmkit.feedback.survey_import.ui import FeedbackImportPanel
from cpmkit.feedback.ui.results import FeedbackResultsPanel
from cpmkit.feedback.ui.trends import TrendsPanel
from cpmkit.ui.page_header import PageHeader
from cpmkit.ui.session import open_store, safe_app
from cpmkit.ui.widgets import guard, message_area, stylesheet

__all__ = ["LessonsLearnedApp", "app"]


def app() -> W.Widget:
    """Build workbook 4 on the default store; the notebook displays what this returns."""
    return safe_app(lambda: LessonsLearnedApp(open_store()).widget)


class Panel(Protocol):
    """What a tab holds: a widget, and a way to (re)show a project's data in it."""

    widget: W.Widget

    def show(self, project_id: int | None) -> None: ...


class LessonsLearnedApp:
    """The whole workbook; ``widget`` is what the notebook shows."""

    def __init__(self, store: Store, *, today: Callable[[], dt.date] = dt.date.today) -> None:
        self.status = message_area()
        self.header = PageHeader(store, "lessons_learned", on_change=lambda _: self.open_tab(self.tabs.selected_index))
        self.bar = self.header.bar
        self.lessons = LessonsPanel(store, today=today)
        self.panels: dict[str, Panel] = {
            "Pulse rounds": PulseRoundsPanel(store),
            "Import responses": FeedbackImportPanel(store),
            "Results": FeedbackResultsPanel(store, on_lesson=self.lesson_from),
            "Retrospectives": RetroPanel(store, on_lesson=self.lesson_from),
            # After the sessions it draws on, before the register its findings become lessons in.
            "Trends": TrendsPanel(store),
            "Lessons register": self.lessons,
        }
        self.tabs = W.Tab(children=[p.widget for p in self.panels.values()], titles=list(self.panels))
        self.tabs.observe(lambda change: self.open_tab(change["new"]), "selected_index")
        self.widget = W.VBox([stylesheet(), self.header.widget, self.status, self.tabs])
        self.widget.add_class("cpmkit-app")
        self.open_tab(self.tabs.selected_index)
        self.widget.add_class("cpmkit-ready")

    def open_tab(self, index: int | None) -> None:
        """Show the chosen project's current data in the tab at ``index``."""
        with guard(self.status):
            list(self.panels.values())[index or 0].show(self.bar.project_id)

    def lesson_from(self, source: LessonSource) -> None:
        """Turn a theme, comment or card into a lesson, and open the register on it."""
        with guard(self.status):
            self.tabs.selected_index = list(self.panels).index("Lessons register")  # shows the project's register
            self.lessons.create_from(source)
