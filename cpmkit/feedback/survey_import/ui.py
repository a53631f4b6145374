"""Workbook 4's import of survey exports (Google Forms, Microsoft Forms, SurveyMonkey; CSV or
XLSX) into a pulse round: choose the round and the file, check which column feeds each
question (suggested from the headings), look at a preview, import. Rows that cannot be read
are listed by row number and reason; importing the same file again adds nothing; an import
that fails is not saved at all, and the bar goes back to the start.

A panel of the workbook-4 app: ``FeedbackImportPanel(store).widget``, ``.show(project_id)``.
"""

from __future__ import annotations

import html
from typing import Final

import ipywidgets as W

from cpmkit.db.database import Store
from cpmkit.errors import ValidationError
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.pulse.targets import import_targets
from cpmkit.feedback.survey_import.reader import (
    ColumnMapping,
    ImportResult,
    Progress,
    SurveyTable,
    apply_mapping,
    preview,
    read_survey,
    suggest_mapping,
)
from cpmkit.ui.widgets import guard, message_area, named, table_html

__all__ = ["ACCEPTED", "NOT_IMPORTED", "SHOWN_PROBLEMS", "FeedbackImportPanel"]

#: The files the upload offers to choose.
ACCEPTED: Final = ".csv,.xlsx"
#: The choice that leaves a field out of the import.
NOT_IMPORTED: Final = "(not imported)"
#: Unreadable rows listed at once; the rest are counted.
SHOWN_PROBLEMS: Final = 50
_NO_ROUND: Final = "Open a pulse round first (in the Pulse rounds tab): the answers are imported into a round."
#: Share of the progress bar for reading and converting the file; the rest is for saving.
_READ_SHARE: Final = 50


class FeedbackImportPanel:
    """Upload an export, map its columns, preview and import it into a pulse round."""

    def __init__(self, store: Store) -> None:
        self.pulses = PulseStore(store)
        self.targets = import_targets(self.pulses.survey)
        self.table: SurveyTable | None = None
        self.mapping: ColumnMapping | None = None
        self.round = W.Dropdown(description="Round", options=[], layout=W.Layout(width="320px"))
        self.upload = W.FileUpload(accept=ACCEPTED, multiple=False, description="Choose file")
        self.upload.observe(lambda _change: self._uploaded(), "value")
        self.message = message_area()
        self.columns = {
            t.id: named(W.Dropdown(options=[(NOT_IMPORTED, None)], index=0, layout=W.Layout(width="340px")), t.label)
            for t in self.targets
        }
        for target_id, choice in self.columns.items():
            choice.observe(lambda change, target_id=target_id: self._chosen(target_id, change["new"]), "value")
        self.mapping_box = W.VBox(
            [
                W.HBox([W.HTML(html.escape(t.label), layout=W.Layout(width="420px")), self.columns[t.id]])
                for t in self.targets
            ]
        )
        self.preview = W.HTML()
        self.start = W.Button(description="Import", icon="upload", button_style="primary", disabled=True)
        self.start.on_click(lambda _b: self._import())
        self.progress = W.IntProgress(value=0, min=0, max=100, layout=W.Layout(width="360px", visibility="hidden"))
        self.progress.add_class("cpmkit-import-progress")
        self.result = W.HTML()
        self.step = W.VBox(
            [
                W.HTML(
                    "<h4>Which column holds each answer?</h4><p class='cpmkit-help'>Suggested from the headings; change any that is wrong.</p>"
                ),
                self.mapping_box,
                W.HTML("<h4>Preview</h4>"),
                self.preview,
                W.HBox([self.start, self.progress]),
            ],
            layout=W.Layout(display="none"),
        )
        intro = W.HTML(
            "<p class='cpmkit-help'>Import the answers of a survey sent with Google Forms, Microsoft Forms or "
            "SurveyMonkey: download its responses as CSV or Excel (.xlsx) and choose the file here.</p>"
        )
        self.widget = W.VBox([intro, W.HBox([self.round, self.upload]), self.message, self.step, self.result])
        self.widget.add_class("cpmkit-feedback-import")

    def show(self, project_id: int | None) -> None:
        """Offer the project's rounds (the latest first) to import into."""
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
            self.table = self.mapping = None
            self.step.layout.display = "none"
            upload = files[0]
            self.upload.value = ()  # the table is kept; the bytes need not be, nor twice
            table = read_survey(bytes(upload["content"]), str(upload["name"]), progress=self._bar(0, 100))
            mapping = suggest_mapping(table.columns, self.targets)
            options = [(NOT_IMPORTED, None)] + [(column, column) for column in table.columns]
            values = [value for _label, value in options]
            for target_id, choice in self.columns.items():  # self.mapping is None: no preview per choice
                choice.options = options
                choice.index = values.index(mapping.columns[target_id])  # by index: a value of None shows no choice
            self.table, self.mapping = table, mapping
            self.step.layout.display = "flex"
            self.start.disabled = False
            self._preview()

    def _chosen(self, target_id: str, column: str | None) -> None:
        if self.mapping is None or self.mapping.columns[target_id] == column:
            return
        with guard(self.message):
            self.mapping = self.mapping.choose(target_id, column)
            self._preview()

    def _preview(self) -> None:
        assert self.table is not None and self.mapping is not None
        shown = preview(self.table, self.mapping)
        self.preview.value = table_html(
            shown, columns={c: str(c) for c in shown.columns}, empty="The file has no answers."
        )

    def _import(self) -> None:
        with guard(self.message):
            if self.table is None or self.mapping is None:
                raise ValidationError("Choose a file first.")
            if self.round.value is None:
                raise ValidationError(_NO_ROUND)
            self.start.disabled = True
            self.progress.value = 0
            try:
                result = apply_mapping(self.table, self.mapping, progress=self._bar(0, _READ_SHARE))
                added, updated = self.pulses.import_responses(
                    int(self.round.value), result, progress=self._bar(_READ_SHARE, 100 - _READ_SHARE)
                )
            except Exception:
                self.progress.value = 0  # an import is one transaction: nothing of it was saved
                raise
            finally:
                self.start.disabled = False
            self.progress.value = 100
            self._report(result, added, updated)

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
