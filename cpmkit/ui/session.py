"""What a workbook works on: the store, and the project chosen in the URL or last time.

Voila passes the page's query string to its kernel as ``QUERY_STRING``, so a link such as
``<workbook notebook>?project=3`` opens that project, if it is one of the signed-in
owner's; otherwise the project that owner last chose is used. Who is signed in comes from
the server's gate (``cpmkit.serving.page_access``); in JupyterLab it is the person at this computer.
"""

from __future__ import annotations

import functools
import html
import os
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as W

from cpmkit.accounts.owners import LOCAL_OWNER, Owner
from cpmkit.core.query import query_number
from cpmkit.db.database import Store
from cpmkit.errors import CpmkitError
from cpmkit.serving.kernel_limits import limit_kernel_memory
from cpmkit.serving.page_access import BASE_URL_ENV, IDENTITY_ENV, Identity, decode_identity
from cpmkit.ui.kernel_errors import keep_errors_in_server_log
from cpmkit.ui.widgets import guard, message_area

__all__ = [
    "ProjectBar",
    "open_store",
    "page_base_url",
    "page_identity",
    "page_owner",
    "requested_project",
    "safe_app",
    "wait_for_voila_request",
]

LAST_PROJECT = "last_project"


@functools.cache
def open_store() -> Store:
    """The kernel's one Store (from CPMKIT_DB_URL or the default SQLite file)."""
    return Store.open()


def requested_project(query: str | None) -> int | None:
    """The project id in a query string such as ``project=3``, if there is a valid one."""
    return query_number(query, "project")


def page_identity(environ: Mapping[str, str] = os.environ) -> Identity | None:
    """Who opened this page, as the server's gate says (the owner signed in, if any, and the
    browser); None outside ``cpmkit serve`` or without the gate's word."""
    return decode_identity(environ.get(IDENTITY_ENV))


def page_base_url(environ: Mapping[str, str] = os.environ) -> str:
    """The base URL this page was opened at (or ``cpmkit serve --public-url``), as the gate
    says, for absolute links; empty outside ``cpmkit serve`` (links are then root-relative)."""
    return environ.get(BASE_URL_ENV, "")


def page_owner(environ: Mapping[str, str] = os.environ) -> Owner | None:
    """Who this page works for: under Voila, the owner the server signed in (None on a
    participant's link page); in JupyterLab, the person at this computer."""
    if not environ.get("SERVER_SOFTWARE", "").startswith("voila"):
        return LOCAL_OWNER
    identity = page_identity(environ)
    return identity.owner if identity is not None else None


def signed_in_line(owner: Owner) -> str:
    """Who is signed in, with the way out; nothing in JupyterLab, where nobody signs in."""
    if owner.id is None:
        return ""
    role = " (admin: every project)" if owner.admin else ""
    return (
        f"<p class='cpmkit-help cpmkit-signed-in'>Signed in as <b>{html.escape(owner.name)}</b>{role} · "
        "<a href='/logout' target='_top'>Sign out</a></p>"
    )


class ProjectBar:
    """Choose one of the owner's projects to work on, or create one; tells ``on_change`` the chosen id."""

    def __init__(self, store: Store, *, on_change: Callable[[int | None], None], owner: Owner | None = None) -> None:
        found = owner or page_owner()
        if found is None:
            raise CpmkitError("Sign in to open this workbook: it shows your projects only.")
        self.store, self.owner = store, found
        self._last_project = LAST_PROJECT if found.id is None else f"{LAST_PROJECT}:{found.id}"
        self.on_change = on_change
        self.choice = W.Dropdown(description="Project", layout=W.Layout(width="320px"))
        self.new_name = W.Text(placeholder="New project name", layout=W.Layout(width="220px"))
        self.create = W.Button(description="Create project", icon="plus")
        self.message = message_area()
        who = W.HTML(signed_in_line(found))
        self.widget = W.VBox([who, W.HBox([self.choice, self.new_name, self.create]), self.message])
        self.widget.add_class("cpmkit-project-bar")
        self._fill(self._initial())
        self.choice.observe(self._chosen, "value")
        self.create.on_click(self._create)

    @property
    def project_id(self) -> int | None:
        value = self.choice.value
        return None if value is None else int(value)

    def _initial(self) -> int | None:
        ids = [p["id"] for p in self.store.list_projects(self.owner)]
        for candidate in (
            requested_project(os.environ.get("QUERY_STRING")),
            self.store.get_setting(self._last_project),
        ):
            if candidate is not None and int(candidate) in ids:
                return int(candidate)
        return ids[0] if ids else None

    def _fill(self, selected: int | None) -> None:
        projects = self.store.list_projects(self.owner)
        self.choice.options = [(p["name"], p["id"]) for p in projects] or [("(no project yet: create one)", None)]
        self.choice.value = selected

    def _chosen(self, change: dict[str, Any]) -> None:
        with guard(self.message):
            if change["new"] is not None:
                self.store.set_setting(self._last_project, str(change["new"]))
            self.on_change(change["new"])

    def _create(self, _: object) -> None:
        with guard(self.message):
            project_id = self.store.create_project(self.new_name.value, owner=self.owner)
            self.new_name.value = ""
            self._fill(self.choice.value)
            self.choice.value = project_id  # triggers _chosen


def wait_for_voila_request(environ: Mapping[str, str] = os.environ) -> None:
    """In a kernel Voila pre-heats, block until a browser asks for the page.

    Voila's pre-heated kernels (``cpmkit serve`` turns them on) run the notebook before anyone
    opens it, so the imports are paid in advance; but the request's query string, which
    names the project, only arrives with the request. Voila hands it over here.
    """
    if environ.get("VOILA_PREHEAT") == "True":
        from voila.utils import wait_for_request

        wait_for_request()


def safe_app(build: Callable[[], W.Widget]) -> W.Widget:
    """Build an app once its page is asked for; if even that fails (no store, say), show
    why instead of a traceback."""
    area = message_area()
    widget: W.Widget | None = None
    with guard(area):
        keep_errors_in_server_log()
        limit_kernel_memory()
        wait_for_voila_request()
        widget = build()
    return widget if widget is not None else W.VBox([area])
