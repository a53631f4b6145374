"""The register import panel: upload a CSV or XLSX register (as ipywidgets 8's FileUpload sets
it), see the suggested columns and the escaped preview with the row problem, import; the same
file again updates the same stakeholders; the workbook shows the import in its own tab."""

from __future__ import annotations

import datetime as dt

import pytest

from cpmkit.db.database import Store
from cpmkit.stakeholders.register_import.ui import RegisterImportPanel
from cpmkit.stakeholders.store import StakeholderStore
from cpmkit.stakeholders.ui import StakeholderValueApp
from tests._workbooks import plain_workbook

ROWS = [
    ["Name", "Role", "Power", "Interest"],
    ["Ada Lovelace", "<script>x</script>", "5", "4"],
    ["Grace Hopper", "CIO", "high", "3"],
]


def csv_bytes() -> bytes:
    return ("\n".join(",".join(row) for row in ROWS) + "\n").encode()


def xlsx_bytes() -> bytes:
    return plain_workbook(ROWS)


def upload(panel: RegisterImportPanel, data: bytes, name: str) -> None:
    panel.upload.value = (
        {
            "name": name,
            "type": "",
            "size": len(data),
            "content": memoryview(data),
            "last_modified": dt.datetime(2026, 12, 1),
        },
    )


@pytest.mark.parametrize(("name", "make"), [("register.csv", csv_bytes), ("register.xlsx", xlsx_bytes)])
def test_a_register_is_previewed_imported_and_updated_on_a_second_import(
    sqlite_store: Store, name: str, make: object
) -> None:
    project = sqlite_store.create_project("Apollo")
    imported: list[bool] = []
    panel = RegisterImportPanel(sqlite_store, on_imported=lambda: imported.append(True))
    panel.show(project)
    upload(panel, make(), name)  # type: ignore[operator]
    assert panel.message.value == "" and panel.step.layout.display == "flex"
    assert panel.columns["power"].value == "Power" and panel.columns["role"].value == "Role"
    assert "2 stakeholders to add, 0 to update, 0 rows skipped; 1 cell" in panel.counts.value
    assert "&lt;script&gt;x" in panel.preview.value and "<script>" not in panel.preview.value
    assert "Row 3, column 'Power': the cell must be a whole number from 1 to 5, not 'high'." in panel.preview.value
    panel.start.click()
    assert imported == [True] and "2 stakeholders added and 0 updated" in panel.result.value
    register = StakeholderStore(sqlite_store)
    saved = register.stakeholders(project)
    assert list(saved["name"]) == ["Ada Lovelace", "Grace Hopper"] and saved["power"].isna().tolist() == [False, True]
    assert saved["role"].iloc[0] == "<script>x</script>"
    register.update_stakeholder(int(saved["id"].iloc[1]), "power", 2)  # typed in the form meanwhile
    upload(panel, make(), name)  # type: ignore[operator]
    assert "0 stakeholders to add, 2 to update" in panel.counts.value
    panel.start.click()
    assert "0 stakeholders added and 2 updated" in panel.result.value
    again = register.stakeholders(project)
    assert len(again) == 2 and again["power"].tolist() == [5, 2]  # the refused cell kept what was saved


def test_the_workbook_has_an_import_tab(sqlite_store: Store) -> None:
    sqlite_store.create_project("Apollo")
    app = StakeholderValueApp(sqlite_store)
    index = app.tabs.titles.index("Import")
    app.tabs.selected_index = index
    assert app.view_message.value == "" and app.importer.project_id == app.bar.project_id
    upload(app.importer, csv_bytes(), "register.csv")
    app.importer.start.click()
    assert [label for label, _id in app.listing.options] == ["Ada Lovelace", "Grace Hopper"]
