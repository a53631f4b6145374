"""A trainer's content folder: made from the defaults (``cpmkit init``) and checked whole before
a server starts (``cpmkit serve``), so a mistake in a file stops the start with its file, item
and field instead of reaching a participant's page."""

from __future__ import annotations

import ast
import difflib
import importlib.util
import shutil
from pathlib import Path

from cpmkit import config
from cpmkit.core.content import NotebookTemplate, access_changes, load_guidance, load_notebook_templates, read_yaml
from cpmkit.core.fields import ID_PATTERN
from cpmkit.errors import CpmkitError, TemplateError
from cpmkit.feedback.health.template import health_checks
from cpmkit.feedback.lessons.template import lessons_template
from cpmkit.feedback.pulse.template import feedback_taxonomy, pulse_survey
from cpmkit.feedback.retro.template import retro_formats
from cpmkit.feedback.survey_import.recoding import answer_scales
from cpmkit.gap.template import load_gap_template
from cpmkit.soft_skills.bank import DEFAULT_BANK, load_bank

__all__ = ["check_content", "init_content"]

#: The guidance files, read by name (``load_guidance``) rather than by a loader of their own.
GUIDANCE = ("stakeholder_value",)


def init_content(folder: Path) -> tuple[list[Path], list[Path]]:
    """Copy each default content file into ``folder`` (made if missing), keeping any file of that
    name already there: a trainer's changes are never overwritten. Returns (copied, kept)."""
    if folder.exists() and not folder.is_dir():
        raise CpmkitError(f"{folder} is a file, not a folder: name a folder for the content files.")
    copied, kept = [], []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for default in sorted(config.default_templates_dir().glob("*.yaml")):
            target = folder / default.name
            if target.exists():
                kept.append(target)
            else:
                shutil.copyfile(default, target)
                copied.append(target)
    except OSError as exc:
        raise CpmkitError(f"Cannot write the content files into {folder}: {exc.strerror or exc}.") from None
    return copied, kept


def check_content(templates: Path | None = None) -> list[str]:
    """Read every content file of ``templates`` (default: the folder in use), each falling back
    to its default, as the pages will read it; TemplateError names the first mistake. Returns
    what the folder changes in who may open which page, in sentences (``access_changes``)."""
    folder = templates or config.templates_dir()
    if not folder.is_dir():
        if folder.exists():
            raise CpmkitError(f"The content folder {folder} is not a folder: name one made by `cpmkit init DIR`.")
        raise CpmkitError(f"The content folder {folder} does not exist: make it with `cpmkit init {folder}`.")
    pages = load_notebook_templates(folder)
    for page in pages:
        _check_entry(page)
    for name in GUIDANCE:
        load_guidance(name, folder)
    load_gap_template(folder)
    pulse_survey(folder)
    feedback_taxonomy(folder)
    answer_scales(folder)
    retro_formats(folder)
    health_checks(folder)
    lessons_template(folder)
    load_bank(config.template_file(f"{DEFAULT_BANK}.yaml", folder))
    known = {path.name for path in config.default_templates_dir().glob("*.yaml")}
    for path in sorted(folder.glob("*.yaml")):
        if path.name not in known:
            _check_bank(path, known)
    return access_changes(pages, load_notebook_templates(config.default_templates_dir()))


def _check_bank(path: Path, known: set[str]) -> None:
    """A YAML file that is none of cpmkit's content files must be a question bank: one a
    trainer can choose (see ``bank_names``), and one that loads."""
    if "competencies" not in read_yaml(path):
        close = difflib.get_close_matches(path.name, sorted(known), n=1)
        hint = f" Did you mean {close[0]}?" if close else ""
        raise TemplateError(
            f"is none of cpmkit's content files, and not a question bank (no 'competencies' list).{hint}",
            file=path.name,
        )
    if not ID_PATTERN.fullmatch(path.stem):
        raise TemplateError(
            "a question bank's file name must be lowercase letters, digits and underscores, starting with a letter.",
            file=path.name,
        )
    load_bank(path)


def _check_entry(page: NotebookTemplate) -> None:
    """The page's ``entry`` names a function of a module that exists, found without running it."""
    try:
        spec = importlib.util.find_spec(page.module)
    except (ImportError, ValueError):
        spec = None
    origin = spec.origin if spec is not None else None
    if origin is None or not origin.endswith(".py"):
        raise TemplateError(f"no module {page.module!r}.", file="notebooks.yaml", item=page.file, field="entry")
    tree = ast.parse(Path(origin).read_text(encoding="utf-8"))
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)}
    if page.function not in defined:
        raise TemplateError(
            f"{page.module} has no function {page.function!r}.", file="notebooks.yaml", item=page.file, field="entry"
        )
