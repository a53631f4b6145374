"""Workbook 3, expectation gap: what each stakeholder expects against what they perceive we
deliver, the gaps worst first, notes and actions, charts, survey links and the
customer-centric status report. Entry point: ``app()``.

Every input saves on change through ``GapStore``; a refused value keeps its message next to
the input and nothing saved before is touched.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Final

import ipywidgets as W
import pandas as pd

from cpmkit.core.addresses import page_link
from cpmkit.db.database import Store
from cpmkit.errors import ValidationError
from cpmkit.gap import rules as gap
from cpmkit.gap.status import LIGHTS, lights_html, status_report_html
from cpmkit.gap.store import NO_RESPONSE, GapData, GapStore, read_gap_data
from cpmkit.gap.template import GapTemplate, load_gap_template
from cpmkit.gap.ui.ratings import RatingForm, scale_choice
from cpmkit.stakeholders.store import StakeholderStore
from cpmkit.ui.download import DownloadButton, download_row
from cpmkit.ui.page_header import PageHeader
from cpmkit.ui.session import open_store, page_base_url, safe_app
from cpmkit.ui.widgets import (
    LinkShownOnce,
    Loading,
    MessageArea,
    field,
    guard,
    keep_links,
    message_area,
    named,
    replace_children,
    stylesheet,
    table_html,
)

__all__ = ["ExpectationGapApp", "app"]

#: The stakeholder survey's page in ``notebooks.yaml``.
SURVEY_PAGE: Final = "stakeholder_survey"
_VIEWS = ["Gap list", "Charts", "Status report", "Survey links"]


def app() -> W.Widget:
    """Build workbook 3 on the default store; the notebook displays what this returns."""
    return safe_app(lambda: ExpectationGapApp(open_store()).widget)


#: What names each input of an action row for a screen reader (the row shows no headings).
_ACTION_NAMES = {"what": "Action", "owner": "Owner", "due": "Due", "status": "Status"}


class ActionRow:
    """One action to close a gap: what, owner, due date and status, each saved on change."""

    def __init__(
        self,
        gaps: GapStore,
        action: Mapping[Hashable, Any],
        *,
        on_saved: Callable[[], None],
        on_delete: Callable[[int], None],
    ) -> None:
        self.id = int(action["id"])
        self.message = message_area()
        due = action["due"]
        self.controls: dict[str, W.ValueWidget] = {
            "what": W.Text(value=str(action["what"]), continuous_update=False, layout=W.Layout(width="300px")),
            "owner": W.Text(
                value=_text(action["owner"]),
                placeholder="owner",
                continuous_update=False,
                layout=W.Layout(width="150px"),
            ),
            "due": W.DatePicker(value=None if due is None or pd.isna(due) else due, layout=W.Layout(width="150px")),
            "status": W.Dropdown(
                options=list(gap.ACTION_STATUSES), value=action["status"], layout=W.Layout(width="120px")
            ),
        }
        for name, control in self.controls.items():
            named(control, _ACTION_NAMES[name])
            control.observe(lambda change, name=name: self._save(gaps, name, change["new"], on_saved), "value")
        remove = W.Button(icon="trash", tooltip="Delete this action", layout=W.Layout(width="40px"))
        remove.on_click(lambda _: on_delete(self.id))
        self.widget = W.VBox([W.HBox([*self.controls.values(), remove]), self.message])
        self.widget.add_class("cpmkit-action")

    def _save(self, gaps: GapStore, name: str, value: Any, on_saved: Callable[[], None]) -> None:
        with guard(self.message):
            gaps.update_action(self.id, name, value)
            on_saved()


class ExpectationGapApp:
    """The whole workbook; ``widget`` is what the notebook shows."""

    def __init__(
        self, store: Store, *, today: Callable[[], dt.date] = dt.date.today, template: GapTemplate | None = None
    ) -> None:
        self.store, self.today = store, today
        self.template = template or load_gap_template()
        t = self.template
        self.register = StakeholderStore(store)
        self.gaps = GapStore(store, scale=t.scale, importance=t.importance, satisfaction=t.satisfaction)
        self.loading = Loading()
        self.status = message_area()
        self.view_message = message_area()
        self.header = PageHeader(store, "expectation_gap", on_change=lambda _: self.reload())
        self.bar = self.header.bar

        # Dimensions: which ones this project asks about.
        self.choices = {
            d.id: W.Checkbox(description=d.name, indent=False, layout=W.Layout(width="220px")) for d in t.dimensions
        }
        self.dimension_message = message_area()
        for box in self.choices.values():
            box.observe(lambda _: self._choose_dimensions(), "value")

        # Ratings: one stakeholder, one source, one date at a time.
        self.who = W.Dropdown(description="Stakeholder", layout=W.Layout(width="320px"))
        # The PM's estimate unless they choose otherwise: figures typed here are theirs, not the stakeholder's.
        self.source = W.Dropdown(
            description="Source",
            options=[(s.label, s.id) for s in t.sources],
            value=t.estimate_source,
            layout=W.Layout(width="380px"),
        )
        self.on = W.DatePicker(description="Assessed on", value=today())
        self.form = RatingForm(t, on_save=self._save_rating, aside="Their own figures")
        self.weights = W.HTML()
        self.satisfaction = scale_choice(*t.satisfaction)
        self.satisfaction_message = MessageArea(label=f"Overall satisfaction ({t.satisfaction[0]}-{t.satisfaction[1]})")
        self.note_dimension = W.Dropdown(description="Gap in", layout=W.Layout(width="320px"))
        guidance = t.guidance
        self.notes = {
            "stated_problem": W.Textarea(continuous_update=False, layout=W.Layout(width="520px", height="60px")),
            "underlying_expectation": W.Textarea(
                continuous_update=False, layout=W.Layout(width="520px", height="60px")
            ),
        }
        self.note_messages = {
            "stated_problem": MessageArea(
                label="The problem as they state it", help_text=guidance.get("stated_problem", "")
            ),
            "underlying_expectation": MessageArea(
                label="The expectation underneath it", help_text=guidance.get("underlying_expectation", "")
            ),
        }
        self.actions = W.VBox()
        self.new_action = W.Text(placeholder="New action to close this gap", layout=W.Layout(width="300px"))
        self.add_action = W.Button(description="Add action", icon="plus")
        self.action_message = MessageArea(label="Actions", help_text=guidance.get("action", ""))

        self.views: dict[int, Callable[[GapData], None]] = {}
        #: Each stakeholder's survey link (tab "Survey links"), kept across refreshes: a link shown stays shown.
        self.survey_links: dict[int, LinkShownOnce] = {}
        self.tabs = W.Tab(
            children=[self._dimensions_tab(), self._ratings_tab(), *(W.VBox() for _ in _VIEWS)],
            titles=["Dimensions", "Ratings", *_VIEWS],
        )
        self.tabs.selected_index = 1
        self.tabs.observe(lambda change: self.open_view(change["new"]), "selected_index")
        self.widget = W.VBox([stylesheet(), self.header.widget, self.status, self.view_message, self.tabs])
        self.widget.add_class("cpmkit-app")

        for control in (self.who, self.source, self.on):
            control.observe(lambda _: self.show_ratings(), "value")
        self.satisfaction.observe(lambda change: self._save_satisfaction(change["new"]), "value")
        self.note_dimension.observe(lambda _: self.show_notes(), "value")
        for name, control in self.notes.items():
            control.observe(lambda change, name=name: self._save_note(name, change["new"]), "value")
        self.add_action.on_click(lambda _: self._add_action())
        self.reload()
        self.widget.add_class("cpmkit-ready")

    # -- building ---------------------------------------------------------------------------

    def _dimensions_tab(self) -> W.Widget:
        groups: dict[str, list[W.Widget]] = {}
        for d in self.template.dimensions:
            help_line = W.HTML(
                f"<p class='cpmkit-help'>{html.escape(d.description)}</p>", layout=W.Layout(width="520px")
            )
            groups.setdefault(d.group, []).append(W.HBox([self.choices[d.id], help_line]))
        sections = [W.VBox([W.HTML(f"<h4>{html.escape(g.capitalize())}</h4>"), *rows]) for g, rows in groups.items()]
        intro = W.HTML("<p class='cpmkit-help'>Choose the dimensions this project asks its stakeholders about.</p>")
        return W.VBox([intro, *sections, self.dimension_message])

    def _ratings_tab(self) -> W.Widget:
        notes = [field(self.notes[name], self.note_messages[name]) for name in self.notes]
        return W.VBox(
            [
                W.HBox([self.who, self.source, self.on], layout=W.Layout(flex_flow="row wrap")),
                self.form.widget,
                self.weights,
                field(self.satisfaction, self.satisfaction_message).add_class("cpmkit-satisfaction"),
                W.VBox(
                    [
                        W.HTML("<h4>Notes and actions</h4>"),
                        self.note_dimension,
                        *notes,
                        self.action_message,
                        self.actions,
                        W.HBox([self.new_action, self.add_action]),
                    ],
                    layout=W.Layout(margin="8px 0"),
                ).add_class("cpmkit-section"),
            ]
        )

    # -- loading ----------------------------------------------------------------------------

    @property
    def stakeholder_id(self) -> int | None:
        value = self.who.value
        return None if value is None else int(value)

    def dimensions(self) -> list[str]:
        """The dimension ids the project asks about (``GapTemplate.asked_dimensions``)."""
        project_id = self.bar.project_id
        return self.template.asked_dimensions(
            self.gaps.chosen_dimensions(project_id) if project_id is not None else None
        )

    def reload(self) -> None:
        """Re-read the project: its dimensions and stakeholders, then every shown figure."""
        project_id = self.bar.project_id
        register = (
            self.register.stakeholders(project_id) if project_id is not None else pd.DataFrame(columns=["id", "name"])
        )
        chosen = self.dimensions()
        options = [(str(name), int(sid)) for sid, name in zip(register["id"], register["name"])]
        with self.loading:
            for d, box in self.choices.items():
                box.value = d in chosen
                box.disabled = project_id is None
            keep = (
                self.who.value
                if self.who.value in [sid for _, sid in options]
                else (options[0][1] if options else None)
            )
            self.who.options = options or [("(add stakeholders in workbook 1)", None)]
            self.who.value = keep
            names = self.template.dimension_names
            keep_dim = (
                self.note_dimension.value if self.note_dimension.value in chosen else (chosen[0] if chosen else None)
            )
            self.note_dimension.options = [(names[d], d) for d in chosen]
            self.note_dimension.value = keep_dim
        self.show_ratings()

    def show_ratings(self) -> None:
        """Fill the rating form for the chosen stakeholder, source and date."""
        if self.loading:
            return
        sid, ratings = self.stakeholder_id, self._ratings()
        shown = gap.figures_as_of(
            ratings, stakeholder_id=sid, source=self.source.value, on=self.on.value or self.today()
        )
        self.form.show(self.dimensions(), shown)
        # Their own figures, whatever the PM estimated.
        own = gap.current_ratings(ratings, sources=self.template.own_sources)
        mine = own[own["stakeholder_id"] == sid]
        for row in self.form.rows.values():
            found = mine[mine["dimension"] == row.dimension.id]
            row.aside.value = "" if found.empty else _own_figures(found.iloc[0])
        self.form.set_disabled(sid is None)
        self.satisfaction.disabled = sid is None
        with self.loading:
            self.satisfaction.value = gap.satisfaction_as_of(
                self.gaps.satisfaction(self.bar.project_id or -1),
                stakeholder_id=sid,
                source=self.source.value,
                on=self.on.value or self.today(),
            )
        self._show_weights(ratings)
        self.show_notes()
        self.refresh_views()

    def show_notes(self) -> None:
        """Show the notes and actions of the chosen stakeholder's gap in the chosen dimension."""
        if self.loading:
            return
        sid, dimension = self.stakeholder_id, self.note_dimension.value
        project_id = self.bar.project_id if self.bar.project_id is not None else -1
        note = gap.gap_note(self.gaps.notes(project_id), stakeholder_id=sid, dimension=dimension)
        with self.loading:
            for name, control in self.notes.items():
                control.value = note[name]
                control.disabled = sid is None or dimension is None
        for control in (self.new_action, self.add_action):
            control.disabled = sid is None or dimension is None
        these = gap.for_gap(self.gaps.actions(project_id), stakeholder_id=sid, dimension=dimension)
        replace_children(
            self.actions,
            [
                ActionRow(self.gaps, row, on_saved=self._saved_and_refresh, on_delete=self._delete_action).widget
                for row in these.to_dict("records")
            ],
        )

    def _ratings(self) -> pd.DataFrame:
        return self.gaps.ratings(self.bar.project_id if self.bar.project_id is not None else -1)

    def _show_weights(self, ratings: pd.DataFrame) -> None:
        current = gap.current_ratings(ratings, sources=self.template.source_order)
        problems = gap.weight_problems(current, mode=self.template.importance)
        self.weights.value = "".join(f'<p class="cpmkit-flag">{html.escape(p)}</p>' for p in problems)

    # -- views --------------------------------------------------------------------------------

    def open_view(self, index: int | None) -> None:
        """Show view tab ``index`` with fresh figures (stakeholders may have answered their
        survey meanwhile), building it the first time it is opened."""
        if index is None or index < 2:
            return
        with guard(self.view_message):
            if index not in self.views:
                builders = [self._gap_list_view, self._charts_view, self._status_view, self._survey_view]
                widget, refresh = builders[index - 2]()
                self.tabs.children[index].children = [widget]
                self.views[index] = refresh
            self.refresh_views()

    def data(self) -> GapData:
        """Read the project once and compute the current gaps."""
        project_id = self.bar.project_id if self.bar.project_id is not None else -1
        return read_gap_data(self.gaps, self.register, project_id, self.template)

    def refresh_views(self) -> None:
        """Recompute the opened views from one read of the store."""
        if not self.views:
            return
        with guard(self.view_message):
            data = self.data()
            for refresh in self.views.values():
                refresh(data)

    def _gap_list_view(self) -> tuple[W.Widget, Callable[[GapData], None]]:
        problems, table, misread = W.HTML(), W.HTML(), W.HTML()
        names = self.template.dimension_names
        labels = {s.id: s.label for s in self.template.sources}

        def refresh(data: GapData) -> None:
            rows = gap.with_notes(data.gaps, data.notes, data.actions)
            rows["dimension"] = rows["dimension"].map(names)
            rows["source"] = rows["source"].map(labels)
            rows["weighted"] = rows["weighted_gap"].round(2)
            problems.value = "".join(
                f'<p class="cpmkit-flag">{html.escape(p)}</p>'
                for p in gap.weight_problems(data.gaps, mode=self.template.importance)
            )
            table.value = table_html(
                rows,
                columns={
                    "rank": "#",
                    "stakeholder": "Stakeholder",
                    "dimension": "Dimension",
                    "expectation": "Expected",
                    "perception": "Perceived",
                    "gap": "Gap",
                    "importance": "Importance",
                    "weighted": "Weighted gap",
                    "source": "Source",
                    "assessed_on": "Date",
                    "stated_problem": "Problem as stated",
                    "underlying_expectation": "Expectation underneath",
                    "open_actions": "Open actions",
                },
                empty="Rate expectation and perception for a stakeholder to see the gaps.",
            )
            mis = gap.misreadings(
                data.ratings,
                sources=self.template.source_order,
                own=self.template.own_sources,
                estimate=self.template.estimate_source,
            )
            mis["dimension"] = mis["dimension"].map(names)
            misread.value = table_html(
                mis,
                columns={
                    "stakeholder": "Stakeholder",
                    "dimension": "Dimension",
                    "own_expectation": "They expect",
                    "est_expectation": "You estimated",
                    "own_perception": "They perceive",
                    "est_perception": "You estimated ",
                    "perception_misread": "Misread (perception)",
                },
                empty="When a stakeholder gives their own figures (survey link), this compares them with your estimate.",
            )

        widget = W.VBox(
            [
                problems,
                W.HTML("<h4>Gaps, worst first</h4>"),
                table,
                W.HTML("<h4>Where your estimate misreads the stakeholder</h4>"),
                misread,
            ]
        )
        widget.add_class("cpmkit-gap-list")
        return widget, refresh

    def _charts_view(self) -> tuple[W.Widget, Callable[[GapData], None]]:
        from cpmkit.gap import charts as gap_charts
        from cpmkit.ui.chart import VegaChart

        charts = [VegaChart() for _ in range(3)]
        names = self.template.dimension_names

        def refresh(data: GapData) -> None:
            current = gap.current_ratings(data.ratings, sources=self.template.source_order)
            summary = gap.dimension_summary(current, dimensions=data.dimensions)
            gaps = data.gaps.assign(dimension=data.gaps["dimension"].map(names))
            trend = gap.gap_trend(data.ratings, sources=self.template.source_order)
            charts[0].draw(
                gap_charts.expectation_perception_chart(
                    summary.assign(dimension=summary["dimension"].map(names)), scale=self.template.scale
                )
            )
            charts[1].draw(gap_charts.gap_heat_map(gaps))
            charts[2].draw(gap_charts.gap_trend_chart(trend.assign(dimension=trend["dimension"].map(names))))

        return W.VBox(charts), refresh

    def _status_view(self) -> tuple[W.Widget, Callable[[GapData], None]]:
        rules = self.template.rules
        names = self.template.dimension_names
        toggles = {
            area: W.ToggleButtons(options=[(c, c) for c in LIGHTS], value=None, style={"button_width": "70px"})
            for area in rules.areas
        }
        messages = {area: MessageArea(label=area.capitalize()) for area in rules.areas}
        board, customers = W.HTML(), W.HTML()
        loading = Loading()

        def set_light(area: str, colour: str | None) -> None:
            if loading or self.bar.project_id is None:
                return
            with guard(messages[area]):
                self.gaps.set_light(self.bar.project_id, area, colour)
                self._saved_and_refresh()

        for area, toggle in toggles.items():
            toggle.observe(lambda change, area=area: set_light(area, change["new"]), "value")

        def refresh(data: GapData) -> None:
            with loading:
                for area, toggle in toggles.items():
                    toggle.value = data.lights.get(area)
            shown = data.status(self.template)
            board.value = lights_html(shown)
            customers.value = table_html(
                shown.customers,
                columns={c: c.replace("_", " ").capitalize() for c in shown.customers.columns if c != "stakeholder_id"},
                empty="No key customer in workbook 1 yet (category: " + ", ".join(rules.key_categories) + ").",
            )

        def report_file() -> bytes:
            project_id = self.bar.project_id
            if project_id is None:
                raise ValidationError("Create or choose a project first.")
            data = self.data()
            document = status_report_html(
                data.status(self.template),
                project=self.store.project(project_id)["name"],
                gaps=data.gaps,
                actions=data.actions,
                generated=dt.datetime.now(),
                names=names,
            )
            return document.encode("utf-8")

        download = DownloadButton(
            "Status report (HTML)", filename="status-report.html", mime="text/html", make=report_file
        )
        lights = [field(toggles[a], messages[a]) for a in rules.areas]
        widget = W.VBox(
            [
                board,
                W.HBox(lights, layout=W.Layout(flex_flow="row wrap")),
                W.HTML("<h4>Key customers</h4>"),
                customers,
                download_row([download]),
            ]
        )
        widget.add_class("cpmkit-status-report")
        return widget, refresh

    def _survey_view(self) -> tuple[W.Widget, Callable[[GapData], None]]:
        rows, message = W.VBox(), message_area()
        rows.add_class("cpmkit-survey-links")
        create = W.Button(
            description="Create survey links",
            icon="link",
            layout=W.Layout(width="auto"),
            tooltip="A link for each stakeholder who has none yet",
        )
        links = self.survey_links

        def survey_href(sid: int) -> str:
            return page_link(page_base_url(), SURVEY_PAGE, {"survey": self.gaps.new_survey_token(sid)})

        def refresh(data: GapData) -> None:
            create.disabled = data.register.empty
            project_id = self.bar.project_id
            made = self.gaps.survey_links(project_id) if project_id is not None else {}
            responses = self.gaps.survey_responses(project_id) if project_id is not None else {}
            ids = [int(sid) for sid in data.register["id"]]
            keep_links(links, ids, survey_href, made=made, css_class="cpmkit-link cpmkit-survey-link")
            replace_children(
                rows,
                [
                    W.HBox(
                        [
                            W.HTML(f"<b>{html.escape(str(name))}</b>", layout=W.Layout(width="200px", flex="0 0 auto")),
                            links[sid].widget,
                            W.HTML(_survey_response_html(responses.get(sid, NO_RESPONSE))),
                        ]
                    )
                    for sid, name in zip(ids, data.register["name"])
                ],
            )

        def make_links() -> None:
            with guard(message):
                for link in links.values():
                    if not link.exists:
                        link.renew()

        create.on_click(lambda _: make_links())
        intro = W.HTML(
            "<p class='cpmkit-help'>Send each stakeholder their own link. They give their own expectation, perception "
            "and importance for each dimension; their figures appear beside your estimate. A link is shown once, "
            "when it is made: for safety it is stored scrambled. <b>New link</b> replaces a lost one.</p>"
        )
        return W.VBox([intro, create, rows, message]), refresh

    # -- actions ----------------------------------------------------------------------------

    def _saved(self) -> None:
        self.status.say(f"All changes saved ({dt.datetime.now():%H:%M:%S}).", ok=True)

    def _saved_and_refresh(self) -> None:
        self._saved()
        self.refresh_views()

    def _choose_dimensions(self) -> None:
        if self.loading or self.bar.project_id is None:
            return
        with guard(self.dimension_message):
            self.gaps.choose_dimensions(self.bar.project_id, [d for d, box in self.choices.items() if box.value])
            self._saved()
            self.reload()

    def _save_rating(self, dimension: str, name: str, value: Any) -> None:
        sid = self.stakeholder_id
        if sid is None:
            raise ValidationError("Choose a stakeholder first (add them in workbook 1).")
        self.gaps.save_rating(
            sid, dimension, source=self.source.value, assessed_on=self._date(), field=name, value=value
        )
        self._saved()
        self._show_weights(self._ratings())
        self.refresh_views()

    def _save_satisfaction(self, score: int | None) -> None:
        if self.loading or self.stakeholder_id is None:
            return
        with guard(self.satisfaction_message):
            self.gaps.save_satisfaction(
                self.stakeholder_id, source=self.source.value, assessed_on=self._date(), score=score
            )
            self._saved_and_refresh()

    def _save_note(self, name: str, text: str) -> None:
        if self.loading or self.stakeholder_id is None or self.note_dimension.value is None:
            return
        with guard(self.note_messages[name]):
            self.gaps.save_note(self.stakeholder_id, self.note_dimension.value, name, text)
            self._saved_and_refresh()

    def _add_action(self) -> None:
        with guard(self.action_message):
            if self.stakeholder_id is None or self.note_dimension.value is None:
                return
            self.gaps.add_action(self.stakeholder_id, self.note_dimension.value, self.new_action.value)
            self.new_action.value = ""
            self._saved_and_refresh()
            self.show_notes()

    def _delete_action(self, action_id: int) -> None:
        with guard(self.action_message):
            self.gaps.delete_action(action_id)
            self._saved_and_refresh()
            self.show_notes()

    def _date(self) -> dt.date:
        value = self.on.value
        if value is None:
            raise ValidationError.for_field("assessed_on", value, "choose the date of this assessment.")
        return value  # type: ignore[no-any-return]


def _text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _own_figures(row: pd.Series) -> str:
    """The stakeholder's own latest figures for one dimension, as a short escaped line."""
    return f"<span class='cpmkit-help'>expect {int(row['expectation'])}, perceive {int(row['perception'])}</span>"


def _survey_response_html(response: Mapping[str, Any]) -> str:
    """Whether a stakeholder submitted their survey, and when, with their comment as they wrote it."""
    at, comment = response["submitted_at"], response["comment"]
    when = f"Submitted {at:%Y-%m-%d %H:%M}." if at is not None else "Not submitted yet."
    said = f" Their comment: <q class='cpmkit-survey-said'>{html.escape(comment)}</q>" if comment else ""
    return f"<span class='cpmkit-help'>{when}{said}</span>"
