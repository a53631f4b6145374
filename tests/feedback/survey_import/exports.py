"""Survey exports as each tool writes them, built here as the bytes a PM would upload: the pulse
questions asked in a form of their own, with their own headings, their own answer options and
at least one bad cell each. Used by test_real_exports.py, which works out by hand what each
should import as.

* Google Forms: CSV in UTF-8 without a byte-order mark, "Timestamp" like
  2026/11/03 9:41:07 AM GMT+1, the question texts as headings, answers "Yes / Somewhat / No".
* Microsoft Forms: XLSX (sheet "Sheet1"), Id, Start time, Completion time, Email, Name, then the
  questions; a Spanish team's answer options; times are date cells.
* SurveyMonkey: CSV in UTF-8 with a byte-order mark, two heading rows (the question, then
  "Response", "Open-Ended Response" or a multiple-choice option), US dates with AM/PM.
* A spreadsheet kept by hand: CSV saved by a European Excel, cp1252, semicolons, day-first
  dates without a time, short headings.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from typing import Any

import openpyxl

Rows = list[list[Any]]

# -- Google Forms --------------------------------------------------------------------------------

GOOGLE_COLUMNS = [
    "Timestamp",
    "Email Address",
    "Are you comfortable with progress?",
    "Are we proceeding as you expected?",
    "How likely is it that you would recommend us to a friend or colleague?",
    "Any other comments?",
]
GOOGLE_ROWS: Rows = [
    ["2026/11/03 9:41:07 AM GMT+1", "ana@example.com", "Yes", "Yes", "10", "Great demo, thanks."],
    ["2026/11/03 2:05:59 PM GMT+1", "bruno@example.com", "Somewhat", "No", "7", "Reports come late,\nagain."],
    ["2026/11/04 8:00:00 AM GMT+1", "chloe@example.com", "No", "Somewhat", "3", ""],
    ["2026/11/04 11:30:12 AM GMT+1", "dev@example.com", "Yes", "Somewhat", "9", ""],
    ["2026/11/05 4:45:00 PM GMT+1", "eve@example.com", "Yes", "Yes", "nine", "Keep it up"],  # the bad cell
    ["2026/11/05 5:10:30 PM GMT+1", "farid@example.com", "Somewhat", "Yes", "8", ""],
]


def google_forms_csv() -> bytes:
    """Google Forms' "Download responses (.csv)": UTF-8, no BOM, quoted where needed, CRLF."""
    return _csv([GOOGLE_COLUMNS, *GOOGLE_ROWS]).encode("utf-8")


# -- Microsoft Forms -----------------------------------------------------------------------------

MS_COLUMNS = [
    "Id",
    "Start time",
    "Completion time",
    "Email",
    "Name",
    "Are you comfortable with the progress of the project?",
    "Do you have all the information you need?",
    "How likely are you to recommend us to a colleague?",
    "Overall, how satisfied are you with the project so far?",
    "Anything else you want to tell us?",
]


def _ms_times(day: int, start: str, end: str | dt.datetime) -> list[Any]:
    """Start and completion time as the date cells Microsoft Forms writes (or a text, as typed over)."""
    return [dt.datetime.fromisoformat(f"2026-11-{day:02d} {start}"), end]


MS_ROWS: Rows = [
    [1, *_ms_times(10, "09:00:00", dt.datetime(2026, 11, 10, 9, 4, 30)), "ana@contoso.com", "Ana Ruiz",
     "Totalmente de acuerdo", "Sí", 9, "Muy satisfecho", "Todo bien"],
    [2, *_ms_times(10, "10:12:00", dt.datetime(2026, 11, 10, 10, 15, 2)), "luis@contoso.com", "Luis Gómez",
     "De acuerdo", "En parte", 9, "Satisfecho", None],
    # the bad cell: a completion time someone typed over in Excel
    [3, *_ms_times(11, "08:30:00", "ayer"), "marta@contoso.com", "Marta Sanz",
     "En desacuerdo", "No", 4, "Insatisfecho", "Falta información sobre el presupuesto"],
    [4, *_ms_times(11, "14:00:00", dt.datetime(2026, 11, 11, 14, 3, 11)), "jorge@contoso.com", "Jorge Pérez",
     "Ni de acuerdo ni en desacuerdo", "Sí", 10, "Ni satisfecho ni insatisfecho", None],
    [5, *_ms_times(12, "16:20:00", dt.datetime(2026, 11, 12, 16, 25, 45)), "elena@contoso.com", "Elena Díaz",
     "Totalmente en desacuerdo", "No", 7, "Muy insatisfecho", "Los plazos no se cumplen"],
    # opened and sent without an answer
    [6, *_ms_times(12, "17:00:00", dt.datetime(2026, 11, 12, 17, 1, 0)), "pablo@contoso.com", "Pablo Gil",
     None, None, None, None, None],
]  # fmt: skip


def ms_forms_xlsx() -> bytes:
    """Microsoft Forms' "Open results in Excel": one sheet "Sheet1", times as date cells."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sheet1"
    for values in [MS_COLUMNS, *MS_ROWS]:
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- SurveyMonkey --------------------------------------------------------------------------------

SM_META = [
    "Respondent ID",
    "Collector ID",
    "Start Date",
    "End Date",
    "IP Address",
    "Email Address",
    "First Name",
    "Last Name",
    "Custom Data 1",
]
SM_PROGRESS = "Are you comfortable with progress?"
SM_EXPECTED = "Are we proceeding as you expected?"
SM_RECOMMEND = "How likely is it that you would recommend this project team to a friend or colleague?"
SM_UPDATES = "Which of our updates do you read?"
SM_ELSE = "Is there anything else you would like us to be doing?"
SM_HEADINGS = [
    [*SM_META, SM_PROGRESS, SM_EXPECTED, SM_RECOMMEND, SM_UPDATES, "", SM_ELSE],
    [""] * len(SM_META) + ["Response", "Response", "Response", "Weekly e-mail", "Status report", "Open-Ended Response"],
]
#: The columns as read: a multiple-choice question gives one per option, named "question - option".
SM_COLUMNS = [
    *SM_META,
    SM_PROGRESS,
    SM_EXPECTED,
    SM_RECOMMEND,
    f"{SM_UPDATES} - Weekly e-mail",
    f"{SM_UPDATES} - Status report",
    SM_ELSE,
]


def _sm_row(n: int, end: str, name: str, answers: list[str]) -> list[str]:
    """Respondent and collector ids, start (3 minutes before) and end date, IP, e-mail, names, custom data."""
    sent = dt.datetime.strptime(end, "%m/%d/%Y %I:%M:%S %p")
    start = f"{sent - dt.timedelta(minutes=3):%m/%d/%Y %I:%M:%S %p}"
    first, last = name.split()
    email = f"{first.lower()}@example.org"
    return [str(11843529601 + n), "431234567", start, end, "203.0.113.9", email, first, last, "", *answers]


SM_ROWS: Rows = [
    _sm_row(0, "11/16/2026 09:15:40 AM", "Amy Lee", ["Extremely", "Yes", "10 - Extremely likely", "Weekly e-mail", "", ""]),
    _sm_row(1, "11/16/2026 01:02:10 PM", "Ben Ode", ["Very", "Mostly", "9", "", "Status report", "More demos"]),
    _sm_row(2, "11/17/2026 10:30:00 AM", "Cara Voss", ["Moderately", "No", "11", "Weekly e-mail", "Status report",
                                                       "Share the risk log"]),  # the bad cell: 11
    _sm_row(3, "11/18/2026 04:45:59 PM", "Dan Ito", ["A little", "Mostly", "7", "", "", ""]),
    _sm_row(4, "11/20/2026 08:05:00 AM", "Eli Marsh", ["Not at all", "No", "0 - Not at all likely", "", "",
                                                       "Nobody answers e-mails"]),
]  # fmt: skip


def surveymonkey_csv() -> bytes:
    """SurveyMonkey's "All responses data" CSV: UTF-8 with a BOM, two heading rows."""
    return codecs.BOM_UTF8 + _csv([*SM_HEADINGS, *SM_ROWS]).encode("utf-8")


# -- A spreadsheet kept by hand ------------------------------------------------------------------

SHEET_COLUMNS = [
    "Date",
    "Name",
    "Are you comfortable with the progress of the project?",
    "Recommend (0-10)",
    "Any other comments?",
]
SHEET_ROWS: Rows = [
    ["01.09.2026", "José", "Excellent", "10", "Très bien – merci"],
    ["01.09.2026", "Zoë", "Good", "9", ""],
    ["15.09.2026", "Mark", "Fair", "8,5", "Budget over by 5 000 €"],  # the bad cell: a decimal comma
    ["15.09.2026", "Anna", "Poor", "4", "Too many changes"],
    ["29.09.2026", "Tom", "Good", "10", ""],
    ["29.09.2026", "", "", "", ""],  # a line dated in advance, never filled in
]


def spreadsheet_csv() -> bytes:
    """A sheet saved by a European Excel as "CSV (semicolon delimited)": cp1252, ';', day-first dates."""
    return _csv([SHEET_COLUMNS, *SHEET_ROWS], delimiter=";").encode("cp1252")


def _csv(rows: Rows, delimiter: str = ",") -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)  # Excel's way: CRLF rows, "\n" inside cells
    return buffer.getvalue()
