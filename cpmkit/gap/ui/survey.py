"""The stakeholder's survey form of workbook 3: opened from the PM's link
(``<stakeholder survey notebook>?survey=<token>``), it asks the stakeholder's own expectation,
perception and importance per dimension, and their overall satisfaction. Entry point: ``app()``.

Each answer is saved as it is given, dated today, with the source "survey"; opening the link
again shows the answers given so far.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from cpmkit.core.query import query_params
from cpmkit.db.database import Store
from cpmkit.errors import NotFoundError
from cpmkit.gap import rules as gap
from cpmkit.gap.store import GapStore
from cpmkit.gap.template import GapTemplate, load_gap_template
from cpmkit.gap.ui.ratings import RatingForm, scale_choice
from cpmkit.ui.session import open_store, safe_app
from cpmkit.ui.widgets import MessageArea, field, guard, message_area, stylesheet

__all__ = ["SURVEY_SOURCE", "GapSurveyApp", "app"]

#: The source recorded with every answer given through a survey link.
SURVEY_SOURCE = "survey"


def app() -> W.Widget:
    """Build the survey form for the link's token on the default store."""
    return safe_app(lambda: GapSurveyApp(open_store(), query=os.environ.get("QUERY_STRING")).widget)


class GapSurveyApp:
    """The form for one stakeholder; a missing or dead link shows only a plain message."""

    def __init__(
        self,
        store: Store,
        *,
        query: str | None,
        today: Callable[[], dt.date] = dt.date.today,
        template: GapTemplate | None = None,
    ) -> None:
        self.store, self.today = store, today
        self.template = t = template or load_gap_template()
        self.gaps = GapStore(store, scale=t.scale, importance=t.importance, satisfaction=t.satisfaction)
        self.status = message_area()
        self.heading = W.HTML()
        self.form = RatingForm(t, on_save=self._save, questions=True)
        self.weights = W.HTML()
        self.satisfaction = scale_choice(*t.satisfaction)
        self.satisfaction_message = MessageArea(
            label=f"Overall, how satisfied are you with the project so far? ({t.satisfaction[0]} = not at all, {t.satisfaction[1]} = fully)"
        )
        self.widget = W.VBox([stylesheet(), self.heading, self.status])
        self.widget.add_class("cpmkit-app")
        self.survey: dict[str, Any] | None = None
        with guard(self.status):
            self._open(query_params(query).get("survey"))
        self.widget.add_class("cpmkit-ready")

    def _open(self, token: str | None) -> None:
        if token is None:
            self.heading.value = "<h3>Stakeholder survey</h3>"
            raise NotFoundError(
                "This form opens from the link your project manager sent you; that link is missing here."
            )
        self.survey = self.gaps.survey(token)
        project_id = int(self.survey["project_id"])
        intro = self.template.guidance.get("survey_intro", "")
        self.heading.value = (
            f"<h3>{html.escape(str(self.survey['project']))}: how is the project doing for you?</h3>"
            f"<p>For <b>{html.escape(str(self.survey['stakeholder']))}</b>. {html.escape(intro)}</p>"
        )
        figures = self._figures()
        self.form.show(self.template.asked_dimensions(self.gaps.chosen_dimensions(project_id)), figures)
        self.satisfaction.value = gap.satisfaction_as_of(
            self.gaps.satisfaction(project_id),
            stakeholder_id=int(self.survey["stakeholder_id"]),
            source=SURVEY_SOURCE,
            on=self.today(),
        )
        self.satisfaction.observe(lambda change: self._save_satisfaction(change["new"]), "value")
        self._show_weights(figures)
        self.widget.children = [
            *self.widget.children,
            self.form.widget,
            self.weights,
            field(self.satisfaction, self.satisfaction_message).add_class("cpmkit-satisfaction"),
        ]

    def _save(self, dimension: str, name: str, value: Any) -> None:
        assert self.survey is not None
        self.gaps.save_rating(
            int(self.survey["stakeholder_id"]),
            dimension,
            source=SURVEY_SOURCE,
            assessed_on=self.today(),
            field=name,
            value=value,
        )
        self.status.say("Thank you: your answers are saved as you give them.", ok=True)
        self._show_weights(self._figures())

    def _save_satisfaction(self, score: int | None) -> None:
        with guard(self.satisfaction_message):
            assert self.survey is not None
            self.gaps.save_satisfaction(
                int(self.survey["stakeholder_id"]), source=SURVEY_SOURCE, assessed_on=self.today(), score=score
            )
            self.status.say("Thank you: your answers are saved as you give them.", ok=True)

    def _figures(self) -> dict[str, dict[str, Any]]:
        """This stakeholder's survey answers as of today, by dimension."""
        assert self.survey is not None
        ratings = self.gaps.ratings(int(self.survey["project_id"]))
        return gap.figures_as_of(
            ratings, stakeholder_id=int(self.survey["stakeholder_id"]), source=SURVEY_SOURCE, on=self.today()
        )

    def _show_weights(self, figures: dict[str, dict[str, Any]]) -> None:
        """In 'weights' mode, how many of the 100 points are given so far."""
        if self.template.importance == "weights":
            total = gap.points_given(figures)
            self.weights.value = f"<p class='cpmkit-help'>Importance points given: <b>{total}</b> of 100.</p>"
