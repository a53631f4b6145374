"""A PM imports a stakeholder register kept in Excel into workbook 1 at 1366x900: the columns are
suggested from the headings, the preview shows the row that has a bad cell and names its row and
column, the import lists the stakeholders in the register; the same sheet imported again updates
them instead of adding them twice. Markup in a cell shows as text, nothing leaves localhost."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import expect

from cpmkit.stakeholders.store import StakeholderStore

pytestmark = pytest.mark.browser

ROWS = [
    ["Stakeholder", "Job title", "Company", "Influence", "Interest"],
    ["Ada Lovelace", "<script>alert(1)</script>", "Acme", 5, 4],
    ["Grace Hopper", "CIO", "Acme", "high", 3],
    ["Linus", "Engineer", "Kernel", 2, 5],
]


def workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in ROWS:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return path


def test_a_register_is_previewed_imported_and_imported_again(
    more_web: Any, server_store: Any, unique: Any, tmp_path: Path
) -> None:
    project = server_store.create_project(unique("Register"))
    web = more_web("laptop", sign_in="pm", viewport={"width": 1366, "height": 900})
    web.open("01_stakeholder_value.ipynb", project=project)
    page = web.page
    page.get_by_role("tab", name="Import").click()
    panel = page.locator(".cpmkit-register-import")
    sheet = workbook(tmp_path / "register.xlsx")

    with page.expect_file_chooser() as chooser:
        panel.get_by_role("button", name="Choose file").click()
    chooser.value.set_files(str(sheet))
    expect(panel.get_by_role("combobox", name="Power", exact=True)).to_have_value("Influence")
    expect(panel).to_contain_text("3 stakeholders to add, 0 to update, 0 rows skipped; 1 cell cannot be imported")
    expect(panel).to_contain_text("Row 3, column 'Influence': the cell must be a whole number from 1 to 5, not 'high'.")
    expect(panel).to_contain_text("<script>alert(1)</script>")  # shown as text
    expect(panel.locator("script")).to_have_count(0)
    web.screenshot("register-import-preview")
    panel.get_by_role("button", name="Import").click()
    expect(panel).to_contain_text("3 stakeholders added and 0 updated from register.xlsx.")
    register = StakeholderStore(server_store).stakeholders(project)
    assert register["name"].tolist() == ["Ada Lovelace", "Grace Hopper", "Linus"]
    assert register["power"].tolist()[0] == 5 and register["role"].tolist()[0] == "<script>alert(1)</script>"

    with page.expect_file_chooser() as chooser:
        panel.get_by_role("button", name="Choose file").click()
    chooser.value.set_files(str(sheet))
    expect(panel).to_contain_text("0 stakeholders to add, 3 to update")
    panel.get_by_role("button", name="Import").click()
    expect(panel).to_contain_text("0 stakeholders added and 3 updated")
    assert len(StakeholderStore(server_store).stakeholders(project)) == 3
    page.get_by_role("tab", name="Register").click()
    expect(page.locator(".widget-select select option")).to_have_text(["Ada Lovelace", "Grace Hopper", "Linus"])
    web.assert_clean()
