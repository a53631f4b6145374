"""Unit tests of cpmkit.db.name_keys.recompute_name_keys on SQLite and PostgreSQL: a store whose
name_key columns hold the older form (case and spacing folded only) gets look-alike keys, and
names that now look alike are told apart with " (2)" rather than lost."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Table, func, select

from cpmkit.core.fields import name_key
from cpmkit.core.links import digest
from cpmkit.db.database import Store
from cpmkit.db.name_keys import recompute_name_keys
from cpmkit.db.schema import projects, pulse_rounds, retro_members, stakeholders
from cpmkit.errors import ValidationError
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.retro.store import RetroStore

#: Project names are unique per owner (ux_projects_owner_name); projects without one share owner 0.
OWNER = func.coalesce(projects.c.owner_id, 0)


def old_key(name: str) -> str:
    """name_key as it was before it compared look-alikes."""
    return " ".join(name.split()).casefold()


def _rows(store: Store, table: Table) -> dict[int, tuple[str, str]]:
    with store.read() as conn:
        return {
            row.id: (row.name, row.name_key) for row in conn.execute(select(table.c.id, table.c.name, table.c.name_key))
        }


def _insert(store: Store, table: Table, name: str, **values: Any) -> int:
    with store.write() as conn:
        stmt = table.insert().values(name=name, name_key=old_key(name), **values).returning(table.c.id)
        return int(conn.execute(stmt).scalar_one())


def test_old_keys_are_recomputed_and_look_alikes_renamed(store: Store) -> None:
    apollo = _insert(store, projects, "Apollo")
    lookalike = _insert(store, projects, "Apоllo")  # Cyrillic о: a distinct key before
    gemini = _insert(store, projects, "Gemini Two")
    # Old key "geminitwo" is the new key of "Gemini Two": the rows must not trip over each other.
    joined = _insert(store, projects, "GeminiTwo")
    bob = _insert(store, stakeholders, "Bob", project_id=apollo)
    bob_zw = _insert(store, stakeholders, "Bob\u200b", project_id=apollo)
    bob_other = _insert(store, stakeholders, "B o b", project_id=gemini)  # another project: no clash
    long_name = "x" * 199 + "y"
    long_a = _insert(store, stakeholders, long_name, project_id=gemini)
    long_b = _insert(store, stakeholders, long_name[:-1] + "ʏ", project_id=gemini)  # small capital Y: a look-alike

    with store.write() as conn:
        renamed = recompute_name_keys(conn, projects, group=OWNER)
        renamed_people = recompute_name_keys(conn, stakeholders, group=stakeholders.c.project_id)

    assert renamed == {lookalike: "Apоllo (2)", joined: "GeminiTwo (2)"}
    assert renamed_people == {bob_zw: "Bob\u200b (2)", long_b: long_name[:196] + " (2)"}
    for table in (projects, stakeholders):
        for name, key in _rows(store, table).values():
            assert key == name_key(name)
    assert _rows(store, projects)[apollo] == ("Apollo", name_key("Apollo"))
    assert _rows(store, stakeholders)[bob][0] == "Bob" and _rows(store, stakeholders)[bob_other][0] == "B o b"
    assert _rows(store, stakeholders)[long_a][0] == long_name

    # Done twice, nothing changes.
    with store.write() as conn:
        assert recompute_name_keys(conn, projects, group=OWNER) == {}
        assert recompute_name_keys(conn, stakeholders, group=stakeholders.c.project_id) == {}


def test_after_recomputing_a_look_alike_of_an_old_name_is_caught(store: Store) -> None:
    project = store.create_project("Apollo")
    round_id = _insert(
        store, pulse_rounds, "Sprint  One", project_id=project, opened_on=dt.date(2026, 1, 5), token="t" * 32
    )
    board = RetroStore(store).create_board(project, "Retro", "sailboat", 3)
    bob = _insert(
        store, retro_members, "Bob", board_id=board["id"], browser_key=digest("bob's browser")
    )  # kept as a digest
    retros = RetroStore(store)
    with store.write() as conn:
        recompute_name_keys(conn, pulse_rounds, group=pulse_rounds.c.project_id)
        recompute_name_keys(conn, retro_members, group=retro_members.c.board_id)
    assert retros.join(board["id"], "ＢＯＢ", "bob's browser") == bob
    with pytest.raises(ValidationError, match="already called"):
        PulseStore(store).create_round(project, "SprintOne", "2026-02-01")
    assert round_id in _rows(store, pulse_rounds)
