"""Unit tests of cpmkit.gap.template: the real expectation_gap.yaml, and malformed copies whose
TemplateError must name the file, item and field."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from cpmkit.errors import TemplateError, ValidationError
from cpmkit.gap.template import (
    FILE,
    GUIDANCE_KEYS,
    IMPORTANCE_MODES,
    IMPORTANCE_RANGES,
    Dimension,
    GapTemplate,
    Source,
    StatusRules,
    load_gap_template,
)

REAL_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
REAL = yaml.safe_load((REAL_TEMPLATES / FILE).read_text(encoding="utf-8"))

SERVICE_QUALITY = ["reliability", "responsiveness", "assurance", "empathy", "tangibles"]
PROJECT = ["scope", "schedule", "budget", "quality", "communication", "transparency"]


def _load_changed(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> GapTemplate:
    """Load a copy of the real file after ``change`` edits its data in place."""
    data = copy.deepcopy(REAL)
    change(data)
    (tmp_path / FILE).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_gap_template(tmp_path)


def _dimension(data: dict[str, Any], dimension_id: str) -> dict[str, Any]:
    return next(d for d in data["dimensions"] if d["id"] == dimension_id)


def test_importance_modes_are_the_ranges_keys() -> None:
    assert IMPORTANCE_RANGES == {"weights": (0, 100), "rating": (1, 5)}
    assert IMPORTANCE_MODES == ("weights", "rating")


# -- the real file -----------------------------------------------------------------------------


def test_real_template() -> None:
    t = load_gap_template(REAL_TEMPLATES)
    assert t.scale == (1, 7)
    assert t.importance == "weights"
    assert t.satisfaction == (1, 5)
    assert t.sources == (
        Source("survey", "A survey (the stakeholder's own figures)", True),
        Source("stakeholder", "The stakeholder said it", True),
        Source("estimate", "The PM's estimate", False),
    )
    assert t.source_order == ("survey", "stakeholder", "estimate")
    assert [d.id for d in t.dimensions] == SERVICE_QUALITY + PROJECT
    assert [d.group for d in t.dimensions] == ["service quality"] * 5 + ["project"] * 6
    assert t.rules == StatusRules(
        areas=("scope", "schedule", "budget"),
        key_categories=("customer", "sponsor"),
        dissatisfied_satisfaction=2,
        dissatisfied_gap=-2.0,
        at_risk_satisfaction=3,
        at_risk_gap=-1.0,
        satisfaction_scale=(1, 5),
    )
    assert tuple(t.guidance) == GUIDANCE_KEYS


def test_real_dimensions_have_a_description_and_two_or_three_questions() -> None:
    for d in load_gap_template(REAL_TEMPLATES).dimensions:
        assert d.name and d.description and "\n" not in d.description
        assert 2 <= len(d.questions) <= 3
        assert all(q.endswith("?") for q in d.questions)
    tangibles = load_gap_template(REAL_TEMPLATES).dimension("tangibles")
    assert tangibles.name == "Tangibles (deliverable quality)"


def test_real_guidance_is_one_sentence_each() -> None:
    guidance = load_gap_template(REAL_TEMPLATES).guidance
    assert all(text.strip() == text and text.endswith(".") for text in guidance.values())
    with pytest.raises(TypeError):
        guidance["action"] = "changed"  # type: ignore[index]  # shared by every caller (cached)


def test_every_scale_point_a_stakeholder_answers_on_has_its_anchor() -> None:
    t = load_gap_template(REAL_TEMPLATES)
    assert t.anchored("scale")[0] == ("1 - very low", 1)
    assert t.anchored("scale")[-1] == ("7 - very high", 7)
    assert [value for _, value in t.anchored("importance")] == [1, 2, 3, 4, 5]
    assert len(t.anchored("satisfaction")) == 5


def test_dimension_by_id() -> None:
    t = load_gap_template(REAL_TEMPLATES)
    assert t.dimension("schedule") == Dimension(
        "schedule", "project", "Schedule", "Meeting the agreed dates and milestones.",
        ("Are you comfortable with progress?", "Are we proceeding as you expected?"),
    )  # fmt: skip
    with pytest.raises(ValidationError) as info:
        t.dimension("morale")
    assert str(info.value) == "Dimension: 'morale' is not a dimension in expectation_gap.yaml."
    assert (info.value.field, info.value.value) == ("dimension", "morale")


def test_the_dimensions_a_project_asks_about() -> None:
    t = load_gap_template(REAL_TEMPLATES)
    assert t.asked_dimensions(None) == SERVICE_QUALITY + PROJECT  # until the project chooses: all of them
    assert t.asked_dimensions(["budget", "reliability"]) == ["reliability", "budget"]  # in the file's order
    assert t.asked_dimensions(["morale", "scope"]) == ["scope"]  # one the file no longer has is dropped
    assert t.asked_dimensions([]) == []


def test_the_sources_roles_and_dimension_names() -> None:
    t = load_gap_template(REAL_TEMPLATES)
    assert t.own_sources == ("survey", "stakeholder")
    assert t.estimate_source == "estimate"
    assert list(t.dimension_names) == SERVICE_QUALITY + PROJECT
    assert t.dimension_names["schedule"] == "Schedule"


def test_default_folder_is_the_repository_templates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CPMKIT_TEMPLATES_DIR", raising=False)
    assert load_gap_template() == load_gap_template(REAL_TEMPLATES)


def test_a_copy_loads_the_same_and_is_read_once(tmp_path: Path) -> None:
    shutil.copy(REAL_TEMPLATES / FILE, tmp_path / FILE)
    first = load_gap_template(tmp_path)
    assert first == load_gap_template(REAL_TEMPLATES)
    (tmp_path / FILE).write_text("not: read again\n", encoding="utf-8")
    assert load_gap_template(tmp_path) is first


def test_the_trainer_may_reword_reorder_and_switch_to_ratings(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["importance"] = "rating"
        data["dimensions"] = [_dimension(data, "budget"), _dimension(data, "empathy")]
        data["dimensions"][0]["name"] = "  Money  "
        data["status"]["areas"] = ["budget", "risk"]
        data["guidance"]["action"] = "Do one thing."

    t = _load_changed(tmp_path, change)
    assert t.importance == "rating"
    assert [(d.id, d.name) for d in t.dimensions] == [("budget", "Money"), ("empathy", "Empathy")]
    assert t.rules.areas == ("budget", "risk")
    assert t.guidance["action"] == "Do one thing."


# -- malformed copies --------------------------------------------------------------------------


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change that sets the value at a dotted path; list items by index ('sources.1.own')."""

    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[int(last) if isinstance(node, list) else last] = value

    return change


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[int(last) if isinstance(node, list) else last]

    return change


def _append(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        node: Any = data
        for part in path.split("."):
            node = node[int(part)] if isinstance(node, list) else node[part]
        node.append(copy.deepcopy(value))

    return change


MALFORMED = [
    # (id, change, item, field, message)
    ("unknown top field", _set("colour", "red"), None, "colour",
     "is not a known field (expected scale, importance, satisfaction, anchors, sources, dimensions, status, guidance)."),
    ("importance mode", _set("importance", "points"), None, "importance", "must be one of weights, rating."),
    ("scale missing", _delete("scale"), None, "scale", "must be a mapping like {low: 1, high: 7}."),
    ("scale upside down", _set("scale.high", 1), "scale", "high", "must be above low (1)."),
    ("scale not whole", _set("scale.low", "one"), "scale", "low", "must be a whole number."),
    ("satisfaction a bool", _set("satisfaction.high", True), "satisfaction", "high", "must be a whole number."),
    ("scale extra field", _set("scale.mid", 4), "scale", "mid", "is not a known field (expected low, high)."),
    ("sources not a list", _set("sources", "survey"), None, "sources", "must be a non-empty list."),
    ("source not a mapping", _set("sources.1", "stakeholder"), "source 2", None, "must be a mapping."),
    ("source id", _set("sources.0.id", "Survey"), "Survey", "id",
     "must be lowercase letters, digits and underscores, starting with a letter."),
    ("source own", _set("sources.0.own", "yes"), "survey", "own",
     "must be true (the stakeholder's own figures) or false (the PM's estimate)."),
    ("source label", _delete("sources.2.label"), "estimate", "label", "is missing or empty."),
    ("source twice", _set("sources.1.id", "survey"), "survey", "id", "appears more than once."),
    ("two estimates", _set("sources.0.own", False), None, "sources",
     "must list exactly one source with own: false (the PM's estimate); found 2."),
    ("no estimate", _set("sources.2.own", True), None, "sources",
     "must list exactly one source with own: false (the PM's estimate); found 0."),
    ("only the estimate", _set("sources", [{"id": "estimate", "label": "PM", "own": False}]), None, "sources",
     "must list at least one source with own: true (the stakeholder's own figures)."),
    ("dimensions empty", _set("dimensions", []), None, "dimensions", "must be a non-empty list."),
    ("group", _set("dimensions.0.group", "services"), "reliability", "group", "must be one of: service quality, project."),
    ("no questions", _set("dimensions.1.questions", []), "responsiveness", "questions",
     "must be a non-empty list of example questions."),
    ("blank question", _set("dimensions.1.questions", ["Fine?", "  "]), "responsiveness", "questions",
     "must be a non-empty list of example questions."),
    ("description", _delete("dimensions.5.description"), "scope", "description", "is missing or empty."),
    ("dimension id", _delete("dimensions.2.id"), "dimension 3", "id", "is missing or empty."),
    ("dimension twice", _set("dimensions.6.id", "scope"), "scope", "id", "appears more than once."),
    ("name twice", _set("dimensions.7.name", "SCHEDULE"), "schedule", "name", "appears more than once."),
    ("dimension extra field", _set("dimensions.0.tip", "x"), "reliability", "tip",
     "is not a known field (expected id, group, name, description, questions)."),
    ("status missing", _delete("status"), None, "status",
     "must be a mapping with areas, key_customer, dissatisfied and at_risk."),
    ("areas reserved", _append("status.areas", "customer satisfaction"), "status", "areas",
     "must not include 'customer satisfaction': the report adds that light itself."),
    ("area twice", _append("status.areas", "scope"), "status", "areas", "lists an area more than once."),
    ("areas empty", _set("status.areas", []), "status", "areas",
     "must be a non-empty list of area names (such as scope, schedule, budget)."),
    ("category", _set("status.key_customer.categories", ["customer", "client"]), "status.key_customer", "categories",
     "must be a non-empty list of workbook 1 categories (customer, sponsor, user, team, supplier, other)."),
    ("satisfaction threshold", _set("status.dissatisfied.satisfaction_at_or_below", 5), "status.dissatisfied",
     "satisfaction_at_or_below", "must be a satisfaction score from 1 to 4."),
    ("positive gap threshold", _set("status.dissatisfied.top_weighted_gap_at_or_below", 1), "status.dissatisfied",
     "top_weighted_gap_at_or_below", "must be a gap from -6 to 0 (perceived minus expected)."),
    ("gap threshold too low", _set("status.at_risk.top_weighted_gap_at_or_below", -6.5), "status.at_risk",
     "top_weighted_gap_at_or_below", "must be a gap from -6 to 0 (perceived minus expected)."),
    ("gap threshold text", _set("status.at_risk.top_weighted_gap_at_or_below", "-1"), "status.at_risk",
     "top_weighted_gap_at_or_below", "must be a gap from -6 to 0 (perceived minus expected)."),
    ("at risk stricter", _set("status.at_risk.satisfaction_at_or_below", 1), "status.at_risk",
     "satisfaction_at_or_below", "must be at least the dissatisfied figure (2)."),
    ("at risk gap stricter", _set("status.at_risk.top_weighted_gap_at_or_below", -3), "status.at_risk",
     "top_weighted_gap_at_or_below", "must be at least the dissatisfied figure (-2)."),
    ("rule not a mapping", _set("status.at_risk", 3), "status", "at_risk",
     "must be a mapping with satisfaction_at_or_below and top_weighted_gap_at_or_below."),
    ("guidance key missing", _delete("guidance.action"), "guidance", "action", "is missing or empty."),
    ("guidance unknown key", _set("guidance.tip", "x"), "guidance", "tip",
     "is not a known field (expected stated_problem, underlying_expectation, action, survey_intro, survey_thanks)."),
    ("anchors missing", _delete("anchors"), None, "anchors",
     "must be a mapping with a list of anchors each for scale, importance, satisfaction."),
    ("anchor too few", _set("anchors.scale", ["low", "high"]), "anchors", "scale",
     "must list 7 anchors, one per point from 1 to 7."),
    ("anchor empty", _set("anchors.importance", ["a", "b", " ", "d", "e"]), "anchors", "importance",
     "must list 5 anchors, one per point from 1 to 5."),
    ("guidance not text", _set("guidance.survey_intro", 42), "guidance", "survey_intro", "is missing or empty."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "item", "field", "message"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_malformed_template_names_file_item_and_field(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], item: str | None, field: str | None, message: str
) -> None:
    with pytest.raises(TemplateError) as info:
        _load_changed(tmp_path, change)
    error = info.value
    assert (error.file, error.item, error.field) == (FILE, item, field)
    where = FILE + (f", item {item!r}" if item else "") + (f", field {field!r}" if field else "")
    assert str(error) == f"{where}: {message}"


def test_not_yaml_not_a_mapping_and_missing(tmp_path: Path) -> None:
    (tmp_path / FILE).write_text("scale: {low: [\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"^expectation_gap\.yaml: is not valid YAML \("):
        load_gap_template(tmp_path)
    listed = tmp_path / "list"
    listed.mkdir()
    (listed / FILE).write_text("- a\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"^expectation_gap\.yaml: expected a mapping at the top level\.$"):
        load_gap_template(listed)
    # A folder without the file (a trainer's, made before it existed) uses the default.
    assert load_gap_template(tmp_path / "nowhere") == load_gap_template(REAL_TEMPLATES)


def test_a_failed_load_is_not_cached(tmp_path: Path) -> None:
    (tmp_path / FILE).write_text("scale: {low: [\n", encoding="utf-8")
    with pytest.raises(TemplateError):
        load_gap_template(tmp_path)
    shutil.copy(REAL_TEMPLATES / FILE, tmp_path / FILE)
    assert load_gap_template(tmp_path) == load_gap_template(REAL_TEMPLATES)
