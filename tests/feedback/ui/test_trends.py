"""Workbook 4's Trends tab (cpmkit.feedback.ui.trends): every section drawn for a project with two
sessions of each kind, a plain sentence instead of an empty chart for one session or none, and a
chart's PNG and SVG made on request."""

from __future__ import annotations

import re

import pytest

from cpmkit.db.database import Store
from cpmkit.db.schema import pulse_answers
from cpmkit.errors import TemplateError, ValidationError
from cpmkit.feedback.ui.trends import NO_PROJECT, TrendsPanel
from cpmkit.feedback.ui.workbook import LessonsLearnedApp
from tests._downloads import files
from tests.feedback._trend_data import seed_trends


@pytest.fixture
def store(sqlite_store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.delenv("QUERY_STRING", raising=False)
    return sqlite_store


def test_two_sessions_of_each_kind_draw_every_section(store: Store) -> None:
    panel = TrendsPanel(store)
    panel.show(seed_trends(store))
    for name, section in panel.sections.items():
        assert section.message.value == "", name
        assert "cpmkit-trend-empty" not in section.note.value, name
        assert section.chart_box.layout.display == "flex", name
        for chart in section.charts:
            assert chart.chart.spec["datasets"], name
    themes = panel.sections["themes"].note.value
    assert "Recurring: Communication (in 2 of 2)." in themes
    pulse = panel.sections["pulse"].table.value
    assert "<td>May</td>" in pulse and "33 (n = 3, few answers)" in pulse and "83% (n = 6)" in pulse
    health = panel.sections["health"].charts[0].chart.spec
    assert [row["votes"] for row in next(iter(health["datasets"].values()))] == [3, 3]  # pace, in each check
    actions = re.sub(r"\s+", "", panel.sections["actions"].table.value)
    # The first's action was done before the second began; the second's is open: none done so far.
    assert "<td>Sprint1(2026-03-02)</td><td>1</td><td>0</td><td>1</td>" in actions
    assert "<td>Sprint2(2026-03-16)</td><td>1</td><td>0</td><td>0sofar</td>" in actions
    assert [chart.stem for s in panel.sections.values() for chart in s.charts] == [
        f"project-{panel.project_id}-{name}"
        for name in ("retro-themes", "retro-actions", "health", "pulse-scores", "pulse-comfort", "gap-trend")
    ]


def test_one_session_says_so_instead_of_an_empty_chart(store: Store) -> None:
    panel = TrendsPanel(store)
    panel.show(seed_trends(store, sessions=1))
    said = {name: section.note.value for name, section in panel.sections.items()}
    assert "Trends need two retrospectives with cards; this project has one." in said["themes"]
    assert "Trends need two retrospectives; this project has one." in said["actions"]
    assert "Trends need two finished health checks with 3 or more voters; this project has one." in said["health"]
    assert "Trends need two pulse rounds with answers; this project has one." in said["pulse"]
    assert "Trends need two gap assessments; this project has one." in said["gap"]
    assert all(section.chart_box.layout.display == "none" for section in panel.sections.values())


def test_no_project_and_an_empty_project(store: Store) -> None:
    panel = TrendsPanel(store)
    panel.show(None)
    assert all(NO_PROJECT in section.note.value for section in panel.sections.values())
    panel.show(store.create_project("Empty"))
    assert "this project has none yet" in panel.sections["gap"].note.value
    assert all(section.message.value == "" for section in panel.sections.values())


def test_a_chart_downloads_as_png_and_svg(store: Store) -> None:
    panel = TrendsPanel(store)
    panel.show(seed_trends(store))
    chart = panel.sections["gap"].charts[0]
    made = files(chart.widget)
    assert set(made) == {f"project-{panel.project_id}-gap-trend.png", f"project-{panel.project_id}-gap-trend.svg"}


def test_the_trends_tab_of_the_app_shows_the_chosen_project(store: Store) -> None:
    project = seed_trends(store)
    app = LessonsLearnedApp(store)
    app.bar.choice.value = project
    app.tabs.selected_index = list(app.panels).index("Trends")
    assert app.status.value == ""
    assert app.panels["Trends"].project_id == project  # type: ignore[attr-defined]


def test_a_comfort_question_out_of_its_scale_leaves_nps_and_csat_drawn(store: Store) -> None:
    """As the Results panel does: that one question is left out, with why, not the whole section."""
    project = seed_trends(store)
    with store.write() as conn:  # the question's scale narrowed after a 5 was saved: a stored 7
        conn.execute(
            pulse_answers.update()
            .where(pulse_answers.c.question == "progress")
            .where(pulse_answers.c.score == 5)
            .values(score=7)
        )
    panel = TrendsPanel(store)
    panel.show(project)
    pulse = panel.sections["pulse"]
    assert pulse.message.value == ""
    assert "progress?: left out, answers outside 1-5" in pulse.note.value
    assert "NPS" in pulse.table.value and "CSAT" in pulse.table.value
    assert pulse.chart_box.layout.display == "flex"


def test_a_section_whose_read_fails_keeps_nothing_of_the_project_before(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From a project with data to one whose reads fail: every section says why and is empty,
    the actions too (drawn from the same retrospective read as the themes)."""
    panel = TrendsPanel(store)
    panel.show(seed_trends(store))
    other = store.create_project("Broken")

    def fails(*_: object) -> None:
        raise ValidationError("The store could not be read.")

    monkeypatch.setattr(panel.retros, "history", fails)
    monkeypatch.setattr(panel.pulses, "responses", fails)
    monkeypatch.setattr(panel.health, "history_rows", fails)
    assert panel.gaps is not None
    monkeypatch.setattr(panel.gaps, "rating_history", fails)
    panel.show(other)
    for name, section in panel.sections.items():
        assert "The store could not be read." in section.message.value, name
        assert section.note.value == "" and section.table.value == "", name
        assert section.chart_box.layout.display == "none", name


def test_a_broken_gap_template_leaves_the_app_and_the_other_sections(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise TemplateError("has no name.", file="gap_analysis.yaml", item="dimension 2")

    monkeypatch.setattr("cpmkit.feedback.ui.trends.load_gap_template", broken)
    project = seed_trends(store)
    app = LessonsLearnedApp(store)  # the template is not read at start
    app.bar.choice.value = project
    app.tabs.selected_index = list(app.panels).index("Trends")
    panel = app.panels["Trends"]
    assert isinstance(panel, TrendsPanel)
    assert "gap_analysis.yaml, item &#x27;dimension 2&#x27;: has no name." in panel.sections["gap"].message.value
    assert panel.sections["pulse"].chart_box.layout.display == "flex"


def test_the_charts_are_built_when_the_tab_is_first_opened(store: Store) -> None:
    project = seed_trends(store)
    app = LessonsLearnedApp(store)
    panel = app.panels["Trends"]
    assert isinstance(panel, TrendsPanel)
    assert all(section.charts == [] for section in panel.sections.values())
    app.bar.choice.value = project
    app.tabs.selected_index = list(app.panels).index("Trends")
    assert [len(section.charts) for section in panel.sections.values()] == [1, 1, 1, 2, 1]


def test_no_comfort_rows_hide_the_comfort_chart(store: Store) -> None:
    project = seed_trends(store)
    # Every comfort answer out of its scale: the one comfort question asked is left out, and the
    # other two were never answered (n = 0): no comfort figure at all.
    with store.write() as conn:
        conn.execute(pulse_answers.update().where(pulse_answers.c.question == "progress").values(score=7))
    panel = TrendsPanel(store)
    panel.show(project)
    scores, comfort = panel.sections["pulse"].charts
    assert scores.widget.layout.display != "none"
    assert comfort.widget.layout.display == "none"
