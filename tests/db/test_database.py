"""Unit tests of cpmkit.db.database.Store, each run on SQLite and on a real PostgreSQL server.

The concurrency tests start real OS processes ("spawn", like separate Voila kernels), each
with its own Store on the same database, and check that no write is lost and none fails.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from cpmkit import config
from cpmkit.db import location
from cpmkit.db.database import FILE_MODE, FOLDER_MODE, Store
from cpmkit.db.migrations import head
from cpmkit.db.schema import stakeholders as stakeholders_table
from cpmkit.db.schema import success_measures
from cpmkit.errors import NotFoundError, StoreError, ValidationError
from cpmkit.stakeholders.rules import MEASURE_FIELDS, STAKEHOLDER_FIELDS

# A fixture from conftest.py; the alias only documents its call signature.
RunInProcesses = Callable[..., dict[int, Any]]

HOSTILE_TEXTS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert('x')</script> & &amp; &lt;b&gt;",
    "Robert'); DROP TABLE stakeholders;--",
    'She said "ship it" \\ back\\slash %s %(x)s {0} :name ?',
    "Zoë Ångström — naïve café 🚀 日本語",
    "line one\nline two\ttabbed",
]


def _label(field: str) -> str:
    """How ValidationError.for_field names a field at the start of its message."""
    return field.replace("_", " ").capitalize()


# -- projects -----------------------------------------------------------------------------


def test_fresh_store_is_empty_and_current(store: Store) -> None:
    assert store.list_projects() == []
    assert store.schema_version == head()
    assert store.upgraded_from is None


def test_create_and_list_projects(store: Store) -> None:
    beta = store.create_project("  Beta  ")
    alpha = store.create_project("alpha")
    assert isinstance(beta, int) and isinstance(alpha, int) and beta != alpha
    # Listed by name, ignoring case; the name is stored trimmed.
    assert store.list_projects() == [{"id": alpha, "name": "alpha"}, {"id": beta, "name": "Beta"}]
    assert store.project(beta) == {"id": beta, "name": "Beta"}


@pytest.mark.parametrize("duplicate", ["Apollo", "apollo", "APOLLO", "  apollo ", "ApOlLo"])
def test_duplicate_project_name_refused(store: Store, duplicate: str) -> None:
    first = store.create_project("Apollo")
    with pytest.raises(ValidationError) as caught:
        store.create_project(duplicate)
    assert caught.value.field == "name"
    assert str(caught.value).startswith("Name:")
    assert store.list_projects() == [{"id": first, "name": "Apollo"}]
    # The failed insert left the store usable.
    other = store.create_project("Gemini")
    assert [p["id"] for p in store.list_projects()] == [first, other]


def test_project_names_compare_spacing_insensitively(store: Store) -> None:
    store.create_project("Moon   Landing")
    with pytest.raises(ValidationError, match="^Name:"):
        store.create_project("moon landing")


def test_empty_project_name_refused(store: Store) -> None:
    for bad in ["", "   ", None]:
        with pytest.raises(ValidationError, match="^Name: cannot be empty"):
            store.create_project(bad)  # type: ignore[arg-type]
    assert store.list_projects() == []


def test_missing_project_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.project(12345)
    with pytest.raises(NotFoundError):
        store.add_stakeholder(12345, "Ada")


# -- stakeholders -------------------------------------------------------------------------


def test_add_update_delete_stakeholder(store: Store, project: int) -> None:
    sid = store.add_stakeholder(
        project,
        "Ada Lovelace",
        role="Sponsor",
        organisation="Analytical Engines Ltd",
        category="Sponsor",
        power="5",
        interest=4.0,
        current_engagement="neutral",
        desired_engagement="LEADING",
        expected_value="Fewer manual calculations",
        channel="meeting",
        cadence="fortnightly",
        owner="Charles",
        last_contact="2024-03-01",
        next_touchpoint=dt.date(2024, 3, 15),
    )
    saved = store.stakeholder(sid)
    assert saved["project_id"] == project
    assert saved["name"] == "Ada Lovelace"
    assert saved["category"] == "sponsor"  # canonical lower case
    assert saved["power"] == 5 and saved["interest"] == 4
    assert saved["desired_engagement"] == "leading"
    assert saved["last_contact"] == dt.date(2024, 3, 1)
    assert saved["next_touchpoint"] == dt.date(2024, 3, 15)

    assert store.update_stakeholder(sid, "power", " 2 ") == 2
    assert store.update_stakeholder(sid, "role", "  Chief sponsor ") == "Chief sponsor"
    assert store.update_stakeholder(sid, "name", "Countess Lovelace") == "Countess Lovelace"
    assert store.update_stakeholder(sid, "last_contact", "") is None
    assert store.update_stakeholder(sid, "owner", "   ") is None
    saved = store.stakeholder(sid)
    assert (saved["power"], saved["role"], saved["name"]) == (2, "Chief sponsor", "Countess Lovelace")
    assert saved["last_contact"] is None and saved["owner"] is None
    assert saved["interest"] == 4  # untouched fields kept

    store.delete_stakeholder(sid)
    with pytest.raises(NotFoundError):
        store.stakeholder(sid)
    with pytest.raises(NotFoundError):
        store.update_stakeholder(sid, "role", "Ghost")
    assert store.stakeholders(project).empty


def test_renaming_to_own_name_in_other_case_is_allowed(store: Store, project: int) -> None:
    sid = store.add_stakeholder(project, "Ada Lovelace")
    assert store.update_stakeholder(sid, "name", "ADA  lovelace") == "ADA  lovelace"
    assert store.stakeholder(sid)["name"] == "ADA  lovelace"


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("name", "Grace Hopper", ""),
        ("name", "Grace Hopper", "   "),
        ("name", "Grace Hopper", None),
        ("name", "Grace Hopper", "x" * 121),
        ("power", 3, 0),
        ("power", 3, 6),
        ("power", 3, 2.5),
        ("power", 3, "high"),
        ("interest", 2, -1),
        ("interest", 2, "2.5"),
        ("category", "customer", "investor"),
        ("current_engagement", "neutral", "ecstatic"),
        ("desired_engagement", "leading", "max"),
        ("channel", "email", "pigeon"),
        ("cadence", "weekly", "hourly"),
        ("last_contact", "2024-01-31", "31/12/2024"),
        ("last_contact", "2024-01-31", "2024-02-30"),
        ("next_touchpoint", "2024-06-01", "next tuesday"),
        ("expected_value", "Faster answers", "v" * 2001),
    ],
)
def test_bad_stakeholder_value_refused_and_nothing_lost(
    store: Store, project: int, field: str, good: Any, bad: Any
) -> None:
    store.add_stakeholder(project, "Ada Lovelace")
    sid = store.add_stakeholder(project, "Someone")
    store.update_stakeholder(sid, field, good)
    before = store.stakeholder(sid)

    with pytest.raises(ValidationError) as caught:
        store.update_stakeholder(sid, field, bad)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{_label(field)}:")

    after = store.stakeholder(sid)
    assert after == before  # nothing changed, not even updated_at

    # The same value is refused when adding a stakeholder, and no row is added.
    count = len(store.stakeholders(project))
    with pytest.raises(ValidationError) as caught:
        if field == "name":
            store.add_stakeholder(project, bad)
        else:
            store.add_stakeholder(project, "Newcomer", **{field: bad})
    assert caught.value.field == field
    assert len(store.stakeholders(project)) == count


@pytest.mark.parametrize("store_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_a_stakeholder_added_as_another_kernel_deletes_the_project_is_refused_plainly(
    store: Store, project: int, project_deleted_before: Any
) -> None:
    """The project is deleted between the checks and the insert: the message says the project
    is gone, not that the name is taken."""
    with (
        project_deleted_before(store, "stakeholders", project),
        pytest.raises(NotFoundError, match="project no longer exists"),
    ):
        store.add_stakeholder(project, "Ada Lovelace")


@pytest.mark.parametrize("duplicate", ["Ada Lovelace", "ada lovelace", "ADA LOVELACE", "  Ada   Lovelace  "])
def test_duplicate_stakeholder_name_refused(store: Store, project: int, duplicate: str) -> None:
    ada = store.add_stakeholder(project, "Ada Lovelace")
    grace = store.add_stakeholder(project, "Grace Hopper")

    with pytest.raises(ValidationError) as caught:
        store.add_stakeholder(project, duplicate)
    assert caught.value.field == "name"
    assert str(caught.value).startswith("Name:")

    with pytest.raises(ValidationError, match="^Name:"):
        store.update_stakeholder(grace, "name", duplicate)
    assert store.stakeholder(grace)["name"] == "Grace Hopper"
    assert store.stakeholder(ada)["name"] == "Ada Lovelace"
    assert list(store.stakeholders(project)["name"]) == ["Ada Lovelace", "Grace Hopper"]

    # The same name is fine in another project.
    other = store.create_project("Gemini")
    store.add_stakeholder(other, duplicate)


def test_duplicate_name_lost_race_is_a_validation_error(
    store: Store, project: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If another writer wins the race for a name, the unique index refuses it with the same message."""
    import cpmkit.db.database as store_module

    real_clean = store_module.clean_stakeholder_field

    def no_duplicate_check(field: str, value: Any, *, other_names: Any = ()) -> Any:
        return real_clean(field, value)

    store.add_stakeholder(project, "Ada Lovelace")
    grace = store.add_stakeholder(project, "Grace Hopper")
    monkeypatch.setattr(store_module, "clean_stakeholder_field", no_duplicate_check)
    with pytest.raises(ValidationError, match="^Name: another stakeholder"):
        store.add_stakeholder(project, "ADA lovelace")
    with pytest.raises(ValidationError, match="^Name: another stakeholder"):
        store.update_stakeholder(grace, "name", "ada LOVELACE")
    assert list(store.stakeholders(project)["name"]) == ["Ada Lovelace", "Grace Hopper"]


def test_unknown_field_refused(store: Store, project: int) -> None:
    sid = store.add_stakeholder(project, "Ada")
    with pytest.raises(ValidationError) as caught:
        store.update_stakeholder(sid, "project_id", 99)
    assert caught.value.field == "project_id"
    with pytest.raises(ValidationError):
        store.update_stakeholder(sid, "name_key; DROP TABLE stakeholders", "x")
    assert store.stakeholder(sid)["project_id"] == project


def test_stakeholders_frame(store: Store, project: int) -> None:
    empty = store.stakeholders(project)
    assert list(empty.columns) == ["id", *STAKEHOLDER_FIELDS]
    assert empty.empty

    first = store.add_stakeholder(project, "Zed", power=5, interest=1, last_contact="2024-02-01")
    second = store.add_stakeholder(project, "Amy", category="user")
    other_project = store.create_project("Elsewhere")
    store.add_stakeholder(other_project, "Not me")

    frame = store.stakeholders(project)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["id", *STAKEHOLDER_FIELDS]
    assert list(frame["id"]) == [first, second]  # in the order added
    assert list(frame["name"]) == ["Zed", "Amy"]
    zed = frame.iloc[0]
    assert (zed["power"], zed["interest"], zed["last_contact"]) == (5, 1, dt.date(2024, 2, 1))
    assert frame.iloc[1]["category"] == "user"


# -- success measures ---------------------------------------------------------------------


def test_measures_add_update_and_frame(store: Store, project: int) -> None:
    sid = store.add_stakeholder(project, "Ada")
    assert list(store.measures(project).columns) == ["id", "stakeholder_id", "stakeholder", *MEASURE_FIELDS]

    mid = store.add_measure(sid, "  Net promoter score ")
    assert store.update_measure(mid, "unit", "points") == "points"
    assert store.update_measure(mid, "baseline", "1,000") == 1000.0
    assert store.update_measure(mid, "target", 1500) == 1500.0
    assert store.update_measure(mid, "latest", "1250.5") == 1250.5
    assert store.update_measure(mid, "measured_on", "2024-04-30") == dt.date(2024, 4, 30)
    assert store.update_measure(mid, "metric", "NPS") == "NPS"

    frame = store.measures(project)
    assert list(frame.columns) == ["id", "stakeholder_id", "stakeholder", *MEASURE_FIELDS]
    assert frame.to_dict("records") == [
        {
            "id": mid,
            "stakeholder_id": sid,
            "stakeholder": "Ada",
            "metric": "NPS",
            "unit": "points",
            "baseline": 1000.0,
            "target": 1500.0,
            "latest": 1250.5,
            "measured_on": dt.date(2024, 4, 30),
        }
    ]
    assert store.measures(store.create_project("Other")).empty


def _measure(store: Store, project: int, mid: int) -> dict[str, Any]:
    rows = store.measures(project)
    return rows[rows["id"] == mid].iloc[0].to_dict()


@pytest.mark.parametrize("order", ["target first", "baseline first"])
def test_target_equal_to_baseline_refused(store: Store, project: int, order: str) -> None:
    sid = store.add_stakeholder(project, "Ada")
    mid = store.add_measure(sid, "Cycle time")
    first, second = ("target", "baseline") if order == "target first" else ("baseline", "target")
    store.update_measure(mid, first, 10)

    for equal in (10, "10", "10.0", 10.0000000001):
        with pytest.raises(ValidationError) as caught:
            store.update_measure(mid, second, equal)
        assert caught.value.field == second
        assert str(caught.value).startswith(f"{_label(second)}:")
        assert "equals the baseline" in str(caught.value)
    saved = _measure(store, project, mid)
    assert saved[first] == 10.0 and pd.isna(saved[second])  # the refused value was not saved

    store.update_measure(mid, second, 20)
    # Moving the first one onto the second is refused too, and the old value stays.
    with pytest.raises(ValidationError, match=f"^{_label(first)}:"):
        store.update_measure(mid, first, 20)
    saved = _measure(store, project, mid)
    assert (saved[first], saved[second]) == (10.0, 20.0)


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("metric", "NPS", ""),
        ("metric", "NPS", "m" * 201),
        ("baseline", 3, "three"),
        ("target", 3, "nan"),
        ("latest", 3, "inf"),
        ("measured_on", "2024-01-01", "01.01.2024"),
        ("unit", "days", "u" * 41),
    ],
)
def test_bad_measure_value_refused_and_nothing_lost(
    store: Store, project: int, field: str, good: Any, bad: Any
) -> None:
    sid = store.add_stakeholder(project, "Ada")
    mid = store.add_measure(sid, "Cycle time")
    store.update_measure(mid, field, good)
    before = _measure(store, project, mid)
    with pytest.raises(ValidationError) as caught:
        store.update_measure(mid, field, bad)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{_label(field)}:")
    assert _measure(store, project, mid) == before


def test_add_measure_with_empty_metric_refused(store: Store, project: int) -> None:
    sid = store.add_stakeholder(project, "Ada")
    with pytest.raises(ValidationError, match="^Metric:"):
        store.add_measure(sid, "  ")
    assert store.measures(project).empty


def test_delete_stakeholder_removes_measures(store: Store, project: int) -> None:
    ada = store.add_stakeholder(project, "Ada")
    grace = store.add_stakeholder(project, "Grace")
    ada_measures = [store.add_measure(ada, "NPS"), store.add_measure(ada, "Cycle time")]
    grace_measure = store.add_measure(grace, "Uptime")

    store.delete_stakeholder(ada)

    assert list(store.measures(project)["id"]) == [grace_measure]
    with store.engine.connect() as conn:
        left = conn.execute(
            select(func.count()).select_from(success_measures).where(success_measures.c.stakeholder_id == ada)
        ).scalar_one()
        assert left == 0
        assert conn.execute(select(func.count()).select_from(stakeholders_table)).scalar_one() == 1
    for mid in ada_measures:
        with pytest.raises(NotFoundError):
            store.update_measure(mid, "unit", "points")
    with pytest.raises(NotFoundError):
        store.add_measure(ada, "NPS")
    with pytest.raises(NotFoundError):
        store.stakeholder(ada)


def test_delete_measure(store: Store, project: int) -> None:
    sid = store.add_stakeholder(project, "Ada")
    keep, drop = store.add_measure(sid, "NPS"), store.add_measure(sid, "Churn")
    store.delete_measure(drop)
    assert list(store.measures(project)["id"]) == [keep]
    with pytest.raises(NotFoundError):
        store.update_measure(drop, "target", 3)


# -- settings and free text ---------------------------------------------------------------


def test_settings_get_and_set(store: Store) -> None:
    assert store.get_setting("last_project") is None
    store.set_setting("last_project", "3")
    store.set_setting("theme", "dark")
    store.set_setting("last_project", "7")
    assert store.get_setting("last_project") == "7"
    assert store.get_setting("theme") == "dark"
    # Settings live beside the schema version but cannot overwrite it.
    store.set_setting("schema_version", "999")
    assert store.get_setting("schema_version") == "999"
    assert store.schema_version == head()


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_free_text_round_trips_byte_for_byte(store: Store, open_store: Callable[..., Store], text: str) -> None:
    pid = store.create_project(f"Project {text}")
    sid = store.add_stakeholder(pid, text, role=text, organisation=text, owner=text, expected_value=text)
    mid = store.add_measure(sid, text)
    store.update_measure(mid, "unit", text[:40].strip())
    store.set_setting("note", text)

    reopened = open_store()  # a second Store: what another kernel would read
    for s in (store, reopened):
        saved = s.stakeholder(sid)
        for field in ("name", "role", "organisation", "owner", "expected_value"):
            assert saved[field] == text
            assert saved[field].encode() == text.encode()
        assert s.stakeholders(pid).iloc[0]["expected_value"] == text
        measure = s.measures(pid).iloc[0]
        assert (measure["metric"], measure["stakeholder"]) == (text, text)
        assert measure["unit"] == text[:40].strip()
        assert s.project(pid)["name"] == f"Project {text}"
        assert s.get_setting("note") == text


# -- opening the store --------------------------------------------------------------------


def test_open_defaults_to_sqlite_file_in_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "not yet there"
    monkeypatch.delenv(location.DB_URL_ENV, raising=False)
    monkeypatch.setenv(config.DATA_DIR_ENV, str(data_dir))
    monkeypatch.chdir(tmp_path)  # nothing may land in the working directory
    store = Store.open()
    try:
        assert store.engine.dialect.name == "sqlite"
        expected = data_dir / location.DEFAULT_DB_FILENAME
        assert expected.is_file()
        assert store.url == f"sqlite:///{expected}"
        store.create_project("Persisted")
    finally:
        store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not yet there"]
    again = Store.open(f"sqlite:///{expected}")
    try:
        assert [p["name"] for p in again.list_projects()] == ["Persisted"]
    finally:
        again.close()


def test_open_uses_db_url_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "elsewhere" / "chosen.sqlite3"
    monkeypatch.setenv(location.DB_URL_ENV, f"sqlite:///{target}")
    monkeypatch.setenv(config.DATA_DIR_ENV, str(tmp_path / "unused"))
    store = Store.open()
    store.close()
    assert target.is_file()
    assert not (tmp_path / "unused").exists()


def test_db_url_makes_relative_sqlite_path_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = location.db_url({location.DB_URL_ENV: "sqlite:///relative/dir/store.sqlite3"})
    assert url == f"sqlite:///{(tmp_path / 'relative' / 'dir' / 'store.sqlite3').resolve()}"
    assert (
        location.db_url({location.DB_URL_ENV: f"sqlite:///{tmp_path}/abs.sqlite3"})
        == f"sqlite:///{tmp_path}/abs.sqlite3"
    )
    assert location.db_url({location.DB_URL_ENV: "sqlite://"}) == "sqlite://"
    pg = "postgresql://user:secret@db.example:5432/cpm"
    assert location.db_url({location.DB_URL_ENV: f"  {pg} "}) == pg
    assert (
        location.db_url({config.DATA_DIR_ENV: str(tmp_path)}) == f"sqlite:///{tmp_path / location.DEFAULT_DB_FILENAME}"
    )


# -- concurrency: separate processes, one database -----------------------------------------

WORKERS = 8
WRITES_PER_WORKER = 40


def _write_worker(barrier: Any, idx: int, url: str, project_id: int, shared_id: int, writes: int) -> Any:
    """One 'kernel': half its writes add stakeholders, half update a stakeholder every worker updates."""
    with closing(Store.open(url)) as store:
        barrier.wait()
        added: list[tuple[int, str]] = []
        for i in range(writes):
            if i % 2 == 0:
                name = f"Worker {idx} stakeholder {i}"
                added.append((store.add_stakeholder(project_id, name, power=i % 5 + 1, role=f"r{idx}-{i}"), name))
            else:
                store.update_stakeholder(shared_id, "expected_value", f"worker {idx} write {i}")
            if i % 10 == 9:
                store.set_setting(f"progress-{idx}", str(i))
        return added


def _open_worker(barrier: Any, idx: int, url: str) -> Any:
    """One 'kernel' starting at the same moment as the others on a store nobody created yet."""
    barrier.wait()
    with closing(Store.open(url)) as store:
        pid = store.create_project(f"Project of worker {idx}")
        return (store.upgraded_from, store.schema_version, pid)


def test_concurrent_writers_lose_nothing(
    store_url: str, open_store: Callable[..., Store], run_in_processes: RunInProcesses
) -> None:
    store = open_store()
    project = store.create_project("Shared")
    shared = store.add_stakeholder(project, "Everyone's stakeholder")

    added = run_in_processes(
        _write_worker, [(i, store_url, project, shared, WRITES_PER_WORKER) for i in range(WORKERS)]
    )

    expected = {(sid, name) for rows in added.values() for sid, name in rows}
    assert len(expected) == WORKERS * WRITES_PER_WORKER // 2
    frame = store.stakeholders(project)
    assert len(frame) == 1 + len(expected)
    assert set(zip(frame["id"], frame["name"])) - {(shared, "Everyone's stakeholder")} == expected
    assert frame["id"].is_unique
    last = store.stakeholder(shared)["expected_value"]
    assert last in {f"worker {w} write {i}" for w in range(WORKERS) for i in range(1, WRITES_PER_WORKER, 2)}
    for w in range(WORKERS):
        assert store.get_setting(f"progress-{w}") == str(WRITES_PER_WORKER - 1)


def test_concurrent_first_open_creates_store_once(
    store_url: str, open_store: Callable[..., Store], run_in_processes: RunInProcesses
) -> None:
    workers = 4
    opened = run_in_processes(_open_worker, [(i, store_url) for i in range(workers)])

    upgraded_from = [payload[0] for payload in opened.values()]
    assert sorted(upgraded_from, key=str) == [head()] * (workers - 1) + [None]  # exactly one created it
    assert {payload[1] for payload in opened.values()} == {head()}
    store = open_store()
    assert store.upgraded_from == head()
    assert sorted(p["name"] for p in store.list_projects()) == sorted(f"Project of worker {i}" for i in range(workers))


def _settings_worker(barrier: Any, idx: int, url: str, keys: int) -> Any:
    """One 'kernel' remembering the same settings as every other one (e.g. the last project)."""
    with closing(Store.open(url)) as store:
        barrier.wait()
        for i in range(keys):
            store.set_setting(f"shared-{i}", f"worker {idx}")


def test_concurrent_settings_on_the_same_new_key(
    store_url: str,
    open_store: Callable[..., Store],
    run_in_processes: RunInProcesses,
) -> None:
    store = open_store()
    workers, keys = 4, 100
    run_in_processes(_settings_worker, [(i, store_url, keys) for i in range(workers)])
    for i in range(keys):
        assert store.get_setting(f"shared-{i}") in {f"worker {w}" for w in range(workers)}


def test_writes_to_a_row_deleted_elsewhere_say_so(store: Store) -> None:
    project = store.create_project("Apollo")
    sid = store.add_stakeholder(project, "Dana")
    measure = store.add_measure(sid, "NPS")
    other = Store.open(store.engine.url.render_as_string(hide_password=False))
    try:
        other.delete_stakeholder(sid)
    finally:
        other.close()
    with pytest.raises(NotFoundError):
        store.update_measure(measure, "baseline", 1)
    with pytest.raises(NotFoundError):
        store.add_measure(sid, "CSAT")


def test_a_write_refused_by_a_foreign_key_names_what_is_missing_and_writes_nothing(store: Store) -> None:
    project = store.create_project("Apollo")
    with (
        pytest.raises(NotFoundError, match="^This stakeholder is gone.$"),
        store.write(missing="This stakeholder is gone.") as conn,
    ):
        conn.execute(success_measures.insert().values(stakeholder_id=12345, metric="NPS"))
    assert store.measures(project).empty
    with pytest.raises(IntegrityError), store.write() as conn:  # without ``missing`` the error is the database's
        conn.execute(success_measures.insert().values(stakeholder_id=12345, metric="NPS"))


def test_a_store_folder_that_cannot_be_created_is_a_plain_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="Cannot create the folder"):
        Store.open(f"sqlite:///{blocker / 'sub' / 'store.sqlite3'}")


# -- the store file is private -----------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual umask (022): files anyone can read unless cpmkit says otherwise."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_a_new_sqlite_store_and_its_folder_are_private(tmp_path: Path, loose_umask: None) -> None:
    path = tmp_path / "made" / "by" / "cpmkit" / "store.sqlite3"
    with closing(Store.open(f"sqlite:///{path}")) as store:
        store.create_project("Apollo")  # a write: the -wal and -shm files are there while the store is open
        side = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
        assert all(file.exists() for file in side)
        assert {file.name: _mode(file) for file in (path, *side)} == {file.name: FILE_MODE for file in (path, *side)} == {
            "store.sqlite3": 0o600, "store.sqlite3-wal": 0o600, "store.sqlite3-shm": 0o600,
        }  # fmt: skip
    assert _mode(path.parent) == FOLDER_MODE == 0o700
    assert _mode(path.parent.parent) == 0o755  # only the store's own folder is cpmkit's to close


def test_the_default_store_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loose_umask: None) -> None:
    monkeypatch.delenv(location.DB_URL_ENV, raising=False)
    monkeypatch.setenv(config.DATA_DIR_ENV, str(tmp_path / "data"))
    Store.open().close()
    assert _mode(tmp_path / "data" / location.DEFAULT_DB_FILENAME) == 0o600
    assert _mode(tmp_path / "data") == 0o700


def test_an_existing_folder_is_left_as_it_is(tmp_path: Path, loose_umask: None) -> None:
    tmp_path.chmod(0o755)
    Store.open(f"sqlite:///{tmp_path / 'store.sqlite3'}").close()
    assert _mode(tmp_path) == 0o755 and _mode(tmp_path / "store.sqlite3") == 0o600


def test_an_existing_store_others_can_read_is_made_private(tmp_path: Path, loose_umask: None) -> None:
    path = tmp_path / "store.sqlite3"
    url = f"sqlite:///{path}"
    with closing(Store.open(url)) as store:
        store.create_project("Apollo")
        side = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
        for file in (path, *side):
            file.chmod(0o644)  # as an older cpmkit left them
        with closing(Store.open(url)) as again:
            assert [p["name"] for p in again.list_projects()] == ["Apollo"]
            assert [_mode(file) for file in (path, *side)] == [0o600, 0o600, 0o600]


def test_a_store_of_another_user_is_not_changed_but_named_in_a_warning(
    tmp_path: Path, loose_umask: None, caplog: pytest.LogCaptureFixture
) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a file to another user")
    path = tmp_path / "store.sqlite3"
    Store.open(f"sqlite:///{path}").close()
    path.chmod(0o644)
    os.chown(path, 65534, 65534)  # nobody
    with caplog.at_level(logging.WARNING, logger="cpmkit"):
        Store.open(f"sqlite:///{path}").close()
    assert _mode(path) == 0o644
    assert f"{path} can be read by others (mode 644) and belongs to another user" in caplog.text
