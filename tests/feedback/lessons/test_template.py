"""Unit tests of cpmkit.feedback.lessons.template: the real lessons file, and malformed copies whose
TemplateError must name the file, the item and the field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cpmkit.errors import TemplateError
from cpmkit.feedback.lessons.template import (
    LESSON_FIELDS,
    LESSONS_FILE,
    LessonsTemplate,
    lessons_template,
    load_lessons_template,
)
from cpmkit.feedback.pulse.template import FEEDBACK_THEMES_FILE, load_feedback_taxonomy

REAL_TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
CATEGORIES = (
    "communication",
    "stakeholder_engagement",
    "scope",
    "schedule",
    "budget",
    "quality",
    "risk",
    "team",
    "process",
    "tools",
)
PHASES = ("initiation", "planning", "execution", "monitoring_and_control", "closing")

GOOD = """\
intro: Learn during the project.
categories:
  - {id: communication, label: Communication, themes: [information]}
  - {id: scope, label: Scope}
phases:
  - {id: planning, label: Planning}
fields:
  what_happened: {label: What happened, help: The facts.}
  impact: {label: Impact, help: What it did.}
  root_cause: {label: Root cause, help: Why.}
  recommendation: {label: Recommendation, help: What next.}
  category: {label: Category, help: About what.}
  phase: {label: Phase, help: When.}
  owner: {label: Owner, help: Who.}
"""


@pytest.fixture(scope="module")
def template() -> LessonsTemplate:
    return load_lessons_template(REAL_TEMPLATES / LESSONS_FILE)


def _load(tmp_path: Path, text: str) -> LessonsTemplate:
    path = tmp_path / "lessons.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_lessons_template(path)


def _error(tmp_path: Path, text: str) -> TemplateError:
    with pytest.raises(TemplateError) as info:
        _load(tmp_path, text)
    return info.value


def test_real_file_has_the_categories_and_phases_of_the_issue(template: LessonsTemplate) -> None:
    assert template.category_ids == CATEGORIES
    assert template.phase_ids == PHASES
    assert template.label("phase", "monitoring_and_control") == "Monitoring and control"
    assert template.label("category", "gone") == "gone"  # a lesson filed under a category removed since


def test_real_file_guides_every_field_and_says_learn_during_the_project(template: LessonsTemplate) -> None:
    assert set(template.fields) == set(LESSON_FIELDS)
    assert all(g.label and g.help for g in template.fields.values())
    assert "post-mortem" in template.intro
    assert "criticism" in template.intro.lower()
    assert "why" in template.fields["root_cause"].help.lower()


def test_every_feedback_theme_named_in_the_file_exists(template: LessonsTemplate) -> None:
    themes = {t.id for t in load_feedback_taxonomy(REAL_TEMPLATES / FEEDBACK_THEMES_FILE).themes}
    mapping = template.category_for_theme
    assert set(mapping) - set(CATEGORIES) <= themes
    assert mapping["communication"] == "communication"
    assert mapping["people"] == "team"


def test_the_cached_loader_reads_the_templates_folder(tmp_path: Path) -> None:
    (tmp_path / LESSONS_FILE).write_text(GOOD, encoding="utf-8")
    assert lessons_template(tmp_path).category_ids == ("communication", "scope")
    assert lessons_template(tmp_path) is lessons_template(tmp_path)


def test_a_good_copy_loads(tmp_path: Path) -> None:
    loaded = _load(tmp_path, GOOD)
    assert loaded.category_for_theme == {
        "communication": "communication",
        "scope": "scope",
        "information": "communication",
    }
    assert loaded.fields["phase"].label == "Phase"


@pytest.mark.parametrize(
    ("old", "new", "item", "field", "says"),
    [
        ("intro: Learn during the project.\n", "", None, "intro", "missing"),
        ("{id: scope, label: Scope}", "{id: Scope, label: Scope}", "Scope", "id", "lowercase"),
        ("{id: scope, label: Scope}", "{id: scope}", "scope", "label", "missing"),
        ("{id: scope, label: Scope}", "{id: communication, label: Again}", "communication", "id", "more than once"),
        ("{id: scope, label: Scope}", "{id: scope, label: Scope, colour: red}", "scope", "colour", "not a known field"),
        ("{id: scope, label: Scope}", "{id: scope, label: Scope, themes: information}", "scope", "themes", "list"),
        (
            "{id: scope, label: Scope}",
            "{id: scope, label: Scope, themes: [information]}",
            "communication",
            "themes",
            "more than one",
        ),
        (
            "{id: planning, label: Planning}",
            "{id: planning, label: Planning, themes: [x]}",
            "planning",
            "themes",
            "not a known field",
        ),
        ("  - {id: planning, label: Planning}\n", "  - just text\n", "phase 1", None, "mapping"),
        ("  owner: {label: Owner, help: Who.}\n", "", "owner", "fields", "missing"),
        ("  owner: {label: Owner, help: Who.}\n", "  owner: {label: Owner}\n", "owner", "help", "missing"),
        (
            "  owner: {label: Owner, help: Who.}\n",
            "  owner: {label: Owner, help: Who.}\n  budget: {label: B, help: C}\n",
            None,
            "fields.budget",
            "not a known field",
        ),
    ],
)
def test_a_broken_copy_is_refused_naming_item_and_field(
    tmp_path: Path, old: str, new: str, item: str | None, field: str | None, says: str
) -> None:
    assert old in GOOD
    error = _error(tmp_path, GOOD.replace(old, new))
    assert (error.file, error.item, error.field) == ("lessons.yaml", item, field)
    assert says in str(error)


def test_a_file_without_phases_or_not_yaml_is_refused(tmp_path: Path) -> None:
    assert _error(tmp_path, GOOD.replace("  - {id: planning, label: Planning}\n", "")).field == "phases"
    assert "not valid YAML" in str(_error(tmp_path, "categories: [\n"))
    assert _error(tmp_path, GOOD.replace("fields:", "fields: 3\nunused:")).field == "unused"
