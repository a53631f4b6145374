"""The landing page: choose or create a project, open a workbook, see the project at a glance.
Entry point: ``app()``."""

from __future__ import annotations

import datetime as dt
import html
from urllib.parse import quote

import ipywidgets as W

from cpmkit.core.content import load_notebook_templates
from cpmkit.db.database import Store
from cpmkit.stakeholders.store import StakeholderStore
from cpmkit.stakeholders.summary import stakeholder_summary
from cpmkit.ui.session import ProjectBar, open_store, safe_app
from cpmkit.ui.widgets import stylesheet

__all__ = ["LandingApp", "app"]


def app() -> W.Widget:
    """Build the landing page on the default store."""
    return safe_app(lambda: LandingApp(open_store()).widget)


class LandingApp:
    """Project choice, links to each workbook for that project, and the project summary."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.register = StakeholderStore(store)
        self.links = W.HTML()
        self.summary = W.HTML()
        self.bar = ProjectBar(store, on_change=lambda _: self.refresh())
        self.widget = W.VBox(
            [
                stylesheet(),
                self.bar.widget,
                W.HTML("<h3>Workbooks</h3>"),
                self.links,
                W.HTML("<h3>Project summary</h3>"),
                self.summary,
            ]
        )
        self.widget.add_class("cpmkit-app")
        self.refresh()
        self.widget.add_class("cpmkit-ready")

    def refresh(self) -> None:
        project_id = self.bar.project_id
        workbooks = [t for t in load_notebook_templates() if t.listed and t.page != "index"]
        query = f"?project={project_id}" if project_id is not None else ""
        items = "".join(
            f'<li><a href="{quote(t.file)}{query}" class="cpmkit-workbook-link">{html.escape(t.title)}</a></li>'
            for t in workbooks
        )
        self.links.value = f"<ul>{items}</ul>"
        if project_id is None:
            self.summary.value = '<p class="cpmkit-help">Create a project to begin.</p>'
            return
        lines = stakeholder_summary(
            self.register.stakeholders(project_id), self.register.measures(project_id), today=dt.date.today()
        )
        rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in lines)
        self.summary.value = f'<table class="cpmkit-table cpmkit-summary">{rows}</table>'
