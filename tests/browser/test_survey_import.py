"""A PM imports a spreadsheet of pulse answers kept by hand, on a phone (390x844) and on a laptop:
cp1252, semicolons, day-first dates only, headings that paraphrase the questions, the team's own
answer words ("Yes / Somewhat / No") and a bad cell. The suggestions show how sure they are, the
answers are recoded (one value changed by the PM), the extra column is left out on purpose
before Import is offered, the bad cell costs one answer, and the summary says the responses are
dated by day. The next export of the same sheet is mapped and recoded as before in one click.
The page never scrolls sideways, axe-core finds no serious violation in the choices, nothing
leaves localhost and no dialog opens.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from cpmkit.feedback.pulse.store import PulseStore

pytestmark = pytest.mark.browser

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 768}}
COMFORT = "Are you comfortable with the progress of the project?"
HEADINGS = ["Date", "Name", COMFORT, "Recommend (0-10)", "Any other comments?", "Internal notes"]
FIRST = [
    ["01.09.2026", "Ana", "Yes", "10", "<script>alert(1)</script> great", "x"],
    ["02.09.2026", "Ben", "Somewhat", "7", "", "x"],
    ["13.09.2026", "Cy", "No", "ten", "Late again", "x"],
    ["14.09.2026", "Di", "Yes", "9", "", "x"],
]
LATER = [*FIRST, ["20.09.2026", "Ed", "Somewhat", "8", "Better", "x"], ["21.09.2026", "Fé", "No", "6", "", "x"]]


def sheet(path: Path, rows: list[list[str]]) -> Path:
    path.write_bytes("\r\n".join(";".join(row) for row in [HEADINGS, *rows]).encode("cp1252"))
    return path


def choose_file(page: Any, panel: Any, path: Path) -> None:
    with page.expect_file_chooser() as chooser:
        panel.get_by_role("button", name="Choose file").click()
    chooser.value.set_files(str(path))


def assert_no_sideways_scroll(page: Any) -> None:
    width, window = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= window, f"the page scrolls sideways: {width} px in {window}"


@pytest.mark.parametrize("size", SIZES)
def test_a_spreadsheet_is_mapped_recoded_imported_and_remembered(
    size: str, more_web: Any, server_store: Any, unique: Any, tmp_path: Path
) -> None:
    pulses = PulseStore(server_store)
    project = server_store.create_project(unique("Import"))
    pulses.create_round(project, "September", dt.date(2026, 9, 1))
    web = more_web(size, sign_in="pm", viewport=SIZES[size])
    web.open("04_lessons_learned.ipynb", project=project)
    page = web.page
    page.get_by_role("tab", name="Import responses").click()
    panel = page.locator(".cpmkit-feedback-import")

    choose_file(page, panel, sheet(tmp_path / "pulse.csv", FIRST))
    start = panel.get_by_role("button", name="Import")
    expect(panel).to_contain_text("neither imported nor left out")
    expect(start).to_be_disabled()
    expect(panel.get_by_role("combobox", name="Are you comfortable with progress?", exact=True)).to_have_value(COMFORT)
    expect(panel).to_contain_text("sure")
    recoding = panel.locator(".cpmkit-import-recoding").first
    expect(recoding).to_contain_text("Somewhat (1)")
    somewhat = recoding.get_by_role("combobox", name="Are you comfortable with progress?: Somewhat")
    expect(somewhat).to_have_value("3 - Partly")  # the middle of Yes / Somewhat / No, on 1-5
    assert_no_sideways_scroll(page)
    web.assert_accessible()  # every answer's choice is named, the flags are readable
    web.screenshot(f"{size}-import-choices")
    somewhat.select_option(label="2 - Not really")
    panel.get_by_role("button", name="Leave out the other columns").click()
    expect(start).to_be_enabled()
    expect(panel.locator("script")).to_have_count(0)
    start.click()
    expect(panel).to_contain_text("4 new responses added to September.")
    expect(panel).to_contain_text("Row 4, column 'Recommend (0-10)': 'ten'")
    expect(panel).to_contain_text("dates only")
    saved = pulses.responses(project).sort_values("submitted_at")
    assert saved["progress"].tolist() == [5, 2, 1, 5] and saved["recommend"].isna().sum() == 1

    # The next export of the same sheet: the same columns and values in one click.
    choose_file(page, panel, sheet(tmp_path / "pulse (2).csv", LATER))
    expect(panel).to_contain_text("same headings as the one imported on")
    panel.get_by_role("button", name="Use the same columns and values").click()
    expect(start).to_be_enabled()
    start.click()
    expect(panel).to_contain_text("2 new responses added to September; 4 already imported before, updated.")
    saved = pulses.responses(project).sort_values("submitted_at")
    assert saved["progress"].tolist() == [5, 2, 1, 5, 2, 1]
    assert_no_sideways_scroll(page)
    web.assert_clean()
