"""Notebooks are generated from templates/ deterministically, checked in up to date,
and every one of them executes headless without error."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from cpmkit import config
from cpmkit.core.content import load_notebook_templates
from cpmkit.errors import CpmkitError
from cpmkit.serving.notebooks import build_notebook, render_notebook, served_notebooks, stale_notebooks, write_notebooks

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_checked_in_notebooks_match_their_templates() -> None:
    assert stale_notebooks(ROOT / "notebooks") == []
    assert sorted(p.name for p in NOTEBOOKS) == sorted(t.file for t in load_notebook_templates())


def test_generation_is_deterministic_and_idempotent(tmp_path: Path) -> None:
    template = load_notebook_templates()[1]
    assert render_notebook(template) == render_notebook(template)
    assert len(write_notebooks(tmp_path)) == len(load_notebook_templates())
    assert write_notebooks(tmp_path) == []
    (tmp_path / template.file).write_text("{}", encoding="utf-8")
    assert stale_notebooks(tmp_path) == [template.file]


def test_the_served_notebooks_follow_the_content_in_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder per set of notebooks, in the cache: a changed title is served at the next start,
    a notebook taken out of notebooks.yaml is not served, and a running server's folder is left as it is."""
    monkeypatch.setenv("CPMKIT_CACHE_DIR", str(tmp_path / "cache"))
    defaults = served_notebooks(config.default_templates_dir())
    assert stale_notebooks(defaults) == [] and defaults.parent == tmp_path / "cache" / "notebooks"
    assert served_notebooks(config.default_templates_dir()) == defaults  # the same content, the same folder
    content = tmp_path / "content"
    content.mkdir()
    listed = (config.default_templates_dir() / "notebooks.yaml").read_text(encoding="utf-8")
    (content / "notebooks.yaml").write_text(listed.replace("Workbook 3: expectation gap", "Gaps at Acme"), "utf-8")
    theirs = served_notebooks(content)
    assert theirs != defaults and theirs.parent == defaults.parent
    assert "Gaps at Acme" in (theirs / "03_expectation_gap.ipynb").read_text(encoding="utf-8")
    assert "Gaps at Acme" not in (defaults / "03_expectation_gap.ipynb").read_text(encoding="utf-8")
    assert (theirs / "index.ipynb").stat().st_mode & 0o777 == 0o644
    edited = (content / "notebooks.yaml").read_text(encoding="utf-8")
    (content / "notebooks.yaml").write_text(edited[: edited.index("  - page: lessons_learned")], "utf-8")
    fewer = served_notebooks(content)  # workbook 4's pages taken out
    assert not (fewer / "04_lessons_learned.ipynb").exists()
    assert (theirs / "04_lessons_learned.ipynb").exists()  # a server still serving the old folder keeps it


def test_a_cache_it_cannot_write_is_named_with_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    monkeypatch.setenv("CPMKIT_CACHE_DIR", str(tmp_path / "a-file" / "cache"))
    with pytest.raises(CpmkitError, match=r"Cannot write the notebooks to serve into .*Set CPMKIT_CACHE_DIR"):
        served_notebooks()


def test_a_notebook_is_a_title_and_one_call_to_its_entry_point() -> None:
    for template in load_notebook_templates():
        notebook = build_notebook(template)
        markdown, code = notebook.cells
        assert markdown.source.startswith(f"# {template.title}")
        assert code.source == f"from {template.module} import {template.function}\n\n{template.function}()"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes_headless(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CPMKIT_DB_URL", f"sqlite:///{tmp_path / 'store.sqlite3'}")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"], json.dumps(outputs)[:2000]
    assert any(WIDGET_VIEW in o.get("data", {}) for o in outputs), "the app widget was not displayed"
