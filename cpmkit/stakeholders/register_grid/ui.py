"""Workbook 1's register as a table: every stakeholder a row, every field a column, sorted and
filtered from each column's header, edited in place (ipydatagrid: its front end comes with the
package and Voila serves it, so the page asks nothing of the internet). Each edit saves through
the store with the form's own check; a refused edit goes back to the saved value, with a message
naming the row and the column. ipydatagrid is imported when the table is first shown, so
kernels that never show it do not pay for it.

A panel of the workbook-1 app: ``RegisterGrid(store, on_saved=...).widget``, ``.show(project_id)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Final

import ipywidgets as W
import pandas as pd

from cpmkit.db.database import Store
from cpmkit.errors import CpmkitError, NotFoundError
from cpmkit.stakeholders.register_import.rules import REGISTER_TARGETS
from cpmkit.stakeholders.rules import STAKEHOLDER_FIELDS
from cpmkit.stakeholders.store import StakeholderStore
from cpmkit.ui.widgets import message_area

__all__ = ["RegisterGrid"]

#: Each column's heading: the field's label, as the import names it.
LABELS: Final = {t.id: t.label for t in REGISTER_TARGETS}


class RegisterGrid:
    """The project's stakeholders in an editable, sortable, filterable grid."""

    def __init__(self, store: Store, *, on_saved: Callable[[], None] = lambda: None) -> None:
        self.register = StakeholderStore(store)
        self.on_saved = on_saved
        self.project_id: int | None = None
        self.ids: list[int] = []
        self.grid: Any = None
        self._reverting = False
        self.message = message_area()
        self.box = W.Box(layout=W.Layout(width="100%"))
        help_text = W.HTML(
            "<p class='cpmkit-help'>Double-click a cell to change it; Enter saves. Sort or filter a column "
            "from the menu of its heading. Add and delete stakeholders, and their success measures, in the "
            "Register tab.</p>"
        )
        self.widget = W.VBox([help_text, self.message, self.box])
        self.widget.add_class("cpmkit-register-grid")

    def show(self, project_id: int | None) -> None:
        """Show the project's register as saved (the whole grid is drawn again)."""
        from ipydatagrid import DataGrid  # here: only a kernel that shows the table imports it

        self.project_id = project_id
        saved = (
            self.register.stakeholders(project_id)
            if project_id is not None
            else pd.DataFrame(columns=["id", *STAKEHOLDER_FIELDS])
        )
        self.ids = [int(sid) for sid in saved["id"]]
        shown = pd.DataFrame({LABELS[f]: [_cell(v) for v in saved[f]] for f in STAKEHOLDER_FIELDS}, dtype=object)
        if self.grid is None:
            self.grid = DataGrid(
                shown,
                editable=True,
                selection_mode="cell",
                header_visibility="column",  # no row numbers: the grid's own keys mean nothing to a PM
                base_column_size=130,
                column_widths={LABELS["expected_value"]: 260, LABELS["name"]: 180},
                layout=W.Layout(height="420px", width="100%"),
            )
            self.grid.on_cell_change(self._changed)
            self.box.children = [self.grid]
        else:
            self.grid.data = shown

    def _changed(self, cell: dict[str, Any]) -> None:
        if self._reverting:
            return
        row, label, value = int(cell["row"]), str(cell["column"]), cell["value"]
        field = next((f for f, heading in LABELS.items() if heading == label), None)
        if field is None or not 0 <= row < len(self.ids):  # a redraw raced the edit: show the register as it is
            self.show(self.project_id)
            return
        try:
            before = self.register.stakeholder(self.ids[row])
        except NotFoundError as exc:  # deleted in another window: show the register as it is now
            self.message.say(f"Row {row + 1}: {exc}")
            self.show(self.project_id)
            return
        if _cell(value) == _cell(before[field]):
            return  # nothing to save: the front end also sends back each value set here
        try:
            saved = self.register.update_stakeholder(self.ids[row], field, "" if value is None else value)
        except CpmkitError as exc:
            self._set(row, label, _cell(before[field]))
            problem = str(exc).split(": ", 1)[-1]
            self.message.say(
                f"Row {row + 1} ({before['name']}), column '{label}': {problem} The cell is back to what was saved."
            )
            return
        if _cell(saved) != _cell(value):
            self._set(row, label, _cell(saved))  # as stored: " Sponsor " is "Sponsor", "3.0" is 3
        self.message.say(f"Saved {label} of {saved if field == 'name' else before['name']}.", ok=True)
        self.on_saved()

    def _set(self, row: int, label: str, value: str) -> None:
        self._reverting = True
        try:
            self.grid.set_cell_value_by_index(label, row, value)
        finally:
            self._reverting = False


def _cell(value: Any) -> str:
    """A saved value as the grid shows it: text ("" when empty), a date as YYYY-MM-DD, 5.0 as 5."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.strftime("%Y-%m-%d")
    return str(value)
