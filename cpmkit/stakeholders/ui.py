"""Workbook 1, stakeholder value: the register, the grid, engagement gaps, the
communication plan, the value scorecard and the export. Entry point: ``app()``.

Every field saves on change through the store; a refused value keeps its message next to
the field and the saved value stays as it was.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import ipywidgets as W
import pandas as pd

from cpmkit.core.content import load_guidance
from cpmkit.db.database import Store
from cpmkit.errors import ValidationError
from cpmkit.stakeholders.export import SHEETS, stakeholder_tables
from cpmkit.stakeholders.rules import (
    CADENCES,
    CATEGORIES,
    CHANNELS,
    ENGAGEMENT_LEVELS,
    communication_plan,
    engagement_gaps,
    power_interest_grid,
    progress_percent,
    touchpoint_status,
    value_scorecard,
)
from cpmkit.stakeholders.store import StakeholderStore
from cpmkit.ui.download import table_downloads
from cpmkit.ui.page_header import PageHeader
from cpmkit.ui.session import open_store, safe_app
from cpmkit.ui.widgets import (
    Loading,
    MessageArea,
    ask_to_confirm,
    field,
    guard,
    message_area,
    named,
    replace_children,
    scrolling_table,
    stylesheet,
    table_html,
)

__all__ = ["StakeholderValueApp", "app"]

_SCALE = [1, 2, 3, 4, 5]
#: The tabs after the register, in order; each is built on first opening (see open_view).
_VIEWS = ["Power / interest grid", "Engagement", "Communication plan", "Value scorecard", "Export", "Import", "Table"]


def app() -> W.Widget:
    """Build workbook 1 on the default store; the notebook displays what this returns."""
    return safe_app(lambda: StakeholderValueApp(open_store()).widget)


def _choice(options: Any) -> W.Dropdown:
    return W.Dropdown(options=[("-", None)] + [(o, o) for o in options], value=None, layout=W.Layout(width="180px"))


def _stakeholder_controls() -> dict[str, W.ValueWidget]:
    """One input per stakeholder field, keyed by the store's field name."""
    text = W.Layout(width="260px")
    return {
        # The name saves when the field is left (or Enter): saving each keystroke would rename
        # the stakeholder through every partial name, and refuse the ones that clash.
        "name": W.Text(layout=text, continuous_update=False),
        "role": W.Text(layout=text),
        "organisation": W.Text(layout=text),
        "category": _choice(CATEGORIES),
        "power": W.ToggleButtons(options=_SCALE, value=None, style={"button_width": "34px"}),
        "interest": W.ToggleButtons(options=_SCALE, value=None, style={"button_width": "34px"}),
        "current_engagement": _choice(ENGAGEMENT_LEVELS),
        "desired_engagement": _choice(ENGAGEMENT_LEVELS),
        "expected_value": W.Textarea(layout=W.Layout(width="540px", height="70px")),
        "channel": _choice(CHANNELS),
        "cadence": _choice(CADENCES),
        "owner": W.Text(layout=text),
        "last_contact": W.DatePicker(),
        "next_touchpoint": W.DatePicker(),
    }


_LABELS = {
    "name": "Name",
    "role": "Role",
    "organisation": "Organisation",
    "category": "Category",
    "power": "Power (1-5)",
    "interest": "Interest (1-5)",
    "current_engagement": "Engagement now",
    "desired_engagement": "Engagement needed",
    "expected_value": "Value they expect",
    "channel": "Preferred channel",
    "cadence": "How often",
    "owner": "Relationship owner",
    "last_contact": "Last contact",
    "next_touchpoint": "Next touchpoint (optional, overrides the cadence)",
}
_LAYOUT = [
    ["name", "role", "organisation"],
    ["category", "power", "interest"],
    ["current_engagement", "desired_engagement"],
    ["expected_value"],
    ["channel", "cadence", "owner"],
    ["last_contact", "next_touchpoint"],
]
_PROMPTS = {
    "expected_value": "expected_value",
    "channel": "channel",
    "cadence": "cadence",
    "current_engagement": "engagement",
}


#: Success-measure columns: field -> (heading, width), shared by the header and each row.
_MEASURE_COLUMNS = {
    "metric": ("Metric", "180px"),
    "unit": ("Unit", "70px"),
    "baseline": ("Baseline", "90px"),
    "target": ("Target", "90px"),
    "latest": ("Latest value", "90px"),
    "measured_on": ("Measured on", "150px"),
}


def _measure_header() -> W.HTML:
    cells = "".join(
        f'<span style="display:inline-block;width:{width};margin-right:4px"><b>{heading}</b></span>'
        for heading, width in _MEASURE_COLUMNS.values()
    )
    return W.HTML(cells)


class MeasureRow:
    """One success measure: metric, unit, baseline, target, latest value and its date."""

    def __init__(
        self,
        register: StakeholderStore,
        measure: Mapping[Hashable, Any],
        *,
        on_saved: Callable[[], None],
        on_delete: Callable[[int], None],
    ) -> None:
        self.register, self.id, self.on_saved = register, int(measure["id"]), on_saved
        self.message = message_area()
        self.controls: dict[str, W.ValueWidget] = {
            "metric": W.Text(value=_text(measure["metric"]), placeholder="metric"),
            "unit": W.Text(value=_text(measure["unit"]), placeholder="unit"),
            "baseline": W.Text(value=_number(measure["baseline"]), placeholder="baseline"),
            "target": W.Text(value=_number(measure["target"]), placeholder="target"),
            "latest": W.Text(value=_number(measure["latest"]), placeholder="latest"),
            "measured_on": W.DatePicker(value=_date(measure["measured_on"])),
        }
        for name, control in self.controls.items():
            named(control, _MEASURE_COLUMNS[name][0])
            control.layout.width = _MEASURE_COLUMNS[name][1]
            control.observe(lambda change, name=name: self._save(name, change["new"]), "value")
        remove = W.Button(icon="trash", tooltip="Delete this measure", layout=W.Layout(width="40px"))
        remove.on_click(lambda _: on_delete(self.id))
        self.widget = W.VBox([W.HBox([*self.controls.values(), remove]), self.message])
        self.widget.add_class("cpmkit-measure")

    def _save(self, name: str, value: Any) -> None:
        with guard(self.message):
            self.register.update_measure(self.id, name, value)
            self.on_saved()


Rendered = tuple[Any, str]  # (Altair chart or None, table HTML)


def _charts() -> Any:
    """cpmkit.core.charts, imported on first use: Altair costs a kernel about 0.4 s to import."""
    from cpmkit.stakeholders import charts

    return charts


class TabView:
    """One view tab: an optional chart beside a table, both recomputed by ``render``."""

    def __init__(self, render: Callable[[pd.DataFrame, pd.DataFrame], Rendered], *, aside: str = "") -> None:
        self.render = render
        self.table = W.HTML()
        self.chart: Any = None
        self.side = W.VBox([W.HTML(aside), self.table] if aside else [self.table]).add_class("cpmkit-table-side")
        self.widget = W.HBox([self.side], layout=W.Layout(flex_flow="row wrap", align_items="flex-start"))

    def refresh(self, register: pd.DataFrame, measures: pd.DataFrame) -> None:
        chart, table = self.render(register, measures)
        if chart is not None:
            if self.chart is None:
                from cpmkit.ui.chart import VegaChart

                self.chart = VegaChart(layout=W.Layout(flex="0 0 auto", overflow="visible"))
                self.widget.children = [self.chart, self.side]
            self.chart.draw(chart)
        self.table.value = scrolling_table(table)


class StakeholderValueApp:
    """The whole workbook; ``widget`` is what the notebook shows."""

    def __init__(self, store: Store, *, today: Callable[[], dt.date] = dt.date.today) -> None:
        self.store, self.today = store, today
        self.register = StakeholderStore(store)
        self.guidance = load_guidance("stakeholder_value")
        self.stakeholder_id: int | None = None
        self._grid_saving = False
        self.loading = Loading()
        self.status = message_area()
        self.header = PageHeader(store, "stakeholder_value", on_change=lambda _: self.reload())
        self.bar = self.header.bar

        # Register: list, add, editor.
        self.listing = named(W.Select(rows=14, layout=W.Layout(width="240px")), "Stakeholders")
        self.new_name = W.Text(placeholder="Name of a new stakeholder", layout=W.Layout(width="240px"))
        self.add = W.Button(
            description="Add stakeholder", icon="user-plus", button_style="primary", layout=W.Layout(width="240px")
        )
        self.add_message = message_area()
        self.controls = _stakeholder_controls()
        prompts = self.guidance.get("prompts", {})
        self.messages = {
            name: MessageArea(label=_LABELS[name], help_text=prompts.get(_PROMPTS.get(name, ""), ""))
            for name in self.controls
        }
        self.measures = W.VBox()
        self.new_metric = W.Text(placeholder="New success measure, e.g. NPS", layout=W.Layout(width="260px"))
        self.add_metric = W.Button(description="Add measure", icon="plus")
        self.metric_message = message_area()
        self.delete = W.Button(description="Delete stakeholder", icon="trash", button_style="danger")
        self.confirm = W.HBox()
        self.editor = W.VBox()
        self._build_editor()

        # Views: built the first time their tab is opened, so a kernel only imports Altair
        # and ships the chart library when someone looks at a chart.
        self.views: dict[int, TabView] = {}
        self.view_message = message_area()
        side = W.VBox([self.listing, self.new_name, self.add, self.add_message], layout=W.Layout(flex="0 0 250px"))
        register = W.HBox(
            [side, self.editor],
            layout=W.Layout(align_items="flex-start"),
        )
        self.tabs = W.Tab(children=[register, *(W.VBox() for _ in _VIEWS)], titles=["Register", *_VIEWS])
        self.tabs.observe(lambda change: self.open_view(change["new"]), "selected_index")
        self.widget = W.VBox([stylesheet(), self.header.widget, self.status, self.view_message, self.tabs])
        self.widget.add_class("cpmkit-app")

        self.listing.observe(lambda change: self.select(change["new"]), "value")
        self.add.on_click(self._add)
        self.add_metric.on_click(self._add_measure)
        self.delete.on_click(lambda _: self._ask_delete())
        for name, control in self.controls.items():
            control.observe(lambda change, name=name: self._save(name, change["new"]), "value")
        self.reload()
        self.widget.add_class("cpmkit-ready")

    # -- building ---------------------------------------------------------------------------

    def _build_editor(self) -> None:
        wrap = W.Layout(flex_flow="row wrap")
        rows = [
            W.HBox([field(self.controls[name], self.messages[name]) for name in row], layout=wrap) for row in _LAYOUT
        ]
        help_text = self.guidance.get("prompts", {}).get("success_measures", "")
        measures_header = MessageArea(label="Success measures", help_text=help_text)
        self.editor.children = [
            *rows,
            W.VBox(
                [measures_header, self.measures, W.HBox([self.new_metric, self.add_metric]), self.metric_message],
                layout=W.Layout(margin="8px 0"),
            ),
            W.HBox([self.delete, self.confirm]),
        ]
        self.editor.add_class("cpmkit-editor")

    def _strategies_html(self) -> str:
        items = "".join(
            f"<li><b>{html.escape(name)}</b>: {html.escape(text)}</li>"
            for name, text in self.guidance.get("strategies", {}).items()
        )
        return f"<ul class='cpmkit-help'>{items}</ul>"

    # -- loading ----------------------------------------------------------------------------

    def reload(self, *, select: int | None = None) -> None:
        """Re-read the project's register; keep (or move to) the selected stakeholder."""
        project_id = self.bar.project_id
        register = (
            self.register.stakeholders(project_id) if project_id is not None else pd.DataFrame(columns=["id", "name"])
        )
        options = [(str(name), int(sid)) for sid, name in zip(register["id"], register["name"])]
        keep = select if select is not None else self.stakeholder_id
        ids = [sid for _, sid in options]
        with self.loading:
            self.listing.options = options
            self.listing.value = keep if keep in ids else (ids[0] if ids else None)
        self.select(self.listing.value)
        for control in (self.new_name, self.add):
            control.disabled = project_id is None

    def select(self, stakeholder_id: int | None) -> None:
        """Show one stakeholder in the editor (or an empty, disabled editor)."""
        if self.loading:
            return
        self.stakeholder_id = stakeholder_id
        replace_children(self.confirm, [])
        saved = self.register.stakeholder(stakeholder_id) if stakeholder_id is not None else {}
        with self.loading:
            for name, control in self.controls.items():
                control.value = _widget_value(control, saved.get(name))
                control.disabled = stakeholder_id is None
                self.messages[name].say("")
        for control in (self.delete, self.new_metric, self.add_metric):
            control.disabled = stakeholder_id is None
        self._load_measures()
        self.refresh_views()

    def _load_measures(self) -> None:
        project_id = self.bar.project_id
        if self.stakeholder_id is None or project_id is None:
            replace_children(self.measures, [])
            return
        frame = self.register.measures(project_id)
        mine = frame[frame["stakeholder_id"] == self.stakeholder_id]
        rows = [
            MeasureRow(self.register, row, on_saved=self._measure_saved, on_delete=self._delete_measure).widget
            for row in mine.to_dict("records")
        ]
        replace_children(self.measures, [_measure_header(), *rows] if rows else [])

    def open_view(self, index: int | None) -> None:
        """Build the view on tab ``index`` the first time it is opened, then show fresh data."""
        if not index or index in self.views:
            return
        with guard(self.view_message):
            renderers = [self._render_grid, self._render_gaps, self._render_plan, self._render_scorecard]
            if index <= len(renderers):
                aside = self._strategies_html() if index == 1 else ""
                view = TabView(renderers[index - 1], aside=aside)
            elif _VIEWS[index - 1] == "Import":
                view = self._import_view()
            elif _VIEWS[index - 1] == "Table":
                view = self._table_view()
            else:
                view = self._export_view()
            self.tabs.children[index].children = [view.widget]
            self.views[index] = view
            self.refresh_views()

    def refresh_views(self) -> None:
        """Recompute the opened views from the store (one read of the register and measures)."""
        if not self.views:
            return
        project_id = self.bar.project_id if self.bar.project_id is not None else -1
        register, measures = self.register.stakeholders(project_id), self.register.measures(project_id)
        for view in self.views.values():
            view.refresh(register, measures)

    def _render_grid(self, register: pd.DataFrame, _: pd.DataFrame) -> Rendered:
        grid = power_interest_grid(register)
        return _charts().power_interest_chart(grid), table_html(
            grid,
            columns={"strategy": "Strategy", "names": "Stakeholders", "power": "Power", "interest": "Interest"},
            empty="Rate power and interest to place stakeholders on the grid.",
        )

    def _render_gaps(self, register: pd.DataFrame, _: pd.DataFrame) -> Rendered:
        gaps = engagement_gaps(register)
        return _charts().engagement_gap_chart(gaps), table_html(
            gaps,
            columns={
                "name": "Stakeholder",
                "current_engagement": "Now",
                "desired_engagement": "Needed",
                "gap": "Gap (steps)",
            },
            empty="Set engagement now and needed to see the gaps.",
        )

    def _render_plan(self, register: pd.DataFrame, _: pd.DataFrame) -> Rendered:
        plan = communication_plan(register, today=self.today())
        plan["due"] = touchpoint_status(plan)
        return None, table_html(
            plan,
            columns={
                "name": "Who",
                "expected_value": "Value they expect",
                "channel": "Channel",
                "cadence": "How often",
                "owner": "Owner",
                "last_contact": "Last contact",
                "next_due": "Next touchpoint",
                "due": "Status",
            },
            empty="Add stakeholders to build the communication plan.",
        )

    def _render_scorecard(self, _: pd.DataFrame, measures: pd.DataFrame) -> Rendered:
        card = value_scorecard(measures)
        chart = _charts().scorecard_chart(card)
        card["progress %"] = progress_percent(card)
        return chart, table_html(
            card,
            columns={
                "stakeholder": "Stakeholder",
                "metric": "Measure",
                "unit": "Unit",
                "baseline": "Baseline",
                "target": "Target",
                "latest": "Latest",
                "measured_on": "Measured on",
                "progress %": "Progress %",
                "status": "Status",
            },
            empty="Add success measures to a stakeholder to build the scorecard.",
        )

    def _export_view(self) -> TabView:
        self.downloads = table_downloads(
            self._export_tables, sheets=SHEETS, stem="stakeholder-value", label="All tables (XLSX)"
        )
        view = TabView(lambda _r, _m: (None, ""))
        view.widget.children = [self.downloads]
        return view

    def _import_view(self) -> TabView:
        """The register import (cpmkit.stakeholders.register_import), kept on the project chosen."""
        from cpmkit.stakeholders.register_import.ui import RegisterImportPanel

        self.importer = RegisterImportPanel(self.store, on_imported=self.reload)
        return self._panel_view(self.importer.widget, self.importer.show)

    def _table_view(self) -> TabView:
        """The register as an editable grid (cpmkit.stakeholders.register_grid), drawn again as the
        register changes (not after its own edit: the grid shows that already)."""
        from cpmkit.stakeholders.register_grid.ui import RegisterGrid

        self.register_grid = RegisterGrid(self.store, on_saved=self._grid_saved)
        return self._panel_view(
            self.register_grid.widget,
            lambda project_id: None if self._grid_saving else self.register_grid.show(project_id),
        )

    def _panel_view(self, widget: W.Widget, show: Callable[[int | None], None]) -> TabView:
        """A tab showing ``widget``, which ``show(project id)`` brings up to date whenever the views are."""

        def follow(_register: pd.DataFrame, _measures: pd.DataFrame) -> Rendered:
            show(self.bar.project_id)
            return None, ""

        view = TabView(follow)
        view.widget.children = [widget]
        return view

    def _grid_saved(self) -> None:
        """A cell saved in the grid: the form and the other views show it (the grid has it already)."""
        self._saved()
        self._grid_saving = True
        try:
            self.reload()
        finally:
            self._grid_saving = False

    # -- actions ----------------------------------------------------------------------------

    def _save(self, name: str, value: Any) -> None:
        if self.loading or self.stakeholder_id is None:
            return
        with guard(self.messages[name]):
            self.register.update_stakeholder(self.stakeholder_id, name, value)
            self._saved()
            if name == "name":
                self.reload()
            else:
                self.refresh_views()

    def _saved(self) -> None:
        self.status.say(f"All changes saved ({dt.datetime.now():%H:%M:%S}).", ok=True)

    def _measure_saved(self) -> None:
        self._saved()
        self.refresh_views()

    def _add(self, _: object) -> None:
        with guard(self.add_message):
            if self.bar.project_id is None:
                raise ValidationError("Create or choose a project first.")
            new_id = self.register.add_stakeholder(self.bar.project_id, self.new_name.value)
            self.new_name.value = ""
            self._saved()
            self.reload(select=new_id)

    def _add_measure(self, _: object) -> None:
        with guard(self.metric_message):
            if self.stakeholder_id is not None:
                self.register.add_measure(self.stakeholder_id, self.new_metric.value)
                self.new_metric.value = ""
                self._saved()
                self._load_measures()
                self.refresh_views()

    def _delete_measure(self, measure_id: int) -> None:
        with guard(self.metric_message):
            self.register.delete_measure(measure_id)
            self._saved()
            self._load_measures()
            self.refresh_views()

    def _ask_delete(self) -> None:
        if self.stakeholder_id is None:
            return
        name = self.register.stakeholder(self.stakeholder_id)["name"]
        question = (
            f"Delete {name} and everything recorded about them (success measures, expectation-gap figures, "
            "notes and actions)? This cannot be undone."
        )
        ask_to_confirm(self.confirm, question, yes="Yes, delete", on_yes=self._delete)

    def _delete(self) -> None:
        with guard(self.add_message):
            if self.stakeholder_id is not None:
                self.register.delete_stakeholder(self.stakeholder_id)
                self.stakeholder_id = None
                self._saved()
                self.reload()

    def _export_tables(self) -> dict[str, pd.DataFrame]:
        """The project's tables as exported, read now."""
        project_id = self.bar.project_id
        if project_id is None:
            raise ValidationError("Create or choose a project first.")
        stakeholders, measures = self.register.stakeholders(project_id), self.register.measures(project_id)
        return stakeholder_tables(stakeholders, measures, today=self.today())


def _widget_value(control: W.ValueWidget, value: Any) -> Any:
    if isinstance(control, (W.Text, W.Textarea)):
        return _text(value)
    if isinstance(control, W.DatePicker):
        return _date(value)
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _number(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{value:g}"


def _date(value: Any) -> dt.date | None:
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
