"""The import panel: upload a CSV or XLSX export (set as ipywidgets 8's FileUpload sets it),
check the suggested columns and the escaped preview, import with progress; unreadable rows are
listed (the first 50, then a count); the same file twice adds nothing; errors are plain."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from cpmkit.core.fields import DEFAULT_TEXT_LIMIT
from cpmkit.db.database import Store
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.survey_import.ui import NOT_IMPORTED, SHOWN_PROBLEMS, FeedbackImportPanel
from cpmkit.ui.widgets import UNEXPECTED
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
    assert "eleven" in panel.preview.value  # the preview says why row 4 would be left out
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
    panel.columns["submitted_at"].value = None
    panel.start.click()
    assert "no column was chosen for &#x27;Submitted at&#x27;" in panel.message.value
    assert PulseStore(store).responses(project).empty
    panel.columns["submitted_at"].value = "Timestamp"
    panel.start.click()
    assert PulseStore(store).responses(project)["comment"].isna().all()


def test_many_unreadable_rows_are_listed_then_counted(panel: FeedbackImportPanel) -> None:
    rows = [["2026/10/03 10:00:00", f"{i}@x.org", "twelve", "x"] for i in range(SHOWN_PROBLEMS + 7)]
    upload(panel, csv_bytes(rows), "export.csv")
    panel.start.click()
    assert panel.result.value.count("<li>") == SHOWN_PROBLEMS + 1
    assert "<li>and 7 more.</li>" in panel.result.value
    assert "0 new responses" in panel.result.value


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


def test_a_comment_longer_than_a_typed_answer_is_listed_and_not_imported(
    store: Store, project: int, panel: FeedbackImportPanel
) -> None:
    # The review's CSV had a 50 MB comment: imported, it made every opening of the Results tab
    # take 74 s and 3.3 GB and send 50 MB of HTML. 3 MB shows the same bound.
    huge = "This is too long. " * (3 * 2**20 // 18)
    upload(panel, csv_bytes([ROWS[0], [*ROWS[1][:3], huge]]), "export.csv")
    assert len(panel.preview.value) < 10_000  # the preview quotes the cell, shortened, as the problem
    panel.start.click()
    assert "1 new response added to October." in panel.result.value
    assert f"Row 3, column &#x27;{Q_COMMENT[:40]}" in panel.result.value
    assert f"is {len(huge.strip())} characters long; the limit is {DEFAULT_TEXT_LIMIT}." in panel.result.value
    assert len(panel.result.value) < 10_000
    frame = PulseStore(store).responses(project)
    assert frame["comment"].tolist() == ["<script>alert(1)</script> great"]  # the first row only


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
