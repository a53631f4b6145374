"""Unit tests of cpmkit.feedback.survey_import.store.ImportMappingStore, each run on SQLite and on a
real PostgreSQL server: a mapping is remembered per project and export headings (in file order),
replaced when remembered again, never shown to another project, gone with its project; the
headings are hashed, never stored; what cannot be stored is refused with a plain message, and a
stored value that no longer reads as a JSON object is recalled as nothing; kernels remembering
at once all succeed."""

from __future__ import annotations

import datetime as dt
import json
import math
from contextlib import closing
from typing import Any

import pytest
from sqlalchemy import func, select

from cpmkit.db.database import Store
from cpmkit.db.schema import import_mappings, projects
from cpmkit.errors import NotFoundError, ValidationError
from cpmkit.feedback.survey_import.store import (
    MAX_MAPPING_BYTES,
    ImportMappingStore,
    RememberedMapping,
    headings_digest,
)

HEADINGS = ["Timestamp", "Email Address", "How likely are you to recommend us? (0-10)", "Any other comments?"]
#: The shape the import panel saves (API.md): a ColumnMapping's and Recodings' to_data().
SAVED = {
    "mapping": {"columns": {"recommend": "How likely are you to recommend us? (0-10)"}, "ignored": ["Email Address"]},
    "recodings": {"comfort_progress": {"Yes": 5, "Somewhat": 3, "No": 1, "n/a": None}},
}


@pytest.fixture
def memory(store: Store) -> ImportMappingStore:
    return ImportMappingStore(store)


def recalled(memory: ImportMappingStore, project_id: int, columns: list[str]) -> RememberedMapping:
    """What ``recall`` returns, which must be something."""
    found = memory.recall(project_id, columns)
    assert found is not None
    return found


def rows(store: Store) -> list[tuple[Any, ...]]:
    with store.read() as conn:
        return [tuple(row) for row in conn.execute(select(import_mappings))]


def test_a_mapping_is_remembered_for_the_same_headings(memory: ImportMappingStore, project: int) -> None:
    assert memory.recall(project, HEADINGS) is None
    memory.remember(project, HEADINGS, SAVED)
    found = recalled(memory, project, list(HEADINGS))
    assert found.data == SAVED
    assert isinstance(found.saved_at, dt.datetime)


def test_other_headings_or_another_order_recall_nothing(memory: ImportMappingStore, project: int) -> None:
    memory.remember(project, HEADINGS, SAVED)
    assert memory.recall(project, HEADINGS[::-1]) is None
    assert memory.recall(project, HEADINGS[:-1]) is None
    assert memory.recall(project, [*HEADINGS, "Score"]) is None
    assert memory.recall(project, [h.upper() for h in HEADINGS]) is None


def test_remembering_again_replaces_the_mapping(memory: ImportMappingStore, store: Store, project: int) -> None:
    memory.remember(project, HEADINGS, SAVED)
    memory.remember(project, HEADINGS, {"mapping": {}, "recodings": {}})
    assert recalled(memory, project, HEADINGS).data == {"mapping": {}, "recodings": {}}
    assert len(rows(store)) == 1


def test_one_projects_mapping_is_never_recalled_for_another(
    memory: ImportMappingStore, store: Store, project: int
) -> None:
    other = store.create_project("Zephyr")
    memory.remember(project, HEADINGS, SAVED)
    assert memory.recall(other, HEADINGS) is None

    memory.remember(other, HEADINGS, {"mine": True})
    assert recalled(memory, project, HEADINGS).data == SAVED
    assert recalled(memory, other, HEADINGS).data == {"mine": True}


def test_a_mapping_is_gone_with_its_project(memory: ImportMappingStore, store: Store, project: int) -> None:
    other = store.create_project("Zephyr")
    memory.remember(project, HEADINGS, SAVED)
    memory.remember(other, HEADINGS, SAVED)
    with store.write() as conn:
        conn.execute(projects.delete().where(projects.c.id == project))
    assert [row[0] for row in rows(store)] == [other]
    assert memory.recall(project, HEADINGS) is None


def test_remembering_for_a_deleted_project_says_so(memory: ImportMappingStore, store: Store, project: int) -> None:
    with store.write() as conn:
        conn.execute(projects.delete().where(projects.c.id == project))
    with pytest.raises(NotFoundError, match="project no longer exists"):
        memory.remember(project, HEADINGS, SAVED)
    assert rows(store) == []


def test_ten_thousand_headings_are_hashed_not_stored(memory: ImportMappingStore, store: Store, project: int) -> None:
    many = [f"Question {i}: {'x' * 50}" for i in range(10_000)]
    memory.remember(project, many, SAVED)
    assert recalled(memory, project, many).data == SAVED
    [(_, key, data, _)] = rows(store)
    assert key == headings_digest(many) and len(key) == 64
    assert "Question" not in data
    assert memory.recall(project, [*many[:-1], many[-1] + " "]) is None


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (["a", "b"], ["ab"]),
        (["a", "b"], ["a", "", "b"]),
        (["ab", ""], ["a", "b"]),
        (["a\x00b"], ["a", "b"]),
        ([], [""]),
    ],
)
def test_different_headings_never_share_a_digest(one: list[str], other: list[str]) -> None:
    assert headings_digest(one) != headings_digest(other)


def test_any_heading_text_can_be_remembered(memory: ImportMappingStore, project: int) -> None:
    odd = ["", "  ", "Zoë 🚀", "a\x00b", "\ud800 lone surrogate", "<script>alert(1)</script>", "'; DROP TABLE x; --"]
    memory.remember(project, odd, SAVED)
    memory.remember(project, [], {"empty": "file"})
    assert recalled(memory, project, odd).data == SAVED
    assert recalled(memory, project, []).data == {"empty": "file"}


def test_any_text_in_the_mapping_comes_back_as_it_was(memory: ImportMappingStore, project: int) -> None:
    data = {"recodings": {"comfort": {"Oui \x00 \ud800 «très» 🚀": 5, "": None}}, "n": [1, 2.5, True, None]}
    memory.remember(project, HEADINGS, data)
    assert recalled(memory, project, HEADINGS).data == data


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (["not", "a", "dict"], "not a set of named values"),
        ({1: "key is not text"}, "not a set of named values"),
        ({"answers": {"Yes", "No"}}, "not data .*set"),
        ({"when": dt.date(2026, 12, 7)}, "not data .*date"),
        ({"score": math.nan}, "not data"),
        ({"what": object()}, "not data .*object"),
    ],
)
def test_what_is_not_a_json_object_is_refused(
    memory: ImportMappingStore, store: Store, project: int, data: Any, problem: str
) -> None:
    with pytest.raises(ValidationError, match=f"The column mapping cannot be remembered: it .*{problem}"):
        memory.remember(project, HEADINGS, data)
    assert rows(store) == []


def test_a_mapping_that_refers_to_itself_is_refused(memory: ImportMappingStore, project: int) -> None:
    looped: dict[str, Any] = {}
    looped["self"] = looped
    with pytest.raises(ValidationError, match="cannot be remembered"):
        memory.remember(project, HEADINGS, looped)


def test_a_mapping_of_up_to_one_megabyte_is_remembered(memory: ImportMappingStore, store: Store, project: int) -> None:
    filler = "a" * (MAX_MAPPING_BYTES - len('{"x":""}'))
    memory.remember(project, HEADINGS, {"x": filler})
    assert recalled(memory, project, HEADINGS).data == {"x": filler}

    with pytest.raises(ValidationError, match=r"too large to remember: 1,000,001 bytes, at most 1,000,000"):
        memory.remember(project, HEADINGS, {"x": filler + "a"})
    assert recalled(memory, project, HEADINGS).data == {"x": filler}  # kept as it was
    # Escaped text counts as stored: "é" takes six bytes ("\\u00e9").
    with pytest.raises(ValidationError, match="too large"):
        memory.remember(project, HEADINGS, {"x": "é" * (MAX_MAPPING_BYTES // 6 + 1)})


@pytest.mark.parametrize(
    "stored",
    ["", "not json", "{'single': 'quotes'}", '{"cut off": ', "[1, 2, 3]", '"text"', "null", "[" * 100_000],
    ids=["empty", "text", "python", "cut", "list", "string", "null", "deep"],
)
def test_a_stored_value_that_is_no_json_object_is_recalled_as_nothing(
    memory: ImportMappingStore, store: Store, project: int, stored: str
) -> None:
    memory.remember(project, HEADINGS, SAVED)
    with store.write() as conn:
        conn.execute(import_mappings.update().values(data=stored))
    assert memory.recall(project, HEADINGS) is None

    memory.remember(project, HEADINGS, SAVED)  # and remembering again mends it
    assert recalled(memory, project, HEADINGS).data == SAVED


def test_saved_at_is_when_it_was_last_remembered(memory: ImportMappingStore, store: Store, project: int) -> None:
    memory.remember(project, HEADINGS, SAVED)
    with store.write() as conn:
        conn.execute(import_mappings.update().values(saved_at=dt.datetime(2020, 1, 1)))
    assert recalled(memory, project, HEADINGS).saved_at == dt.datetime(2020, 1, 1)
    memory.remember(project, HEADINGS, SAVED)
    assert recalled(memory, project, HEADINGS).saved_at > dt.datetime(2020, 1, 1)
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(import_mappings)).scalar_one() == 1
    assert json.loads(rows(store)[0][2]) == SAVED


def _remember_worker(barrier: Any, index: int, url: str, project_id: int) -> None:
    """One kernel remembering its own mapping for the same headings as the others, all at once."""
    with closing(Store.open(url)) as store:
        barrier.wait()
        ImportMappingStore(store).remember(project_id, HEADINGS, {"kernel": index})


def test_kernels_remembering_at_once_all_succeed_and_one_wins(
    store_url: str, memory: ImportMappingStore, store: Store, project: int, run_in_processes: Any
) -> None:
    run_in_processes(_remember_worker, [(i, store_url, project) for i in range(4)])
    assert len(rows(store)) == 1
    assert recalled(memory, project, HEADINGS).data in [{"kernel": i} for i in range(4)]


def test_each_kind_of_import_remembers_apart(store: Store, memory: ImportMappingStore) -> None:
    """A register and a survey with the same headings never share a mapping; a survey's key is
    the headings' digest alone, as before kinds existed, so what was remembered is still found."""
    project_id = store.create_project("Apollo")
    register = ImportMappingStore(store, "stakeholder register")
    memory.remember(project_id, HEADINGS, SAVED)
    assert register.recall(project_id, HEADINGS) is None
    register.remember(project_id, HEADINGS, {"columns": {}})
    assert memory.recall(project_id, HEADINGS).data == SAVED  # type: ignore[union-attr]
    assert register.recall(project_id, HEADINGS).data == {"columns": {}}  # type: ignore[union-attr]
    with store.read() as conn:
        digests = set(conn.execute(select(import_mappings.c.headings_digest)).scalars())
    assert headings_digest(HEADINGS) in digests and len(digests) == 2
