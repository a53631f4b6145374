"""Workbook 4's lessons-learned register, a panel of the workbook-4 app: search and filters,
the project's lessons, an editor that saves each field as it is typed, the feedback behind a
lesson, and the register as XLSX and Markdown downloads.

Other panels turn a feedback theme, a comment or a retrospective card into a lesson through
``LessonsPanel.create_from``: one step, then the PM completes the fields. Everything a user
typed is shown escaped (or in a text-only widget).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Final

import ipywidgets as W
import pandas as pd

from cpmkit.core.export import MARKDOWN_MIME, XLSX_MIME, to_xlsx
from cpmkit.core.fields import blank, shorten
from cpmkit.db.database import Store
from cpmkit.errors import ValidationError
from cpmkit.feedback.lessons.rules import (
    LESSON_COLUMNS,
    LESSON_FIELDS,
    SOURCE_COLUMNS,
    SOURCE_TITLES,
    LessonSource,
    field_options,
    file_stem,
    filter_lessons,
    lesson_numbers,
    lesson_owners,
    lessons_markdown,
    lessons_tables,
)
from cpmkit.feedback.lessons.store import LessonStore
from cpmkit.feedback.lessons.template import Choice, LessonsTemplate
from cpmkit.ui.download import DownloadButton, download_row
from cpmkit.ui.widgets import (
    Loading,
    MessageArea,
    ask_to_confirm,
    field,
    guard,
    message_area,
    replace_children,
)

__all__ = ["LessonsPanel"]

_LONG_TEXT: Final = ("what_happened", "impact", "root_cause", "recommendation")
_SUMMARY_LIMIT: Final = 120  # characters of "what happened" shown in the list
_ANY: Final = ""  # a filter's "any" choice


class LessonsPanel:
    """The register of the project ``show`` was last given; ``widget`` is the tab's content."""

    def __init__(
        self, store: Store, *, today: Callable[[], dt.date] = dt.date.today, template: LessonsTemplate | None = None
    ) -> None:
        self.register = LessonStore(store, template)
        self.template = t = self.register.template
        self.store, self.today = store, today
        self.project_id: int | None = None
        self.lesson_id: int | None = None
        self.lessons = pd.DataFrame(columns=LESSON_COLUMNS)
        self.sources = pd.DataFrame(columns=SOURCE_COLUMNS)
        self.loading = Loading()
        self.message = message_area()

        # Filter bar: narrows the list as it changes.
        self.search = W.Text(placeholder="every word must appear", description="Search", layout=W.Layout(width="320px"))
        self.category = W.Dropdown(
            options=_any("Any category", t.categories), description="Category", layout=W.Layout(width="280px")
        )
        self.phase = W.Dropdown(
            options=_any("Any phase", t.phases), description="Phase", layout=W.Layout(width="260px")
        )
        self.owner = W.Dropdown(options=[("Anyone", _ANY)], description="Owner", layout=W.Layout(width="240px"))
        for control in (self.search, self.category, self.phase, self.owner):
            control.observe(lambda _: self._show_list(), "value")
        self.count = W.HTML()
        self.rows = W.VBox()
        self.edit_buttons: dict[int, W.Button] = {}

        # A new lesson, typed here (lessons from feedback come through create_from).
        self.new_what = W.Text(placeholder="What happened? (starts a new lesson)", layout=W.Layout(width="480px"))
        self.new = W.Button(description="New lesson", icon="plus", button_style="primary")
        self.new.on_click(lambda _: self._new())

        # Editor: each field saved as typed, its message next to it.
        self.heading = W.HTML()
        self.note = message_area()
        self.controls: dict[str, W.ValueWidget] = {
            name: W.Textarea(continuous_update=False, layout=W.Layout(width="520px", height="64px"))
            for name in _LONG_TEXT
        }
        self.controls["category"] = W.Dropdown(layout=W.Layout(width="260px"))
        self.controls["phase"] = W.Dropdown(layout=W.Layout(width="260px"))
        self.controls["owner"] = W.Text(continuous_update=False, layout=W.Layout(width="260px"))
        self.messages = {
            name: MessageArea(label=t.fields[name].label, help_text=t.fields[name].help) for name in LESSON_FIELDS
        }
        for name, control in self.controls.items():
            control.observe(lambda change, name=name: self._save(name, change["new"]), "value")
        self.source_list = W.HTML()
        self.delete = W.Button(description="Delete lesson", icon="trash", button_style="danger")
        self.delete.on_click(lambda _: self._ask_delete())
        self.confirm = W.HBox()
        wrap = W.Layout(flex_flow="row wrap")
        self.editor = W.VBox(
            [
                self.heading,
                self.note,
                *(field(self.controls[name], self.messages[name]) for name in _LONG_TEXT),
                W.HBox(
                    [field(self.controls[name], self.messages[name]) for name in ("category", "phase", "owner")],
                    layout=wrap,
                ),
                self.source_list,
                W.HBox([self.delete, self.confirm]),
            ]
        )
        self.editor.add_class("cpmkit-lesson-editor")

        # Downloads of the whole register.
        self.downloads = download_row(
            [
                DownloadButton("Register (XLSX)", filename=lambda: f"{self._stem()}.xlsx", mime=XLSX_MIME,
                               make=lambda: to_xlsx(lessons_tables(*self._whole_register(), self.template))),
                DownloadButton("Register (Markdown)", filename=lambda: f"{self._stem()}.md", mime=MARKDOWN_MIME,
                               make=lambda: self._markdown().encode("utf-8")),
                W.HTML('<span class="cpmkit-help">(the whole register, whatever the filters)</span>'),
            ]
        )  # fmt: skip

        intro = W.HTML(f'<p class="cpmkit-help">{html.escape(t.intro)}</p>')
        self.widget = W.VBox(
            [
                intro,
                self.message,
                W.HBox([self.search, self.category, self.phase, self.owner], layout=wrap),
                self.count,
                self.rows,
                W.HBox([self.new_what, self.new]),
                self.editor,
                self.downloads,
            ]
        )
        self.widget.add_class("cpmkit-lessons-register")
        self.show(None)

    # -- showing ------------------------------------------------------------------------------

    def show(self, project_id: int | None, *, select: int | None = None) -> None:
        """Re-read the project's register; keep (or move to) the lesson in the editor."""
        self.project_id = project_id
        self._read()
        keep = select if select is not None else self.lesson_id
        self.select(keep if keep in set(self.lessons["id"]) else None)
        for control in (self.new_what, self.new):
            control.disabled = project_id is None

    def select(self, lesson_id: int | None) -> None:
        """Open one lesson in the editor (None: hide the editor)."""
        self.lesson_id = lesson_id
        replace_children(self.confirm, [])
        self.note.say("")
        rows = self.lessons[self.lessons["id"] == lesson_id] if lesson_id is not None else self.lessons.iloc[0:0]
        self.editor.layout.display = "none" if rows.empty else None
        saved = rows.iloc[0].to_dict() if not rows.empty else {}
        with self.loading:
            for name, control in self.controls.items():
                value = saved.get(name)
                if isinstance(control, W.Dropdown):
                    choices = self.template.categories if name == "category" else self.template.phases
                    control.options = field_options(choices, value)
                    control.value = None if blank(value) else value
                else:
                    control.value = "" if blank(value) else str(value)
                self.messages[name].say("")
        self._show_lesson_details()
        self._show_list()

    def create_from(self, source: LessonSource) -> int:
        """Make a lesson from a theme, comment or card in one step, open it in the editor, and
        ask the PM to complete it; returns its id. Filters are cleared so it is in the list."""
        if self.project_id is None:
            raise ValidationError("Choose a project first.")
        lesson_id = self.register.create_from(self.project_id, source)
        self._clear_filters()
        self.show(self.project_id, select=lesson_id)
        made = SOURCE_TITLES.get(source.kind, source.kind).lower()
        self.note.say(
            f"Lesson created from this {made}: complete the fields below. The feedback behind it is listed at the end.",
            ok=True,
        )
        return lesson_id

    # -- building the list ----------------------------------------------------------------------

    def _read(self) -> None:
        if self.project_id is None:
            self.lessons = pd.DataFrame(columns=LESSON_COLUMNS)
            self.sources = pd.DataFrame(columns=SOURCE_COLUMNS)
        else:
            self.lessons = self.register.lessons(self.project_id)
            self.sources = self.register.sources(self.project_id)
        owners = lesson_owners(self.lessons)
        chosen = self.owner.value if self.owner.value in owners else _ANY
        with self.loading:
            self.owner.options = [("Anyone", _ANY), *((o, o) for o in owners)]
            self.owner.value = chosen

    def _show_list(self) -> None:
        if self.loading:
            return
        shown = filter_lessons(
            self.lessons, sources=self.sources, text=self.search.value,
            category=self.category.value, phase=self.phase.value, owner=self.owner.value,
        )  # fmt: skip
        total = len(self.lessons)
        if self.project_id is None:
            self.count.value = '<p class="cpmkit-help">Choose a project to see its lessons.</p>'
        elif not total:
            self.count.value = (
                '<p class="cpmkit-help">No lessons yet: start one below, or turn a feedback theme, a comment '
                "or a retrospective card into a lesson from its tab.</p>"
            )
        else:
            counted = f"{total} lesson{'' if total == 1 else 's'}"
            self.count.value = f"<p>{counted}" + ("" if len(shown) == total else f", {len(shown)} shown") + ".</p>"
        numbers = lesson_numbers(self.lessons)
        self.edit_buttons = {}
        rows = []
        for lesson in shown.to_dict("records"):
            lesson_id = int(lesson["id"])
            edit = W.Button(description="Edit", icon="pencil", layout=W.Layout(width="80px"))
            edit.on_click(lambda _, i=lesson_id: self._select(i))
            self.edit_buttons[lesson_id] = edit
            row = W.HBox([edit, W.HTML(self._summary(numbers[lesson_id], lesson))])
            row.add_class("cpmkit-lesson-row")
            if lesson_id == self.lesson_id:
                row.add_class("cpmkit-lesson-selected")
            rows.append(row)
        replace_children(self.rows, rows)

    def _summary(self, number: int, lesson: Mapping[Hashable, Any]) -> str:
        short = shorten(lesson["what_happened"], _SUMMARY_LIMIT)
        details = [
            self.template.label("category", lesson["category"]) if not blank(lesson["category"]) else "",
            self.template.label("phase", lesson["phase"]) if not blank(lesson["phase"]) else "",
            str(lesson["owner"]) if not blank(lesson["owner"]) else "",
        ]
        aside = " · ".join(d for d in details if d)
        return f"<b>#{number}</b> {html.escape(short)}" + (
            f' <span class="cpmkit-help">{html.escape(aside)}</span>' if aside else ""
        )

    def _show_lesson_details(self) -> None:
        if self.lesson_id is None:
            self.heading.value, self.source_list.value = "", ""
            return
        numbers = lesson_numbers(self.lessons)
        self.heading.value = f"<h4>Lesson #{numbers.get(self.lesson_id, '')}</h4>"
        mine = self.sources[self.sources["lesson_id"] == self.lesson_id]
        items = "".join(
            f"<li>{html.escape(SOURCE_TITLES.get(kind, kind))} ({html.escape(str(ref))})"
            + ("" if blank(excerpt) else f": {html.escape(str(excerpt))}")
            + "</li>"
            for kind, ref, excerpt in zip(mine["kind"], mine["ref"], mine["excerpt"], strict=True)
        )
        self.source_list.value = f"<b>Feedback behind this lesson</b><ul>{items}</ul>" if items else ""

    def _clear_filters(self) -> None:
        with self.loading:
            self.search.value, self.category.value, self.phase.value, self.owner.value = "", _ANY, _ANY, _ANY

    # -- actions ------------------------------------------------------------------------------

    def _select(self, lesson_id: int) -> None:
        with guard(self.message):
            self.show(self.project_id, select=lesson_id)

    def _save(self, name: str, value: Any) -> None:
        if self.loading or self.lesson_id is None:
            return
        with guard(self.messages[name]):
            self.register.update_lesson(self.lesson_id, name, value)
            self._saved()
            self._read()
            self._show_lesson_details()
            self._show_list()

    def _saved(self) -> None:
        self.message.say(f"All changes saved ({dt.datetime.now():%H:%M:%S}).", ok=True)

    def _new(self) -> None:
        with guard(self.message):
            if self.project_id is None:
                raise ValidationError("Choose a project first.")
            lesson_id = self.register.add_lesson(self.project_id, what_happened=self.new_what.value)
            self.new_what.value = ""
            self._clear_filters()
            self.show(self.project_id, select=lesson_id)
            self._saved()

    def _ask_delete(self) -> None:
        if self.lesson_id is None:
            return
        question = "Delete this lesson and its links to feedback (the feedback itself stays)? This cannot be undone."
        ask_to_confirm(self.confirm, question, yes="Yes, delete", on_yes=self._delete)

    def _delete(self) -> None:
        with guard(self.message):
            if self.lesson_id is not None:
                self.register.delete_lesson(self.lesson_id)
                self.lesson_id = None
                self.show(self.project_id)
                self._saved()

    def _whole_register(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The project's lessons and their sources, read now (a download holds them all)."""
        self._project_name()  # says when no project is chosen
        self._read()
        return self.lessons, self.sources

    def _project_name(self) -> str:
        if self.project_id is None:
            raise ValidationError("Create or choose a project first.")
        return str(self.store.project(self.project_id)["name"])

    def _stem(self) -> str:
        return file_stem(self._project_name())

    def _markdown(self) -> str:
        return lessons_markdown(*self._whole_register(), self.template, self._project_name())


def _any(label: str, choices: tuple[Choice, ...]) -> list[tuple[str, str]]:
    return [(label, _ANY), *((c.label, c.id) for c in choices)]
