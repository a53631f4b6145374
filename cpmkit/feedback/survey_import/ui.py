"""Workbook 4's import of survey exports (Google Forms, Microsoft Forms, SurveyMonkey, or a
spreadsheet; CSV or XLSX) into a pulse round: choose the round and the file, check which column
feeds each question (suggested from the headings, each with how sure the suggestion is), say
what each answer of a rating column stands for (suggested too), leave out the other columns
on purpose, look at a preview, import. A cell that cannot be read is left blank and listed;
importing the same file again adds nothing; an import that fails is not saved at all, and the
bar goes back to the start. What was chosen is remembered for the project: the next export of
the same form (same headings) is mapped and recoded the same way in one click.

A panel of the workbook-4 app: ``FeedbackImportPanel(store).widget``, ``.show(project_id)``.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Final

import ipywidgets as W

from cpmkit.db.database import Store
from cpmkit.errors import ValidationError
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.pulse.targets import import_targets
from cpmkit.feedback.survey_import.choices import ImportChoices, suggest_choices
from cpmkit.feedback.survey_import.mapping import Target
from cpmkit.feedback.survey_import.reader import (
    ImportResult,
    Progress,
    SurveyTable,
    apply_mapping,
    preview,
    read_survey,
)
from cpmkit.feedback.survey_import.recoding import NOT_AN_ANSWER, Recoding, distinct_answers
from cpmkit.feedback.survey_import.store import ImportMappingStore
from cpmkit.ui.column_choices import NOT_IMPORTED, ColumnChoices
from cpmkit.ui.widgets import fluid, guard, message_area, named, replace_children, table_html

__all__ = ["ACCEPTED", "NOT_IMPORTED", "SHOWN_ANSWERS", "SHOWN_COLUMNS", "SHOWN_PROBLEMS", "FeedbackImportPanel"]

#: The files the upload offers to choose.
ACCEPTED: Final = ".csv,.xlsx"
#: Unreadable cells listed at once; the rest are counted.
SHOWN_PROBLEMS: Final = 50
#: Columns not imported listed with a box each; "Leave out the other columns" covers the rest.
SHOWN_COLUMNS: Final = 30
#: Answers of one rating column listed with their value; the rest keep the suggested one.
SHOWN_ANSWERS: Final = 30
#: The value of an answer that has none yet (placed nowhere): its cells are left blank and listed.
_UNPLACED: Final = "unplaced"
_NO_ROUND: Final = "Open a pulse round first (in the Pulse rounds tab): the answers are imported into a round."
#: Share of the progress bar for reading and converting the file; the rest is for saving.
_READ_SHARE: Final = 50


class FeedbackImportPanel:
    """Upload an export, map its columns, recode its answers, preview and import it into a pulse round."""

    def __init__(self, store: Store) -> None:
        self.pulses = PulseStore(store)
        self.remembered = ImportMappingStore(store)
        self.targets = import_targets(self.pulses.survey)
        self.project_id: int | None = None
        self.table: SurveyTable | None = None
        self.choices: ImportChoices | None = None
        self.last_time: ImportChoices | None = None
        self._shown_recodings: tuple[tuple[str, str | None], ...] = ()
        self.answer_values: dict[tuple[str, str], W.Dropdown] = {}  # (target id, answer) -> its value
        self.recoding_notes: dict[str, W.HTML] = {}  # target id -> how many of its answers have no value
        self.recoding_answers: dict[str, list[str]] = {}  # target id -> every answer of its column
        self._shown_columns: tuple[tuple[str, bool], ...] = ()
        self.round = W.Dropdown(description="Round", options=[], layout=fluid("320px"))
        self.upload = W.FileUpload(accept=ACCEPTED, multiple=False, description="Choose file")
        self.upload.observe(lambda _change: self._uploaded(), "value")
        self.message = message_area()
        self.column_choices = ColumnChoices(self.targets, self._chosen)
        self.columns, self.sureness = self.column_choices.columns, self.column_choices.sureness
        self.mapping_box = self.column_choices.widget
        self.same_as_before = W.HTML()
        self.use_same = W.Button(description="Use the same columns and values", icon="history")
        self.use_same.on_click(lambda _b: self._use_last_time())
        self.last_time_box = W.VBox([self.same_as_before, self.use_same], layout=W.Layout(display="none"))
        self.last_time_box.add_class("cpmkit-import-last-time")
        self.unaccounted = W.HTML()
        self.column_boxes = W.VBox()
        self.leave_out_rest = W.Button(description="Leave out the other columns", icon="ban")
        self.leave_out_rest.on_click(lambda _b: self._update(lambda c, t: c.ignore_rest(t.columns)))
        self.recoding_box = W.VBox()
        self.preview = W.HTML()
        self.start = W.Button(description="Import", icon="upload", button_style="primary", disabled=True)
        self.start.on_click(lambda _b: self._import())
        self.progress = W.IntProgress(value=0, min=0, max=100, layout=fluid("360px", visibility="hidden"))
        self.progress.add_class("cpmkit-import-progress")
        self.result = W.HTML()
        self.step = W.VBox(
            [
                self.last_time_box,
                W.HTML(
                    "<h4>Which column holds each answer?</h4><p class='cpmkit-help'>Suggested from the headings, "
                    "with how sure the suggestion is; change any that is wrong.</p>"
                ),
                self.mapping_box,
                self.recoding_box,
                W.HTML("<h4>Columns not imported</h4>"),
                self.unaccounted,
                self.column_boxes,
                self.leave_out_rest,
                W.HTML("<h4>Preview</h4>"),
                self.preview,
                W.HBox([self.start, self.progress], layout=W.Layout(flex_flow="row wrap", align_items="center")),
            ],
            layout=W.Layout(display="none"),
        )
        intro = W.HTML(
            "<p class='cpmkit-help'>Import the answers of a survey sent with Google Forms, Microsoft Forms or "
            "SurveyMonkey, or kept in a spreadsheet: download its responses as CSV or Excel (.xlsx) and choose "
            "the file here.</p>"
        )
        picker = W.HBox([self.round, self.upload], layout=W.Layout(flex_flow="row wrap", align_items="center"))
        self.widget = W.VBox([intro, picker, self.message, self.step, self.result])
        self.widget.add_class("cpmkit-feedback-import")

    def show(self, project_id: int | None) -> None:
        """Offer the project's rounds (the latest first) to import into; another project starts
        from choosing its file (a file chosen, or choices remembered, for one are not another's)."""
        if project_id != self.project_id:
            self.table = self.choices = self.last_time = None
            self.step.layout.display = "none"
            self.result.value = ""
        self.project_id = project_id
        with guard(self.message):
            rounds = self.pulses.rounds(project_id) if project_id is not None else None
            if rounds is None or rounds.empty:
                self.round.options = []
                raise ValidationError(_NO_ROUND)
            chosen = self.round.value
            options = [(str(name), int(rid)) for rid, name in zip(rounds["id"][::-1], rounds["name"][::-1])]
            self.round.options = options
            self.round.value = chosen if chosen in {rid for _name, rid in options} else options[0][1]

    def _uploaded(self) -> None:
        files = self.upload.value
        if not files:
            return
        with guard(self.message):
            self.result.value = ""
            self.table = self.choices = self.last_time = None
            self._shown_recodings, self._shown_columns = (), ()  # another file: its own answers and columns
            self.step.layout.display = "none"
            upload = files[0]
            self.upload.value = ()  # the table is kept; the bytes need not be, nor twice
            table = read_survey(bytes(upload["content"]), str(upload["name"]), progress=self._bar(0, 100))
            self.column_choices.offer(table.columns)
            self.table = table
            self._offer_last_time(table)
            self._show(suggest_choices(table, self.targets))
            self.step.layout.display = "flex"

    def _offer_last_time(self, table: SurveyTable) -> None:
        """Offer the columns and values chosen for the project's last export with these headings."""
        saved = self.remembered.recall(self.project_id, table.columns) if self.project_id is not None else None
        if saved is not None:
            try:
                self.last_time = ImportChoices.from_data(saved.data, table, self.targets)
            except ValidationError:
                saved = None  # saved for another version of the survey: suggest afresh
        if saved is not None:
            self.same_as_before.value = (
                f"<p>This file has the same headings as the one imported on {saved.saved_at:%d %B %Y}.</p>"
            )
        self.last_time_box.layout.display = "flex" if saved is not None else "none"

    def _use_last_time(self) -> None:
        with guard(self.message):
            if self.last_time is None:
                raise ValidationError("Choose a file first.")
            self._show(self.last_time)

    def _chosen(self, target_id: str, column: str | None) -> None:
        if self.choices is not None and self.choices.mapping.columns[target_id] != column:
            self._update(lambda choices, table: choices.choose(table, target_id, column))

    def _update(self, change: Callable[[ImportChoices, SurveyTable], ImportChoices]) -> None:
        """Apply ``change(choices, table)`` and show the result."""
        with guard(self.message):
            if self.choices is None or self.table is None:
                raise ValidationError("Choose a file first.")
            self._show(change(self.choices, self.table))

    def _show(self, choices: ImportChoices) -> None:
        """Show ``choices``: each field's column and sureness, the recodings, the columns left
        out, the preview; Import waits until every column is imported or left out."""
        assert self.table is not None
        self.choices = None  # setting the dropdowns below must not count as choosing
        mapping = choices.mapping
        self.column_choices.show(mapping)
        self._show_recodings(choices)
        self._show_columns(choices)
        self.choices = choices
        waiting = mapping.unaccounted(self.table.columns)
        self.start.disabled = bool(waiting)
        shown = preview(self.table, mapping, recodings=choices.recodings, imported_at=_now())
        self.preview.value = table_html(
            shown, columns={c: str(c) for c in shown.columns}, empty="The file has no answers."
        )

    def _show_recodings(self, choices: ImportChoices) -> None:
        """A list per mapped rating column: each answer found, how often, and the value it stands for."""
        assert self.table is not None
        mapping = choices.mapping
        shown = tuple((t.id, mapping.columns[t.id]) for t in self.targets if t.id in choices.recodings)
        if shown != self._shown_recodings:
            self.answer_values, self.recoding_notes, self.recoding_answers = {}, {}, {}
            boxes = [
                self._recoding_list(t, str(mapping.columns[t.id]), choices.recodings[t.id])
                for t in self.targets
                if t.id in choices.recodings
            ]
            replace_children(self.recoding_box, boxes)
            self._shown_recodings = shown
        for (target_id, answer), choice in self.answer_values.items():
            value = choices.recodings[target_id].values.get(answer, _UNPLACED)
            choice.index = [v for _label, v in choice.options].index(value)
        for target_id, note in self.recoding_notes.items():
            n = sum(answer not in choices.recodings[target_id].values for answer in self.recoding_answers[target_id])
            note.value = (
                f"<p class='cpmkit-flag'>{n} answer{'s are' if n != 1 else ' is'} not recognised: give each a value,"
                " or its cells are left blank and listed after the import.</p>"
                if n
                else ""
            )

    def _recoding_list(self, target: Target, column: str, recoding: Recoding) -> W.VBox:
        """Each answer of ``column`` (the first SHOWN_ANSWERS), how often it is given, and a choice
        of its value; an answer ``recoding`` does not place may also stay "not recognised"."""
        assert self.table is not None and target.low is not None and target.high is not None
        labels = dict(target.labels)
        scale: list[tuple[str, int | str | None]] = [(NOT_AN_ANSWER, None)]
        scale += [(f"{v} - {labels[v]}" if v in labels else str(v), v) for v in range(target.low, target.high + 1)]
        found = distinct_answers(self.table.cells[column])
        self.recoding_answers[target.id] = [answer for answer, _count in found]
        note = self.recoding_notes[target.id] = W.HTML()
        rows: list[W.Widget] = [W.HTML(f"<h4>What each answer to '{html.escape(target.label)}' stands for</h4>"), note]
        for answer, count in found[:SHOWN_ANSWERS]:
            text = W.HTML(f"{html.escape(answer)} <span class='cpmkit-help'>({count:,})</span>", layout=fluid("300px"))
            options = scale if answer in recoding.values else [("not recognised", _UNPLACED), *scale]
            choice = named(W.Dropdown(options=options, layout=fluid("220px")), f"{target.label}: {answer}")
            choice.observe(lambda change, t=target.id, a=answer: self._recoded(t, a, change["new"]), "value")
            self.answer_values[(target.id, answer)] = choice
            rows.append(W.HBox([text, choice], layout=W.Layout(flex_flow="row wrap", align_items="center")))
        if len(found) > SHOWN_ANSWERS:
            more = len(found) - SHOWN_ANSWERS
            rows.append(W.HTML(f"<p class='cpmkit-help'>and {more:,} more answers, each read as suggested.</p>"))
        box = W.VBox(rows)
        box.add_class("cpmkit-import-recoding")
        return box

    def _recoded(self, target_id: str, answer: str, value: int | str | None) -> None:
        if self.choices is None or self.choices.recodings[target_id].values.get(answer, _UNPLACED) == value:
            return
        if value == _UNPLACED:
            self._update(lambda choices, _table: choices.forget(target_id, answer))
        elif not isinstance(value, str):
            self._update(lambda choices, _table: choices.recode(target_id, answer, value))

    def _show_columns(self, choices: ImportChoices) -> None:
        """The columns that feed no field: those left out on purpose ticked, the others flagged."""
        assert self.table is not None
        mapping = choices.mapping
        free = mapping.unmapped(self.table.columns)
        waiting = mapping.unaccounted(self.table.columns)
        listed = tuple((c, c in mapping.ignored) for c in free[:SHOWN_COLUMNS])
        if listed != self._shown_columns:
            boxes = []
            for column, ignored in listed:
                box = W.Checkbox(
                    value=ignored, description=f"Leave out '{column}'", indent=False, layout=fluid("420px")
                )
                box.observe(lambda change, c=column: self._left_out(c, change["new"]), "value")
                boxes.append(box)
            replace_children(self.column_boxes, boxes)
            self._shown_columns = listed
        more = len(free) - len(listed)
        rest = f" (and {more:,} more not listed)" if more > 0 else ""
        self.unaccounted.value = (
            f"<p class='cpmkit-flag'>{len(waiting):,} column{'s' if len(waiting) != 1 else ''} of the file "
            f"{'are' if len(waiting) != 1 else 'is'} neither imported nor left out{rest}: choose a question for "
            "each above, or leave it out, before you import.</p>"
            if waiting
            else "<p class='cpmkit-help'>Every other column is left out on purpose.</p>"
            if free
            else ""
        )
        self.leave_out_rest.layout.display = "flex" if waiting else "none"

    def _left_out(self, column: str, ignored: bool) -> None:
        if self.choices is not None and (column in self.choices.mapping.ignored) != ignored:
            self._update(lambda choices, _table: choices.ignore(column, ignored))

    def _import(self) -> None:
        with guard(self.message):
            if self.table is None or self.choices is None:
                raise ValidationError("Choose a file first.")
            if self.round.value is None:
                raise ValidationError(_NO_ROUND)
            waiting = self.choices.mapping.unaccounted(self.table.columns)
            if waiting:
                raise ValidationError(
                    f"Choose a question for the column '{waiting[0]}', or leave it out, before you import."
                )
            choices = self.choices
            self.start.disabled = True
            self.progress.value = 0
            try:
                result = apply_mapping(
                    self.table,
                    choices.mapping,
                    recodings=choices.recodings,
                    imported_at=_now(),
                    progress=self._bar(0, _READ_SHARE),
                )
                added, updated = self.pulses.import_responses(
                    int(self.round.value), result, progress=self._bar(_READ_SHARE, 100 - _READ_SHARE)
                )
            except Exception:
                self.progress.value = 0  # an import is one transaction: nothing of it was saved
                raise
            finally:
                self.start.disabled = False
            self.progress.value = 100
            self._report(result, added, updated)  # first: remembering the choices may fail, the import did not
            if self.project_id is not None:
                self.remembered.remember(self.project_id, self.table.columns, choices.to_data())

    def _bar(self, start: int, share: int) -> Progress:
        """A progress callback that moves the bar from ``start`` over ``share`` of its 100 points."""
        self.progress.layout.visibility = "visible"

        def advance(done: int, total: int) -> None:
            self.progress.value = start + (share * done // total if total else share)

        return advance

    def _report(self, result: ImportResult, added: int, updated: int) -> None:
        counts = f"{added:,} new response{'s' if added != 1 else ''} added to {self.round.label}"
        counts += f"; {updated:,} already imported before, updated." if updated else "."
        problems = [f"<li>{html.escape(p.message)}</li>" for p in result.problems[:SHOWN_PROBLEMS]]
        more = len(result.problems) - SHOWN_PROBLEMS
        if more > 0:
            problems.append(f"<li>and {more:,} more.</li>")
        listing = f"<ul class='cpmkit-import-problems'>{''.join(problems)}</ul>" if problems else ""
        self.result.value = (
            f"<div class='cpmkit-message-ok'>{html.escape(counts)}</div><p>{html.escape(result.summary)}</p>{listing}"
        )


def _now() -> dt.datetime:
    """The import's own time, for responses the file gives none: local, to the second, as the exports write."""
    return dt.datetime.now().replace(microsecond=0)
