"""The import panel: upload a CSV or XLSX export (set as ipywidgets 8's FileUpload sets it),
check the suggested columns (with how sure each is) and the escaped preview, recode a rating
column's own answers, leave the other columns out on purpose, import with progress; unreadable
cells are listed (the first 50, then a count) and cost one answer each; the same file twice adds
nothing; the next export of the same form is mapped and recoded as before in one click; a file
without a time column is dated the day of the import; errors are plain."""

from __future__ import annotations

import datetime as dt
import io

import ipywidgets as W
import openpyxl
import pandas as pd
import pytest

from cpmkit.core.fields import DEFAULT_TEXT_LIMIT
from cpmkit.db.database import Store
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.survey_import.ui import NOT_IMPORTED, SHOWN_ANSWERS, SHOWN_PROBLEMS, FeedbackImportPanel
from cpmkit.ui.widgets import UNEXPECTED, widget_tree
from tests._workbooks import BOMBS

Q_RECOMMEND = "How likely is it that you would recommend our team to a friend or colleague?"
Q_COMMENT = "Anything else you want to tell us? What is not working is the most useful thing to hear."
HEADINGS = ["Timestamp", "Email Address", Q_RECOMMEND, Q_COMMENT]
ROWS = [
    ["2026/10/03 10:00:00", "a@x.org", "9", "<script>alert(1)</script> great"],
    ["2026/10/03 11:00:00", "b@x.org", "3", "Reports are late"],
    ["2026/10/04 09:30:00", "c@x.org", "eleven", ""],
]


def csv_bytes(rows: list[list[str]]) -> bytes:
    lines = [",".join(f'"{cell}"' for cell in row) for row in [HEADINGS, *rows]]
    return ("\n".join(lines) + "\n").encode()


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [HEADINGS, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(panel: FeedbackImportPanel, data: bytes, name: str) -> None:
    """What ipywidgets 8 puts in FileUpload.value when a file is chosen."""
    panel.upload.value = (
        {
            "name": name,
            "type": "text/csv",
            "size": len(data),
            "content": memoryview(data),
            "last_modified": dt.datetime(2026, 11, 25),
        },
    )


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    return sqlite_store


@pytest.fixture
def project(store: Store) -> int:
    project_id = store.create_project("Apollo")
    PulseStore(store).create_round(project_id, "October", dt.date(2026, 10, 1))
    return project_id


@pytest.fixture
def panel(store: Store, project: int) -> FeedbackImportPanel:
    shown = FeedbackImportPanel(store)
    shown.show(project)
    return shown


@pytest.mark.parametrize(("name", "make"), [("export.csv", csv_bytes), ("export.xlsx", xlsx_bytes)])
def test_an_export_is_mapped_previewed_and_imported_once(
    store: Store, project: int, panel: FeedbackImportPanel, name: str, make: object
) -> None:
    assert panel.round.label == "October" and panel.upload.accept == ".csv,.xlsx"
    upload(panel, make(ROWS), name)  # type: ignore[operator]
    assert panel.message.value == "" and panel.step.layout.display == "flex"
    assert panel.upload.value == () and panel.progress.value == 100  # read with progress, bytes released
    assert panel.columns["submitted_at"].value == "Timestamp"
    assert panel.columns["recommend"].value == Q_RECOMMEND and panel.columns["progress"].value is None
    assert panel.columns["progress"].label == NOT_IMPORTED  # shown as chosen, not as an empty box
    assert "&lt;script&gt;" in panel.preview.value and "<script>" not in panel.preview.value
    assert "eleven" in panel.preview.value  # the preview says why that cell would be left blank
    panel.start.click()
    assert panel.progress.value == 100
    assert "2 new responses added to October." in panel.result.value
    assert "Row 4, column" in panel.result.value and "&#x27;eleven&#x27;" in panel.result.value
    frame = PulseStore(store).responses(project)
    assert frame["recommend"].tolist() == [9, 3] and frame["comment"].tolist()[0].startswith("<script>")
    panel.start.click()
    assert "0 new responses added to October; 2 already imported before, updated." in panel.result.value
    assert len(PulseStore(store).responses(project)) == 2


def test_a_column_can_be_left_out_or_changed(store: Store, project: int, panel: FeedbackImportPanel) -> None:
    upload(panel, csv_bytes(ROWS), "export.csv")
    panel.columns["comment"].value = None
    assert Q_COMMENT not in panel.preview.value and "great" not in panel.preview.value
    assert panel.columns["comment"].options[0] == (NOT_IMPORTED, None)
    assert panel.start.disabled and "1 column of the file is neither imported nor left out" in panel.unaccounted.value
    [left_out] = panel.column_boxes.children
    left_out.value = True
    assert not panel.start.disabled
    panel.start.click()
    assert PulseStore(store).responses(project)["comment"].isna().all()


def test_many_unreadable_rows_are_listed_then_counted(panel: FeedbackImportPanel) -> None:
    rows = [["2026/10/03 10:00:00", f"{i}@x.org", "twelve", "x"] for i in range(SHOWN_PROBLEMS + 7)]
    upload(panel, csv_bytes(rows), "export.csv")
    panel.start.click()
    assert panel.result.value.count("<li>") == SHOWN_PROBLEMS + 1
    assert "<li>and 7 more.</li>" in panel.result.value
    assert f"{SHOWN_PROBLEMS + 7} new responses" in panel.result.value  # each row keeps its comment


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.4 binary", "answers.pdf", "cannot read this kind of file"),
        (b"", "empty.csv", "empty"),
        (b"\x00\x01\x02\x03" * 100, "image.csv", "not a CSV text file"),
    ],
)
def test_a_file_that_cannot_be_read_is_a_plain_message(
    panel: FeedbackImportPanel, data: bytes, name: str, message: str
) -> None:
    upload(panel, data, name)
    assert message in panel.message.value and "Traceback" not in panel.message.value
    assert panel.step.layout.display == "none"


def test_a_workbook_made_to_exhaust_memory_is_a_plain_message(
    store: Store, project: int, panel: FeedbackImportPanel
) -> None:
    build, _message = BOMBS["a row at r=50000000"]  # 5 KB; it kept a kernel busy for 140 s, up to 3.4 GB
    upload(panel, build(), "pulse.xlsx")
    assert ">pulse.xlsx: the sheet &#x27;Sheet1&#x27; has at least 50,000,000 rows of 2 columns" in panel.message.value
    assert "Traceback" not in panel.message.value and panel.step.layout.display == "none"
    assert PulseStore(store).responses(project).empty


def test_a_comment_longer_than_a_typed_answer_is_listed_and_left_blank(
    store: Store, project: int, panel: FeedbackImportPanel
) -> None:
    # The review's CSV had a 50 MB comment: imported, it made every opening of the Results tab
    # take 74 s and 3.3 GB and send 50 MB of HTML. 3 MB shows the same bound.
    huge = "This is too long. " * (3 * 2**20 // 18)
    upload(panel, csv_bytes([ROWS[0], [*ROWS[1][:3], huge]]), "export.csv")
    assert len(panel.preview.value) < 10_000  # the preview quotes the cell, shortened, as the problem
    panel.start.click()
    assert "2 new responses added to October." in panel.result.value  # the long comment costs itself only
    assert f"Row 3, column &#x27;{Q_COMMENT[:40]}" in panel.result.value
    assert f"is {len(huge.strip())} characters long; the limit is {DEFAULT_TEXT_LIMIT}." in panel.result.value
    assert len(panel.result.value) < 10_000
    frame = PulseStore(store).responses(project).sort_values("submitted_at")
    assert frame["comment"].tolist()[0] == "<script>alert(1)</script> great" and pd.isna(frame["comment"].iloc[1])
    assert frame["recommend"].tolist() == [9, 3]


def test_an_import_that_fails_is_not_saved_and_says_so(
    store: Store, project: int, panel: FeedbackImportPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> tuple[int, int]:
        raise OSError("disk full")

    upload(panel, csv_bytes(ROWS), "export.csv")
    monkeypatch.setattr(panel.pulses, "_import_batch", broken)
    panel.start.click()
    assert UNEXPECTED in panel.message.value and "Traceback" not in panel.message.value
    assert panel.progress.value == 0 and not panel.start.disabled
    assert PulseStore(store).responses(project).empty
    monkeypatch.undo()
    panel.start.click()
    assert "2 new responses added to October." in panel.result.value


def test_without_a_round_the_panel_says_what_to_do(store: Store) -> None:
    panel = FeedbackImportPanel(store)
    panel.show(store.create_project("Empty"))
    assert "Open a pulse round first" in panel.message.value
    upload(panel, csv_bytes(ROWS), "export.csv")
    panel.start.click()
    assert "Open a pulse round first" in panel.message.value


COMFORT = "Are you comfortable with the progress of the project?"
SHEET = [["Date", "Name", COMFORT, "Recommend (0-10)", "Any other comments?", "Internal notes"]]
SHEET_ROWS = [
    ["01.09.2026", "Ana", "Yes", "10", "<b>Great</b>", "x"],
    ["02.09.2026", "Ben", "Somewhat", "7", "", "x"],
    ["13.09.2026", "Cy", "No", "ten", "Late again", "x"],
    ["14.09.2026", "Di", "Yes", "9", "", "x"],
]


def shown_text(box: W.Box) -> str:
    """The text of every HTML widget in ``box``, as the page shows it (escaped)."""
    return " ".join(w.value for w in widget_tree([box]) if isinstance(w, W.HTML))


def sheet_bytes(rows: list[list[str]]) -> bytes:
    return "\n".join(";".join(row) for row in rows).encode("cp1252")


def test_a_spreadsheet_is_suggested_recoded_left_out_and_dated_by_its_own_dates(
    store: Store, project: int, panel: FeedbackImportPanel
) -> None:
    upload(panel, sheet_bytes(SHEET + SHEET_ROWS), "pulse.csv")
    columns = {target_id: choice.value for target_id, choice in panel.columns.items()}
    assert columns["submitted_at"] == "Date" and columns["respondent"] == "Name"
    assert columns["progress"] == COMFORT and columns["recommend"] == "Recommend (0-10)"
    assert columns["anything_else"] is None and columns["comment"] == "Any other comments?"
    assert all(panel.sureness[t].value for t, column in columns.items() if column is not None)  # how sure, shown
    recoding = panel.choices.recodings["progress"].values  # type: ignore[union-attr]
    assert (recoding["Yes"], recoding["Somewhat"], recoding["No"]) == (5, 3, 1)
    assert "Yes <span class='cpmkit-help'>(2)</span>" in shown_text(panel.recoding_box)
    # "Internal notes" is neither imported nor left out: Import waits for the PM's word.
    assert panel.start.disabled and "Internal notes" in str([box.description for box in panel.column_boxes.children])
    panel.leave_out_rest.click()
    assert not panel.start.disabled and panel.choices.mapping.ignored == {"Internal notes"}  # type: ignore[union-attr]
    panel.answer_values[("progress", "Somewhat")].value = 2  # the PM reads "Somewhat" as "Not really"
    assert panel.choices.recodings["progress"].values["Somewhat"] == 2  # type: ignore[union-attr]
    assert "&lt;b&gt;Great&lt;/b&gt;" in panel.preview.value and "<b>Great</b>" not in panel.preview.value
    panel.start.click()
    assert "4 new responses added to October." in panel.result.value  # "ten" costs one answer, not the row
    assert "Row 4, column &#x27;Recommend (0-10)&#x27;: &#x27;ten&#x27;" in panel.result.value
    assert "dates only" in panel.result.value
    frame = PulseStore(store).responses(project).sort_values("submitted_at")
    assert frame["progress"].tolist() == [5, 2, 1, 5]
    assert frame["recommend"].isna().tolist() == [False, False, True, False]
    assert [str(d.date()) for d in frame["submitted_at"]] == ["2026-09-01", "2026-09-02", "2026-09-13", "2026-09-14"]


def test_the_next_export_of_the_same_form_is_mapped_and_recoded_as_before_in_one_click(
    store: Store, project: int, panel: FeedbackImportPanel
) -> None:
    upload(panel, sheet_bytes(SHEET + SHEET_ROWS), "pulse.csv")
    assert panel.last_time_box.layout.display == "none"  # nothing remembered yet
    panel.columns["comment"].value = None
    panel.columns["anything_else"].value = "Any other comments?"
    panel.answer_values[("progress", "Somewhat")].value = 2
    panel.leave_out_rest.click()
    panel.start.click()
    assert "4 new responses" in panel.result.value
    later = [
        *SHEET_ROWS,
        ["20.09.2026", "Ed", "Somewhat", "8", "Better", "x"],
        ["21.09.2026", "Fe", "Mostly", "6", "", "x"],
    ]
    upload(panel, sheet_bytes(SHEET + later), "pulse (2).csv")
    assert panel.choices.mapping.columns["comment"] == "Any other comments?"  # type: ignore[union-attr]
    assert panel.last_time_box.layout.display == "flex" and "same headings" in panel.same_as_before.value
    panel.use_same.click()
    choices = panel.choices
    assert choices is not None
    assert (
        choices.mapping.columns["comment"] is None and choices.mapping.columns["anything_else"] == "Any other comments?"
    )
    assert choices.mapping.ignored == {"Internal notes"} and not panel.start.disabled
    assert choices.recodings["progress"].values["Somewhat"] == 2  # the PM's value, not the suggestion
    assert choices.recodings["progress"].values["Mostly"] == 4  # a new answer gets a suggestion
    panel.start.click()
    assert "2 new responses added to October; 4 already imported before, updated." in panel.result.value
    # Another project never sees this project's choices.
    other = store.create_project("Other")
    PulseStore(store).create_round(other, "Their round", dt.date(2026, 10, 1))
    theirs = FeedbackImportPanel(store)
    theirs.show(other)
    upload(theirs, sheet_bytes(SHEET + later), "pulse.csv")
    assert theirs.last_time_box.layout.display == "none"


def test_a_file_without_a_time_column_is_dated_the_day_of_the_import(
    store: Store, project: int, panel: FeedbackImportPanel
) -> None:
    rows = [[cell for i, cell in enumerate(row) if i != 0] for row in SHEET + SHEET_ROWS]
    upload(panel, sheet_bytes(rows), "pulse.csv")
    assert panel.columns["submitted_at"].value is None
    panel.leave_out_rest.click()
    panel.start.click()
    assert "4 new responses added to October." in panel.result.value
    assert "no time column" in panel.result.value and f"{dt.date.today():%-d %B %Y}" in panel.result.value
    assert {d.date() for d in PulseStore(store).responses(project)["submitted_at"]} == {dt.date.today()}


def test_answers_of_a_rating_column_are_escaped_and_capped(panel: FeedbackImportPanel) -> None:
    rows = [["2026/10/03 10:00:00", f"{i}@x.org", f"<i>{i}</i> maybe", "x"] for i in range(SHOWN_ANSWERS + 5)]
    upload(panel, csv_bytes(rows), "export.csv")
    shown = shown_text(panel.recoding_box)
    assert "&lt;i&gt;0&lt;/i&gt; maybe" in shown and "<i>0</i>" not in shown
    assert "and 5 more answers" in shown


def test_an_answer_placed_nowhere_is_flagged_listed_or_left_blank_on_purpose(
    store: Store, project: int, panel: FeedbackImportPanel
) -> None:
    rows = [*SHEET_ROWS, ["15.09.2026", "Ed", "Maybe", "8", "", "x"], ["16.09.2026", "Fe", "Maybe", "", "", "x"]]
    upload(panel, sheet_bytes(SHEET + rows), "pulse.csv")
    maybe = panel.answer_values[("progress", "Maybe")]
    assert maybe.label == "not recognised" and "1 answer is not recognised" in panel.recoding_notes["progress"].value
    panel.leave_out_rest.click()
    panel.start.click()  # left as it is: its cells are listed, and a row with no other answer is left out
    assert "5 new responses added to October." in panel.result.value
    assert (
        "Row 6, column &#x27;Are you comfortable" in panel.result.value
        and "Row 7 had no answer that could be read and was left out" in panel.result.value
    )
    maybe.value = None  # "not an answer": blank on purpose, listed no more
    assert maybe.label == "not an answer" and panel.recoding_notes["progress"].value == ""
    panel.start.click()
    assert "Row 6, column &#x27;Are you comfortable" not in panel.result.value
    maybe.value = 3
    panel.start.click()
    assert PulseStore(store).responses(project)["progress"].tolist() == [
        5,
        3,
        1,
        5,
        3,
        3,
    ]  # both "Maybe" rows, once each


def test_another_file_with_the_same_headings_shows_its_own_answers(
    store: Store, project: int, panel: FeedbackImportPanel
) -> None:
    upload(panel, sheet_bytes(SHEET + SHEET_ROWS[:2]), "pulse.csv")  # Yes, Somewhat
    upload(panel, sheet_bytes(SHEET + [SHEET_ROWS[2], ["15.09.2026", "Ed", "Mostly", "8", "", "x"]]), "pulse (2).csv")
    shown = shown_text(panel.recoding_box)
    assert "No <span class='cpmkit-help'>(1)</span>" in shown and "Mostly" in shown
    assert "Somewhat" not in shown and ("progress", "Somewhat") not in panel.answer_values
    assert panel.message.value == "" and panel.step.layout.display == "flex"


def test_another_project_never_sees_the_file_or_the_choices_of_the_last(
    store: Store, project: int, panel: FeedbackImportPanel
) -> None:
    upload(panel, sheet_bytes(SHEET + SHEET_ROWS), "pulse.csv")
    panel.leave_out_rest.click()
    panel.start.click()
    upload(panel, sheet_bytes(SHEET + SHEET_ROWS), "pulse.csv")
    assert panel.last_time_box.layout.display == "flex"
    other = store.create_project("Other")
    PulseStore(store).create_round(other, "Theirs", dt.date(2026, 10, 1))
    panel.show(other)
    assert panel.step.layout.display == "none" and panel.choices is None and panel.last_time is None
    assert panel.result.value == ""
    upload(panel, sheet_bytes(SHEET + SHEET_ROWS), "pulse.csv")
    assert panel.last_time_box.layout.display == "none"
