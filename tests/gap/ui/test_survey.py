"""The stakeholder's survey form: a link opens it, answers are saved as given with an anchor on every
scale point, Submit ends on a thank-you page, the same link brings the answers back to change, no
figure from the PM's side is shown, and dead links explain."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from collections.abc import Iterator

import ipywidgets as W
import pytest

from cpmkit.db.database import Store
from cpmkit.gap.store import NO_RESPONSE, GapStore
from cpmkit.gap.template import load_gap_template
from cpmkit.gap.ui.survey import GapSurveyApp
from cpmkit.stakeholders.store import StakeholderStore

TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def gaps(store: Store) -> GapStore:
    t = load_gap_template()
    return GapStore(store, scale=t.scale, importance=t.importance, satisfaction=t.satisfaction)


@pytest.fixture
def link(store: Store, stakeholder_store: StakeholderStore, gaps: GapStore) -> tuple[int, str]:
    project_id = store.create_project("Apollo")
    sid = stakeholder_store.add_stakeholder(project_id, "Acme <Corp>", category="customer")
    gaps.choose_dimensions(project_id, ["reliability", "schedule"])
    return project_id, gaps.new_survey_token(sid)


def _texts(widget: W.Widget) -> Iterator[str]:
    """Everything a widget tree puts on the page as text: HTML, labels, choices, values."""
    for name in ("value", "description", "placeholder", "tooltip"):
        value = getattr(widget, name, None)
        if isinstance(value, str):
            yield html.unescape(re.sub(r"<[^>]+>", " ", value))
    yield from (str(label) for label in getattr(widget, "_options_labels", ()))
    for child in getattr(widget, "children", ()):
        yield from _texts(child)


def shown(form: GapSurveyApp) -> str:
    """The visible text of the survey page (the stylesheet left out)."""
    return " ".join(" ".join(_texts(child)) for child in form.widget.children[1:])


def answer(form: GapSurveyApp, dimension: str, expectation: int, perception: int, importance: str | int) -> None:
    controls = form.questions[dimension].controls
    controls["expectation"].value = expectation
    controls["perception"].value = perception
    controls["importance"].value = importance


def test_answers_are_saved_as_survey_figures_dated_today(store: Store, gaps: GapStore, link: tuple[int, str]) -> None:
    project_id, token = link
    form = GapSurveyApp(store, query=f"survey={token}", today=lambda: TODAY)
    assert list(form.questions) == ["reliability", "schedule"]
    assert "Acme &lt;Corp&gt;" in form.heading.value
    form.questions["schedule"].controls["expectation"].value = 7
    form.questions["schedule"].controls["importance"].value = "70"
    form.satisfaction.value = 2
    form.comment.value = "More demos, please.\nEarlier news of slips."
    saved = gaps.ratings(project_id)
    assert saved[["dimension", "source", "expectation", "importance"]].values.tolist() == [
        ["schedule", "survey", 7, 70]
    ]
    assert saved["assessed_on"].tolist() == [TODAY]
    assert gaps.satisfaction(project_id)["score"].tolist() == [2]
    assert "70</b> of 100 (30 left to share)" in form.weights.value
    again = GapSurveyApp(store, query=f"survey={token}", today=lambda: TODAY)
    assert again.questions["schedule"].controls["expectation"].value == 7
    assert again.satisfaction.value == 2
    assert again.comment.value == "More demos, please.\nEarlier news of slips."


def test_every_scale_point_shows_its_anchor(store: Store, link: tuple[int, str]) -> None:
    form = GapSurveyApp(store, query=f"survey={link[1]}", today=lambda: TODAY)
    controls = form.questions["reliability"].controls
    for figure in ("expectation", "perception"):
        assert controls[figure].options[0] == ("1 - very low", 1)
        assert len(controls[figure].options) == 7
        assert controls[figure].description
    assert form.satisfaction.options[-1] == ("5 - fully", 5)
    assert isinstance(controls["importance"], W.Text)  # the template's mode: points of 100
    assert "(points of 100)" in controls["importance"].description


def test_importance_as_a_rating_is_anchored_1_to_5(store: Store, link: tuple[int, str], gaps: GapStore) -> None:
    rating = dataclasses.replace(load_gap_template(), importance="rating")
    form = GapSurveyApp(store, query=f"survey={link[1]}", today=lambda: TODAY, template=rating)
    importance = form.questions["schedule"].controls["importance"]
    assert isinstance(importance, W.RadioButtons)
    assert [value for _, value in importance.options] == [1, 2, 3, 4, 5]
    assert importance.options[-1][0] == "5 - critical"
    assert form.weights not in form.form.children
    for question in form.questions:
        answer(form, question, 5, 4, 3)
    form.satisfaction.value = 5
    form.submit.click()  # no points to add up in this mode
    assert form.submitted


def test_submit_thanks_them_and_the_same_link_lets_them_change_and_submit_again(
    store: Store, gaps: GapStore, link: tuple[int, str]
) -> None:
    project_id, token = link
    form = GapSurveyApp(store, query=f"survey={token}", today=lambda: TODAY)
    answer(form, "reliability", 6, 5, "30")
    answer(form, "schedule", 7, 3, "60")
    form.satisfaction.value = 5
    form.submit.click()
    assert not form.submitted
    assert "add up to 90; share out exactly 100" in form.answers_message.value
    assert (
        gaps.survey_responses(project_id).get(int(gaps.survey(token)["stakeholder_id"]), NO_RESPONSE)["submitted_at"]
        is None
    )

    form.questions["schedule"].controls["importance"].value = "70"
    form.comment.value = "Fewer meetings."
    form.submit.click()
    assert form.submitted
    page = shown(form)
    assert "Thank you. Your project manager sees your answers and will follow up" in page
    assert "Submit my answers" not in page
    response = gaps.survey_responses(project_id).get(int(gaps.survey(token)["stakeholder_id"]), NO_RESPONSE)
    assert response["comment"] == "Fewer meetings." and response["submitted_at"] is not None

    back = GapSurveyApp(store, query=f"survey={token}", today=lambda: TODAY)
    assert not back.submitted
    assert back.questions["schedule"].controls["perception"].value == 3
    back.questions["schedule"].controls["perception"].value = 4
    back.submit.click()
    assert back.submitted
    back.change.click()  # and once more, from the thank-you page
    assert not back.submitted and back.questions["schedule"].controls["perception"].value == 4
    assert gaps.ratings(project_id).set_index("dimension").loc["schedule", "perception"] == 4


def test_nothing_from_the_pms_side_is_shown(store: Store, gaps: GapStore, link: tuple[int, str]) -> None:
    sid = int(gaps.survey(link[1])["stakeholder_id"])
    token = link[1]
    for figure, value in (("expectation", 2), ("perception", 1), ("importance", 97)):
        gaps.save_rating(sid, "schedule", source="estimate", assessed_on=TODAY, field=figure, value=value)
    gaps.save_satisfaction(sid, source="estimate", assessed_on=TODAY, score=1)
    gaps.save_note(sid, "schedule", "stated_problem", "Zebra reports late")
    gaps.add_action(sid, "schedule", "Quokka calendar")
    form = GapSurveyApp(store, query=f"survey={token}", today=lambda: TODAY)
    answer(form, "schedule", 7, 2, "100")
    answer(form, "reliability", 4, 4, "0")
    page = shown(form)
    assert form.questions["schedule"].controls["expectation"].value == 7  # their own, not the estimate
    for internal in ("gap", "weight", "estimate", "-5", "97", "Zebra", "Quokka"):
        assert internal.lower() not in page.lower()
    form.satisfaction.value = 4
    form.submit.click()
    assert form.submitted
    assert not re.search(r"gap|weight|estimate|\d", shown(form), re.IGNORECASE)


def test_submit_points_out_questions_not_answered_then_sends_the_answers_as_they_are(
    store: Store, gaps: GapStore, link: tuple[int, str]
) -> None:
    project_id, token = link
    form = GapSurveyApp(store, query=f"survey={token}", today=lambda: TODAY)
    answer(form, "schedule", 7, 3, "100")
    form.questions["reliability"].controls["expectation"].value = 6
    form.submit.click()
    assert not form.submitted and form.submit.description == "Submit as it is"
    assert "3 questions not answered yet (marked above and overall satisfaction)" in form.answers_message.value
    flagged = html.unescape(form.questions["reliability"].message.value)
    assert "Not answered yet: How well do we deliver it today? How much does it matter to you?" in flagged
    assert "Not answered" not in form.questions["schedule"].message.value

    form.questions["reliability"].controls["perception"].value = 5  # answering clears the mark; Submit asks again
    assert "Not answered" not in form.questions["reliability"].message.value
    assert form.submit.description == "Submit my answers"
    form.submit.click()
    assert not form.submitted and "2 questions not answered yet" in form.answers_message.value
    form.submit.click()  # as it is
    assert form.submitted
    response = gaps.survey_responses(project_id)[int(gaps.survey(token)["stakeholder_id"])]
    assert response["submitted_at"] is not None
    assert gaps.ratings(project_id).set_index("dimension").loc["reliability", "perception"] == 5


@pytest.mark.parametrize("query", ["", "survey=nope"])
def test_a_missing_or_dead_link_explains_itself(store: Store, link: tuple[int, str], query: str) -> None:
    form = GapSurveyApp(store, query=query, today=lambda: TODAY)
    assert form.questions == {}
    assert "link" in form.status.value
    assert form.page.children == ()
