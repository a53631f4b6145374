"""The stakeholder's survey form of workbook 3: opened from the PM's link
(``<stakeholder survey notebook>?survey=<token>``), it asks the stakeholder's own expectation,
perception and importance per dimension, their overall satisfaction and a comment, then a
Submit that ends on a thank-you page saying what happens next. Entry point: ``app()``.

Each answer is saved as it is given, dated today, with the source "survey"; opening the link
again shows the answers given so far, to change and submit again. Every scale point carries its
anchor from the template, and nothing from the PM's side (gaps, estimates) is shown.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as W

from cpmkit.core.query import query_params
from cpmkit.db.database import Store
from cpmkit.errors import NotFoundError, ValidationError
from cpmkit.gap import rules as gap
from cpmkit.gap.store import NO_RESPONSE, GapStore
from cpmkit.gap.template import Dimension, GapTemplate, load_gap_template
from cpmkit.ui.page_header import ParticipantHeader, page_title
from cpmkit.ui.session import open_store, safe_app
from cpmkit.ui.widgets import Loading, MessageArea, guard, message_area, replace_children, stylesheet

__all__ = ["SURVEY_SOURCE", "GapSurveyApp", "SurveyQuestions", "app"]

#: The source recorded with every answer given through a survey link.
SURVEY_SOURCE = "survey"
#: What a stakeholder is asked per dimension, by the figure their answer is saved as.
ASKED = {
    "expectation": "What do you expect here?",
    "perception": "How well do we deliver it today?",
    "importance": "How much does it matter to you?",
}
#: Submit's label, and its label once it has pointed out answers still missing (a second press sends them as they are).
SUBMIT = "Submit my answers"
SUBMIT_AS_IS = "Submit as it is"
#: The points a stakeholder shares out between the dimensions in "weights" mode.
POINTS = 100

Save = Callable[[str, str, Any], None]  # (dimension, figure, value)


def app() -> W.Widget:
    """Build the survey form for the link's token on the default store."""
    return safe_app(lambda: GapSurveyApp(open_store(), query=os.environ.get("QUERY_STRING")).widget)


def anchored_choice(options: list[tuple[str, int]], question: str) -> W.RadioButtons:
    """Radio buttons, one per scale point with its anchor, named by ``question``; none chosen yet."""
    choice = W.RadioButtons(options=options, value=None, description=question, style={"description_width": "initial"})
    choice.add_class("cpmkit-survey-choice")
    return choice


class SurveyQuestions:
    """One dimension as the stakeholder sees it: its name, description and example questions, then
    their three answers (importance as anchored 1-5 or as points of 100, per the template)."""

    def __init__(self, template: GapTemplate, dimension: Dimension, *, on_save: Save) -> None:
        self.dimension = dimension
        importance: W.ValueWidget
        if template.importance == "weights":
            importance = W.Text(
                description=f"{ASKED['importance']} (points of {POINTS})",
                placeholder=f"0-{POINTS}",
                continuous_update=True,
                style={"description_width": "initial"},
            )
            importance.add_class("cpmkit-survey-points")
        else:
            importance = anchored_choice(template.anchored("importance"), ASKED["importance"])
        self.controls: dict[str, W.ValueWidget] = {
            "expectation": anchored_choice(template.anchored("scale"), ASKED["expectation"]),
            "perception": anchored_choice(template.anchored("scale"), ASKED["perception"]),
            "importance": importance,
        }
        self.message = MessageArea()
        self.loading = Loading()
        asked = "".join(f"<li>{html.escape(q)}</li>" for q in dimension.questions)
        about = W.HTML(
            f"<h4>{html.escape(dimension.name)}</h4><p class='cpmkit-help'>{html.escape(dimension.description)}</p>"
            f"<ul class='cpmkit-help'>{asked}</ul>"
        )
        for figure, control in self.controls.items():
            control.observe(lambda change, figure=figure: self._changed(figure, change["new"], on_save), "value")
        self.widget = W.VBox([about, *self.controls.values(), self.message])
        self.widget.add_class("cpmkit-survey-dimension")
        self.widget.add_class(f"cpmkit-dimension-{dimension.id}")

    def show(self, values: Mapping[str, Any]) -> None:
        """Fill the answers with those saved, without saving them again."""
        with self.loading:
            for figure, control in self.controls.items():
                value = gap.whole(values.get(figure))
                control.value = ("" if value is None else str(value)) if isinstance(control, W.Text) else value

    def flag(self, missing: Sequence[str]) -> None:
        """Point out the questions of this dimension not answered yet (``missing`` figures)."""
        self.message.say("Not answered yet: " + " ".join(ASKED[figure] for figure in missing))

    def _changed(self, figure: str, value: Any, on_save: Save) -> None:
        if not self.loading:
            with guard(self.message):
                on_save(self.dimension.id, figure, value)


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
        self.header = ParticipantHeader(self.heading, "Stakeholder survey")
        self.questions: dict[str, SurveyQuestions] = {}
        self.weights = W.HTML()
        self.weights.add_class("cpmkit-survey-total")
        self.satisfaction = anchored_choice(
            t.anchored("satisfaction"), "Overall, how satisfied are you with the project so far?"
        )
        self.satisfaction.add_class("cpmkit-satisfaction")
        self.comment = W.Textarea(
            description="Anything else you want your project manager to know? (optional)",
            continuous_update=False,
            rows=4,
            style={"description_width": "initial"},
        )
        self.comment.add_class("cpmkit-survey-comment")
        self.answers_message = MessageArea()
        self.submit = W.Button(description=SUBMIT, button_style="primary")
        self.missing_shown = False  # Submit has pointed out unanswered questions; pressed again, it sends
        self.submit.on_click(lambda _: self._submit())
        self.change = W.Button(description="Change my answers")
        self.change.on_click(lambda _: self._show_form())
        self.thanks = W.HTML(f"<p class='cpmkit-survey-thanks'>{html.escape(t.guidance['survey_thanks'])}</p>")
        self.form = W.VBox()
        self.form.add_class("cpmkit-survey-form")
        self.page = W.VBox()
        self.page.add_class("cpmkit-survey-page")
        self.widget = W.VBox([stylesheet(), self.header.widget, self.status, self.page])
        self.widget.add_class("cpmkit-app")
        self.widget.add_class("cpmkit-survey")
        self.survey: dict[str, Any] | None = None
        with guard(self.status):
            self._open(query_params(query).get("survey"))
        self.widget.add_class("cpmkit-ready")

    @property
    def submitted(self) -> bool:
        """Whether the thank-you page is showing (the answers were just submitted)."""
        return self.thanks in self.page.children

    def _open(self, token: str | None) -> None:
        if token is None:
            self.heading.value = "<h3>Stakeholder survey</h3>"
            raise NotFoundError(
                "This form opens from the link your project manager sent you; that link is missing here."
            )
        self.survey = self.gaps.survey(token)
        project_id, stakeholder_id = int(self.survey["project_id"]), int(self.survey["stakeholder_id"])
        intro = self.template.guidance.get("survey_intro", "")
        self.header.show(page_title("Stakeholder survey", str(self.survey["project"])))
        self.heading.value = (
            f"<h3>{html.escape(str(self.survey['project']))}: how is the project doing for you?</h3>"
            f"<p>For <b>{html.escape(str(self.survey['stakeholder']))}</b>. {html.escape(intro)}</p>"
        )
        asked = self.template.asked_dimensions(self.gaps.chosen_dimensions(project_id))
        self.questions = {
            d: SurveyQuestions(self.template, self.template.dimension(d), on_save=self._save) for d in asked
        }
        figures = self._figures()
        for dimension, questions in self.questions.items():
            questions.show(figures.get(dimension, {}))
        self.satisfaction.value = gap.satisfaction_as_of(
            self.gaps.satisfaction(project_id), stakeholder_id=stakeholder_id, source=SURVEY_SOURCE, on=self.today()
        )
        self.satisfaction.observe(lambda change: self._save_satisfaction(change["new"]), "value")
        self.comment.value = self.gaps.survey_responses(project_id).get(stakeholder_id, NO_RESPONSE)["comment"] or ""
        self.comment.observe(lambda change: self._save_comment(change["new"]), "value")
        self._show_weights(figures)
        weights = [self.weights] if self.template.importance == "weights" else []
        self.form.children = [
            *weights,
            *(q.widget for q in self.questions.values()),
            self.satisfaction,
            self.comment,
            self.answers_message,
            self.submit,
        ]
        self._show_form()

    def _show_form(self) -> None:
        self.status.say("")
        self._show_missing(False)
        replace_children(self.page, [self.form])

    def _save(self, dimension: str, figure: str, value: Any) -> None:
        assert self.survey is not None
        self.gaps.save_rating(
            int(self.survey["stakeholder_id"]),
            dimension,
            source=SURVEY_SOURCE,
            assessed_on=self.today(),
            field=figure,
            value=value,
        )
        self.status.say("Your answers are saved as you give them; press Submit when you are done.", ok=True)
        self._show_missing(False)
        self._show_weights(self._figures())

    def _save_satisfaction(self, score: int | None) -> None:
        with guard(self.answers_message):
            assert self.survey is not None
            self._show_missing(False)
            self.gaps.save_satisfaction(
                int(self.survey["stakeholder_id"]), source=SURVEY_SOURCE, assessed_on=self.today(), score=score
            )

    def _save_comment(self, text: str) -> None:
        with guard(self.answers_message):
            assert self.survey is not None
            self.gaps.save_survey_comment(int(self.survey["stakeholder_id"]), text)

    def _submit(self) -> None:
        """Record the submission and thank them; in "weights" mode the points must add up first.
        Questions not answered are pointed out first, as a form does; pressed again, Submit
        sends the answers as they are (a partial answer still tells the PM something)."""
        with guard(self.answers_message):
            assert self.survey is not None
            figures = self._figures()
            given = gap.points_given(figures)
            if self.template.importance == "weights" and given != POINTS:
                raise ValidationError(
                    f"Your importance points add up to {given}; share out exactly {POINTS} before you submit."
                )
            missing = gap.unanswered(figures, list(self.questions))
            count = sum(map(len, missing.values())) + (self.satisfaction.value is None)
            if count and not self.missing_shown:
                for dimension, figures_missing in missing.items():
                    self.questions[dimension].flag(figures_missing)
                self._show_missing(True)
                where = ["marked above"] if missing else []
                where += ["overall satisfaction"] if self.satisfaction.value is None else []
                raise ValidationError(
                    f"{count} question{'s' if count > 1 else ''} not answered yet ({' and '.join(where)}). "
                    f"Answer them, or press {SUBMIT_AS_IS!r} to send what you gave."
                )
            self.gaps.submit_survey(int(self.survey["stakeholder_id"]))
            replace_children(self.page, [self.thanks, self.change])
            self.status.say("")

    def _show_missing(self, shown: bool) -> None:
        """Whether unanswered questions are pointed out: Submit then says it sends them as they are."""
        self.missing_shown = shown
        self.submit.description = SUBMIT_AS_IS if shown else SUBMIT

    def _figures(self) -> dict[str, dict[str, Any]]:
        """This stakeholder's survey answers as of today, by dimension."""
        assert self.survey is not None
        ratings = self.gaps.ratings(int(self.survey["project_id"]))
        return gap.figures_as_of(
            ratings, stakeholder_id=int(self.survey["stakeholder_id"]), source=SURVEY_SOURCE, on=self.today()
        )

    def _show_weights(self, figures: dict[str, dict[str, Any]]) -> None:
        """In 'weights' mode, how many of the 100 points are given so far (kept in view)."""
        total = gap.points_given(figures)
        left = f"{POINTS - total} left to share" if total <= POINTS else f"{total - POINTS} too many"
        self.weights.value = (
            f"<p>Importance points given: <b>{total}</b> of {POINTS} ({left}).</p>"
            if self.template.importance == "weights"
            else ""
        )
