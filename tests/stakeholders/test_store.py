"""Unit tests of cpmkit.stakeholders.store.StakeholderStore (workbook 1's stakeholders and success
measures), each run on SQLite and on a real PostgreSQL server.

The concurrency test starts real OS processes ("spawn", like separate Voila kernels), each with
its own Store on the same database, and checks that no write is lost and none fails.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import closing
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select

from cpmkit.db.database import Store
from cpmkit.db.schema import stakeholders as stakeholders_table
from cpmkit.db.schema import success_measures
from cpmkit.errors import NotFoundError, ValidationError
from cpmkit.stakeholders.rules import MEASURE_FIELDS, STAKEHOLDER_FIELDS
from cpmkit.stakeholders.store import StakeholderStore

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


def test_a_stakeholder_of_a_missing_project_is_not_found(stakeholder_store: StakeholderStore) -> None:
    with pytest.raises(NotFoundError, match="^This project no longer exists"):
        stakeholder_store.add_stakeholder(12345, "Ada")


# -- stakeholders -------------------------------------------------------------------------


def test_add_update_delete_stakeholder(stakeholder_store: StakeholderStore, project: int) -> None:
    sid = stakeholder_store.add_stakeholder(
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
    saved = stakeholder_store.stakeholder(sid)
    assert saved["project_id"] == project
    assert saved["name"] == "Ada Lovelace"
    assert saved["category"] == "sponsor"  # canonical lower case
    assert saved["power"] == 5 and saved["interest"] == 4
    assert saved["desired_engagement"] == "leading"
    assert saved["last_contact"] == dt.date(2024, 3, 1)
    assert saved["next_touchpoint"] == dt.date(2024, 3, 15)

    assert stakeholder_store.update_stakeholder(sid, "power", " 2 ") == 2
    assert stakeholder_store.update_stakeholder(sid, "role", "  Chief sponsor ") == "Chief sponsor"
    assert stakeholder_store.update_stakeholder(sid, "name", "Countess Lovelace") == "Countess Lovelace"
    assert stakeholder_store.update_stakeholder(sid, "last_contact", "") is None
    assert stakeholder_store.update_stakeholder(sid, "owner", "   ") is None
    saved = stakeholder_store.stakeholder(sid)
    assert (saved["power"], saved["role"], saved["name"]) == (2, "Chief sponsor", "Countess Lovelace")
    assert saved["last_contact"] is None and saved["owner"] is None
    assert saved["interest"] == 4  # untouched fields kept

    stakeholder_store.delete_stakeholder(sid)
    with pytest.raises(NotFoundError):
        stakeholder_store.stakeholder(sid)
    with pytest.raises(NotFoundError):
        stakeholder_store.update_stakeholder(sid, "role", "Ghost")
    assert stakeholder_store.stakeholders(project).empty


def test_renaming_to_own_name_in_other_case_is_allowed(stakeholder_store: StakeholderStore, project: int) -> None:
    sid = stakeholder_store.add_stakeholder(project, "Ada Lovelace")
    assert stakeholder_store.update_stakeholder(sid, "name", "ADA  lovelace") == "ADA  lovelace"
    assert stakeholder_store.stakeholder(sid)["name"] == "ADA  lovelace"


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
    stakeholder_store: StakeholderStore, project: int, field: str, good: Any, bad: Any
) -> None:
    stakeholder_store.add_stakeholder(project, "Ada Lovelace")
    sid = stakeholder_store.add_stakeholder(project, "Someone")
    stakeholder_store.update_stakeholder(sid, field, good)
    before = stakeholder_store.stakeholder(sid)

    with pytest.raises(ValidationError) as caught:
        stakeholder_store.update_stakeholder(sid, field, bad)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{_label(field)}:")

    after = stakeholder_store.stakeholder(sid)
    assert after == before  # nothing changed, not even updated_at

    # The same value is refused when adding a stakeholder, and no row is added.
    count = len(stakeholder_store.stakeholders(project))
    with pytest.raises(ValidationError) as caught:
        if field == "name":
            stakeholder_store.add_stakeholder(project, bad)
        else:
            stakeholder_store.add_stakeholder(project, "Newcomer", **{field: bad})
    assert caught.value.field == field
    assert len(stakeholder_store.stakeholders(project)) == count


@pytest.mark.parametrize("store_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_a_stakeholder_added_as_another_kernel_deletes_the_project_is_refused_plainly(
    store: Store, stakeholder_store: StakeholderStore, project: int, project_deleted_before: Any
) -> None:
    """The project is deleted between the checks and the insert: the message says the project
    is gone, not that the name is taken."""
    with (
        project_deleted_before(store, "stakeholders", project),
        pytest.raises(NotFoundError, match="project no longer exists"),
    ):
        stakeholder_store.add_stakeholder(project, "Ada Lovelace")


@pytest.mark.parametrize("duplicate", ["Ada Lovelace", "ada lovelace", "ADA LOVELACE", "  Ada   Lovelace  "])
def test_duplicate_stakeholder_name_refused(
    store: Store, stakeholder_store: StakeholderStore, project: int, duplicate: str
) -> None:
    ada = stakeholder_store.add_stakeholder(project, "Ada Lovelace")
    grace = stakeholder_store.add_stakeholder(project, "Grace Hopper")

    with pytest.raises(ValidationError) as caught:
        stakeholder_store.add_stakeholder(project, duplicate)
    assert caught.value.field == "name"
    assert str(caught.value).startswith("Name:")

    with pytest.raises(ValidationError, match="^Name:"):
        stakeholder_store.update_stakeholder(grace, "name", duplicate)
    assert stakeholder_store.stakeholder(grace)["name"] == "Grace Hopper"
    assert stakeholder_store.stakeholder(ada)["name"] == "Ada Lovelace"
    assert list(stakeholder_store.stakeholders(project)["name"]) == ["Ada Lovelace", "Grace Hopper"]

    # The same name is fine in another project.
    other = store.create_project("Gemini")
    stakeholder_store.add_stakeholder(other, duplicate)


def test_duplicate_name_lost_race_is_a_validation_error(
    store: Store, stakeholder_store: StakeholderStore, project: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If another writer wins the race for a name, the unique index refuses it with the same message."""
    import cpmkit.stakeholders.store as store_module

    real_clean = store_module.clean_stakeholder_field

    def no_duplicate_check(field: str, value: Any, *, other_names: Any = ()) -> Any:
        return real_clean(field, value)

    stakeholder_store.add_stakeholder(project, "Ada Lovelace")
    grace = stakeholder_store.add_stakeholder(project, "Grace Hopper")
    monkeypatch.setattr(store_module, "clean_stakeholder_field", no_duplicate_check)
    with pytest.raises(ValidationError, match="^Name: another stakeholder"):
        stakeholder_store.add_stakeholder(project, "ADA lovelace")
    with pytest.raises(ValidationError, match="^Name: another stakeholder"):
        stakeholder_store.update_stakeholder(grace, "name", "ada LOVELACE")
    assert list(stakeholder_store.stakeholders(project)["name"]) == ["Ada Lovelace", "Grace Hopper"]


def test_unknown_field_refused(stakeholder_store: StakeholderStore, project: int) -> None:
    sid = stakeholder_store.add_stakeholder(project, "Ada")
    with pytest.raises(ValidationError) as caught:
        stakeholder_store.update_stakeholder(sid, "project_id", 99)
    assert caught.value.field == "project_id"
    with pytest.raises(ValidationError):
        stakeholder_store.update_stakeholder(sid, "name_key; DROP TABLE stakeholders", "x")
    assert stakeholder_store.stakeholder(sid)["project_id"] == project


def test_stakeholders_frame(store: Store, stakeholder_store: StakeholderStore, project: int) -> None:
    empty = stakeholder_store.stakeholders(project)
    assert list(empty.columns) == ["id", *STAKEHOLDER_FIELDS]
    assert empty.empty

    first = stakeholder_store.add_stakeholder(project, "Zed", power=5, interest=1, last_contact="2024-02-01")
    second = stakeholder_store.add_stakeholder(project, "Amy", category="user")
    other_project = store.create_project("Elsewhere")
    stakeholder_store.add_stakeholder(other_project, "Not me")

    frame = stakeholder_store.stakeholders(project)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["id", *STAKEHOLDER_FIELDS]
    assert list(frame["id"]) == [first, second]  # in the order added
    assert list(frame["name"]) == ["Zed", "Amy"]
    zed = frame.iloc[0]
    assert (zed["power"], zed["interest"], zed["last_contact"]) == (5, 1, dt.date(2024, 2, 1))
    assert frame.iloc[1]["category"] == "user"


# -- success measures ---------------------------------------------------------------------


def test_measures_add_update_and_frame(store: Store, stakeholder_store: StakeholderStore, project: int) -> None:
    sid = stakeholder_store.add_stakeholder(project, "Ada")
    assert list(stakeholder_store.measures(project).columns) == ["id", "stakeholder_id", "stakeholder", *MEASURE_FIELDS]

    mid = stakeholder_store.add_measure(sid, "  Net promoter score ")
    assert stakeholder_store.update_measure(mid, "unit", "points") == "points"
    assert stakeholder_store.update_measure(mid, "baseline", "1,000") == 1000.0
    assert stakeholder_store.update_measure(mid, "target", 1500) == 1500.0
    assert stakeholder_store.update_measure(mid, "latest", "1250.5") == 1250.5
    assert stakeholder_store.update_measure(mid, "measured_on", "2024-04-30") == dt.date(2024, 4, 30)
    assert stakeholder_store.update_measure(mid, "metric", "NPS") == "NPS"

    frame = stakeholder_store.measures(project)
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
    assert stakeholder_store.measures(store.create_project("Other")).empty


def _measure(stakeholder_store: StakeholderStore, project: int, mid: int) -> dict[str, Any]:
    rows = stakeholder_store.measures(project)
    return rows[rows["id"] == mid].iloc[0].to_dict()


@pytest.mark.parametrize("order", ["target first", "baseline first"])
def test_target_equal_to_baseline_refused(stakeholder_store: StakeholderStore, project: int, order: str) -> None:
    sid = stakeholder_store.add_stakeholder(project, "Ada")
    mid = stakeholder_store.add_measure(sid, "Cycle time")
    first, second = ("target", "baseline") if order == "target first" else ("baseline", "target")
    stakeholder_store.update_measure(mid, first, 10)

    for equal in (10, "10", "10.0", 10.0000000001):
        with pytest.raises(ValidationError) as caught:
            stakeholder_store.update_measure(mid, second, equal)
        assert caught.value.field == second
        assert str(caught.value).startswith(f"{_label(second)}:")
        assert "equals the baseline" in str(caught.value)
    saved = _measure(stakeholder_store, project, mid)
    assert saved[first] == 10.0 and pd.isna(saved[second])  # the refused value was not saved

    stakeholder_store.update_measure(mid, second, 20)
    # Moving the first one onto the second is refused too, and the old value stays.
    with pytest.raises(ValidationError, match=f"^{_label(first)}:"):
        stakeholder_store.update_measure(mid, first, 20)
    saved = _measure(stakeholder_store, project, mid)
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
    stakeholder_store: StakeholderStore, project: int, field: str, good: Any, bad: Any
) -> None:
    sid = stakeholder_store.add_stakeholder(project, "Ada")
    mid = stakeholder_store.add_measure(sid, "Cycle time")
    stakeholder_store.update_measure(mid, field, good)
    before = _measure(stakeholder_store, project, mid)
    with pytest.raises(ValidationError) as caught:
        stakeholder_store.update_measure(mid, field, bad)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{_label(field)}:")
    assert _measure(stakeholder_store, project, mid) == before


def test_add_measure_with_empty_metric_refused(stakeholder_store: StakeholderStore, project: int) -> None:
    sid = stakeholder_store.add_stakeholder(project, "Ada")
    with pytest.raises(ValidationError, match="^Metric:"):
        stakeholder_store.add_measure(sid, "  ")
    assert stakeholder_store.measures(project).empty


def test_delete_stakeholder_removes_measures(store: Store, stakeholder_store: StakeholderStore, project: int) -> None:
    ada = stakeholder_store.add_stakeholder(project, "Ada")
    grace = stakeholder_store.add_stakeholder(project, "Grace")
    ada_measures = [stakeholder_store.add_measure(ada, "NPS"), stakeholder_store.add_measure(ada, "Cycle time")]
    grace_measure = stakeholder_store.add_measure(grace, "Uptime")

    stakeholder_store.delete_stakeholder(ada)

    assert list(stakeholder_store.measures(project)["id"]) == [grace_measure]
    with store.engine.connect() as conn:
        left = conn.execute(
            select(func.count()).select_from(success_measures).where(success_measures.c.stakeholder_id == ada)
        ).scalar_one()
        assert left == 0
        assert conn.execute(select(func.count()).select_from(stakeholders_table)).scalar_one() == 1
    for mid in ada_measures:
        with pytest.raises(NotFoundError):
            stakeholder_store.update_measure(mid, "unit", "points")
    with pytest.raises(NotFoundError):
        stakeholder_store.add_measure(ada, "NPS")
    with pytest.raises(NotFoundError):
        stakeholder_store.stakeholder(ada)


def test_delete_measure(stakeholder_store: StakeholderStore, project: int) -> None:
    sid = stakeholder_store.add_stakeholder(project, "Ada")
    keep, drop = stakeholder_store.add_measure(sid, "NPS"), stakeholder_store.add_measure(sid, "Churn")
    stakeholder_store.delete_measure(drop)
    assert list(stakeholder_store.measures(project)["id"]) == [keep]
    with pytest.raises(NotFoundError):
        stakeholder_store.update_measure(drop, "target", 3)


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_free_text_round_trips_byte_for_byte(
    store: Store, stakeholder_store: StakeholderStore, open_store: Callable[..., Store], text: str
) -> None:
    pid = store.create_project(f"Project {text}")
    sid = stakeholder_store.add_stakeholder(pid, text, role=text, organisation=text, owner=text, expected_value=text)
    mid = stakeholder_store.add_measure(sid, text)
    stakeholder_store.update_measure(mid, "unit", text[:40].strip())
    store.set_setting("note", text)

    reopened = open_store()  # a second Store: what another kernel would read
    for s in (store, reopened):
        saved = StakeholderStore(s).stakeholder(sid)
        for field in ("name", "role", "organisation", "owner", "expected_value"):
            assert saved[field] == text
            assert saved[field].encode() == text.encode()
        assert StakeholderStore(s).stakeholders(pid).iloc[0]["expected_value"] == text
        measure = StakeholderStore(s).measures(pid).iloc[0]
        assert (measure["metric"], measure["stakeholder"]) == (text, text)
        assert measure["unit"] == text[:40].strip()
        assert s.project(pid)["name"] == f"Project {text}"
        assert s.get_setting("note") == text


# -- concurrency: separate processes, one database -----------------------------------------

WORKERS = 8
WRITES_PER_WORKER = 40


def _write_worker(barrier: Any, idx: int, url: str, project_id: int, shared_id: int, writes: int) -> Any:
    """One 'kernel': half its writes add stakeholders, half update a stakeholder every worker updates."""
    with closing(Store.open(url)) as store:
        register = StakeholderStore(store)
        barrier.wait()
        added: list[tuple[int, str]] = []
        for i in range(writes):
            if i % 2 == 0:
                name = f"Worker {idx} stakeholder {i}"
                added.append((register.add_stakeholder(project_id, name, power=i % 5 + 1, role=f"r{idx}-{i}"), name))
            else:
                register.update_stakeholder(shared_id, "expected_value", f"worker {idx} write {i}")
            if i % 10 == 9:
                store.set_setting(f"progress-{idx}", str(i))
        return added


def test_concurrent_writers_lose_nothing(
    store_url: str, open_store: Callable[..., Store], run_in_processes: RunInProcesses
) -> None:
    store = open_store()
    stakeholder_store = StakeholderStore(store)
    project = store.create_project("Shared")
    shared = stakeholder_store.add_stakeholder(project, "Everyone's stakeholder")

    added = run_in_processes(
        _write_worker, [(i, store_url, project, shared, WRITES_PER_WORKER) for i in range(WORKERS)]
    )

    expected = {(sid, name) for rows in added.values() for sid, name in rows}
    assert len(expected) == WORKERS * WRITES_PER_WORKER // 2
    frame = stakeholder_store.stakeholders(project)
    assert len(frame) == 1 + len(expected)
    assert set(zip(frame["id"], frame["name"])) - {(shared, "Everyone's stakeholder")} == expected
    assert frame["id"].is_unique
    last = stakeholder_store.stakeholder(shared)["expected_value"]
    assert last in {f"worker {w} write {i}" for w in range(WORKERS) for i in range(1, WRITES_PER_WORKER, 2)}
    for w in range(WORKERS):
        assert store.get_setting(f"progress-{w}") == str(WRITES_PER_WORKER - 1)


def test_writes_to_a_row_deleted_elsewhere_say_so(store: Store, stakeholder_store: StakeholderStore) -> None:
    project = store.create_project("Apollo")
    sid = stakeholder_store.add_stakeholder(project, "Dana")
    measure = stakeholder_store.add_measure(sid, "NPS")
    other = Store.open(store.engine.url.render_as_string(hide_password=False))
    try:
        StakeholderStore(other).delete_stakeholder(sid)
    finally:
        other.close()
    with pytest.raises(NotFoundError):
        stakeholder_store.update_measure(measure, "baseline", 1)
    with pytest.raises(NotFoundError):
        stakeholder_store.add_measure(sid, "CSAT")
