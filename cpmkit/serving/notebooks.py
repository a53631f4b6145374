"""Generate the workbook notebooks from templates/notebooks.yaml with nbformat.

Template in, notebook out, deterministically (fixed cell ids, sorted keys), so the checked-in
notebooks can be compared byte for byte with what the templates generate, and ``cpmkit serve``
serves notebooks generated from the templates in use (``served_notebooks``), wherever it is installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import cast

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from cpmkit import config
from cpmkit.core.content import NotebookTemplate, load_notebook_templates
from cpmkit.errors import CpmkitError

__all__ = ["build_notebook", "render_notebook", "served_notebooks", "stale_notebooks", "write_notebooks"]

_KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def build_notebook(template: NotebookTemplate) -> nbformat.NotebookNode:
    """A notebook of two cells: the title and introduction, then one call to the entry point.

    The page's name is the notebook's title (the browser tab's, until the page names its project);
    the first cell is tagged ``cpmkit-intro``: a page with a header shows the introduction itself."""
    stem = Path(template.file).stem
    notebook = new_notebook(
        metadata={"kernelspec": _KERNELSPEC, "language_info": {"name": "python"}, "title": template.name}
    )
    notebook.cells = [
        new_markdown_cell(
            f"# {template.title}\n\n{template.intro}", id=f"{stem}-intro", metadata={"tags": ["cpmkit-intro"]}
        ),
        new_code_cell(
            f"from {template.module} import {template.function}\n\n{template.function}()",
            id=f"{stem}-app",
            metadata={"tags": ["cpmkit-app"]},
        ),
    ]
    nbformat.validate(notebook)
    return cast(nbformat.NotebookNode, notebook)


def render_notebook(template: NotebookTemplate) -> str:
    """The notebook file's exact text."""
    return str(nbformat.writes(build_notebook(template))) + "\n"


def write_notebooks(out_dir: Path, *, templates: Path | None = None) -> list[Path]:
    """Write every templated notebook into ``out_dir``; return the files that changed."""
    return _write(out_dir, _rendered(templates))


def served_notebooks(templates: Path | None = None) -> Path:
    """The folder ``cpmkit serve`` serves: the notebooks of ``templates`` (default: the folder in
    use), generated into the cache, in a folder named after what they hold. A trainer's changed
    ``notebooks.yaml`` is served at the next start with nothing else to run, a page taken out
    of it is not served, and a server already running keeps its own folder untouched."""
    rendered = _rendered(templates)
    key = hashlib.sha256(json.dumps(rendered, sort_keys=True).encode()).hexdigest()[:16]
    out_dir = config.cache_dir() / "notebooks" / key
    try:
        _write(out_dir, rendered)
    except OSError as exc:
        raise CpmkitError(
            f"Cannot write the notebooks to serve into {out_dir}: {exc.strerror or exc}. "
            f"Set {config.CACHE_DIR_ENV} to a folder you can write."
        ) from None
    return out_dir


def stale_notebooks(out_dir: Path, *, templates: Path | None = None) -> list[str]:
    """The notebook files in ``out_dir`` that are missing or differ from their template."""
    return [
        file
        for file, text in _rendered(templates).items()
        if not (out_dir / file).exists() or (out_dir / file).read_text(encoding="utf-8") != text
    ]


def _rendered(templates: Path | None) -> dict[str, str]:
    """``{file: text}`` of every notebook ``notebooks.yaml`` lists."""
    return {template.file: render_notebook(template) for template in load_notebook_templates(templates)}


def _write(out_dir: Path, rendered: dict[str, str]) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    changed = []
    for file, text in rendered.items():
        path = out_dir / file
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            _replace(path, text)
            changed.append(path)
    return changed


def _replace(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all: a server starting beside another never reads half a notebook."""
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False) as file:
        file.write(text)
    os.chmod(file.name, 0o644)  # as a plain write would leave it, not the temporary file's 0600
    os.replace(file.name, path)
