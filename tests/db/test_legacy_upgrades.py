"""Stores cpmkit wrote before Alembic (schema versions 1 to 8) are brought to the baseline by
``cpmkit.db.legacy_upgrades`` without losing a row: what each step did, checked on stores built
from the fixed SQL in tests/data (``tests.db._old_stores``), on SQLite and on PostgreSQL.
Every version keeping every row is tests/db/test_migrations.py's."""

from __future__ import annotations

import ast
import datetime as dt
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

import cpmkit.db.legacy_upgrades
from cpmkit.core.links import digest
from cpmkit.db import legacy_upgrades
from cpmkit.db.database import Store, create_store_engine
from cpmkit.db.migrations import head, legacy_revision
from cpmkit.db.schema import projects, pulse_responses, stakeholders, success_measures
from cpmkit.errors import NotFoundError, ValidationError
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.retro.store import RetroStore
from cpmkit.gap.store import GapStore
from cpmkit.soft_skills.store import AssessmentStore
from cpmkit.stakeholders.rules import name_key
from cpmkit.stakeholders.store import StakeholderStore
from tests.db._old_stores import dump, engine_for, load_old_store, meta_value, run_sql, statements, store_sql

RunInProcesses = Callable[..., dict[int, Any]]  # the conftest fixture's call signature

T0 = dt.datetime(2023, 1, 2, 3, 4, 5)
T1 = dt.datetime(2023, 6, 7, 8, 9, 10)
FULL = {
    "role": "Sponsor",
    "organisation": "Analytical Engines Ltd",
    "category": "sponsor",
    "power": 5,
    "interest": 4,
    "current_engagement": "neutral",
    "desired_engagement": "leading",
    "expected_value": "Fewer manual calculations",
    "channel": "meeting",
    "cadence": "fortnightly",
    "owner": "Charles",
    "created_at": T0,
    "updated_at": T1,
}
#: The rows of tests/data/store_v1.sql, ``{table: {id: row}}``.
V1_ROWS: dict[str, dict[int, dict[str, Any]]] = {
    "projects": {
        1: {"name": "Apollo", "created_at": T0},
        2: {"name": "APOLLO", "created_at": T1},  # a case-duplicate project
        3: {"name": "Gemini", "created_at": T1},
    },
    "stakeholders": {
        1: {"project_id": 1, "name": "Ada Lovelace", **FULL},
        2: {"project_id": 1, "name": "ada lovelace", "role": "Shadow", "power": 1, "created_at": T0, "updated_at": T0},
        3: {"project_id": 1, "name": "Grace  Hopper", "interest": 2, "created_at": T0, "updated_at": T0},
        4: {"project_id": 1, "name": "grace hopper", "created_at": T0, "updated_at": T0},  # differs by spacing
        5: {
            "project_id": 1,
            "name": "<img src=x onerror=alert(1)>",
            "expected_value": "<script>alert('x')</script> & Zoë 🚀",
            "created_at": T1,
            "updated_at": T1,
        },
        6: {"project_id": 3, "name": "Ada Lovelace", "created_at": T1, "updated_at": T1},
    },
    "success_measures": {
        1: {
            "stakeholder_id": 1,
            "metric": "NPS",
            "unit": "points",
            "baseline": 20.0,
            "target": 40.0,
            "latest": 25.5,
            "measured_on": dt.date(2024, 1, 31),
            "created_at": T0,
        },
        2: {
            "stakeholder_id": 2,
            "metric": "Cycle time",
            "unit": "days",
            "baseline": 10.0,
            "target": 5.0,
            "created_at": T0,
        },
        3: {
            "stakeholder_id": 6,
            "metric": "Uptime",
            "unit": "%",
            "baseline": 99.0,
            "target": 99.9,
            "latest": 99.5,
            "measured_on": dt.date(2024, 2, 29),
            "created_at": T1,
        },
    },
}


def _rows(engine: Engine, table: Any) -> dict[int, dict[str, Any]]:
    with engine.connect() as conn:
        return {row.id: dict(row._mapping) for row in conn.execute(select(table).order_by(table.c.id))}


def test_every_version_has_an_upgrade_step() -> None:
    assert sorted(legacy_upgrades._STEPS) == list(range(1, legacy_upgrades.LAST_VERSION))


def test_the_steps_never_read_todays_tables() -> None:
    """A step reading today's tables would change meaning when a table changes (the trap the
    hand-written upgrades held): the steps use their own frozen definitions."""
    tree = ast.parse(Path(cpmkit.db.legacy_upgrades.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {m for m in imported if m and m.startswith(("cpmkit.db.schema", "cpmkit.db.migrations"))}


# -- version 1 to 2: names compared case-insensitively, contact dates -----------------------


def test_upgrade_from_v1_keeps_every_row(store_url: str, open_store: Callable[..., Store]) -> None:
    load_old_store(store_url, 1)

    store = open_store()
    assert store.upgraded_from == legacy_revision(1)
    assert store.schema_version == head()

    with engine_for(store_url) as engine:
        assert meta_value(engine, "schema_version") == "9"  # revision 0002 records schema 9
        inspector = inspect(engine)
        for table in (projects, stakeholders, success_measures):
            # The upgraded tables have every column a fresh store has.
            assert {c["name"] for c in inspector.get_columns(table.name)} == set(table.c.keys())
        unique_indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("stakeholders") if i["unique"]}
        assert unique_indexes["ux_stakeholders_project_name"] == ["project_id", "name_key"]
        with engine.connect() as conn:
            index_sql = "SELECT count(*) FROM {} WHERE {} = 'ux_projects_owner_name'"
            catalogue = ("sqlite_master", "name") if engine.dialect.name == "sqlite" else ("pg_indexes", "indexname")
            assert conn.execute(text(index_sql.format(*catalogue))).scalar_one() == 1  # unique per owner since v6
        after = {t.name: _rows(engine, t) for t in (projects, stakeholders, success_measures)}

    renamed = {"APOLLO": "APOLLO (2)", "ada lovelace": "ada lovelace (2)", "grace hopper": "grace hopper (2)"}
    for table, rows in V1_ROWS.items():
        assert set(after[table]) == set(rows), f"{table}: rows lost or added"
        for row_id, values in rows.items():
            saved = after[table][row_id]
            for column, value in values.items():
                if column == "name":
                    value = renamed.get(value, value)
                assert saved[column] == value, f"{table} #{row_id}.{column}"
            if table in ("projects", "stakeholders"):
                assert saved["name_key"] == name_key(saved["name"])
            if table == "stakeholders":
                assert saved["last_contact"] is None and saved["next_touchpoint"] is None
                # Columns v1 left empty are still empty.
                for column in (
                    set(stakeholders.c.keys()) - set(values) - {"id", "name_key", "last_contact", "next_touchpoint"}
                ):
                    assert saved[column] is None, f"stakeholders #{row_id}.{column}"

    # Exactly the case/spacing duplicates were renamed; the same name in another project was not.
    apollo, apollo_dup, gemini = sorted(V1_ROWS["projects"])
    assert [p["name"] for p in store.list_projects()] == ["Apollo", "APOLLO (2)", "Gemini"]
    assert list(StakeholderStore(store).stakeholders(apollo)["name"]) == [
        "Ada Lovelace",
        "ada lovelace (2)",
        "Grace  Hopper",
        "grace hopper (2)",
        "<img src=x onerror=alert(1)>",
    ]
    assert list(StakeholderStore(store).stakeholders(gemini)["name"]) == ["Ada Lovelace"]
    measures = StakeholderStore(store).measures(apollo)
    assert list(zip(measures["stakeholder"], measures["metric"])) == [
        ("Ada Lovelace", "NPS"),
        ("ada lovelace (2)", "Cycle time"),
    ]

    # The case-insensitive duplicate checks now work on the upgraded store ...
    for duplicate in ("ADA LOVELACE", "Ada Lovelace (2)", "grace   HOPPER"):
        with pytest.raises(ValidationError, match="^Name:"):
            StakeholderStore(store).add_stakeholder(apollo, duplicate)
    for duplicate in ("apollo", "Apollo (2)", " GEMINI "):
        with pytest.raises(ValidationError, match="^Name:"):
            store.create_project(duplicate)
    # ... down to the unique index, which refuses what slips past the check.
    with engine_for(store_url) as engine:
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                stakeholders.insert().values(project_id=apollo, name="ADA lovelace", name_key=name_key("ADA lovelace"))
            )
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(projects.insert().values(name="GEMINI", name_key=name_key("GEMINI")))

    # ... and new rows get new ids (the v1 sequences carry on) and the new columns.
    katherine = StakeholderStore(store).add_stakeholder(apollo, "Katherine Johnson", last_contact="2024-05-01")
    assert katherine > max(V1_ROWS["stakeholders"])
    assert StakeholderStore(store).stakeholder(katherine)["last_contact"] == dt.date(2024, 5, 1)
    assert StakeholderStore(store).update_stakeholder(katherine, "next_touchpoint", "2024-06-01") == dt.date(2024, 6, 1)
    assert store.create_project("Artemis") > apollo_dup
    assert StakeholderStore(store).add_measure(katherine, "Launches") > max(V1_ROWS["success_measures"])

    again = open_store()
    assert again.upgraded_from == head()


def test_failed_upgrade_leaves_the_store_as_it_was(
    store_url: str, open_store: Callable[..., Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    load_old_store(store_url, 1)

    def half_done(conn: Any) -> None:
        legacy_upgrades._v1_to_v2(conn)  # every change made ...
        raise RuntimeError("disk on fire")  # ... then the step fails

    monkeypatch.setitem(legacy_upgrades._STEPS, 1, half_done)
    engine = create_store_engine(store_url)
    try:
        with pytest.raises(RuntimeError, match="disk on fire"):
            Store(engine)
        assert meta_value(engine, "schema_version") == "1"
        inspector = inspect(engine)
        assert "name_key" not in {c["name"] for c in inspector.get_columns("stakeholders")}
        assert "last_contact" not in {c["name"] for c in inspector.get_columns("stakeholders")}
        with engine.connect() as conn:
            names = conn.exec_driver_sql("SELECT name FROM stakeholders ORDER BY id").scalars().all()
        assert names == [r["name"] for _, r in sorted(V1_ROWS["stakeholders"].items())]  # no " (2)" kept
    finally:
        engine.dispose()

    monkeypatch.undo()
    store = open_store()
    assert store.upgraded_from == legacy_revision(1)
    assert len(StakeholderStore(store).stakeholders(1)) == 5


def _upgrade_worker(barrier: Any, idx: int, url: str) -> Any:
    """One kernel, started right after cpmkit was upgraded, opening the old store."""
    barrier.wait()
    with closing(Store.open(url)) as store:
        return store.upgraded_from


@pytest.mark.parametrize("version", [1, 3])
def test_concurrent_openers_upgrade_once(
    version: int, store_url: str, open_store: Callable[..., Store], run_in_processes: RunInProcesses
) -> None:
    load_old_store(store_url, version)
    workers = 4
    upgraded_from = run_in_processes(_upgrade_worker, [(i, store_url) for i in range(workers)])
    assert sorted(upgraded_from.values()) == [head()] * (workers - 1) + [legacy_revision(version)]
    store = open_store()
    assert store.upgraded_from == head()
    if version == 1:
        assert list(StakeholderStore(store).stakeholders(1)["name"]).count("ada lovelace (2)") == 1
        assert len(StakeholderStore(store).measures(1)) == 2
    else:
        assert list(StakeholderStore(store).stakeholders(1)["name"]) == ["Ada Lovelace", "<img src=x onerror=alert(1)>"]
        assert AssessmentStore(store).answers(1) == {"listen_1": 4}


# -- versions 3, 4, 5 and 8: tables added ------------------------------------------------------


def test_upgrade_from_v2_creates_only_the_missing_tables(store_url: str, open_store: Callable[..., Store]) -> None:
    load_old_store(store_url, 2)
    workshops = [
        s for s in statements(store_sql(3).read_text()) if "workshops" in s.split("(")[0] and "INTO cpmkit" not in s
    ]
    run_sql(store_url, [*workshops, "UPDATE workshops SET name = 'Kept'"])
    store = open_store()
    assert store.upgraded_from == legacy_revision(2)
    assess = AssessmentStore(store)
    assert assess.workshop(1)["name"] == "Kept"  # the existing table and its row survive
    me = assess.start_self_assessment()["id"]
    assess.save_answer(me, "listen_1", 3)
    assert assess.answers(me) == {"listen_1": 3}


def test_upgraded_v3_store_keeps_working_with_cascades(store_url: str, open_store: Callable[..., Store]) -> None:
    load_old_store(store_url, 3)
    store = open_store()
    gaps = GapStore(store)
    gaps.choose_dimensions(1, ["reliability"])
    gaps.save_rating(1, "reliability", source="estimate", assessed_on=dt.date(2024, 6, 1), field="expectation", value=6)
    assert gaps.ratings(1)["expectation"].tolist() == [6]
    assert AssessmentStore(store).answers(1) == {"listen_1": 4}
    StakeholderStore(store).delete_stakeholder(1)
    assert gaps.ratings(1).empty
    assert open_store().upgraded_from == head()


# -- version 5 to 6: owners who sign in -------------------------------------------------------


def test_upgrade_to_v6_keeps_projects_for_admins_and_makes_names_unique_per_owner(
    store_url: str, open_store: Callable[..., Store]
) -> None:
    from cpmkit.accounts.store import AccountStore

    load_old_store(store_url, 5)
    with engine_for(store_url) as engine:
        before = dump(engine)
    store = open_store()
    assert store.upgraded_from == legacy_revision(5)
    with engine_for(store_url) as engine:
        after = dump(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT owner_id FROM projects")).scalars().all() == [None, None]
    assert after["success_measures"] == before["success_measures"]
    unkeyed = [
        [{k: v for k, v in row.items() if k != "name_key"} for row in d["stakeholders"]] for d in (before, after)
    ]
    assert unkeyed[0] == unkeyed[1]  # keys are recomputed (the next test), nothing else changes

    accounts = AccountStore(store)
    admin = accounts.add_user("ada", "correct horse 1", admin=True)
    pm, other_pm = accounts.add_user("bob", "correct horse 2"), accounts.add_user("cy", "correct horse 3")
    assert [p["id"] for p in store.list_projects(admin)] == [1, 2]  # kept, for admins
    assert store.list_projects(pm) == []  # nobody else's
    mine, theirs = store.create_project("Apollo", owner=pm), store.create_project("Apollo", owner=other_pm)
    assert mine != theirs  # another PM's name is neither taken nor told
    with pytest.raises(ValidationError, match="already called"):
        store.create_project("apollo", owner=pm)
    with pytest.raises(ValidationError, match="already called"):
        store.create_project("APOLLO")  # an owner-less project's name is taken among owner-less ones
    assert [p["id"] for p in store.list_projects(pm)] == [mine]


def test_upgrade_to_v6_gives_stored_names_their_look_alike_keys(
    store_url: str, open_store: Callable[..., Store]
) -> None:
    load_old_store(store_url, 5)
    # Written by v5, keyed as v5 did (case folded): "Apоllo" with a Cyrillic о.
    run_sql(store_url, ["INSERT INTO projects (name, name_key) VALUES ('Apоllo', 'apоllo')"])
    store = open_store()
    assert store.upgraded_from == legacy_revision(5)
    assert store.project(1)["name"] == "Apollo"  # the older keeps its name
    assert store.project(3)["name"] == "Apоllo (2)"  # none lost, the index holds
    with pytest.raises(ValidationError, match="already called"):
        store.create_project("APOLLO")


# -- version 6 to 7: link secrets kept only as digests ---------------------------------------

#: The plain secrets in tests/data/store_v6.sql, by what they open.
V6_SECRETS = {
    "participant": "bc0qhjDouJbsASJ6cO1OBtgPJJyhTwMV",
    "solo": "vAdqsjDdcgha8KLXyD7MwW8xajyPXrdA",
    "rater": "mtTc0wm-J5ks0TN5DKtFILrFTDRl20Bi",
    "survey": "bfK0sTruO0_5-RqmPYeBN2s05yfi57PK",
    "pulse": "Yd1rdCr334e5NZ8u2EFLcDQywlMw71FC",
    "board": "q4K2A93tkt6S3CltbXr-bsZsJKaA0AQo",
    "facilitator": "py7B_XS_A7DOs91IBecbxqSypZmBBWio",
    "member": "fedcba9876543210fedcba9876543210",
    "form": "0123456789abcdef0123456789abcdef",
}
IMPORTED_KEY = "5d41402abc4b2a76b9719d911017c592"


def _cells(engine: Engine) -> list[str]:
    """Every value in every table of the store, as text."""
    return [str(value) for rows in dump(engine).values() for row in rows for value in row.values()]


def test_upgrade_to_v7_keeps_every_link_working_and_no_plain_secret(
    store_url: str, open_store: Callable[..., Store]
) -> None:
    load_old_store(store_url, 6)
    with engine_for(store_url) as engine:
        assert set(V6_SECRETS.values()) - {V6_SECRETS["form"]} <= set(_cells(engine))

    store = open_store()
    assert store.upgraded_from == legacy_revision(6)
    assert store.schema_version == head()

    # Every link already sent opens what it opened, through the public store methods.
    assess, gaps = AssessmentStore(store), GapStore(store)
    pulses, retros = PulseStore(store), RetroStore(store)
    grace = assess.participant_by_token(V6_SECRETS["participant"])
    assert (grace["id"], grace["display_name"], grace["round"]) == (1, "Grace", "before")
    assert assess.answers(grace["id"]) == {"listen_1": 4}
    assert assess.participant_by_token(V6_SECRETS["solo"])["id"] == 2
    assert assess.peer_rater(V6_SECRETS["rater"]) == {
        "subject_id": 1,
        "bank": "soft_skills",
        "answers": {"listen_1": 3},
    }
    assert gaps.survey(V6_SECRETS["survey"]) == {
        "stakeholder_id": 1,
        "stakeholder": "Ada Lovelace",
        "project_id": 1,
        "project": "Apollo",
    }
    assert pulses.round_for_token(V6_SECRETS["pulse"])["name"] == "October"
    assert retros.board_for_token(V6_SECRETS["board"])["id"] == 1
    assert retros.board_for_facilitator(V6_SECRETS["facilitator"])["id"] == 1
    # ... the browsers that answered or joined still find their response and their place ...
    assert pulses.form_response(1, V6_SECRETS["form"]) == {"id": 1, "stakeholder_id": None, "answers": {"recommend": 9}}
    assert retros.join(1, "ana", V6_SECRETS["member"]) == 1
    with pytest.raises(ValidationError, match="from another browser"):
        retros.join(1, "Ana", "0" * 32)
    # ... and the page with no link resumes the last solo self-assessment, now remembered by id.
    assert store.get_setting("last_self_assessment") == store.get_setting("last_self_assessment:1") == "2"

    # No plain secret is left anywhere; each secret column holds the digest; imports are untouched.
    with engine_for(store_url) as engine:
        cells = _cells(engine)
        assert not [c for c in cells if any(secret in c for secret in V6_SECRETS.values())]
        with engine.connect() as conn:
            keys = conn.execute(select(pulse_responses.c.response_key).order_by(pulse_responses.c.id)).scalars().all()
            for table, column in legacy_upgrades.SECRET_COLUMNS:
                assert all(len(v) == 64 for v in conn.execute(select(table.c[column])).scalars())
    assert keys == [digest(f"form-{V6_SECRETS['form']}"), IMPORTED_KEY]
    assert len(legacy_upgrades.SECRET_COLUMNS) == 7

    # A stored digest opens nothing, and upgrading again changes nothing.
    with pytest.raises(NotFoundError):
        assess.participant_by_token(digest(V6_SECRETS["participant"]))
    assert open_store().upgraded_from == head()
    assert assess.participant_by_token(V6_SECRETS["participant"])["id"] == 1


def test_a_v7_upgrade_that_fails_half_way_leaves_every_plain_secret_as_it_was(
    store_url: str, open_store: Callable[..., Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    load_old_store(store_url, 6)
    real, calls = legacy_upgrades._set_digests, []

    def fail_on_the_third(*args: Any) -> None:
        calls.append(args)
        real(*args)
        if len(calls) == 3:
            raise RuntimeError("disk on fire")

    monkeypatch.setattr(legacy_upgrades, "_set_digests", fail_on_the_third)
    engine = create_store_engine(store_url)
    try:
        with pytest.raises(RuntimeError, match="disk on fire"):
            Store(engine)
        assert meta_value(engine, "schema_version") == "6"
        assert set(V6_SECRETS.values()) - {V6_SECRETS["form"]} <= set(_cells(engine))
    finally:
        engine.dispose()
    monkeypatch.undo()
    store = open_store()
    assert store.upgraded_from == legacy_revision(6)
    assert AssessmentStore(store).participant_by_token(V6_SECRETS["participant"])["id"] == 1


def test_a_forgotten_last_self_assessment_is_dropped_on_upgrade(
    store_url: str, open_store: Callable[..., Store]
) -> None:
    load_old_store(store_url, 6)
    run_sql(store_url, ["UPDATE cpmkit_meta SET value = 'no-such-token' WHERE key = 'setting:last_self_assessment'"])
    assert open_store().get_setting("last_self_assessment") is None


def test_no_plain_secret_is_left_in_an_upgraded_sqlite_file(sqlite_url: str) -> None:
    """SQLite may leave deleted bytes in the file's free space (Debian builds it with
    secure_delete on by default, other builds do not: with it off, about one token in ten of
    2,000 was left). The upgrade turns secure_delete on itself: after it and a clean close, no
    plain secret is in the file at all, even on a connection that starts with it off."""
    load_old_store(sqlite_url, 6)
    path = Path(make_url(sqlite_url).database or "")
    many = [f"plain-token-{i:05d}-{'x' * 14}" for i in range(1000)]
    with closing(sqlite3.connect(path)) as conn:
        conn.executemany("INSERT INTO participants (display_name, token) VALUES (NULL, ?)", [(t,) for t in many])
        conn.commit()
    assert V6_SECRETS["participant"].encode() in path.read_bytes()  # the test would see one
    engine = create_store_engine(sqlite_url)

    @event.listens_for(engine, "connect")
    def _without_secure_delete(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA secure_delete=OFF")

    Store(engine).close()
    data = path.read_bytes()
    assert not path.with_name(path.name + "-wal").exists()
    assert [name for name, secret in V6_SECRETS.items() if secret.encode() in data] == []
    assert [t for t in many if t.encode() in data] == []
    assert digest(V6_SECRETS["participant"]).encode() in data
