"""The Python API for notebooks (cpmkit.api): each frame of a seeded project on SQLite and on
PostgreSQL, the lookup by name, ``import cpmkit`` staying light, and the example notebook
docs/examples/python_api.ipynb run headless against a seeded store."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

import cpmkit
from cpmkit.api import ACTIONS_COLUMNS, GAPS_COLUMNS, PULSE_COLUMNS, Project
from cpmkit.db.database import Store
from cpmkit.feedback.lessons.store import LessonStore
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.retro.store import RetroStore
from cpmkit.gap.store import GapStore
from cpmkit.stakeholders.store import StakeholderStore

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "examples" / "python_api.ipynb"
NAME = "Harbour Bridge Refit"
#: (stakeholder, dimension, expectation, perception, importance): the PM's estimates.
RATINGS = [
    ("Dana Whitfield", "reliability", 6, 3, 70),
    ("Dana Whitfield", "communication", 5, 4, 30),
    ("Sam Ortiz", "reliability", 5, 5, 50),
    ("Sam Ortiz", "communication", 6, 2, 50),
    ("Sam Ortiz", "budget", 7, 1, 0),  # a dimension the project does not ask about: left out
]
#: (recommend, satisfaction) of the November round: NPS (2 - 1) / 4 = 25, CSAT 2 of 4 = 50%.
ANSWERS = [(10, 5), (9, 4), (8, 3), (2, 2)]


def seed(url: str) -> dict[str, int]:
    """A project with two stakeholders, their gaps, two pulse rounds (one answered), a lesson, and
    actions on a gap and from a retrospective; the ids made."""
    store = Store.open(url)
    try:
        project = store.create_project(NAME)
        store.create_project("Other project")
        register = StakeholderStore(store)
        ids = {
            "Dana Whitfield": register.add_stakeholder(project, "Dana Whitfield", role="Sponsor", power=5, interest=4),
            "Sam Ortiz": register.add_stakeholder(project, "Sam Ortiz", role="Site engineer", power=2, interest=5),
        }
        gaps = GapStore(store)
        gaps.choose_dimensions(project, ["reliability", "communication"])
        for who, dimension, expectation, perception, importance in RATINGS:
            for figure, value in (("expectation", expectation), ("perception", perception), ("importance", importance)):
                gaps.save_rating(
                    ids[who], dimension, source="estimate", assessed_on=dt.date(2026, 11, 1), field=figure, value=value
                )
        gaps.save_note(ids["Dana Whitfield"], "reliability", "stated_problem", "Deliveries slip")
        overdue = gaps.add_action(ids["Dana Whitfield"], "reliability", "Weekly delivery check")
        gaps.update_action(overdue, "due", dt.date(2020, 1, 6))
        gaps.update_action(overdue, "owner", "Lee")
        done = gaps.add_action(ids["Sam Ortiz"], "communication", "Site briefing")
        gaps.update_action(done, "status", "done")
        pulses = PulseStore(store)
        november = pulses.create_round(project, "November", dt.date(2026, 11, 2))
        for recommend, satisfaction in ANSWERS:
            response, _ = pulses.start_response(november, stakeholder_id=None, submitted_at=dt.datetime(2026, 11, 3, 9))
            pulses.save_answer(response, "recommend", recommend)
            pulses.save_answer(response, "satisfaction", satisfaction)
        pulses.create_round(project, "December", dt.date(2026, 12, 1))
        lesson = LessonStore(store).add_lesson(
            project, what_happened="The design review came late", category="schedule", recommendation="Book it early"
        )
        retros = RetroStore(store)
        board = retros.create_board(project, "Sprint 4 retro", "sailboat", 3)
        retros.set_phase(board["id"], "act", facilitator_key=board["facilitator_key"])
        later = retros.add_action(
            board["id"], None, "Review within a day", "Ana", "2099-12-20", facilitator_key=board["facilitator_key"]
        )
        dropped = retros.add_action(board["id"], None, "Daily stand-up", facilitator_key=board["facilitator_key"])
        retros.update_action(dropped, "status", "dropped")
        undated = retros.add_action(board["id"], None, "Try a new format", facilitator_key=board["facilitator_key"])
    finally:
        store.close()
    return {"project": project, "lesson": lesson, "overdue": overdue, "done": done, "later": later,
            "dropped": dropped, "undated": undated, **ids}  # fmt: skip


@pytest.fixture
def seeded(store_url: str) -> dict[str, int]:
    return seed(store_url)


@pytest.fixture
def project(store_url: str, seeded: dict[str, int]) -> Project:
    return cpmkit.open_project(NAME, db_url=store_url)


def test_a_project_is_opened_by_name_as_typed_or_by_id(store_url: str, seeded: dict[str, int]) -> None:
    opened = cpmkit.open_project("harbour bridge refit", db_url=store_url)
    assert (opened.id, opened.name) == (seeded["project"], NAME)
    assert cpmkit.open_project(seeded["project"], db_url=store_url) == opened
    assert "password" not in repr(opened) and repr(opened) == f"Project(id={seeded['project']}, name='{NAME}')"


def test_an_unknown_project_says_which_there_are(store_url: str, seeded: dict[str, int]) -> None:
    with pytest.raises(
        cpmkit.NotFoundError, match=r"^No project called 'Harbor'\. Projects: Harbour Bridge Refit, Other"
    ):
        cpmkit.open_project("Harbor", db_url=store_url)


def test_a_mistyped_store_address_is_said_and_no_empty_store_is_made(tmp_path: Path) -> None:
    typo = tmp_path / "cpmkit.sqlite"
    with pytest.raises(cpmkit.NotFoundError, match=r"^No store at .*cpmkit\.sqlite: the apps have not saved"):
        cpmkit.open_project(NAME, db_url=f"sqlite:///{typo}")
    assert not typo.exists()


def test_the_default_store_is_the_one_the_apps_use(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(sqlite_url)
    monkeypatch.setenv("CPMKIT_DB_URL", sqlite_url)
    assert cpmkit.open_project(NAME).name == NAME


def test_stakeholders_are_the_register_in_the_order_added(project: Project, seeded: dict[str, int]) -> None:
    register = project.stakeholders
    assert register[["id", "name", "role", "power"]].values.tolist() == [
        [seeded["Dana Whitfield"], "Dana Whitfield", "Sponsor", 5],
        [seeded["Sam Ortiz"], "Sam Ortiz", "Site engineer", 2],
    ]


def test_gaps_are_workbook_3s_list_largest_shortfall_first_with_names(project: Project) -> None:
    gaps = project.gaps
    assert list(gaps.columns) == GAPS_COLUMNS
    assert gaps[["rank", "stakeholder", "dimension", "gap", "source"]].values.tolist() == [
        [1, "Dana Whitfield", "Reliability", -3, "The PM's estimate"],  # -3 x 70% = -2.1
        [2, "Sam Ortiz", "Communication", -4, "The PM's estimate"],  # -4 x 50% = -2.0
        [3, "Dana Whitfield", "Communication", -1, "The PM's estimate"],
        [4, "Sam Ortiz", "Reliability", 0, "The PM's estimate"],
    ]
    assert gaps["weighted_gap"].round(6).tolist() == [-2.1, -2.0, -0.3, 0.0]
    assert gaps["weight"].round(6).tolist() == [0.7, 0.5, 0.3, 0.5]
    assert gaps["open_actions"].tolist() == [1, 0, 0, 0]  # Sam's communication action is done
    assert gaps["stated_problem"].iloc[0] == "Deliveries slip"


def test_pulse_is_nps_and_csat_per_round_with_how_many_answered(project: Project) -> None:
    pulse = project.pulse
    assert list(pulse.columns) == PULSE_COLUMNS
    rows = pulse.astype(object).where(pulse.notna(), None).values.tolist()
    assert rows == [
        ["November", dt.date(2026, 11, 2), False, 4, 25.0, 4, 50.0, 4],
        ["December", dt.date(2026, 12, 1), False, 0, None, 0, None, 0],  # no one answered: no score, not 0
    ]
    assert project.responses["recommend"].tolist() == [a for a, _ in ANSWERS]


def test_lessons_show_their_category_by_its_label(project: Project, seeded: dict[str, int]) -> None:
    lessons = project.lessons
    assert lessons[["id", "what_happened", "recommendation", "category", "phase"]].values.tolist() == [
        [seeded["lesson"], "The design review came late", "Book it early", "Schedule and deadlines", None]
    ]


def test_actions_from_gaps_and_retrospectives_open_first_by_due_date(project: Project, seeded: dict[str, int]) -> None:
    actions = project.actions
    assert list(actions.columns) == ACTIONS_COLUMNS
    assert str(actions["due"].dtype).startswith("datetime64")
    shown = actions[["source", "id", "about", "what", "owner", "due", "status", "open"]].astype(object)
    assert shown.where(shown.notna(), None).values.tolist() == [
        ["gap", seeded["overdue"], "Dana Whitfield: Reliability", "Weekly delivery check", "Lee",
         pd.Timestamp(2020, 1, 6), "open", True],
        ["retrospective", seeded["later"], "Sprint 4 retro", "Review within a day", "Ana",
         pd.Timestamp(2099, 12, 20), "open", True],
        ["retrospective", seeded["undated"], "Sprint 4 retro", "Try a new format", None, None, "open", True],
        ["gap", seeded["done"], "Sam Ortiz: Communication", "Site briefing", None, None, "done", False],
        ["retrospective", seeded["dropped"], "Sprint 4 retro", "Daily stand-up", None, None, "dropped", False],
    ]  # fmt: skip


def test_a_new_project_gives_empty_frames_with_their_columns(store_url: str) -> None:
    store = Store.open(store_url)
    try:
        store.create_project("Empty")
    finally:
        store.close()
    empty = cpmkit.open_project("Empty", db_url=store_url)
    assert list(empty.gaps.columns) == GAPS_COLUMNS and empty.gaps.empty
    assert list(empty.pulse.columns) == PULSE_COLUMNS and empty.pulse.empty
    assert list(empty.actions.columns) == ACTIONS_COLUMNS and empty.actions.empty
    assert empty.stakeholders.empty and empty.lessons.empty and empty.responses.empty


def test_importing_cpmkit_leaves_the_api_and_pandas_unloaded() -> None:
    """The Voila kernels import cpmkit for every page: the API loads when first asked for."""
    code = (
        "import json, sys; import cpmkit; before = ['cpmkit.api' in sys.modules, 'pandas' in sys.modules];"
        " cpmkit.open_project; print(json.dumps([before, 'cpmkit.api' in sys.modules]))"
    )
    result = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [[False, False], True]
    with pytest.raises(AttributeError, match="has no attribute 'open_projects'"):
        cpmkit.open_projects  # type: ignore[attr-defined]  # noqa: B018


def test_the_example_notebook_runs_and_shows_the_projects_figures(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(sqlite_url)
    monkeypatch.setenv("CPMKIT_DB_URL", sqlite_url)
    notebook = nbformat.read(EXAMPLE, as_version=4)
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLE.parent)}}
    ).execute()
    shown = [_text(cell) for cell in notebook.cells if cell.cell_type == "code"]
    assert shown[0] == f"Project(id=1, name='{NAME}')"
    assert "Dana Whitfield" in shown[1] and "Site engineer" in shown[1]
    assert shown[2].index("-2.1") < shown[2].index("-2.0") < shown[2].index("-0.3")  # largest shortfall first
    assert shown[3].index("Communication") < shown[3].index("Reliability")  # mean gaps -2.5 and -1.5
    assert "November: NPS +25 (n = 4), CSAT 50% (n = 4)" in shown[4]
    assert "3 open actions, 1 overdue" in shown[5] and "Weekly delivery check" in shown[5]
    assert "The design review came late" in shown[6] and "Schedule and deadlines" in shown[6]


def _text(cell: Any) -> str:
    """What a code cell printed and displayed (a frame as its HTML table, as JupyterLab shows it);
    an error fails the test first."""
    parts = []
    for output in cell.outputs:
        assert output.output_type != "error", output
        data = output.get("data", {})
        parts.append(output.get("text") or data.get("text/html") or data.get("text/plain", ""))
    return "\n".join(parts).strip()
