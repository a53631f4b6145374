"""The register as a grid: each stakeholder a row, each field a column headed by its label; an
edit (as the front end sends it) saves through the store with the form's check, shows the value
as stored, and tells the form; a refused edit goes back to the saved value with a message naming
the row and the column; the workbook shows the grid in its Table tab."""

from __future__ import annotations

from typing import Any

from cpmkit.db.database import Store
from cpmkit.stakeholders.register_grid.ui import LABELS, RegisterGrid
from cpmkit.stakeholders.store import StakeholderStore
from cpmkit.stakeholders.ui import StakeholderValueApp


def edit(grid: Any, row: int, label: str, value: str) -> None:
    """What ipydatagrid's front end sends when a cell is edited."""
    grid._DataGrid__handle_custom_msg(
        None,
        {"event_type": "cell-changed", "row": row, "column_index": grid._column_name_to_index(label), "value": value},
        [],
    )


def test_an_edit_saves_and_a_refused_one_goes_back(sqlite_store: Store) -> None:
    project = sqlite_store.create_project("Apollo")
    register = StakeholderStore(sqlite_store)
    ada = register.add_stakeholder(project, "Ada", power=5, role="<b>Sponsor</b>")
    grace = register.add_stakeholder(project, "Grace")
    saves: list[bool] = []
    table = RegisterGrid(sqlite_store, on_saved=lambda: saves.append(True))
    table.show(project)
    assert list(table.grid.data.columns) == list(LABELS.values())
    assert table.grid.data[LABELS["role"]].tolist() == ["<b>Sponsor</b>", ""]  # the grid draws text, never markup
    edit(table.grid, 1, "Power", " 3 ")
    assert register.stakeholder(grace)["power"] == 3 and saves == [True]
    assert table.grid.data["Power"].tolist() == ["5", "3"]
    edit(table.grid, 1, "Power", "3")  # the front end sends back each value the kernel sets: nothing to save
    assert saves == [True] and "Saved Power of Grace" in table.message.value
    edit(table.grid, 0, "Power", "high")
    assert register.stakeholder(ada)["power"] == 5 and saves == [True]
    assert table.grid.data["Power"].tolist() == ["5", "3"]  # back to what was saved
    assert "Row 1 (Ada), column &#x27;Power&#x27;: must be a whole number from 1 to 5" in table.message.value
    edit(table.grid, 1, "Name", "ada")
    assert register.stakeholder(grace)["name"] == "Grace" and table.grid.data["Name"].tolist() == ["Ada", "Grace"]
    edit(table.grid, 1, "Last contact", "2026-11-03")
    assert str(register.stakeholder(grace)["last_contact"]) == "2026-11-03"


def test_the_workbook_shows_the_grid_and_the_form_follows_it(sqlite_store: Store) -> None:
    project = sqlite_store.create_project("Apollo")
    StakeholderStore(sqlite_store).add_stakeholder(project, "Ada")
    app = StakeholderValueApp(sqlite_store)
    app.tabs.selected_index = app.tabs.titles.index("Table")
    assert app.view_message.value == "" and app.register_grid.grid.data["Name"].tolist() == ["Ada"]
    edit(app.register_grid.grid, 0, "Role", "Sponsor")
    assert app.controls["role"].value == "Sponsor"
    app.controls["role"].value = "CIO"  # typed in the form: the grid is drawn again
    assert app.register_grid.grid.data["Role"].tolist() == ["CIO"]
