"""Unit tests of cpmkit.core.export: CSV and XLSX bytes, formatted to read, with formula injection neutralised."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pandas as pd
import pytest

from cpmkit.core.export import heading, markdown_text, rows_html, to_csv, to_xlsx

BOM = b"\xef\xbb\xbf"
DANGEROUS = ["=SUM(A1:A9)", "+44 20 7946 0000", "-2+3", "@cmd", '=HYPERLINK("http://x")']
SAFE = ["Zoë Ångström", "a=b", "ok", "", "1+1", "'already quoted"]


def _workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _sheet_rows(data: bytes, sheet: str) -> list[tuple[object, ...]]:
    workbook = _workbook(data)
    try:
        return list(workbook[sheet].iter_rows(values_only=True))
    finally:
        workbook.close()


# -- CSV -----------------------------------------------------------------------------------------


def test_csv_has_a_bom_and_round_trips() -> None:
    table = pd.DataFrame(
        {"name": ["Zoë Ångström", "日本語 🚀", 'She said "hi", twice'], "power": [5, 1, 3], "score": [0.5, -1.25, 2.0]}
    )
    data = to_csv(table)
    assert isinstance(data, bytes)
    assert data.startswith(BOM)
    assert not data.startswith(BOM + BOM)
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(back.columns) == ["name", "power", "score"]  # no index column
    assert back["name"].tolist() == table["name"].tolist()
    assert back["power"].tolist() == [5, 1, 3]
    assert back["score"].tolist() == [0.5, -1.25, 2.0]


def test_csv_text_lines() -> None:
    data = to_csv(pd.DataFrame({"a": ["x"], "b": [1]}))
    assert data.decode("utf-8-sig").splitlines() == ["a,b", "x,1"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_csv_prefixes_formula_text_with_an_apostrophe(text: str) -> None:
    back = pd.read_csv(io.BytesIO(to_csv(pd.DataFrame({"name": [text]}))), encoding="utf-8-sig", keep_default_na=False)
    assert back["name"].tolist() == ["'" + text]


def test_csv_leaves_other_text_and_numbers_alone() -> None:
    table = pd.DataFrame({"name": SAFE, "delta": [-5, 3, 0, -1, 2, 7], "ratio": [-0.5, 1.0, 0.0, 2.5, -3.0, 4.0]})
    back = pd.read_csv(io.BytesIO(to_csv(table)), encoding="utf-8-sig", keep_default_na=False)
    assert back["name"].tolist() == SAFE
    assert back["delta"].tolist() == [-5, 3, 0, -1, 2, 7]
    assert back["ratio"].tolist() == [-0.5, 1.0, 0.0, 2.5, -3.0, 4.0]


def test_csv_mixed_column_neutralises_only_text() -> None:
    table = pd.DataFrame({"value": ["=1+1", -3, None, dt.date(2024, 1, 2)], "k": [1, 2, 3, 4]}, dtype=object)
    lines = to_csv(table).decode("utf-8-sig").splitlines()
    assert lines == ["value,k", "'=1+1,1", "-3,2", ",3", "2024-01-02,4"]


def test_export_does_not_change_the_callers_table() -> None:
    table = pd.DataFrame({"name": ["=cmd"]})
    to_csv(table)
    to_xlsx({"t": table})
    assert table["name"].tolist() == ["=cmd"]


# -- XLSX ----------------------------------------------------------------------------------------


def test_xlsx_has_one_sheet_per_table_names_truncated_to_31() -> None:
    long_name = "a sheet name that is far longer than Excel allows"
    tables = {
        "first": pd.DataFrame({"a": [1, 2]}),
        long_name: pd.DataFrame({"b": ["x"]}),
        "x" * 31: pd.DataFrame({"c": [1.5]}),
    }
    data = to_xlsx(tables)
    assert data.startswith(b"PK")  # a zip container
    workbook = _workbook(data)
    try:
        assert workbook.sheetnames == ["first", long_name[:31], "x" * 31]
        assert len(long_name[:31]) == 31
    finally:
        workbook.close()
    assert _sheet_rows(data, "first") == [("A",), (1,), (2,)]
    assert _sheet_rows(data, long_name[:31]) == [("B",), ("x",)]
    assert _sheet_rows(data, "x" * 31) == [("C",), (1.5,)]


def test_xlsx_keeps_formula_like_text_exactly_as_text() -> None:
    table = pd.DataFrame({"name": [*DANGEROUS, "=1+1", "@SUM(A1)", *SAFE[:-2]], "n": list(range(-5, 6))})
    data = to_xlsx({"people": table})
    workbook = _workbook(data)
    try:
        sheet = workbook["people"]
        cells = [row[0] for row in sheet.iter_rows(min_row=2)]
        formulas = cells[: len(DANGEROUS) + 2]
        # Stored as text, marked to stay text when edited, and no cell anywhere is a formula.
        assert [c.data_type for c in formulas] == ["s"] * len(formulas)
        assert all(c.quotePrefix for c in formulas) and not any(c.quotePrefix for c in cells[len(formulas) :])
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
        numbers = [row[1].value for row in sheet.iter_rows(min_row=2)]
    finally:
        workbook.close()
    values = [c.value for c in cells]
    assert values[: len(formulas)] == [*DANGEROUS, "=1+1", "@SUM(A1)"]  # the user's exact characters
    assert values[len(formulas) :] == [v or None for v in SAFE[:-2]]  # an empty string is an empty cell
    assert numbers == list(range(-5, 6))
    assert b"<f>" not in _sheet_xml(data)  # no formula element in the file itself


def test_xlsx_takes_control_characters_and_formula_like_headings() -> None:
    """A register imported from another tool can hold a vertical tab (its line break) or another
    control character, which XLSX cannot: the file is still made. A heading is text, never a formula."""
    table = pd.DataFrame({"=HYPERLINK(1)": ["line 1\x0bline 2", "bell\x07"]})
    workbook = _workbook(to_xlsx({"people": table}))
    try:
        sheet = workbook["people"]
        assert [c.value for c in sheet["A"]] == ["=HYPERLINK(1)", "line 1\nline 2", "bell"]
        assert sheet["A1"].data_type == "s" and sheet["A1"].quotePrefix
    finally:
        workbook.close()
    assert to_csv(table).decode("utf-8-sig").splitlines()[0] == "'=HYPERLINK(1)"


def _sheet_xml(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return b"".join(archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/"))


def test_xlsx_is_formatted_to_read() -> None:
    table = pd.DataFrame(
        {
            "name": ["Ada", "A name far longer than any column should grow to be, so it wraps in its cell"],
            "current_engagement": ["unaware", None],
            "nps": [9, 10],
            "measured_on": [dt.date(2024, 3, 1), None],
            "created_at": pd.to_datetime(["2024-03-01 09:30", "2024-03-02 17:00"], utc=True),
            "Owner": ["Zoë", "Ben"],
        }
    )
    workbook = _workbook(to_xlsx({"register": table}))
    try:
        sheet = workbook["register"]
        header = sheet[1]
        assert [c.value for c in header] == ["Name", "Current engagement", "NPS", "Measured on", "Created at", "Owner"]
        assert all(c.font.b for c in header) and not sheet["A2"].font.b
        assert sheet.freeze_panes == "A2"
        widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDEF"}
        assert widths["A"] == 62 and sheet["A3"].alignment.wrap_text  # capped, and the long text wraps
        assert widths["B"] == len("Current engagement") + 2 and widths["C"] == len("NPS") + 2
        assert sheet["C2"].value == 9 and sheet["C2"].data_type == "n"
        assert sheet["D2"].is_date and sheet["D2"].value == dt.datetime(2024, 3, 1)
        assert sheet["D2"].number_format == "yyyy-mm-dd" and sheet["D3"].value is None
        assert sheet["E2"].is_date and sheet["E2"].value == dt.datetime(2024, 3, 1, 9, 30)
        assert sheet["E2"].number_format == "yyyy-mm-dd hh:mm"
    finally:
        workbook.close()


@pytest.mark.parametrize(
    ("column", "shown"),
    [
        ("current_engagement", "Current engagement"),
        ("nps", "NPS"),
        ("by when", "By when"),
        ("Owner", "Owner"),
        ("progress %", "Progress %"),
        ("lesson_id", "Lesson ID"),
        (3, "3"),
    ],
)
def test_a_heading_is_the_column_name_in_words(column: object, shown: str) -> None:
    assert heading(column) == shown


def test_xlsx_of_an_empty_table_has_its_header() -> None:
    data = to_xlsx({"empty": pd.DataFrame(columns=["name", "power"])})
    assert _sheet_rows(data, "empty") == [("Name", "Power")]


def test_rows_html_escapes_every_cell_and_shows_none_as_blank() -> None:
    table = rows_html(
        [{"who": "<b>Ada</b> & Ben", "score": None}, {"who": 'say "hi"', "score": 3}],
        columns={"who": "Who <i>", "score": "Score"},
    )
    assert table == (
        '<table class="cpmkit-table"><thead><tr><th>Who &lt;i&gt;</th><th>Score</th></tr></thead><tbody>'
        '<tr><td>&lt;b&gt;Ada&lt;/b&gt; &amp; Ben</td><td></td></tr><tr><td>say "hi"</td><td>3</td></tr></tbody></table>'
    )
    assert (
        rows_html([], columns={"who": "Who"}, empty="Nobody <yet>") == '<p class="cpmkit-help">Nobody &lt;yet&gt;</p>'
    )


def test_markdown_text_escapes_markup_and_keeps_line_breaks() -> None:
    assert markdown_text("a *b* _c_ `d` #e & f") == "a \\*b\\* \\_c\\_ \\`d\\` \\#e \\& f"
    assert markdown_text(" one \n\n two ") == "one\\\ntwo"
    assert markdown_text("- x\n+ y\n3. z") == "\\- x\\\n\\+ y\\\n3\\. z"
    assert markdown_text(None) == "—"
