"""The PM's rating form: for each dimension, expectation, perception and importance, each saved
the moment it is chosen, with the gap beside them (the stakeholder's survey has its own form)."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as W

from cpmkit.gap.rules import whole
from cpmkit.gap.template import Dimension, GapTemplate
from cpmkit.ui.widgets import Loading, MessageArea, guard, named, replace_children

__all__ = ["RatingForm"]

Save = Callable[[str, str, Any], None]  # (dimension, field, value)


def scale_choice(low: int, high: int) -> W.Dropdown:
    """A compact choice of ``low``..``high`` or nothing yet."""
    return W.Dropdown(
        options=[("-", None)] + [(str(n), n) for n in range(low, high + 1)], value=None, layout=W.Layout(width="64px")
    )


def column_headings(template: GapTemplate) -> dict[str, str]:
    """The rating inputs' column headings by field: the header shows them, and they name each row's inputs."""
    low, high = template.scale
    return {
        "expectation": f"Expect ({low}-{high})",
        "perception": f"Perceive ({low}-{high})",
        "importance": "Importance (points of 100)" if template.importance == "weights" else "Importance (1-5)",
    }


class RatingRow:
    """One dimension: its name and description, three inputs, the gap, and a message line."""

    def __init__(self, template: GapTemplate, dimension: Dimension, *, on_save: Save) -> None:
        self.dimension = dimension
        low, high = template.scale
        importance: W.ValueWidget
        if template.importance == "weights":
            importance = W.Text(placeholder="0-100", continuous_update=False, layout=W.Layout(width="70px"))
        else:
            importance = scale_choice(1, 5)
        self.controls: dict[str, W.ValueWidget] = {
            "expectation": scale_choice(low, high),
            "perception": scale_choice(low, high),
            "importance": importance,
        }
        for field, heading in column_headings(template).items():
            named(self.controls[field], f"{dimension.name}: {heading}")
        self.gap = W.HTML(layout=W.Layout(width="60px"))
        self.aside = W.HTML(layout=W.Layout(width="200px"))
        self.message = MessageArea()
        label = W.HTML(
            f"<b>{html.escape(dimension.name)}</b><p class='cpmkit-help'>{html.escape(dimension.description)}</p>",
            layout=W.Layout(width="300px"),
        )
        self.loading = Loading()
        for field, control in self.controls.items():
            control.observe(lambda change, field=field: self._changed(field, change["new"], on_save), "value")
        self.widget = W.VBox([W.HBox([label, *self.controls.values(), self.gap, self.aside]), self.message])
        self.widget.add_class("cpmkit-rating-row")
        self.widget.add_class(f"cpmkit-dimension-{dimension.id}")

    def show(self, values: Mapping[str, Any]) -> None:
        """Fill the inputs with saved figures, without saving them again."""
        with self.loading:
            for field, control in self.controls.items():
                value = whole(values.get(field))
                control.value = ("" if value is None else str(value)) if isinstance(control, W.Text) else value
        self._show_gap()

    def _changed(self, field: str, value: Any, on_save: Save) -> None:
        if self.loading:
            return
        with guard(self.message):
            on_save(self.dimension.id, field, value)
        self._show_gap()

    def _show_gap(self) -> None:
        expected, perceived = self.controls["expectation"].value, self.controls["perception"].value
        self.gap.value = "" if expected is None or perceived is None else f"gap <b>{perceived - expected:+d}</b>"


class RatingForm:
    """A header and one RatingRow per dimension asked; rebuilt when the dimensions change."""

    def __init__(self, template: GapTemplate, *, on_save: Save, aside: str = "") -> None:
        self.template, self.on_save = template, on_save
        self.rows: dict[str, RatingRow] = {}
        columns = column_headings(template)
        headings = [
            ("Dimension", "300px"),
            (columns["expectation"], "64px"),
            (columns["perception"], "64px"),
            (columns["importance"], "70px"),
            ("Gap", "60px"),
            (aside, "200px"),
        ]
        self.header = W.HTML(
            "".join(
                f'<span style="display:inline-block;width:{w};margin-right:4px"><b>{html.escape(h)}</b></span>'
                for h, w in headings
            )
        )
        self.widget = W.VBox()
        self.widget.add_class("cpmkit-rating-form")

    def show(self, dimensions: Sequence[str], values: Mapping[str, Mapping[str, Any]]) -> None:
        """Ask ``dimensions`` (ids, in order), each filled from ``values[id]`` when present."""
        if list(self.rows) != list(dimensions):
            self.rows = {
                d: RatingRow(self.template, self.template.dimension(d), on_save=self.on_save) for d in dimensions
            }
            replace_children(self.widget, [self.header, *(row.widget for row in self.rows.values())])
        for dimension, row in self.rows.items():
            row.show(values.get(dimension, {}))

    def set_disabled(self, disabled: bool) -> None:
        for row in self.rows.values():
            for control in row.controls.values():
                control.disabled = disabled
