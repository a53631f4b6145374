"""Content files from templates/: notebook templates and workbook guidance.

Content is data so a trainer can adapt it without touching code. Loaders check each file
up front and name the file, item and field of anything malformed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol, TypeVar

import yaml

from cpmkit import config
from cpmkit.core.fields import ID_PATTERN
from cpmkit.errors import TemplateError

__all__ = [
    "LINK_PARAMETERS",
    "NotebookTemplate",
    "access_changes",
    "check_fields",
    "entry_label",
    "load_guidance",
    "load_notebook_templates",
    "notebook_file",
    "parsed_entries",
    "read_yaml",
    "required_id",
    "required_text",
]


#: The query parameters the server can look a link up by (``web_gate.Gate.link_lookups``): a
#: page's ``links`` are among them, so a misspelt one is refused at start, not at a participant's door.
LINK_PARAMETERS: Final = ("token", "code", "rate", "survey", "pulse", "board", "facilitator")


@dataclass(frozen=True)
class NotebookTemplate:
    """One generated notebook: its file name, title, introduction and entry point."""

    file: str
    title: str
    intro: str
    entry: str
    listed: bool = True  # False: opened only from a link (a survey form), not from the landing page
    #: Query parameters that are links (capabilities): one of them, valid, opens the page.
    links: tuple[str, ...] = ()
    #: Whether a signed-in owner opens the page without a link (False: participants' pages).
    owner: bool = True
    #: At most this many opens of one link from one address an hour (None: no such limit).
    opens_per_address_hour: int | None = None
    #: A stable id code uses to find the page (``notebook_file``), so its file can be renamed here alone.
    page: str | None = None
    #: What the page is, in a few words, for its header and the browser tab ("Stakeholder value").
    name: str = ""

    @property
    def module(self) -> str:
        return self.entry.partition(":")[0]

    @property
    def function(self) -> str:
        return self.entry.partition(":")[2]


def load_notebook_templates(templates: Path | None = None) -> list[NotebookTemplate]:
    """The notebooks to generate, in order, from ``notebooks.yaml``."""
    path = config.template_file("notebooks.yaml", templates)
    items = read_yaml(path).get("notebooks")
    if not isinstance(items, list) or not items:
        raise TemplateError("expected a non-empty list under 'notebooks'.", file=path.name)
    found = []
    for index, item in enumerate(items, start=1):
        label = str(item.get("file") or f"#{index}") if isinstance(item, dict) else f"#{index}"
        if not isinstance(item, dict):
            raise TemplateError("each notebook must be a mapping.", file=path.name, item=label)
        for field in ("file", "title", "intro", "entry"):
            if not isinstance(item.get(field), str) or not item[field].strip():
                raise TemplateError("is missing or empty.", file=path.name, item=label, field=field)
        if not item["file"].endswith(".ipynb") or "/" in item["file"]:
            raise TemplateError(
                "must be a notebook file name ending in .ipynb.", file=path.name, item=label, field="file"
            )
        if ":" not in item["entry"]:
            raise TemplateError("must look like 'package.module:function'.", file=path.name, item=label, field="entry")
        page = item.get("page")
        if page is not None and not (isinstance(page, str) and ID_PATTERN.fullmatch(page)):
            raise TemplateError(
                "must be lowercase letters, digits and underscores, starting with a letter.",
                file=path.name,
                item=label,
                field="page",
            )
        for field in ("listed", "owner"):
            if not isinstance(item.get(field, True), bool):
                raise TemplateError("must be true or false.", file=path.name, item=label, field=field)
        links = item.get("links", [])
        if not isinstance(links, list) or not all(isinstance(p, str) and ID_PATTERN.fullmatch(p) for p in links):
            raise TemplateError("must be a list of query parameter names.", file=path.name, item=label, field="links")
        for unknown in [p for p in links if p not in LINK_PARAMETERS]:
            raise TemplateError(
                f"{unknown!r} is not a link cpmkit knows (it knows {', '.join(LINK_PARAMETERS)}).",
                file=path.name,
                item=label,
                field="links",
            )
        if not links and item.get("owner") is False:
            raise TemplateError(
                "a page nobody may open: give it links or let owners open it.",
                file=path.name,
                item=label,
                field="owner",
            )
        name = item.get("name", item["title"])
        if not isinstance(name, str) or not name.strip():
            raise TemplateError("must be a short, non-empty page name.", file=path.name, item=label, field="name")
        opens = item.get("opens_per_address_hour")
        if opens is not None and (not isinstance(opens, int) or isinstance(opens, bool) or opens < 1 or not links):
            raise TemplateError(
                "must be a whole number of at least 1, on a page with links.",
                file=path.name,
                item=label,
                field="opens_per_address_hour",
            )
        found.append(
            NotebookTemplate(
                item["file"],
                item["title"].strip(),
                item["intro"].strip(),
                item["entry"].strip(),
                item.get("listed", True),
                tuple(links),
                item.get("owner", True),
                opens,
                page,
                name.strip(),
            )
        )
    for field in ("file", "page"):
        values = [getattr(t, field) for t in found if getattr(t, field) is not None]
        for duplicate in sorted({v for v in values if values.count(v) > 1}):
            raise TemplateError("appears more than once.", file=path.name, item=duplicate, field=field)
    return found


def access_changes(theirs: list[NotebookTemplate], defaults: list[NotebookTemplate]) -> list[str]:
    """Each page of ``theirs`` whose access differs from cpmkit's default (who may open it, by
    which links, how often, and what it runs), in a sentence: a content folder can open a page
    to link holders, which its server's owner should see said at start."""
    known = {template.file: template for template in defaults}
    changes = []
    for page in theirs:
        default = known.get(page.file)
        if default is None:
            changes.append(f"{page.file} is a page of yours: {_access(page)}.")
            continue
        if _access(page) != _access(default) or page.entry != default.entry:
            changes.append(
                f"{page.file}: {_access(page)}, runs {page.entry} (default: {_access(default)}, runs {default.entry})."
            )
    return changes


def _access(page: NotebookTemplate) -> str:
    holders = f"holders of a {'/'.join(page.links)} link" if page.links else ""
    who = " and ".join(filter(None, ["signed-in owners" if page.owner else "", holders]))
    opens = f" ({page.opens_per_address_hour} opens per address an hour)" if page.opens_per_address_hour else ""
    return f"opened by {who}{opens}"


def notebook_file(page: str, templates: Path | None = None) -> str:
    """The file name of the notebook whose ``page:`` is ``page`` in ``notebooks.yaml``: the one
    place file names are defined, so links, redirects and tests follow a rename there."""
    files = _files_by_page(config.template_file("notebooks.yaml", templates).resolve())
    if page not in files:
        raise TemplateError("no notebook has this page.", file="notebooks.yaml", item=page, field="page")
    return files[page]


@functools.cache
def _files_by_page(notebooks_yaml: Path) -> dict[str, str]:
    """``{page: file}`` of the notebooks in ``notebooks_yaml``, read once per file (links are made often)."""
    return {t.page: t.file for t in load_notebook_templates(notebooks_yaml.parent) if t.page is not None}


@functools.cache
def load_guidance(name: str, templates: Path | None = None) -> dict[str, dict[str, str]]:
    """The guidance text of one workbook (``<name>.yaml``): sections of key -> sentence."""
    path = config.template_file(f"{name}.yaml", templates)
    data = read_yaml(path)
    for section, entries in data.items():
        if not isinstance(entries, dict) or not all(isinstance(v, str) for v in entries.values()):
            raise TemplateError("must map each key to a sentence.", file=path.name, item=str(section))
    return data


def read_yaml(path: Path) -> dict[str, Any]:
    """A content file's top-level mapping; TemplateError if it is missing, not YAML or not a mapping."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TemplateError("file not found.", file=str(path)) from None
    except yaml.YAMLError as exc:
        raise TemplateError(f"is not valid YAML ({exc}).", file=path.name) from None
    if not isinstance(data, dict):
        raise TemplateError("expected a mapping at the top level.", file=path.name)
    return data


# -- checks the content loaders share: each names the file, item and field it refuses ------------


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


_Entry = TypeVar("_Entry", bound=_Identified)


def parsed_entries(data: dict[str, Any], key: str, parse: Callable[[Any, int, str], _Entry], file: str) -> list[_Entry]:
    """``data[key]``, a non-empty list, each entry read by ``parse(raw, number from 1, file)``;
    TemplateError if the list is missing or empty, or two entries have one id."""
    raw_entries = data.get(key)
    if not isinstance(raw_entries, list) or not raw_entries:
        raise TemplateError(f"must be a non-empty list of {key}.", file=file, field=key)
    entries: list[_Entry] = []
    for index, raw in enumerate(raw_entries, start=1):
        entry = parse(raw, index, file)
        if any(known.id == entry.id for known in entries):
            raise TemplateError("appears more than once.", file=file, item=entry.id, field="id")
        entries.append(entry)
    return entries


def required_text(raw: dict[str, Any], field: str, file: str, label: str | None) -> str:
    """``raw[field]`` as trimmed, non-empty text."""
    value = raw.get(field)
    if not isinstance(value, str) or not value.strip():
        raise TemplateError("is missing or empty.", file=file, item=label, field=field)
    return value.strip()


def required_id(raw: dict[str, Any], file: str, label: str) -> str:
    """``raw["id"]``: a short plain id (see ``cpmkit.core.fields.ID_PATTERN``), stored with answers."""
    value = required_text(raw, "id", file, label)
    if not ID_PATTERN.fullmatch(value):
        problem = "must be lowercase letters, digits and underscores, starting with a letter."
        raise TemplateError(problem, file=file, item=label, field="id")
    return value


def check_fields(
    raw: dict[str, Any], allowed: tuple[str, ...], file: str, label: str | None, *, where: str = ""
) -> None:
    """Refuse a field ``raw`` does not know (a typo would otherwise be ignored silently)."""
    for key in raw:
        if key not in allowed:
            problem = f"is not a known field (expected {', '.join(allowed)})."
            raise TemplateError(problem, file=file, item=label, field=f"{where}.{key}" if where else str(key))


def entry_label(raw: Any, fallback: str) -> str:
    """How an entry of a content file is named in errors: its id if it has one, else ``fallback``."""
    if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"].strip():
        return str(raw["id"]).strip()
    return fallback
