"""Generate the workbook notebooks from templates/notebooks.yaml with nbformat.

Template in, notebook out, deterministically (fixed cell ids, sorted keys), so the checked-in
notebooks can be compared byte for byte with what the templates generate.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from cpmkit.core.content import NotebookTemplate, load_notebook_templates

__all__ = ["build_notebook", "render_notebook", "stale_notebooks", "write_notebooks"]

_KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def build_notebook(template: NotebookTemplate) -> nbformat.NotebookNode:
    """A notebook of two cells: the title and introduction, then one call to the entry point."""
    stem = Path(template.file).stem
    notebook = new_notebook(metadata={"kernelspec": _KERNELSPEC, "language_info": {"name": "python"}})
    notebook.cells = [
        new_markdown_cell(f"# {template.title}\n\n{template.intro}", id=f"{stem}-intro"),
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
    out_dir.mkdir(parents=True, exist_ok=True)
    changed = []
    for template in load_notebook_templates(templates):
        path = out_dir / template.file
        text = render_notebook(template)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def stale_notebooks(out_dir: Path, *, templates: Path | None = None) -> list[str]:
    """The notebook files in ``out_dir`` that are missing or differ from their template."""
    return [
        t.file
        for t in load_notebook_templates(templates)
        if not (out_dir / t.file).exists() or (out_dir / t.file).read_text(encoding="utf-8") != render_notebook(t)
    ]
