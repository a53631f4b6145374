"""Where the store and the content live does not depend on the working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from cpmkit import config

REPOSITORY_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def test_templates_dir_is_the_default_content_unless_overridden(tmp_path: Path) -> None:
    # In a clone the defaults are the repository's templates/ (a wheel carries them as cpmkit/templates).
    assert config.default_templates_dir() == REPOSITORY_TEMPLATES
    assert config.templates_dir({}) == REPOSITORY_TEMPLATES
    assert config.templates_dir({"CPMKIT_TEMPLATES_DIR": str(tmp_path)}) == tmp_path
    assert config.templates_dir({"CPMKIT_TEMPLATES_DIR": ""}) == REPOSITORY_TEMPLATES


def test_a_content_file_comes_from_the_trainers_folder_else_from_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "soft_skills.yaml").write_text("competencies: []\n", encoding="utf-8")
    assert config.template_file("soft_skills.yaml", tmp_path) == tmp_path / "soft_skills.yaml"
    assert config.template_file("retro_formats.yaml", tmp_path) == REPOSITORY_TEMPLATES / "retro_formats.yaml"
    # A file in neither is looked for in the trainer's folder, so "file not found" names it.
    assert config.template_file("leaders_2027.yaml", tmp_path) == tmp_path / "leaders_2027.yaml"
    monkeypatch.setenv("CPMKIT_TEMPLATES_DIR", str(tmp_path))
    assert config.template_file("soft_skills.yaml") == tmp_path / "soft_skills.yaml"
    assert config.template_file("lessons.yaml") == REPOSITORY_TEMPLATES / "lessons.yaml"
