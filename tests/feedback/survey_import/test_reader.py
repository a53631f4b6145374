"""Unit tests of cpmkit.feedback.survey_import.reader: survey exports as Google Forms, Microsoft Forms and
SurveyMonkey write them (CSV in three encodings, XLSX), built here, then mapped, previewed
and imported; broken files; dedupe; a 50 MB import with progress, time and memory."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

import cpmkit.feedback.survey_import.reader as fi
from cpmkit.core.fields import DEFAULT_TEXT_LIMIT
from cpmkit.errors import CpmkitError, ValidationError
from cpmkit.feedback.survey_import.reader import (
    MAX_FILE_BYTES,
    MAX_WORKBOOK_CELLS,
    RESPONDENT,
    RESPONSE_ID,
    SUBMITTED_AT,
    ColumnMapping,
    SurveyTable,
    Target,
    apply_mapping,
    preview,
    read_survey,
    suggest_mapping,
)
from cpmkit.feedback.survey_import.recoding import Recoding
from tests._workbooks import BOMBS, HEADING_ROW, SHEET, SHEET_END, SHEET_START, row, sheet, workbook
from tests.feedback.survey_import.exports import SM_META

ROOT = Path(__file__).resolve().parents[3]

Q_COMFORT = "Are you comfortable with progress?"
Q_EXPECTED = "Are we proceeding as you expected?"
Q_RECOMMEND = "How likely is it that you would recommend this project team to a friend or colleague?"
Q_ELSE = "Is there anything else you would like us to be doing? (Tell us in as much detail as you like.)"
Q_INFO = "Do you have all the information you need?"
QUESTIONS = [Q_COMFORT, Q_EXPECTED, Q_RECOMMEND, Q_ELSE, Q_INFO]

RECOMMEND = Target(
    "recommend", "Recommend score", "integer", ("how likely ... recommend",), required=True, low=0, high=10
)
TARGETS = (
    SUBMITTED_AT,
    RESPONSE_ID,
    RESPONDENT,
    RECOMMEND,
    Target("comfortable", "Comfortable with progress", "text", ("comfortable with progress",)),
    Target("expected", "As expected", "text", ("proceeding as you expected",)),
    Target("anything_else", "Anything else", "text", ("anything else ... doing",)),
    Target("information", "All the information", "text", ("all the information you need",)),
)

#: Four responses: (sent at, email, comfortable, expected, recommend, anything else, information).
#: Every character is in cp1252; two answers have line breaks; the third day is above 12.
ANSWERS = [
    (
        dt.datetime(2026, 11, 3, 9, 41, 7),
        "ana@example.com",
        "Yes, mostly",
        "Mostly – the demo slipped",
        9,
        "Please send the “weekly” status earlier.\nAnd keep the demos.",
        "Yes",
    ),
    (
        dt.datetime(2026, 11, 3, 14, 5, 59),
        "bruno@example.com",
        "No",
        "No: the budget report was late",
        4,
        "Café meeting costs €120 – who pays?",
        "Not quite",
    ),
    (dt.datetime(2026, 11, 13, 8, 0, 0), "chloe@example.com", "Somewhat", "Yes", 10, "", "Yes"),
    (dt.datetime(2026, 12, 1, 23, 59, 30), "dev@example.com", "Yes", "Yes", 0, "Line one\nLine two\nLine three", "No"),
]
Rows = list[list[Any]]


def _google_time(moment: dt.datetime) -> str:
    return f"{moment:%Y/%m/%d} {moment:%I}".replace(" 0", " ") + f":{moment:%M:%S %p} GMT+1"


def google_forms(*, workbook: bool = False) -> Rows:
    """A Google Forms download: 'Timestamp' like 2026/11/03 9:41:07 AM GMT+1 (a date cell in Sheets)."""
    rows: Rows = [["Timestamp", "Email Address", *QUESTIONS]]
    for sent, email, comfortable, expected, recommend, anything, info in ANSWERS:
        stamp = sent if workbook else _google_time(sent)
        rows.append([stamp, email, comfortable, expected, recommend, anything, info])
    return rows


def ms_forms(*, workbook: bool = False) -> Rows:
    """A Microsoft Forms export: ID, Start time, Completion time, Email, Name, then the questions."""
    rows: Rows = [["ID", "Start time", "Completion time", "Email", "Name", *QUESTIONS]]
    for n, (sent, email, comfortable, expected, recommend, anything, info) in enumerate(ANSWERS, start=1):
        start = sent - dt.timedelta(minutes=3)
        times = [start, sent] if workbook else [f"{t.month}/{t.day}/{t.year} {t.hour}:{t:%M:%S}" for t in (start, sent)]
        rows.append([n, *times, email, email.split("@")[0].title(), comfortable, expected, recommend, anything, info])
    return rows


SM_MULTI = "Which of our updates do you read?"


def surveymonkey(*, workbook: bool = False) -> Rows:
    """A SurveyMonkey export: two heading rows, a multiple-choice question over two columns."""
    del workbook  # SurveyMonkey writes its dates as text in both formats

    rows: Rows = [
        [*SM_META, Q_COMFORT, Q_EXPECTED, Q_RECOMMEND, SM_MULTI, "", Q_ELSE, Q_INFO],
        [""] * len(SM_META)
        + ["Response", "Response", "Response", "Weekly e-mail", "Status report", "Open-Ended Response", "Response"],
    ]
    for n, (sent, email, comfortable, expected, recommend, anything, info) in enumerate(ANSWERS):
        times = [f"{t:%m/%d/%Y %I:%M:%S %p}" for t in (sent - dt.timedelta(minutes=3), sent)]
        rows.append(
            [
                11843529601 + n,
                431234567,
                *times,
                "203.0.113.9",
                email,
                "",
                "",
                "",
                comfortable,
                expected,
                recommend,
                "Weekly e-mail" if n % 2 else "",
                "Status report",
                anything,
                info,
            ]
        )
    return rows


#: Each tool: its export, the sheet name of its workbook, the columns it adds for the standard targets.
TOOLS: dict[str, tuple[Callable[..., Rows], str, dict[str, str | None]]] = {
    "google": (
        google_forms,
        "Form Responses 1",
        {"submitted_at": "Timestamp", "response_id": None, "respondent": "Email Address"},
    ),
    "ms_forms": (ms_forms, "Sheet1", {"submitted_at": "Completion time", "response_id": "ID", "respondent": "Email"}),
    "surveymonkey": (
        surveymonkey,
        "Sheet",
        {"submitted_at": "End Date", "response_id": "Respondent ID", "respondent": "Email Address"},
    ),
}
QUESTION_MAPPING = {
    "recommend": Q_RECOMMEND,
    "comfortable": Q_COMFORT,
    "expected": Q_EXPECTED,
    "anything_else": Q_ELSE,
    "information": Q_INFO,
}


def to_csv(rows: Rows, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)  # Excel's way: CRLF rows, "\n" inside cells
    return buffer.getvalue().encode(encoding)


def to_xlsx(rows: Rows, sheet: str = "Sheet1", *, before: Sequence[str] = ()) -> bytes:
    book = openpyxl.Workbook()
    for name in before:
        book.create_sheet(name).append(["not the answers"])
    answers = book.worksheets[0]
    answers.title = sheet
    book.move_sheet(answers, offset=len(before))
    for values in rows:
        answers.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def imported(data: bytes, filename: str, **options: Any) -> fi.ImportResult:
    table = read_survey(data, filename)
    return apply_mapping(table, suggest_mapping(table.columns, TARGETS), **options)


# -- Each tool, each format ----------------------------------------------------------------------

VARIANTS = ["utf-8", "utf-8-sig", "cp1252", "xlsx"]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("tool", list(TOOLS))
def test_each_export_imports_every_answer(tool: str, variant: str) -> None:
    build, sheet, own_columns = TOOLS[tool]
    if variant == "xlsx":
        data, filename = to_xlsx(build(workbook=True), sheet), f"{tool}.xlsx"
    else:
        data, filename = to_csv(build(), variant), f"{tool}.csv"
    table = read_survey(data, filename)
    header_rows = 2 if tool == "surveymonkey" else 1
    assert table.header_rows == header_rows
    assert table.encoding == {"utf-8": "utf-8-sig", "utf-8-sig": "utf-8-sig", "cp1252": "cp1252", "xlsx": None}[variant]

    mapping = suggest_mapping(table.columns, TARGETS)
    assert dict(mapping.columns) == {**own_columns, **QUESTION_MAPPING}

    result = apply_mapping(table, mapping)
    assert result.problems == () and result.duplicate_rows == ()
    got = result.responses
    assert got["row"].tolist() == [header_rows + 1 + i for i in range(len(ANSWERS))]
    assert got["submitted_at"].tolist() == [pd.Timestamp(a[0]) for a in ANSWERS]
    assert got["respondent"].tolist() == [a[1] for a in ANSWERS]
    assert got["comfortable"].tolist() == [a[2] for a in ANSWERS]
    assert got["expected"].tolist() == [a[3] for a in ANSWERS]
    assert got["recommend"].tolist() == [a[4] for a in ANSWERS]
    assert got["anything_else"].fillna("").tolist() == [a[5] for a in ANSWERS]
    assert got["information"].tolist() == [a[6] for a in ANSWERS]
    assert str(got["recommend"].dtype) == "Int64"
    assert got["response_key"].is_unique


def test_csv_encodings_are_told_apart() -> None:
    rows = google_forms()
    assert to_csv(rows, "utf-8-sig").startswith(b"\xef\xbb\xbf")
    assert read_survey(to_csv(rows, "cp1252"), "g.csv").encoding == "cp1252"
    assert read_survey(to_csv(rows, "utf-8"), "g.csv").encoding == "utf-8-sig"  # reads BOM or no BOM
    utf16 = read_survey(to_csv(rows, "utf-16", "\t"), "Excel unicode text.txt")  # Excel's "Unicode Text"
    assert (utf16.encoding, utf16.delimiter) == ("utf-16", "\t")
    assert utf16.cells[Q_ELSE].tolist() == [a[5] for a in ANSWERS]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_is_detected_even_with_commas_in_unquoted_headings(delimiter: str) -> None:
    rows = [
        ["Timestamp", "How likely, from 0 to 10, are you to recommend us?", "Comment"],
        ["3/11/2026 9:41", "9", "Fine, thanks"],
        ["13/11/2026 10:00", "7", "Slow, but ok"],
    ]
    if delimiter == ",":
        data = to_csv(rows, "cp1252")
    else:  # Excel quotes only cells holding the delimiter, so these commas stand bare
        data = "\r\n".join(delimiter.join(row) for row in rows).encode("cp1252")
    table = read_survey(data, "export.csv")
    assert table.delimiter == delimiter
    assert table.columns == rows[0]
    assert table.cells.iloc[1].tolist() == rows[2]


def test_rows_are_numbered_as_a_spreadsheet_shows_them() -> None:
    data = b'Timestamp,Comment\r\n2026-11-03,"one\r\ntwo\r\nthree"\r\n\r\n,\r\n2026-11-04,after the blanks\r\n'
    table = read_survey(data, "g.csv")
    assert table.cells.index.tolist() == [2, 5]  # a cell with line breaks is one row; blank rows skipped
    assert table.cells["Comment"].tolist() == ["one\r\ntwo\r\nthree", "after the blanks"]
    mapping = ColumnMapping((SUBMITTED_AT, Target("c", "C", "text")), {"submitted_at": "Timestamp", "c": "Comment"})
    assert apply_mapping(table, mapping).responses["c"].tolist() == [
        "one\ntwo\nthree",
        "after the blanks",
    ]  # line breaks made plain


def test_headings_are_unique_named_and_surveymonkey_options_are_kept() -> None:
    table = read_survey(to_csv(surveymonkey()), "sm.csv")
    assert f"{SM_MULTI} - Weekly e-mail" in table.columns and f"{SM_MULTI} - Status report" in table.columns
    assert Q_RECOMMEND in table.columns  # "Response" under a question adds nothing
    rows = [["Q", "", "Q", "  Long\nheading   with  spaces "], ["a", "b", "c", "d"]]
    assert read_survey(to_csv(rows), "x.csv").columns == ["Q", "Column B", "Q (2)", "Long heading with spaces"]


def test_workbook_sheet_and_cell_types() -> None:
    rows: Rows = [
        ["When", "Score", "Flag", "Ratio", "Note"],
        [dt.datetime(2026, 11, 3, 9, 41, 7), 9.0, True, 0.25, "  padded  "],
    ]
    table = read_survey(to_xlsx(rows, "Form1", before=["Summary"]), "ms.xlsx")
    assert table.sheet == "Form1"  # the answers sheet, though not the first
    assert table.cells.iloc[0].tolist() == ["2026-11-03 09:41:07", "9", "TRUE", "0.25", "padded"]
    assert read_survey(to_xlsx(rows, "Antworten"), "de.xlsx").sheet == "Antworten"  # else the first


# -- Values --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026/11/03 9:41:07 AM GMT+1", dt.datetime(2026, 11, 3, 9, 41, 7)),  # Google Forms
        ("2026/11/03 9:41:07 PM GMT-05:00", dt.datetime(2026, 11, 3, 21, 41, 7)),
        ("11/3/2026 9:41:07", dt.datetime(2026, 11, 3, 9, 41, 7)),  # Google Sheets, US
        ("11/03/2026 12:05:00 AM", dt.datetime(2026, 11, 3, 0, 5)),  # SurveyMonkey
        ("2026-11-03 09:41:07", dt.datetime(2026, 11, 3, 9, 41, 7)),  # workbook cells
        ("2026-11-03T09:41:07.250+01:00", dt.datetime(2026, 11, 3, 9, 41, 7)),
        ("2026-11-03T09:41Z", dt.datetime(2026, 11, 3, 9, 41)),
        ("11/3/26 9:41", dt.datetime(2026, 11, 3, 9, 41)),
        ("2026-11-03", dt.datetime(2026, 11, 3)),
    ],
)
def test_date_formats(text: str, expected: dt.datetime) -> None:
    result = apply_mapping(_date_table(text), ColumnMapping((SUBMITTED_AT,), {"submitted_at": "Timestamp"}))
    assert result.responses["submitted_at"].tolist() == [pd.Timestamp(expected)]


def _date_table(*stamps: str) -> SurveyTable:
    return read_survey(to_csv([["Timestamp"], *[[stamp] for stamp in stamps]]), "dates.csv")


def test_day_first_is_chosen_by_option_or_found_in_the_column() -> None:
    mapping = ColumnMapping((SUBMITTED_AT,), {"submitted_at": "Timestamp"})
    ambiguous = _date_table("3/11/2026 9:41", "4/11/2026 9:41")
    assert apply_mapping(ambiguous, mapping).responses["submitted_at"].dt.month.tolist() == [3, 4]  # US default
    assert apply_mapping(ambiguous, mapping, dayfirst=True).responses["submitted_at"].dt.month.tolist() == [11, 11]
    european = _date_table("3/11/2026 9:41", "13/11/2026 9:41")
    assert apply_mapping(european, mapping).responses["submitted_at"].dt.day.tolist() == [3, 13]
    forced = apply_mapping(european, mapping, dayfirst=False)
    assert [p.message for p in forced.problems] == [
        (
            "Row 3, column 'Timestamp': '13/11/2026 9:41' is not a date and time cpmkit can read,"
            " such as 2026-11-03 09:41 or 11/3/2026 9:41 AM."
        )
    ]


#: The day of an import, as a UI passes it: responses without a time of their own get it.
IMPORTED_AT = dt.datetime(2026, 12, 7, 16, 30, 12, 999)
#: The time target, required as it was before issue 14 and as helpers may still build it.
REQUIRED_TIME = dataclasses.replace(SUBMITTED_AT, required=True)


def test_a_bad_cell_costs_one_answer_and_only_a_row_with_no_answer_is_left_out() -> None:
    heading = "How likely are you to recommend us?"
    rows: Rows = [["Timestamp", heading, "Comment"]]
    rows += [[f"2026/11/{d:02d} 9:00:00 AM GMT+1", d % 11, f"fine {d}"] for d in range(1, 13)]  # rows 2-13
    rows += [
        ["2026/11/13 9:00:00 AM GMT+1", "eleven", "row 14"],
        ["yesterday", "11", "row 15"],
        ["", "9 - Very likely", "row 16"],
        ["2026/11/16 9:00:00 AM GMT+1", "10 (Extremely likely)", "row 17"],
        ["2026/11/17 9:00:00 AM GMT+1", "", "row 18"],
        ["2026/11/18 9:00:00 AM GMT+1", "twelve", ""],  # nothing usable: left out
    ]
    targets = (REQUIRED_TIME, RECOMMEND, Target("comment", "Comment", "text"))
    table = read_survey(to_csv(rows), "pulse.csv")
    mapping = ColumnMapping(targets, {"submitted_at": "Timestamp", "recommend": heading, "comment": "Comment"})
    result = apply_mapping(table, mapping, imported_at=IMPORTED_AT)
    assert [p.message for p in result.problems] == [
        f"Row 14, column '{heading}': 'eleven' is not a whole number from 0 to 10.",
        "Row 15, column 'Timestamp': 'yesterday' is not a date and time cpmkit can read, such as 2026-11-03 09:41 or 11/3/2026 9:41 AM.",
        f"Row 15, column '{heading}': '11' is not a whole number from 0 to 10.",
        "Row 16, column 'Timestamp': the cell is empty, but every response needs an answer here.",
        f"Row 18, column '{heading}': the cell is empty, but every response needs an answer here.",
        f"Row 19, column '{heading}': 'twelve' is not a whole number from 0 to 10.",
    ]
    problem = result.problems[0]
    assert (problem.row, problem.column, problem.value) == (14, heading, "eleven")
    assert result.left_out_rows == (19,)
    assert result.responses["row"].tolist() == list(range(2, 19))  # rows 14, 15, 16 and 18 keep their comment
    bad = result.responses.set_index("row").loc[[14, 15, 16, 17, 18]]
    assert bad["recommend"].tolist() == [pd.NA, pd.NA, 9, 10, pd.NA]
    assert bad["comment"].tolist() == ["row 14", "row 15", "row 16", "row 17", "row 18"]
    assert bad["submitted_at"].tolist()[1:3] == [pd.Timestamp("2026-12-07 16:30:12")] * 2  # the import, to the second
    assert result.summary == (
        "17 responses read from pulse.csv. 5 cells could not be read and were left blank."
        " Row 19 had no answer that could be read and was left out."
        " Rows 15, 16 have no time that can be read: they are dated 7 December 2026, the day of the import."
    )
    with pytest.raises(ValidationError, match="pulse.csv: Rows 15, 16 have no time that can be read, and no import"):
        apply_mapping(table, mapping)


def test_a_text_longer_than_a_typed_answer_is_listed_and_left_blank() -> None:
    limit = DEFAULT_TEXT_LIMIT  # what PulseStore.save_answer allows a typed comment (clean_text)
    rows: Rows = [
        ["Timestamp", "Respondent ID", "Email", "Comment"],
        ["2026-11-03 09:00", "1", "a@x.org", "c" * limit],  # as long as a typed answer may be
        ["2026-11-03 10:00", "2", "b@x.org", "c" * limit + "\r\n"],  # line breaks are stripped or made \n
        ["2026-11-03 11:00", "3", "c@x.org", "Reports " * limit],
        ["2026-11-03 12:00", "4" * (limit + 1), "d@x.org", "fine"],
        ["2026-11-03 13:00", "5", "e" * (limit + 1), "fine"],
    ]
    targets = (SUBMITTED_AT, RESPONSE_ID, RESPONDENT, Target("comment", "Comment", "text"))
    table = read_survey(to_csv(rows), "long.csv")
    result = apply_mapping(table, suggest_mapping(table.columns, targets))
    assert result.responses["row"].tolist() == [2, 3, 5, 6]  # row 4 had only its comment
    assert result.responses["comment"].str.len().tolist() == [limit, limit, 4, 4]
    assert result.responses[["response_id", "respondent"]].isna().sum().tolist() == [1, 1]
    assert [p.message for p in result.problems] == [
        f"Row 4, column 'Comment': '{'Reports ' * 7}Rep…' is {8 * limit - 1} characters long; the limit is {limit}.",
        f"Row 5, column 'Respondent ID': '{'4' * 59}…' is {limit + 1} characters long; the limit is {limit}.",
        f"Row 6, column 'Email': '{'e' * 59}…' is {limit + 1} characters long; the limit is {limit}.",
    ]
    assert [len(p.value) for p in result.problems] == [200, 200, 200]  # the start of the cell: enough to find it
    assert result.summary == (
        "4 responses read from long.csv. 2 cells could not be read and were left blank."
        " Row 4 had no answer that could be read and was left out."
    )
    shown = preview(table, suggest_mapping(table.columns, targets))
    assert shown["Comment"].isna().tolist() == [
        False,
        False,
        True,
        False,
        False,
    ]  # the preview quotes it only in Problems
    assert shown["Problems"].str.len().max() < 200


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("9", 9),
        ("9.0", 9),
        ("9 - Very likely", 9),
        ("10 (Extremely likely)", 10),
        ("0 = Not at all likely", 0),
        ("9. Very", 9),
        ("9-Very likely", 9),
        ("+3", 3),
        ("9.5", None),
        ("1,5", None),
        ("-1", None),
        ("11", None),
        ("eleven", None),
        ("Very likely 9", None),
        ("9/10", None),
        ("1" * 5000, None),
    ],
)
def test_whole_numbers_with_labels(text: str, value: int | None) -> None:
    table = read_survey(to_csv([["Timestamp", "Score"], ["2026-11-03", text]]), "s.csv")
    mapping = ColumnMapping((SUBMITTED_AT, RECOMMEND), {"submitted_at": "Timestamp", "recommend": "Score"})
    result = apply_mapping(table, mapping)
    assert result.responses["recommend"].tolist() == ([] if value is None else [value])
    assert len(result.problems) == (value is None)


COMFORT = Target(
    "progress",
    "Comfortable with progress",
    "integer",
    low=1,
    high=5,
    labels=((1, "Not at all"), (2, "Not really"), (3, "Partly"), (4, "Mostly"), (5, "Completely")),
)


def test_a_scale_is_read_by_its_labels_too() -> None:
    cells = ["Mostly", "NOT  AT ALL", "4", "5 - Completely", "Sometimes", "6"]
    table = read_survey(
        to_csv([["Timestamp", "Progress"], *[[f"2026-11-0{n}", cell] for n, cell in enumerate(cells, 1)]]), "ms.csv"
    )
    result = apply_mapping(
        table, ColumnMapping((SUBMITTED_AT, COMFORT), {"submitted_at": "Timestamp", "progress": "Progress"})
    )
    assert result.responses["progress"].tolist() == [4, 1, 4, 5]
    assert [p.message for p in result.problems] == [
        f"Row {row}, column 'Progress': '{cell}' is not a whole number from 1 to 5,"
        " nor one of Not at all, Not really, Partly, Mostly or Completely."
        for row, cell in [(6, "Sometimes"), (7, "6")]
    ]


def _comfort_export() -> SurveyTable:
    """A form whose comfort question offered Yes / Somewhat / No, with a score and a comment."""
    rows: Rows = [["Timestamp", "Comfortable?", "Score", "Comment"]]
    rows += [
        ["2026-11-02 09:00", "Yes", "9", "good"],  # row 2
        ["2026-11-02 10:00", "Somewhat", "7", ""],
        ["2026-11-02 11:00", "No", "3", "late"],
        ["2026-11-02 12:00", "Don't know", "8", ""],  # recoded as not an answer: no problem
        ["2026-11-02 13:00", "4", "10", ""],  # not in the recoding: read as a number
        ["2026-11-02 14:00", "Perhaps", "", ""],  # row 7: neither recoded nor readable, nothing else: left out
    ]
    return read_survey(to_csv(rows), "own options.csv")


COMFORT_MAPPING = ColumnMapping(
    (SUBMITTED_AT, COMFORT, RECOMMEND, Target("comment", "Comment", "text")),
    {"submitted_at": "Timestamp", "progress": "Comfortable?", "recommend": "Score", "comment": "Comment"},
)


def test_a_recoding_turns_the_forms_own_options_into_values_on_the_scale() -> None:
    table = _comfort_export()
    recoding = Recoding({"Yes": 5, "Somewhat": 3, "No": 1, "Don't know": None})
    result = apply_mapping(table, COMFORT_MAPPING, recodings={"progress": recoding})
    assert result.responses["progress"].tolist() == [5, 3, 1, pd.NA, 4]
    assert result.responses["recommend"].tolist() == [9, 7, 3, 8, 10]
    assert [(p.row, p.value) for p in result.problems] == [(7, "Perhaps"), (7, "")]  # the score is required
    assert result.left_out_rows == (7,)
    without = apply_mapping(table, COMFORT_MAPPING)  # the same file without the recoding: answers blank, rows kept
    assert without.responses["progress"].tolist() == [pd.NA, pd.NA, pd.NA, pd.NA, 4]
    assert [p.row for p in without.problems] == [2, 3, 4, 5, 7, 7]
    assert without.responses["recommend"].tolist() == [9, 7, 3, 8, 10]
    shown = preview(table, COMFORT_MAPPING, recodings={"progress": recoding}, n=3)
    assert shown["Comfortable with progress"].tolist() == [5, 3, 1]
    assert shown["Problems"].tolist() == ["", "", ""]
    with pytest.raises(ValidationError, match="'Comment' is not answered on a scale"):
        apply_mapping(table, COMFORT_MAPPING, recodings={"comment": recoding})
    with pytest.raises(ValidationError, match="These are not import fields: 'mood'"):
        preview(table, COMFORT_MAPPING, recodings={"mood": recoding})
    with pytest.raises(ValidationError, match="'Yes' is given 6, not a whole number from 1 to 5"):
        apply_mapping(table, COMFORT_MAPPING, recodings={"progress": recoding.with_value("Yes", 6)})


@pytest.mark.parametrize("time", [SUBMITTED_AT, REQUIRED_TIME], ids=["time optional", "time required"])
def test_a_file_without_a_time_column_is_dated_the_day_of_the_import(time: Target) -> None:
    table = read_survey(to_csv([["Name", "Score"], ["Ana", "9"], ["Bruno", "4"]]), "sheet.csv")
    mapping = ColumnMapping((time, RESPONDENT, RECOMMEND), {"respondent": "Name", "recommend": "Score"})
    result = apply_mapping(table, mapping, imported_at=IMPORTED_AT)
    assert result.responses["submitted_at"].tolist() == [pd.Timestamp("2026-12-07 16:30:12")] * 2
    assert (
        result.time_note
        == "The file has no time column: every response is dated 7 December 2026, the day of the import."
    )
    assert result.summary == f"2 responses read from sheet.csv. {result.time_note}"
    assert result.problems == ()
    later = apply_mapping(table, mapping, imported_at=IMPORTED_AT + dt.timedelta(days=30))
    assert later.responses["response_key"].tolist() == result.responses["response_key"].tolist()  # not the date
    assert (
        preview(table, mapping, imported_at=IMPORTED_AT)["Submitted at"].tolist()
        == [pd.Timestamp("2026-12-07 16:30:12")] * 2
    )
    with pytest.raises(ValidationError, match="sheet.csv: no column was chosen for 'Submitted at'"):
        apply_mapping(table, mapping)


@pytest.mark.parametrize(
    ("cells", "days"),
    [
        (["01.09.2026", "15.09.2026"], [1, 15]),  # day first, found in the column
        (["2026-09-01", "2026-09-15 00:00:00"], [1, 15]),  # ISO, and a workbook's date cell
        (["9/1/2026", "9/15/2026"], [1, 15]),  # month first
    ],
)
def test_a_date_only_column_dates_each_response_at_midnight(cells: list[str], days: list[int]) -> None:
    table = read_survey(to_csv([["Date", "Score"], *[[cell, "9"] for cell in cells]]), "dates.csv")
    mapping = ColumnMapping((SUBMITTED_AT, RECOMMEND), {"submitted_at": "Date", "recommend": "Score"})
    result = apply_mapping(table, mapping, imported_at=IMPORTED_AT)
    assert result.responses["submitted_at"].tolist() == [pd.Timestamp(2026, 9, day) for day in days]
    assert result.time_note == "Column 'Date' holds dates only: each response is dated at midnight of its day."
    assert result.summary.endswith(result.time_note)


def test_a_time_column_with_times_has_no_note() -> None:
    table = _date_table("2026-09-01 09:00", "2026-09-02")  # one time of day is enough
    result = apply_mapping(
        table, ColumnMapping((SUBMITTED_AT,), {"submitted_at": "Timestamp"}), imported_at=IMPORTED_AT
    )
    assert result.time_note == ""


# -- Mapping and preview -------------------------------------------------------------------------


def test_wrong_columns_are_refused_by_name() -> None:
    table = read_survey(to_csv([["Name", "Favourite colour"], ["Ana", "blue"]]), "colours.csv")
    mapping = suggest_mapping(table.columns, TARGETS)
    with pytest.raises(ValidationError) as caught:
        apply_mapping(table, mapping)
    assert str(caught.value) == (
        "colours.csv: no column was chosen for 'Submitted at' and 'Recommend score', which every response needs."
        " The file's columns are 'Name', 'Favourite colour'."
    )
    with pytest.raises(ValidationError, match="colours.csv: there is no column 'Score' in the file"):
        apply_mapping(table, mapping.choose("recommend", "Score"))


def test_preview_shows_the_first_rows_as_imported() -> None:
    table = read_survey(to_csv(google_forms()), "g.csv")
    mapping = suggest_mapping(table.columns, TARGETS).choose("expected", None)
    shown = preview(table, mapping, n=2)
    assert list(shown.columns) == [
        "Row",
        "Submitted at",
        "Respondent",
        "Recommend score",
        "Comfortable with progress",
        "Anything else",
        "All the information",
        "Problems",
    ]
    assert shown["Row"].tolist() == [2, 3]
    assert shown["Recommend score"].tolist() == [9, 4]
    assert shown["Problems"].tolist() == ["", ""]
    broken = read_survey(to_csv([["Timestamp", "Score"], ["2026-11-03", "eleven"]]), "b.csv")
    shown = preview(
        broken, ColumnMapping((SUBMITTED_AT, RECOMMEND), {"submitted_at": "Timestamp", "recommend": "Score"})
    )
    assert shown["Problems"].tolist() == [
        (
            "Row 2, column 'Score': 'eleven' is not a whole number from 0 to 10."
            " The row would be left out: no question is answered."
        )
    ]


# -- Dedupe --------------------------------------------------------------------------------------


def test_importing_the_same_export_twice_adds_nothing() -> None:
    store: dict[str, dict[str, Any]] = {}

    def upsert(result: fi.ImportResult) -> int:
        before = len(store)
        store.update({row["response_key"]: row for row in result.responses.to_dict("records")})
        return len(store) - before

    data = to_csv(google_forms())
    assert upsert(imported(data, "g.csv")) == len(ANSWERS)
    assert upsert(imported(data, "g (1).csv")) == 0
    assert upsert(imported(to_xlsx(google_forms(workbook=True)), "g.xlsx")) == 0  # the same answers, as a workbook
    later = google_forms() + [
        [_google_time(dt.datetime(2026, 12, 2, 8, 0)), "eve@example.com", "Yes", "Yes", 8, "", "Yes"]
    ]
    assert upsert(imported(to_csv(later), "g later.csv")) == 1  # a later download adds only the new answer


def test_response_ids_make_the_key_when_mapped() -> None:
    rows = ms_forms()
    edited = [row[:] for row in rows]
    edited[1][-1] = "Edited answer"
    first, again = imported(to_csv(rows), "ms.csv"), imported(to_csv(edited), "ms.csv")
    assert first.responses["response_key"].tolist() == again.responses["response_key"].tolist()
    without_id = read_survey(to_csv(rows), "ms.csv")
    by_values = apply_mapping(without_id, suggest_mapping(without_id.columns, TARGETS).choose("response_id", None))
    assert set(by_values.responses["response_key"]).isdisjoint(first.responses["response_key"])


def test_key_does_not_depend_on_target_order_or_unmapped_targets() -> None:
    table = read_survey(to_csv(google_forms()), "g.csv")
    keys = apply_mapping(table, suggest_mapping(table.columns, TARGETS)).responses["response_key"].tolist()
    extra = (*reversed(TARGETS), Target("satisfaction", "Satisfaction", "integer", ("how satisfied",), low=1, high=5))
    assert apply_mapping(table, suggest_mapping(table.columns, extra)).responses["response_key"].tolist() == keys


def test_a_row_read_whole_keys_as_before_recodings_existed() -> None:
    """Stores hold keys made by earlier versions: the same export imported again must meet them."""
    table = read_survey(b"Timestamp,Score,Note\n2026-10-03 10:00:00,9,\n", "old.csv")
    score = Target("recommend", "Score", "integer", low=0, high=10)
    note = Target("comment", "Note", "text")
    mapping = ColumnMapping(
        (SUBMITTED_AT, score, note), {"submitted_at": "Timestamp", "recommend": "Score", "comment": "Note"}
    )
    [key] = apply_mapping(table, mapping).responses["response_key"].tolist()
    written = b"recommend=9\x1fsubmitted_at=2026-10-03T10:00:00\x1f"  # as cpmkit 0a66730 wrote it (blank: left out)
    assert key == hashlib.blake2b(written, digest_size=16).hexdigest()


def test_keys_do_not_depend_on_the_recoding() -> None:
    """Changing what "Somewhat" stands for and importing again updates the responses, never adds them twice."""
    table = read_survey(b"Name,Comfortable?\nAna,Yes\nBen,Somewhat\nCy,Maybe\nDi,Mostly\n", "sheet.csv")
    progress = Target("progress", "Comfortable?", "integer", low=1, high=5, labels=((4, "Mostly"),))
    mapping = ColumnMapping((RESPONDENT, progress), {"respondent": "Name", "progress": "Comfortable?"})
    at = dt.datetime(2026, 12, 7, 9, 0)
    first = Recoding({"Yes": 5, "Somewhat": 3})
    second = Recoding({"Yes": 5, "Somewhat": 2, "Maybe": None, "Mostly": 5})
    keys = [
        apply_mapping(table, mapping, recodings={"progress": recoding}, imported_at=at).responses
        for recoding in (first, second)
    ]
    assert keys[0]["response_key"].tolist() == keys[1]["response_key"].tolist()
    assert keys[0]["progress"].tolist() == [5, 3, 4] and keys[1]["progress"].tolist() == [5, 2, 5]  # Cy: no answer


def test_alike_answers_without_who_id_or_time_of_day_are_different_people() -> None:
    """A sheet kept by hand: two people answering Yes and 9 are two responses, and a later
    download (one row more) keeps every earlier key; with a name column they would be one sent twice."""
    progress = Target("progress", "Comfortable?", "integer", low=1, high=5, labels=((5, "Yes"),))
    score = Target("recommend", "Score", "integer", low=0, high=10)
    targets = (SUBMITTED_AT, RESPONDENT, progress, score)
    at = dt.datetime(2026, 12, 7, 9, 0)
    rows = ["Date;Comfortable?;Score", "01.09.2026;Yes;9", "01.09.2026;Yes;9", "02.09.2026;Yes;9"]

    def imported_keys(lines: list[str], **columns: str) -> tuple[list[str], tuple[int, ...]]:
        table = read_survey("\n".join(lines).encode(), "sheet.csv")
        mapping = ColumnMapping(
            targets, {"submitted_at": "Date", "progress": "Comfortable?", "recommend": "Score", **columns}
        )
        result = apply_mapping(table, mapping, imported_at=at)
        return result.responses["response_key"].tolist(), result.duplicate_rows

    keys, repeated = imported_keys(rows)
    assert len(set(keys)) == 3 and repeated == ()
    later, _ = imported_keys([*rows, "03.09.2026;Yes;9"])
    assert later[:3] == keys
    named = [f"{line};{name}" for line, name in zip(rows, ["Name", "Ana", "Ana", "Ana"])]
    assert imported_keys(named, respondent="Name")[1] == (3,)  # Ana's row sent twice
    timed = [line.replace(".2026", ".2026 10:00") for line in rows]
    assert imported_keys(timed)[1] == (3,)  # the same minute: sent twice


def test_dates_written_with_dots_are_day_first() -> None:
    """01.09.2026 is 1 September, even before a day past the 12th shows that the column is day first."""
    table = read_survey(b"Date;Score\n01.09.2026;9\n02.09.2026;7\n", "sheet.csv")
    score = Target("recommend", "Score", "integer", low=0, high=10)
    mapping = ColumnMapping((SUBMITTED_AT, score), {"submitted_at": "Date", "recommend": "Score"})
    dates = apply_mapping(table, mapping).responses["submitted_at"].dt.date.astype(str).tolist()
    assert dates == ["2026-09-01", "2026-09-02"]


def test_identical_rows_in_one_file_are_imported_once() -> None:
    rows = google_forms()
    rows = [*rows, rows[1], rows[3], rows[1]]  # rows 6, 7, 8 repeat rows 2, 4, 2
    result = imported(to_csv(rows), "g.csv")
    assert len(result.responses) == len(ANSWERS)
    assert result.duplicate_rows == (6, 7, 8)
    assert result.summary == "4 responses read from g.csv. Rows 6, 7, 8 repeat an earlier row and were left out."


# -- Broken files --------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
RANDOM = bytes((n * 7919 + 13) % 256 for n in range(4096))
XLSX = to_xlsx(google_forms(workbook=True))


def _damaged_zip() -> bytes:
    """The workbook with its sheet's compressed data scrambled; the zip directory still opens."""
    data = bytearray(XLSX)
    info = zipfile.ZipFile(io.BytesIO(XLSX)).getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)  # after the local header
    data[start + 10 : start + 40] = bytes(30)
    return bytes(data)


BROKEN = {
    "empty": (b"", "x.csv", "x.csv: the file is empty."),
    "blank lines and a BOM": (b"\xef\xbb\xbf\r\n  \r\n", "x.csv", "x.csv: the file is empty."),
    "headings only": (to_csv(google_forms()[:1]), "g.csv", "g.csv: the file has column headings but no answers."),
    "two heading rows only": (
        to_csv(surveymonkey()[:2]),
        "sm.csv",
        "sm.csv: the file has column headings but no answers.",
    ),
    "headings only, workbook": (
        to_xlsx(ms_forms(workbook=True)[:1]),
        "ms.xlsx",
        "ms.xlsx: the file has column headings but no answers.",
    ),
    "empty workbook": (to_xlsx([]), "e.xlsx", "e.xlsx: the file is empty."),
    "random bytes": (RANDOM, "r.csv", "r.csv: this is not a CSV text file"),
    "a PNG renamed .csv": (PNG, "photo.csv", "photo.csv: this is not a CSV text file"),
    "a workbook renamed .csv": (XLSX, "g.csv", "g.csv: this is not a CSV text file"),
    "not cp1252 either": (b"a,b\n\x81\x8d,\x90\n", "x.csv", "x.csv: this is not a CSV text file"),
    "a truncated workbook": (XLSX[: len(XLSX) // 2], "g.xlsx", "g.xlsx: the workbook cannot be opened"),
    "a damaged workbook": (_damaged_zip(), "g.xlsx", "g.xlsx: the workbook cannot be opened"),
    "random bytes as .xlsx": (RANDOM, "r.xlsx", "r.xlsx: the workbook cannot be opened"),
    "a CSV renamed .xlsx": (to_csv(google_forms()), "g.xlsx", "g.xlsx: the workbook cannot be opened"),
    "unknown extension": (
        b"hello",
        "notes.docx",
        "notes.docx: cpmkit cannot read this kind of file: choose a CSV file",
    ),
    "no extension": (b"a,b\n1,2\n", "export", "export: cpmkit cannot read this kind of file"),
    "a zip": (b"PK\x03\x04", "survey.zip", "survey.zip: cpmkit cannot read this kind of file: it is a zip archive"),
    "old Excel": (
        b"\xd0\xcf\x11\xe0",
        "old.xls",
        "old.xls: cpmkit cannot read this kind of file: it is an old-style Excel",
    ),
    "a ragged row": (
        b"a,b\n1,2\n3,4,5\n",
        "x.csv",
        "x.csv: the file cannot be read as a table: row 3 has 3 cells but the heading row has 2.",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_files_are_refused_with_the_file_named(case: str) -> None:
    data, filename, message = BROKEN[case]
    with pytest.raises(CpmkitError) as caught:
        read_survey(data, filename)
    assert isinstance(caught.value, ValidationError)
    assert str(caught.value).startswith(message)
    assert caught.value.value == filename


def test_too_large_files_are_refused_before_reading() -> None:
    with pytest.raises(ValidationError, match=r"big.csv: the file is 101 MB; cpmkit imports files of up to 100 MB"):
        read_survey(bytes(MAX_FILE_BYTES + 2**20), "big.csv")
    book = openpyxl.Workbook()
    book.active.append(["Timestamp", "Score"])
    book.active.cell(row=MAX_WORKBOOK_CELLS // 2 + 1, column=3, value="far away")  # a tiny file, a huge sheet
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(
        ValidationError, match=r"huge.xlsx: the sheet 'Sheet' has at least 500,001 rows of 2 columns.*Save it as CSV"
    ):
        read_survey(buffer.getvalue(), "huge.xlsx")


# -- Large files ---------------------------------------------------------------------------------


@functools.cache
def _long_workbook(rows: int) -> bytes:
    """A workbook of ``rows`` answers, written as some tools do: without the sheet's dimensions."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Form1")
    sheet.append(["Timestamp", "Score"])
    for n in range(rows):
        sheet.append([dt.datetime(2026, 1, 1) + dt.timedelta(minutes=n), n % 11])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


LONG_WORKBOOK = fi.CHUNK_ROWS + 5


def test_workbook_reading_reports_progress() -> None:
    calls: list[tuple[int, int]] = []
    table = read_survey(
        _long_workbook(LONG_WORKBOOK), "big.xlsx", progress=lambda done, total: calls.append((done, total))
    )
    assert len(table.cells) == LONG_WORKBOOK
    # the workbook does not say how many rows it has: they were counted before reading
    assert calls == [(fi.CHUNK_ROWS, LONG_WORKBOOK + 1), (LONG_WORKBOOK + 1, LONG_WORKBOOK + 1)]


def test_workbook_without_dimensions_is_refused_before_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("cpmkit.feedback.survey_import.files.MAX_WORKBOOK_CELLS", fi.CHUNK_ROWS)
    monkeypatch.setattr("openpyxl.worksheet._read_only.ReadOnlyWorksheet.iter_rows", None)  # never called
    with pytest.raises(ValidationError, match=r"long.xlsx: the sheet 'Form1' has at least 10,001 rows of 2 columns"):
        read_survey(_long_workbook(LONG_WORKBOOK), "long.xlsx")


# -- Workbooks made to exhaust memory ------------------------------------------------------------
# Each is a few KB or MB (tests/_workbooks.py builds them), and is refused before openpyxl parses it.

REFUSE = """
import json, resource, sys, tracemalloc
resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))  # 1 GB: a kernel held 3.4 GB for the worst of these
from cpmkit.errors import ValidationError
from cpmkit.feedback.survey_import.reader import read_survey
found = {}
for path in sys.argv[1:]:
    with open(path, "rb") as file:
        data = file.read()
    tracemalloc.start()
    try:
        read_survey(data, "bomb.xlsx")
        message = "accepted"
    except ValidationError as exc:
        message = str(exc)
    except MemoryError:
        message = "MemoryError"
    found[path] = {"message": message, "peak_mb": tracemalloc.get_traced_memory()[1] / 2**20, "size_kb": len(data) / 1024}
    tracemalloc.stop()
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def bombs_refused(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """What reading each of BOMBS gives, in one process held to 1 GB of address space: the
    message, the peak of memory allocated while reading (tracemalloc) and the file's size."""
    folder = tmp_path_factory.mktemp("bombs")
    paths = {}
    for n, (case, (build, _message)) in enumerate(BOMBS.items()):
        paths[case] = folder / f"{n}.xlsx"
        paths[case].write_bytes(build())
    run = subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(REFUSE), *map(str, paths.values())],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},  # each OpenBLAS thread reserves address space
    )
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    return {case: found[str(path)] for case, path in paths.items()}


@pytest.mark.skipif(sys.platform != "linux", reason="holds a process to 1 GB with setrlimit(RLIMIT_AS)")
@pytest.mark.parametrize("case", list(BOMBS))
def test_workbooks_made_to_exhaust_memory_are_refused_before_parsing(
    case: str, bombs_refused: dict[str, dict[str, Any]]
) -> None:
    found = bombs_refused[case]
    print(f"\n{case}: {json.dumps(found)}")
    assert re.match(BOMBS[case][1], found["message"]), found["message"]
    assert found["size_kb"] < 4 * 1024
    assert (
        found["peak_mb"] < 16
    )  # the directory, a block at a time, openpyxl opening a tiny workbook: measured 5.2 MB at most


def _small_sheet(monkeypatch: pytest.MonkeyPatch, *rows: bytes) -> bytes:
    """A workbook of ``rows``, read with at most 1,000 cells per workbook."""
    monkeypatch.setattr("cpmkit.feedback.survey_import.files.MAX_WORKBOOK_CELLS", 1000)
    return workbook(SHEET, sheet(*rows))


def test_rows_are_counted_as_openpyxl_gives_them_before_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    unnumbered = [row(None, (None, "2026-11-03 09:41"), (None, "9")) for _ in range(499)]
    table = read_survey(_small_sheet(monkeypatch, HEADING_ROW, *unnumbered), "ok.xlsx")  # 500 rows of 2: 1,000 cells
    assert len(table.cells) == 499 and table.cells.index[-1] == 500
    cases = {
        "one more row": (
            [HEADING_ROW, *unnumbered, unnumbered[0]],
            "x.xlsx: the sheet 'Sheet1' has at least 501 rows of 2 columns, more than the 1,000 cells",
        ),
        "a row far down, without cells": (
            [HEADING_ROW, row(1001)],
            "x.xlsx: the sheet 'Sheet1' has at least 1,001 rows of 2 columns",
        ),
        "a cell far right": (
            [row(1, ("A1", "Timestamp"), ("ALM1", "Score"))],
            "x.xlsx: the sheet 'Sheet1' has at least 1 row of 1,001 columns",
        ),
        "an unnumbered cell after it": (
            [row(1, ("ALL1", "a"), (None, "b"))],
            "x.xlsx: the sheet 'Sheet1' has at least 1 row of 1,001 columns",
        ),
        "a row number too long to read": (
            [row("12345678901234567890")],
            "x.xlsx: the sheet 'Sheet1' has a row numbered '12345678901",
        ),
        "a cell reference that is none": ([row(1, ("A1:B2", "x"))], "x.xlsx: the sheet 'Sheet1' has a cell at 'A1:B2'"),
        "markup no answer needs": (
            [HEADING_ROW, b"<x/>" * 5001],
            "x.xlsx: the sheet 'Sheet1' holds more markup than 1,000 cells need",
        ),
        "rows openpyxl would keep while opening": (
            [row(1)] * 1001,
            "x.xlsx: the sheet 'Sheet1' has more than 1,000 rows",
        ),
    }
    for case, (rows, message) in cases.items():
        with pytest.raises(ValidationError) as caught:
            read_survey(_small_sheet(monkeypatch, *rows), "x.xlsx")
        assert str(caught.value).startswith(message), case
        assert caught.value.value == "x.xlsx"


def test_a_sheet_with_a_document_type_is_refused() -> None:
    laughs = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    data = workbook(
        SHEET,
        SHEET_START.replace(b"?><", b"?>" + laughs + b"<", 1)
        + HEADING_ROW
        + b"<row><c t='inlineStr'><is><t>&b;</t></is></c></row>"
        + SHEET_END,
    )
    with pytest.raises(ValidationError, match=r"^x.xlsx: the sheet 'Sheet1' declares a document type"):
        read_survey(data, "x.xlsx")


LARGE_IMPORT = """
import json, sys, time
from cpmkit.feedback.survey_import.reader import SUBMITTED_AT, RESPONDENT, Target, apply_mapping, read_survey, suggest_mapping

targets = [SUBMITTED_AT, RESPONDENT, Target("recommend", "Recommend", "integer", ("how likely ... recommend",), low=0, high=10),
           Target("comment", "Comment", "text", ("anything else ... doing",))]
def peak_mb():  # VmHWM: the most memory this process has held (ru_maxrss would include pytest's, from before exec)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
with open(sys.argv[1], "rb") as file:
    data = file.read()
before = peak_mb()
calls = {"read": 0, "apply": 0}
def counting(step):
    return lambda done, total: calls.__setitem__(step, calls[step] + 1)
start = time.perf_counter()
table = read_survey(data, "big.csv", progress=counting("read"))
read = time.perf_counter() - start
result = apply_mapping(table, suggest_mapping(table.columns, targets), progress=counting("apply"))
print(json.dumps({
    "read_s": read, "total_s": time.perf_counter() - start, "calls": calls,
    "rows": len(table.cells), "responses": len(result.responses), "problems": len(result.problems),
    "duplicates": len(result.duplicate_rows),
    "baseline_mb": before, "peak_mb": peak_mb(),
}))
"""


def _large_export(path: Path, size: int) -> int:
    """A Google Forms export of about ``size`` bytes: unique timestamps, comments with line
    breaks and accents, one unreadable score in 1,000 rows. Returns the number of rows."""
    start = dt.datetime(2026, 1, 1)
    comment = "The weekly demo helps, but I would like more notice of “schedule” changes – café talk, €20.\nThanks"
    lines = [
        'Timestamp,Email Address,"How likely are you to recommend us?","Is there anything else you would like us to be doing?"'
    ]
    written, n = len(lines[0]), 0
    while written < size:
        moment = start + dt.timedelta(seconds=37 * n)
        score = "eleven" if n % 1000 == 999 else str(n % 11)
        line = f'{moment:%Y/%m/%d %H:%M:%S} GMT+1,person{n % 5000}@example.com,{score},"{comment[: 20 + n % 80]} #{n}"'
        lines.append(line)
        written += len(line.encode()) + 2
        n += 1
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return n


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="measures memory with Linux's /proc")
def test_a_50_mb_export_imports_with_progress_in_seconds(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rows = _large_export(path, 50 * 2**20)
    size_mb = path.stat().st_size / 2**20
    run = subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(LARGE_IMPORT), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    print(f"\n{size_mb:.0f} MB, {rows:,} rows: {json.dumps(out)}")
    assert out["rows"] == rows
    assert out["problems"] == rows // 1000 and out["responses"] == rows  # a bad score costs the score only
    assert out["calls"]["read"] > 1 and out["calls"]["apply"] > 1
    assert out["total_s"] < 30  # measured about 3 s on the 2-core reference machine
    assert out["peak_mb"] - out["baseline_mb"] < 10 * size_mb  # measured about 5x the file


def test_importer_imports_no_workbook_reader_until_a_workbook_comes() -> None:
    code = "import sys, cpmkit.feedback.survey_import.reader; print('openpyxl' in sys.modules)"
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert run.stdout.strip() == "False"


def test_public_names() -> None:
    assert sorted(fi.__all__) == sorted(
        [
            "CHUNK_ROWS",
            "MAX_COMPRESSION_RATIO",
            "MAX_FILE_BYTES",
            "MAX_SHARED_STRINGS_BYTES",
            "MAX_WORKBOOK_CELLS",
            "MAX_WORKBOOK_UNZIPPED_BYTES",
            "RESPONDENT",
            "RESPONSE_ID",
            "SUBMITTED_AT",
            "ColumnMapping",
            "ImportResult",
            "Progress",
            "RowProblem",
            "SurveyTable",
            "Target",
            "TargetKind",
            "apply_mapping",
            "preview",
            "read_survey",
            "suggest_mapping",
        ]
    )
    assert all(hasattr(fi, name) for name in fi.__all__)
