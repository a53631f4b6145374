"""A PM imports a stakeholder register kept in Excel into workbook 1 at 1366x900: the columns are
suggested from the headings, the preview shows the row that has a bad cell and names its row and
column, the import lists the stakeholders in the register; the same sheet imported again updates
them instead of adding them twice. Markup in a cell shows as text, nothing leaves localhost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from cpmkit.stakeholders.store import StakeholderStore
from tests._workbooks import plain_workbook

pytestmark = pytest.mark.browser

ROWS = [
    ["Stakeholder", "Job title", "Company", "Influence", "Interest"],
    ["Ada Lovelace", "<script>alert(1)</script>", "Acme", 5, 4],
    ["Grace Hopper", "CIO", "Acme", "high", 3],
    ["Linus", "Engineer", "Kernel", 2, 5],
]


def test_a_register_is_previewed_imported_and_imported_again(
    more_web: Any, server_store: Any, unique: Any, tmp_path: Path
) -> None:
    project = server_store.create_project(unique("Register"))
    web = more_web("laptop", sign_in="pm", viewport={"width": 1366, "height": 900})
    web.open("01_stakeholder_value.ipynb", project=project)
    page = web.page
    page.get_by_role("tab", name="Import").click()
    panel = page.locator(".cpmkit-register-import")
    sheet = tmp_path / "register.xlsx"
    sheet.write_bytes(plain_workbook(ROWS))

    with page.expect_file_chooser() as chooser:
        panel.get_by_role("button", name="Choose file").click()
    chooser.value.set_files(str(sheet))
    expect(panel.get_by_role("combobox", name="Power", exact=True)).to_have_value("Influence")
    expect(panel).to_contain_text("3 stakeholders to add, 0 to update, 0 rows skipped; 1 cell cannot be imported")
    expect(panel).to_contain_text("Row 3, column 'Influence': the cell must be a whole number from 1 to 5, not 'high'.")
    expect(panel).to_contain_text("<script>alert(1)</script>")  # shown as text
    expect(panel.locator("script")).to_have_count(0)
    web.assert_accessible()  # every column's choice is named
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


def test_the_register_is_edited_in_a_grid(more_web: Any, server_store: Any, unique: Any) -> None:
    """The Table tab draws the register with ipydatagrid, served by Voila itself; a cell edited
    there is saved, and a refused one goes back with a message naming the row and the column."""
    project = server_store.create_project(unique("Grid"))
    register = StakeholderStore(server_store)
    ada = register.add_stakeholder(project, "Ada Lovelace", power=5)
    web = more_web("grid", sign_in="pm", viewport={"width": 1366, "height": 900})
    requested: list[str] = []
    web.page.on("request", lambda request: requested.append(request.url))
    web.open("01_stakeholder_value.ipynb", project=project)
    page = web.page
    page.get_by_role("tab", name="Table").click()
    grid = page.locator(".cpmkit-register-grid canvas").first
    expect(grid).to_be_visible()
    box = grid.bounding_box()
    assert box is not None
    # Lumino's grid: a 20 px column header and 20 px rows (no row header); Name is 180 px wide.
    role = (box["x"] + 180 + 65, box["y"] + 20 + 10)
    page.mouse.dblclick(*role)
    page.keyboard.type("Sponsor")
    page.keyboard.press("Enter")
    expect(page.locator(".cpmkit-register-grid")).to_contain_text("Saved Role of Ada Lovelace.")
    assert register.stakeholder(ada)["role"] == "Sponsor"
    box = grid.bounding_box()  # the message above it moved the grid down
    assert box is not None
    power = (box["x"] + 180 + 130 * 3 + 65, box["y"] + 20 + 10)
    page.mouse.dblclick(*power)
    page.keyboard.press("Control+A")
    page.keyboard.type("high")
    page.keyboard.press("Enter")
    expect(page.locator(".cpmkit-register-grid")).to_contain_text(
        "Row 1 (Ada Lovelace), column 'Power': must be a whole number from 1 to 5"
    )
    page.wait_for_timeout(1000)  # the value put back is not saved again, nor its message replaced
    expect(page.locator(".cpmkit-register-grid")).to_contain_text("column 'Power': must be a whole number")
    assert register.stakeholder(ada)["power"] == 5
    web.screenshot("register-grid")
    assert any("/labextensions/ipydatagrid/" in url for url in requested), requested
    web.assert_clean()
