"""Notebook file names are defined once, in templates/notebooks.yaml: production code finds a
page's file by its ``page:`` id (``cpmkit.core.content.notebook_file``), so renaming a file
there renames every link and redirect."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import cpmkit
from cpmkit import config
from cpmkit.feedback.pulse.ui.rounds import survey_link
from cpmkit.feedback.retro.ui import board_link
from cpmkit.serving.web_gate import _local_next
from cpmkit.soft_skills.workshop import participant_link, trainer_link

PACKAGE_DIR = Path(cpmkit.__file__).resolve().parent
#: A notebook file name (``index.ipynb``); the loader's check of the ``.ipynb`` suffix alone is not one.
FILE_NAME = re.compile(r"[\w-]+\.ipynb")


def test_production_code_names_no_notebook_file() -> None:
    found = [
        f"{path.relative_to(PACKAGE_DIR)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE_DIR.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1)
        if FILE_NAME.search(line)
    ]
    assert found == [], "use cpmkit.core.content.notebook_file(<page>) instead of a file name:\n" + "\n".join(found)


def test_renaming_a_file_in_notebooks_yaml_renames_the_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    templates = shutil.copytree(config.templates_dir(), tmp_path / "templates")
    pages = templates / "notebooks.yaml"
    text = pages.read_text(encoding="utf-8")
    for old, new in [
        ("index.ipynb", "home.ipynb"),
        ("02_soft_skills.ipynb", "self_assessment.ipynb"),
        ("02_workshop_trainer.ipynb", "trainer.ipynb"),
        ("04_pulse_survey.ipynb", "pulse.ipynb"),
        ("04_retro_board.ipynb", "retro.ipynb"),
    ]:
        text = text.replace(f"file: {old}", f"file: {new}")
    pages.write_text(text, encoding="utf-8")
    monkeypatch.setenv("CPMKIT_TEMPLATES_DIR", str(templates))
    assert participant_link("ABC234") == "/voila/render/self_assessment.ipynb?code=ABC234"
    assert trainer_link(7) == "/voila/render/trainer.ipynb?workshop=7"
    assert survey_link("t") == "/voila/render/pulse.ipynb?pulse=t"
    assert board_link("t") == "/voila/render/retro.ipynb?board=t"
    assert _local_next(None) == "/voila/render/home.ipynb"
