"""Unit tests of cpmkit.feedback.retro.template: the real retrospective formats, and malformed copies
whose TemplateError must name the file, the format (or column) and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cpmkit.errors import TemplateError
from cpmkit.feedback.retro.rules import MAX_VOTES, PHASES
from cpmkit.feedback.retro.template import (
    RETRO_FORMATS_FILE,
    RetroFormats,
    load_retro_formats,
    retro_formats,
)

REAL_TEMPLATES = Path(__file__).resolve().parents[3] / "templates"


@pytest.fixture(scope="module")
def formats() -> RetroFormats:
    return load_retro_formats(REAL_TEMPLATES / RETRO_FORMATS_FILE)


def _valid() -> dict[str, Any]:
    """A small valid file, as data, for the broken copies to start from."""
    return {
        "defaults": {"votes_per_member": 3, "phases": {phase: f"Now {phase}." for phase in PHASES}},
        "formats": [
            {
                "id": "plus_delta",
                "name": "Plus / delta",
                "intro": "What went well, what to change.",
                "columns": [
                    {"id": "plus", "label": "Plus", "prompt": "What went well?"},
                    {"id": "delta", "label": "Delta", "prompt": "What should change?"},
                ],
            }
        ],
    }


def _error(tmp_path: Path, data: Any) -> TemplateError:
    path = tmp_path / "retro.yaml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data, encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        load_retro_formats(path)
    assert info.value.file == "retro.yaml"
    return info.value


# -- the real file ---------------------------------------------------------------------------


def test_real_file_has_the_four_formats_of_the_issue(formats: RetroFormats) -> None:
    assert list(formats.formats) == ["start_stop_continue", "four_ls", "mad_sad_glad", "sailboat"]
    assert formats.format("start_stop_continue").column_ids == ("start", "stop", "continue")
    assert formats.format("four_ls").column_ids == ("liked", "learned", "lacked", "longed_for")
    assert formats.format("mad_sad_glad").column_ids == ("mad", "sad", "glad")


def test_sailboat_columns_ask_what_the_issue_says(formats: RetroFormats) -> None:
    sailboat = formats.format("sailboat")
    assert [(c.id, c.prompt) for c in sailboat.columns] == [
        ("wind", "What pushes us forward?"),
        ("anchors", "What holds us back?"),
        ("rocks", "What risks lie ahead?"),
        ("island", "What is our goal?"),
    ]
    assert sailboat.column("island").label == "Island"
    assert sailboat.label("island") == "Island"
    assert sailboat.label("removed") == "removed"  # a column no longer in the file (a limit kept from before)


def test_real_file_has_defaults_and_a_sentence_per_phase(formats: RetroFormats) -> None:
    assert formats.votes_per_member == 5
    assert list(formats.phase_guidance) == list(PHASES)
    assert all(text.endswith(".") for text in formats.phase_guidance.values())
    assert all(f.name and f.intro for f in formats.formats.values())


def test_retro_formats_reads_the_templates_folder() -> None:
    assert retro_formats(REAL_TEMPLATES) == load_retro_formats(REAL_TEMPLATES / RETRO_FORMATS_FILE)


def test_a_valid_copy_loads(tmp_path: Path) -> None:
    path = tmp_path / "retro.yaml"
    path.write_text(yaml.safe_dump(_valid()), encoding="utf-8")
    loaded = load_retro_formats(path)
    assert loaded.votes_per_member == 3 and loaded.format("plus_delta").column("delta").prompt == "What should change?"


# -- broken copies ---------------------------------------------------------------------------


def _broken(change: Any) -> dict[str, Any]:
    data = _valid()
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "item", "field", "words"),
    [
        (lambda d: d.update(extra=1), None, "extra", "not a known field"),
        (lambda d: d.update(formats=[]), None, "formats", "non-empty list"),
        (lambda d: d.update(defaults=None), None, "defaults", "votes_per_member and phases"),
        (lambda d: d["defaults"].update(votes_per_member=0), None, "defaults.votes_per_member", f"1 to {MAX_VOTES}"),
        (lambda d: d["defaults"].update(votes_per_member=True), None, "defaults.votes_per_member", "whole number"),
        (
            lambda d: d["defaults"].update(votes_per_member=MAX_VOTES + 1),
            None,
            "defaults.votes_per_member",
            "whole number",
        ),
        (lambda d: d["defaults"]["phases"].pop("vote"), "phase vote", "vote", "missing or empty"),
        (lambda d: d["defaults"]["phases"].update(review="x"), None, "defaults.phases.review", "not a known field"),
        (lambda d: d["defaults"].update(phases="all"), None, "defaults.phases", "one sentence for each phase"),
        (lambda d: d["formats"][0].update(id="Plus Delta"), "Plus Delta", "id", "lowercase letters"),
        (lambda d: d["formats"][0].pop("name"), "plus_delta", "name", "missing or empty"),
        (lambda d: d["formats"][0].update(intro="  "), "plus_delta", "intro", "missing or empty"),
        (lambda d: d["formats"][0].update(colour="red"), "plus_delta", "colour", "not a known field"),
        (lambda d: d["formats"][0]["columns"].pop(), "plus_delta", "columns", "at least 2 columns"),
        (lambda d: d["formats"][0]["columns"][1].update(id="plus"), "plus_delta, column plus", "id", "more than once"),
        (
            lambda d: d["formats"][0]["columns"][1].pop("prompt"),
            "plus_delta, column delta",
            "prompt",
            "missing or empty",
        ),
        (lambda d: d["formats"][0]["columns"].__setitem__(1, "Delta"), "plus_delta, column 2", None, "mapping"),
        (lambda d: d["formats"].append(d["formats"][0]), "plus_delta", "id", "more than once"),
        (lambda d: d["formats"].__setitem__(0, "sailboat"), "format 1", None, "mapping"),
    ],
)
def test_a_broken_file_is_refused_naming_item_and_field(
    tmp_path: Path, change: Any, item: str | None, field: str | None, words: str
) -> None:
    error = _error(tmp_path, _broken(change))
    assert (error.item, error.field) == (item, field)
    assert words in str(error)


def test_a_file_that_is_not_yaml_or_missing_is_refused(tmp_path: Path) -> None:
    assert "not valid YAML" in str(_error(tmp_path, "formats: [unclosed"))
    with pytest.raises(TemplateError, match="file not found"):
        load_retro_formats(tmp_path / "missing.yaml")
