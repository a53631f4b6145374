"""Workbook 1's import of a stakeholder register kept in a spreadsheet (CSV or XLSX): choose the
file, check which column feeds each field (suggested from the headings, each with how sure the
suggestion is), look at the preview (which rows add a stakeholder, which update one already
saved, which are skipped, and every cell that cannot be imported, and why), import. The file is
saved in one go or not at all; importing it again updates the same stakeholders. The columns
chosen are remembered for the project: the next file with the same headings is mapped the same way.

A panel of the workbook-1 app: ``RegisterImportPanel(store, on_imported=...).widget``, ``.show(project_id)``.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Final

import ipywidgets as W

from cpmkit.db.database import Store
from cpmkit.errors import ValidationError
from cpmkit.feedback.survey_import.files import SurveyTable, read_survey
from cpmkit.feedback.survey_import.mapping import ColumnMapping, suggest_mapping
from cpmkit.feedback.survey_import.store import ImportMappingStore
from cpmkit.stakeholders.register_import.rules import REGISTER_KIND, REGISTER_TARGETS, SKIP, RegisterPlan, plan_import
from cpmkit.stakeholders.store import StakeholderStore
from cpmkit.ui.column_choices import ColumnChoices
from cpmkit.ui.widgets import guard, message_area, scrolling_table, table_html

__all__ = ["ACCEPTED", "SHOWN_PROBLEMS", "SHOWN_ROWS", "RegisterImportPanel"]

ACCEPTED: Final = ".csv,.xlsx"
#: Rows the preview shows; the counts above it cover them all.
SHOWN_ROWS: Final = 200
#: Cells that cannot be imported listed after an import; the rest are counted.
SHOWN_PROBLEMS: Final = 50


class RegisterImportPanel:
    """Upload a register, map its columns to stakeholder fields, preview and import it."""

    def __init__(self, store: Store, *, on_imported: Callable[[], None] = lambda: None) -> None:
        self.register = StakeholderStore(store)
        self.remembered = ImportMappingStore(store, REGISTER_KIND)
        self.on_imported = on_imported
        self.project_id: int | None = None
        self.table: SurveyTable | None = None
        self.mapping: ColumnMapping | None = None
        self.plan: RegisterPlan | None = None
        self.upload = W.FileUpload(accept=ACCEPTED, multiple=False, description="Choose file")
        self.upload.observe(lambda _change: self._uploaded(), "value")
        self.message = message_area()
        self.column_choices = ColumnChoices(REGISTER_TARGETS, self._chosen, label_width="200px")
        self.columns = self.column_choices.columns
        self.counts = W.HTML()
        self.preview = W.HTML()
        self.start = W.Button(description="Import", icon="upload", button_style="primary", disabled=True)
        self.start.on_click(lambda _b: self._import())
        self.result = W.HTML()
        self.step = W.VBox(
            [
                W.HTML(
                    "<h4>Which column holds each field?</h4><p class='cpmkit-help'>Suggested from the headings, "
                    "with how sure the suggestion is; change any that is wrong. Only the name is needed.</p>"
                ),
                self.column_choices.widget,
                W.HTML("<h4>Preview</h4>"),
                self.counts,
                self.preview,
                self.start,
            ],
            layout=W.Layout(display="none"),
        )
        intro = W.HTML(
            "<p class='cpmkit-help'>Import a stakeholder register kept in a spreadsheet: save it as CSV or Excel "
            "(.xlsx), one stakeholder a row with the headings in the first row, and choose the file here. "
            "A stakeholder already in the register (the same name) is updated; an empty cell changes nothing.</p>"
        )
        self.widget = W.VBox([intro, self.upload, self.message, self.step, self.result])
        self.widget.add_class("cpmkit-register-import")

    def show(self, project_id: int | None) -> None:
        """Import into ``project_id``; another project starts from choosing its file."""
        if project_id != self.project_id:
            self.table = self.mapping = self.plan = None
            self.step.layout.display = "none"
            self.result.value = ""
        self.project_id = project_id
        self.upload.disabled = project_id is None

    def _uploaded(self) -> None:
        files = self.upload.value
        if not files:
            return
        with guard(self.message):
            self.result.value = ""
            self.table = self.mapping = self.plan = None
            self.step.layout.display = "none"
            upload = files[0]
            self.upload.value = ()  # the table is kept; the bytes need not be
            if self.project_id is None:
                raise ValidationError("Create or choose a project first.")
            table = read_survey(bytes(upload["content"]), str(upload["name"]))
            self.column_choices.offer(table.columns)
            self.table = table
            mapping = suggest_mapping(table.columns, REGISTER_TARGETS)
            saved = self.remembered.recall(self.project_id, table.columns)
            if saved is not None:
                try:
                    mapping = ColumnMapping.from_data(saved.data, REGISTER_TARGETS, table.columns)
                except ValidationError:
                    pass  # remembered for another layout of the file: suggest afresh
            self._show(mapping)
            self.step.layout.display = "flex"

    def _chosen(self, field: str, column: str | None) -> None:
        if self.mapping is not None and self.mapping.columns[field] != column:
            with guard(self.message):
                self._show(self.mapping.choose(field, column))

    def _show(self, mapping: ColumnMapping) -> None:
        """Show each field's column and sureness, then the plan: counts and preview (or why none)."""
        assert self.table is not None and self.project_id is not None
        self.column_choices.show(mapping)
        self.mapping = mapping
        self.plan = None
        self.start.disabled = True
        self.preview.value = ""
        self.counts.value = ""
        self.plan = plan_import(self.table, mapping, self.register.name_keys(self.project_id))
        self.counts.value = f"<p class='cpmkit-import-counts'>{html.escape(self.plan.summary)}</p>"
        shown = self.plan.preview(SHOWN_ROWS)
        more = len(self.plan.rows) - len(shown)
        self.preview.value = scrolling_table(
            table_html(shown, columns={c: c for c in shown.columns}, empty="The file has no rows.")
        ) + (f"<p class='cpmkit-help'>and {more:,} more rows.</p>" if more > 0 else "")
        self.start.disabled = not self.plan.saved

    def _import(self) -> None:
        with guard(self.message):
            if self.table is None or self.mapping is None or self.project_id is None:
                raise ValidationError("Choose a file first.")
            # planned afresh: another window may have added stakeholders since the preview
            plan = plan_import(self.table, self.mapping, self.register.name_keys(self.project_id))
            added, updated = self.register.import_stakeholders(
                self.project_id, [(row.name, row.values) for row in plan.saved]
            )
            self._report(plan, added, updated)  # first: remembering the columns may fail, the import did not
            self.remembered.remember(self.project_id, self.table.columns, self.mapping.to_data())
            self._show(self.mapping)  # the rows imported now update
            self.on_imported()

    def _report(self, plan: RegisterPlan, added: int, updated: int) -> None:
        skipped = plan.count(SKIP)
        counts = f"{added:,} stakeholder{'s' if added != 1 else ''} added and {updated:,} updated from {plan.filename}"
        counts += f"; {skipped:,} row{'s' if skipped != 1 else ''} skipped." if skipped else "."
        problems = [f"<li>{html.escape(p.message)}</li>" for p in plan.problems[:SHOWN_PROBLEMS]]
        more = len(plan.problems) - SHOWN_PROBLEMS
        if more > 0:
            problems.append(f"<li>and {more:,} more.</li>")
        listing = f"<ul class='cpmkit-import-problems'>{''.join(problems)}</ul>" if problems else ""
        self.result.value = f"<div class='cpmkit-message-ok'>{html.escape(counts)}</div>{listing}"
