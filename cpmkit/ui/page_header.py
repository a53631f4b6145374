"""The header every page opens with, and the browser tab's title.

A PM page's header names the page and the project, links home and to the other workbooks
(keeping the project), and holds the project switch; its introduction folds away after a
first visit behind "How this works" (``page_header.js``, remembered in the browser). A
participant's page carries a plain header with only its workshop's, board's or survey's name:
their link grants that one page, so nothing links anywhere else.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from importlib import resources
from typing import NamedTuple
from urllib.parse import quote

import anywidget
import ipywidgets as W
import traitlets

from cpmkit.core.content import NotebookTemplate, load_notebook_templates
from cpmkit.db.database import Store
from cpmkit.ui.session import ProjectBar

__all__ = [
    "PageHead",
    "PageHeader",
    "ParticipantHeader",
    "WorkbookLink",
    "page_title",
    "pm_header_html",
    "workbook_links",
]

HOME_PAGE = "index"
TITLE_SEPARATOR = " · "
CURRENT = ' aria-current="page"'  # the link to the page itself, said to a screen reader


class WorkbookLink(NamedTuple):
    """One entry of a PM page's header: what it says, where it goes, and whether it is this page."""

    label: str
    href: str
    current: bool


def page_title(page_name: str, project_name: str | None = None) -> str:
    """The browser tab's title: what the page is, then the project (``Stakeholder value · Harbour Bridge Refit``)."""
    return TITLE_SEPARATOR.join(part for part in (page_name.strip(), (project_name or "").strip()) if part)


def workbook_links(
    templates: list[NotebookTemplate], project_id: int | None, current: str | None
) -> list[WorkbookLink]:
    """Home, then each workbook the landing page lists, each opening ``project_id`` (if any)."""
    query = f"?project={project_id}" if project_id is not None else ""
    return [
        WorkbookLink(t.name if t.page != HOME_PAGE else "Home", f"{quote(t.file)}{query}", t.page == current)
        for t in templates
        if t.listed and t.owner
    ]


def pm_header_html(page_name: str, project_name: str | None, links: list[WorkbookLink]) -> str:
    """A PM page's header as HTML: the navigation, then the page's name and project (all escaped)."""
    items = "".join(
        f'<li><a href="{html.escape(link.href)}"{CURRENT if link.current else ""}>{html.escape(link.label)}</a></li>'
        for link in links
    )
    project = f' <span class="cpmkit-header-project">{html.escape(project_name)}</span>' if project_name else ""
    return (
        f'<nav class="cpmkit-header-nav" aria-label="Workbooks"><ul>{items}</ul></nav>'
        f'<h1 class="cpmkit-header-title">{html.escape(page_name)}{project}</h1>'
    )


class PageHead(anywidget.AnyWidget):
    """Sets the browser tab's title, and shows the page's introduction folded after a first visit."""

    _esm = resources.files("cpmkit.ui").joinpath("page_header.js").read_text(encoding="utf-8")
    title = traitlets.Unicode("").tag(sync=True)
    #: The introduction as HTML (from notebooks.yaml, the site's own text); empty: none shown.
    intro_html = traitlets.Unicode("").tag(sync=True)
    #: Which page's introduction this is: the browser remembers each page's first visit apart.
    page = traitlets.Unicode("").tag(sync=True)


def _template(page: str) -> NotebookTemplate:
    return next(t for t in load_notebook_templates() if t.page == page)


def _intro_html(template: NotebookTemplate) -> str:
    """The page's introduction under Voila; in JupyterLab the notebook's first cell already shows it."""
    if not os.environ.get("SERVER_SOFTWARE", "").startswith("voila"):
        return ""
    import mistune  # only PM pages have an introduction to fold; participants' pages never load it

    return str(mistune.create_markdown(escape=True)(template.intro))  # HTML in an intro is shown as text


class PageHeader:
    """A PM page's header: home, the workbooks, this page and project, the project switch
    (``bar``, a ProjectBar that tells ``on_change``), the tab's title and the folded introduction."""

    def __init__(self, store: Store, page: str, *, on_change: Callable[[int | None], None]) -> None:
        self.store, self.template, self.on_change = store, _template(page), on_change
        self.nav = W.HTML()
        self.head = PageHead(page=page, intro_html=_intro_html(self.template))
        self.bar = ProjectBar(store, on_change=self._changed)
        header = W.VBox([self.nav, self.bar.widget], _dom_classes=("cpmkit-page-header",))
        self.widget = W.VBox([header, self.head], _dom_classes=("cpmkit-page-chrome",))
        self.show(self.bar.project_id)

    def show(self, project_id: int | None) -> None:
        """Name ``project_id`` in the header and title, and point the workbook links at it."""
        name = self.store.project(project_id)["name"] if project_id is not None else None
        links = workbook_links(load_notebook_templates(), project_id, self.template.page)
        self.nav.value = pm_header_html(self.template.name, name, links)
        self.head.title = page_title(self.template.name, name)

    def _changed(self, project_id: int | None) -> None:
        self.show(project_id)
        self.on_change(project_id)


class ParticipantHeader:
    """A participant page's plain header: its ``heading`` (the name of the workshop, board or
    survey their link opens, and what to do there; no link to anything else), and the tab's title."""

    def __init__(self, heading: W.HTML, name: str = "") -> None:
        self.head = PageHead()
        self.widget = W.VBox([heading, self.head], _dom_classes=("cpmkit-page-header", "cpmkit-participant-header"))
        self.show(name)

    def show(self, name: str, project: str | None = None) -> None:
        """Name the browser tab after ``name`` (the page's own name until one is known) and its project."""
        self.head.title = page_title(name, project)
