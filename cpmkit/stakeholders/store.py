"""Workbook 1's saved register: each project's stakeholders and the success measures each of
them counts value by.

Built on a :class:`~cpmkit.db.database.Store` like ``GapStore``: each answer is one short write
transaction, one field saved per call, checked first by ``cpmkit.stakeholders.rules``. A
stakeholder's name is unique in its project (ignoring case and look-alikes); deleting a
stakeholder deletes what every workbook recorded about them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from cpmkit.db.database import Store
from cpmkit.db.schema import stakeholders, success_measures
from cpmkit.errors import NotFoundError, ValidationError, gone
from cpmkit.stakeholders.rules import (
    MEASURE_FIELDS,
    STAKEHOLDER_FIELDS,
    clean_measure_field,
    clean_stakeholder_field,
    name_key,
)

__all__ = ["StakeholderStore"]


class StakeholderStore:
    """Stakeholders and their success measures, in a :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- stakeholders -----------------------------------------------------------------------

    def add_stakeholder(self, project_id: int, name: str, **fields: Any) -> int:
        """Add a stakeholder to a project and return its id; every field is checked first."""
        self.store.project(project_id)
        with self.store.read() as conn:
            others = (
                conn.execute(select(stakeholders.c.name).where(stakeholders.c.project_id == project_id)).scalars().all()
            )
        values = {"name": clean_stakeholder_field("name", name, other_names=others)}
        values.update({f: clean_stakeholder_field(f, v) for f, v in fields.items()})
        with self.store.unique_name("stakeholder", values["name"], project_id=project_id), self.store.write() as conn:
            stmt = stakeholders.insert().values(project_id=project_id, name_key=name_key(values["name"]), **values)
            return int(conn.execute(stmt.returning(stakeholders.c.id)).scalar_one())

    def update_stakeholder(self, stakeholder_id: int, field: str, value: Any) -> Any:
        """Save one answer; returns the value as stored. A bad value raises and saves nothing."""
        current = self.stakeholder(stakeholder_id)
        others: list[str] = []
        if field == "name":
            with self.store.read() as conn:
                others = list(
                    conn.execute(
                        select(stakeholders.c.name).where(
                            stakeholders.c.project_id == current["project_id"], stakeholders.c.id != stakeholder_id
                        )
                    ).scalars()
                )
        clean = clean_stakeholder_field(field, value, other_names=others)
        values: dict[str, Any] = {field: clean, "updated_at": func.current_timestamp()}
        if field == "name":
            values["name_key"] = name_key(clean)
        with self.store.unique_name("stakeholder", clean), self.store.write() as conn:
            if not conn.execute(
                stakeholders.update().where(stakeholders.c.id == stakeholder_id).values(**values)
            ).rowcount:
                raise NotFoundError(gone("stakeholder"))
        return clean

    def name_keys(self, project_id: int) -> dict[str, int]:
        """The project's stakeholders by the key of their name (see ``name_key``): whom an import updates."""
        with self.store.read() as conn:
            query = select(stakeholders.c.name_key, stakeholders.c.id).where(stakeholders.c.project_id == project_id)
            return {key: int(sid) for key, sid in conn.execute(query).all()}

    def import_stakeholders(self, project_id: int, rows: Sequence[tuple[str, Mapping[str, Any]]]) -> tuple[int, int]:
        """Save an imported register, ``(name, fields)`` per stakeholder, and return how many were
        added and how many updated: a name the project has (ignoring case, spacing and
        look-alikes) updates that stakeholder's given fields, keeping the rest; any other is added.

        One transaction for the whole file: a refused value or a lost connection saves none of
        it, so the register is never left half-imported and the same file can simply be imported
        again. Every field is checked first, as the form checks it."""
        self.store.project(project_id)
        cleaned = [
            (clean_stakeholder_field("name", name), {f: clean_stakeholder_field(f, v) for f, v in fields.items()})
            for name, fields in rows
        ]
        try:
            return self._upsert(project_id, cleaned)
        except IntegrityError as exc:  # another kernel added one of these names, or deleted the project, meanwhile
            self.store.project(project_id)
            raise ValidationError(
                "Another window added a stakeholder of the same name meanwhile; nothing of the file was imported."
                " Import it again: that stakeholder will be updated."
            ) from exc

    def _upsert(self, project_id: int, rows: list[tuple[str, dict[str, Any]]]) -> tuple[int, int]:
        added = updated = 0
        with self.store.write() as conn:
            query = select(stakeholders.c.name_key, stakeholders.c.id).where(stakeholders.c.project_id == project_id)
            saved: dict[str, int] = {key: int(sid) for key, sid in conn.execute(query).all()}
            for name, fields in rows:
                key = name_key(name)
                if key in saved:
                    values = {**fields, "updated_at": func.current_timestamp()}
                    conn.execute(stakeholders.update().where(stakeholders.c.id == saved[key]).values(**values))
                    updated += 1
                else:
                    stmt = stakeholders.insert().values(project_id=project_id, name=name, name_key=key, **fields)
                    saved[key] = int(conn.execute(stmt.returning(stakeholders.c.id)).scalar_one())
                    added += 1
        return added, updated

    def delete_stakeholder(self, stakeholder_id: int) -> None:
        """Delete a stakeholder and everything recorded about them (measures here; gap figures,
        notes, actions and survey links by cascade)."""
        with self.store.write() as conn:
            conn.execute(success_measures.delete().where(success_measures.c.stakeholder_id == stakeholder_id))
            conn.execute(stakeholders.delete().where(stakeholders.c.id == stakeholder_id))

    def stakeholder(self, stakeholder_id: int) -> dict[str, Any]:
        """One stakeholder's saved fields; NotFoundError if deleted (perhaps in another tab)."""
        with self.store.read() as conn:
            row = conn.execute(select(stakeholders).where(stakeholders.c.id == stakeholder_id)).first()
        if row is None:
            raise NotFoundError(gone("stakeholder"))
        return dict(row._mapping)

    def stakeholders(self, project_id: int) -> pd.DataFrame:
        """The project's stakeholder register, one row per stakeholder, in the order added."""
        columns = ["id", *STAKEHOLDER_FIELDS]
        query = (
            select(*(stakeholders.c[c] for c in columns))
            .where(stakeholders.c.project_id == project_id)
            .order_by(stakeholders.c.id)
        )
        return self.store.frame(query, columns)

    # -- success measures -------------------------------------------------------------------

    def add_measure(self, stakeholder_id: int, metric: str) -> int:
        """Add a success measure (what the stakeholder counts as value) and return its id."""
        self.stakeholder(stakeholder_id)
        clean = clean_measure_field("metric", metric, current={})
        try:
            with self.store.write() as conn:
                stmt = success_measures.insert().values(stakeholder_id=stakeholder_id, metric=clean)
                return int(conn.execute(stmt.returning(success_measures.c.id)).scalar_one())
        except IntegrityError as exc:  # the stakeholder was deleted in another window meanwhile
            raise NotFoundError(gone("stakeholder")) from exc

    def update_measure(self, measure_id: int, field: str, value: Any) -> Any:
        """Save one measure field, checked against the measure's other saved fields."""
        with self.store.read() as conn:
            row = conn.execute(select(success_measures).where(success_measures.c.id == measure_id)).first()
        if row is None:
            raise NotFoundError(gone("success measure"))
        clean = clean_measure_field(field, value, current=dict(row._mapping))
        with self.store.write() as conn:
            if not conn.execute(
                success_measures.update().where(success_measures.c.id == measure_id).values({field: clean})
            ).rowcount:
                raise NotFoundError(gone("success measure"))
        return clean

    def delete_measure(self, measure_id: int) -> None:
        """Delete one success measure (nothing happens if it is already gone)."""
        with self.store.write() as conn:
            conn.execute(success_measures.delete().where(success_measures.c.id == measure_id))

    def measures(self, project_id: int) -> pd.DataFrame:
        """Every success measure of the project, with its stakeholder's id and name."""
        columns = ["id", "stakeholder_id", "stakeholder", *MEASURE_FIELDS]
        query = (
            select(
                success_measures.c.id,
                success_measures.c.stakeholder_id,
                stakeholders.c.name.label("stakeholder"),
                *(success_measures.c[c] for c in MEASURE_FIELDS),
            )
            .join(stakeholders, stakeholders.c.id == success_measures.c.stakeholder_id)
            .where(stakeholders.c.project_id == project_id)
            .order_by(success_measures.c.id)
        )
        return self.store.frame(query, columns)
