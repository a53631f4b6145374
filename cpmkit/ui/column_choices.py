"""The column choices of a file import (a survey export, a stakeholder register): a dropdown per
field the import fills, offering the file's columns (or "not imported"), beside how sure the
suggestion is. One piece for every import panel, so each maps columns the same way."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Final

import ipywidgets as W

from cpmkit.feedback.survey_import.mapping import ColumnMapping, Target, confidence_label
from cpmkit.ui.widgets import fluid, named

__all__ = ["NOT_IMPORTED", "ColumnChoices"]

#: The choice that leaves a field out of the import.
NOT_IMPORTED: Final = "(not imported)"


class ColumnChoices:
    """A row per target: its label, the column chosen for it, how sure the suggestion was.
    ``on_choose(target id, column or None)`` is called when the PM changes a column, never
    while ``offer`` or ``show`` set them."""

    def __init__(
        self, targets: Sequence[Target], on_choose: Callable[[str, str | None], None], *, label_width: str = "420px"
    ) -> None:
        self.targets = tuple(targets)
        self._setting = False
        self.columns = {
            t.id: named(W.Dropdown(options=[(NOT_IMPORTED, None)], index=0, layout=fluid("340px")), t.label)
            for t in self.targets
        }
        for target_id, choice in self.columns.items():
            choice.observe(lambda change, target_id=target_id: self._chosen(target_id, change["new"]), "value")
        self.on_choose = on_choose
        self.sureness = {t.id: W.HTML(layout=W.Layout(min_width="70px")) for t in self.targets}
        rows = [
            W.HBox(
                [W.HTML(html.escape(t.label), layout=fluid(label_width)), self.columns[t.id], self.sureness[t.id]],
                layout=W.Layout(flex_flow="row wrap", align_items="center"),
            )
            for t in self.targets
        ]
        self.widget = W.VBox(rows)

    def offer(self, columns: Sequence[str]) -> None:
        """Offer a new file's ``columns`` in every dropdown (each starts as not imported)."""
        options = [(NOT_IMPORTED, None)] + [(column, column) for column in columns]
        self._setting = True
        try:
            for choice in self.columns.values():
                choice.options = options
        finally:
            self._setting = False

    def show(self, mapping: ColumnMapping) -> None:
        """Show each target's column in ``mapping`` and how sure its suggestion was."""
        self._setting = True
        try:
            for target in self.targets:
                column = mapping.columns[target.id]
                choice = self.columns[target.id]
                choice.index = [value for _label, value in choice.options].index(column)
                sure = mapping.confidence.get(target.id) if column is not None else None
                self.sureness[target.id].value = (
                    f"<span class='cpmkit-help'>{confidence_label(sure)}</span>" if sure is not None else ""
                )
        finally:
            self._setting = False

    def _chosen(self, target_id: str, column: str | None) -> None:
        if not self._setting:
            self.on_choose(target_id, column)
