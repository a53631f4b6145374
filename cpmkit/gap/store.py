"""Workbook 3's saved figures: expectation and perception per stakeholder and dimension, overall
satisfaction, the notes and actions on each gap, the project's chosen dimensions, its status
lights and the stakeholders' survey links.

Built on a :class:`~cpmkit.db.database.Store` (``GapStore(store, scale=..., ...)``) like
``AssessmentStore``: the same ``write()``/``read()`` transactions, each answer one short write,
and an upsert wherever the row may exist already, so a PM and a stakeholder's survey saving at
once lose nothing. A row whose every value was cleared is deleted in the same transaction.

Figures are dated and carry their source (who gave them). A new dated rating starts as a copy
of the latest earlier one of the same stakeholder, dimension and source, so every dated
assessment is complete and a trend compares like with like.

Rows go with their stakeholder or project (ON DELETE CASCADE). A write for a stakeholder
deleted meanwhile, perhaps in workbook 1, raises NotFoundError and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, Table, func, select

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.fields import (
    ACTION_FIELDS,
    clean_action_field,
    clean_choice,
    clean_date,
    clean_id,
    clean_text,
    clean_whole_number,
    required,
)
from cpmkit.core.links import digest, lookup_digest, new_token
from cpmkit.db.database import NO_PROJECT, Store, read_frame, upsert
from cpmkit.db.schema import (
    gap_actions,
    gap_dimensions,
    gap_notes,
    gap_ratings,
    projects,
    satisfaction_scores,
    stakeholders,
    status_lights,
    survey_links,
    survey_responses,
)
from cpmkit.errors import NotFoundError, ValidationError, gone
from cpmkit.gap.rules import (
    ACTION_STATUSES,
    DEFAULT_SCALE,
    FIGURES,
    NOTE_FIELDS,
    RATING_COLUMNS,
    current_ratings,
    gap_table,
)
from cpmkit.gap.status import LIGHTS, StatusReport, status_report
from cpmkit.gap.template import IMPORTANCE_RANGES, GapTemplate

if TYPE_CHECKING:
    import pandas as pd

    from cpmkit.stakeholders.store import StakeholderStore  # a participant's survey page imports no pandas
else:
    pd = deferred_module("pandas")

__all__ = [
    "ACTION_COLUMNS",
    "ACTION_FIELDS",
    "ACTION_STATUSES",
    "DEFAULT_SATISFACTION",
    "NOTE_COLUMNS",
    "NOTE_FIELDS",
    "NO_RESPONSE",
    "SATISFACTION_COLUMNS",
    "GapData",
    "GapStore",
    "read_gap_data",
]

DEFAULT_SATISFACTION: Final = (1, 5)
#: Columns of the frames ``ratings``, ``satisfaction``, ``notes`` and ``actions`` return.
SATISFACTION_COLUMNS: Final = ["stakeholder_id", "stakeholder", "source", "assessed_on", "score"]
NOTE_COLUMNS: Final = ["stakeholder_id", "stakeholder", "dimension", *NOTE_FIELDS]
ACTION_COLUMNS: Final = ["id", "stakeholder_id", "stakeholder", "dimension", *ACTION_FIELDS]

_NO_STAKEHOLDER: Final = gone("stakeholder")
_NO_ACTION: Final = gone("action")
_RESPONSE: Final = ("comment", "submitted_at")
#: A stakeholder's survey response before they give a comment or submit.
NO_RESPONSE: Final = {"comment": None, "submitted_at": None}
_NO_SURVEY: Final = "This survey link is not valid (or the stakeholder was removed)."


class GapStore:
    """Expectation-gap figures, notes, actions, lights and survey links, in a :class:`Store`.

    ``scale`` bounds expectation and perception, ``importance`` is "weights" (0-100) or
    "rating" (1-5), ``satisfaction`` bounds the overall satisfaction score.
    """

    def __init__(
        self,
        store: Store,
        *,
        scale: tuple[int, int] = DEFAULT_SCALE,
        importance: str = "weights",
        satisfaction: tuple[int, int] = DEFAULT_SATISFACTION,
    ) -> None:
        mode = required("importance", importance, clean_choice("importance", importance, tuple(IMPORTANCE_RANGES)))
        self.store = store
        self.ranges = {"expectation": scale, "perception": scale, "importance": IMPORTANCE_RANGES[mode]}
        self.satisfaction_range = satisfaction

    # -- dimensions ---------------------------------------------------------------------------

    def chosen_dimensions(self, project_id: int) -> list[str] | None:
        """The dimension ids the project asks about, in the order chosen; None if never chosen."""
        with self.store.read() as conn:
            return _chosen(conn, project_id)

    def choose_dimensions(self, project_id: int, ids: Sequence[str]) -> None:
        """Replace the project's chosen dimensions with ``ids`` (at least one; repeats ignored)."""
        if isinstance(ids, str) or not isinstance(ids, Sequence):
            raise ValidationError.for_field("dimensions", ids, "give a list of dimension ids.")
        clean = list(dict.fromkeys(clean_id("dimension", d) for d in ids))
        if not clean:
            raise ValidationError.for_field("dimensions", ids, "choose at least one dimension.")
        with self.store.write() as conn:
            _lock(conn, projects, project_id, NO_PROJECT)  # two PMs choosing at once take turns
            conn.execute(gap_dimensions.delete().where(gap_dimensions.c.project_id == project_id))
            conn.execute(
                gap_dimensions.insert(),
                [{"project_id": project_id, "dimension": d, "position": i} for i, d in enumerate(clean)],
            )

    # -- ratings and satisfaction -------------------------------------------------------------

    def save_rating(
        self, stakeholder_id: int, dimension: str, *, source: str, assessed_on: dt.date, field: str, value: Any
    ) -> int | None:
        """Save one figure (expectation, perception or importance) of one dated assessment;
        returns it as stored. A blank value clears it; a bad one raises and saves nothing."""
        if field not in FIGURES:
            raise ValidationError(f"Unknown rating field {field!r}.", field=field, value=value)
        low, high = self.ranges[field]
        clean = clean_whole_number(field, value, low=low, high=high)
        keys = {
            "stakeholder_id": stakeholder_id,
            "dimension": clean_id("dimension", dimension),
            **_dated(source, assessed_on),
        }
        earlier = (
            select(*(gap_ratings.c[f] for f in FIGURES))
            .where(*(gap_ratings.c[k] == v for k, v in keys.items() if k != "assessed_on"))
            .where(gap_ratings.c.assessed_on < keys["assessed_on"])
            .order_by(gap_ratings.c.assessed_on.desc())
            .limit(1)
        )
        with self.store.write(missing=_NO_STAKEHOLDER) as conn:
            found = conn.execute(earlier).first()
            carried = dict(found._mapping) if found is not None else {}
            values = {**carried, field: clean, "updated_at": func.current_timestamp()}
            self._save(conn, gap_ratings, keys, values, changed=[field, "updated_at"], fields=FIGURES)
        return clean

    def ratings(self, project_id: int) -> pd.DataFrame:
        """Every dated figure of the project's stakeholders (``RATING_COLUMNS``)."""
        return self.store.frame(_ratings_query(project_id), RATING_COLUMNS)

    def rating_history(self, project_id: int) -> tuple[pd.DataFrame, list[str] | None]:
        """``ratings`` and ``chosen_dimensions`` in one read: what the gap trend is drawn from."""
        with self.store.read() as conn:
            ratings = read_frame(conn, _ratings_query(project_id), RATING_COLUMNS)
            chosen = _chosen(conn, project_id)
        return ratings, chosen

    def save_satisfaction(self, stakeholder_id: int, *, source: str, assessed_on: dt.date, score: Any) -> int | None:
        """Save a stakeholder's overall satisfaction on a date, from a source; blank clears it."""
        low, high = self.satisfaction_range
        clean = clean_whole_number("satisfaction", score, low=low, high=high)
        keys = {"stakeholder_id": stakeholder_id, **_dated(source, assessed_on)}
        with self.store.write(missing=_NO_STAKEHOLDER) as conn:
            self._save(conn, satisfaction_scores, keys, {"score": clean}, changed=["score"], fields=["score"])
        return clean

    def satisfaction(self, project_id: int) -> pd.DataFrame:
        """Every dated satisfaction score of the project's stakeholders (``SATISFACTION_COLUMNS``)."""
        return self._frame(satisfaction_scores, project_id, SATISFACTION_COLUMNS, order=["source", "assessed_on"])

    # -- notes and actions --------------------------------------------------------------------

    def save_note(self, stakeholder_id: int, dimension: str, field: str, text: str | None) -> str | None:
        """Save one half of a gap's note: the problem as stated, or the expectation underneath."""
        if field not in NOTE_FIELDS:
            raise ValidationError(f"Unknown note field {field!r}.", field=field, value=text)
        clean = clean_text(field, text)
        keys = {"stakeholder_id": stakeholder_id, "dimension": clean_id("dimension", dimension)}
        with self.store.write(missing=_NO_STAKEHOLDER) as conn:
            self._save(conn, gap_notes, keys, {field: clean}, changed=[field], fields=NOTE_FIELDS)
        return clean

    def notes(self, project_id: int) -> pd.DataFrame:
        """The project's notes, one row per stakeholder and dimension (``NOTE_COLUMNS``)."""
        return self._frame(gap_notes, project_id, NOTE_COLUMNS, order=["dimension"])

    def add_action(self, stakeholder_id: int, dimension: str, what: str) -> int:
        """Add an open action to close a gap; returns its id."""
        values = {
            "dimension": clean_id("dimension", dimension),
            "what": clean_action_field("what", what, ACTION_STATUSES),
        }
        with self.store.write(missing=_NO_STAKEHOLDER) as conn:
            stmt = gap_actions.insert().values(stakeholder_id=stakeholder_id, **values).returning(gap_actions.c.id)
            return int(conn.execute(stmt).scalar_one())

    def update_action(self, action_id: int, field: str, value: Any) -> Any:
        """Save one field of an action (what, owner, due, status); returns it as stored."""
        clean = clean_action_field(field, value, ACTION_STATUSES)
        with self.store.write() as conn:
            if not conn.execute(
                gap_actions.update().where(gap_actions.c.id == action_id).values({field: clean})
            ).rowcount:
                raise NotFoundError(_NO_ACTION)
        return clean

    def delete_action(self, action_id: int) -> None:
        with self.store.write() as conn:
            conn.execute(gap_actions.delete().where(gap_actions.c.id == action_id))

    def actions(self, project_id: int) -> pd.DataFrame:
        """The project's actions in the order added (``ACTION_COLUMNS``)."""
        return self._frame(gap_actions, project_id, ACTION_COLUMNS, order=["id"])

    # -- status lights ------------------------------------------------------------------------

    def set_light(self, project_id: int, area: str, colour: str | None) -> None:
        """Set the PM's light for an area (green, amber or red); None clears it."""
        clean_area = clean_id("area", area)
        clean = clean_choice(clean_area, colour, LIGHTS)
        keys = {"project_id": project_id, "area": clean_area}
        with self.store.write(missing=NO_PROJECT) as conn:
            self._save(conn, status_lights, keys, {"colour": clean}, changed=["colour"], fields=["colour"])

    def lights(self, project_id: int) -> dict[str, str | None]:
        """The lights the PM has set, ``{area: colour}``; an area never set is absent."""
        with self.store.read() as conn:
            rows = conn.execute(
                select(status_lights.c.area, status_lights.c.colour)
                .where(status_lights.c.project_id == project_id)
                .order_by(status_lights.c.area)
            )
            return {area: colour for area, colour in rows}

    # -- survey links -------------------------------------------------------------------------

    def new_survey_token(self, stakeholder_id: int) -> str:
        """A new secret for the stakeholder's survey link, returned only now (the store keeps its
        digest), so show the link once. It replaces the stakeholder's earlier link, which stops
        working; their answers stay."""
        token = new_token()
        values = {"stakeholder_id": stakeholder_id, "token": digest(token), "created_at": func.current_timestamp()}
        stmt = upsert(
            self.store.engine,
            survey_links,
            values,
            keys=[survey_links.c.stakeholder_id],
            update=["token", "created_at"],
        )
        with self.store.write(missing=_NO_STAKEHOLDER) as conn:
            conn.execute(stmt)
        return token

    def survey_links(self, project_id: int) -> dict[int, dt.datetime]:
        """When each stakeholder of the project who has a survey link got it, ``{stakeholder id: time}``
        (the link itself cannot be read back)."""
        with self.store.read() as conn:
            rows = conn.execute(
                select(survey_links.c.stakeholder_id, survey_links.c.created_at)
                .join(stakeholders, stakeholders.c.id == survey_links.c.stakeholder_id)
                .where(stakeholders.c.project_id == project_id)
            )
            return {int(sid): created for sid, created in rows}

    def survey(self, token: str) -> dict[str, Any]:
        """Whose survey a link opens: ``{"stakeholder_id", "stakeholder", "project_id", "project"}``."""
        row = None
        wanted = lookup_digest(token)
        if wanted is not None:
            with self.store.read() as conn:
                row = conn.execute(
                    select(
                        stakeholders.c.id.label("stakeholder_id"),
                        stakeholders.c.name.label("stakeholder"),
                        projects.c.id.label("project_id"),
                        projects.c.name.label("project"),
                    )
                    .select_from(survey_links)
                    .join(stakeholders, stakeholders.c.id == survey_links.c.stakeholder_id)
                    .join(projects, projects.c.id == stakeholders.c.project_id)
                    .where(survey_links.c.token == wanted)
                ).first()
        if row is None:
            raise NotFoundError(_NO_SURVEY)
        return dict(row._mapping)

    def save_survey_comment(self, stakeholder_id: int, text: str | None) -> str | None:
        """Save the stakeholder's comment from their survey (blank clears it); returns it as stored."""
        clean = clean_text("comment", text)
        keys = {"stakeholder_id": stakeholder_id}
        with self.store.write(missing=_NO_STAKEHOLDER) as conn:
            self._save(conn, survey_responses, keys, {"comment": clean}, changed=["comment"], fields=_RESPONSE)
        return clean

    def submit_survey(self, stakeholder_id: int) -> None:
        """Record that the stakeholder submitted their survey now (again, if they come back)."""
        values = {"submitted_at": func.current_timestamp()}
        with self.store.write(missing=_NO_STAKEHOLDER) as conn:
            keys = {"stakeholder_id": stakeholder_id}
            self._save(conn, survey_responses, keys, values, changed=["submitted_at"], fields=_RESPONSE)

    def survey_responses(self, project_id: int) -> dict[int, dict[str, Any]]:
        """Each stakeholder's survey comment and when they last submitted, for those of the project
        who gave either: ``{stakeholder id: {"comment", "submitted_at"}}``."""
        with self.store.read() as conn:
            rows = conn.execute(
                select(survey_responses.c.stakeholder_id, survey_responses.c.comment, survey_responses.c.submitted_at)
                .join(stakeholders, stakeholders.c.id == survey_responses.c.stakeholder_id)
                .where(stakeholders.c.project_id == project_id)
            )
            return {int(sid): {"comment": comment, "submitted_at": at} for sid, comment, at in rows}

    # -- plumbing -----------------------------------------------------------------------------

    def _save(
        self,
        conn: Connection,
        table: Table,
        keys: dict[str, Any],
        values: dict[str, Any],
        *,
        changed: list[str],
        fields: Sequence[str],
    ) -> None:
        """Upsert the row at ``keys``: a new row gets ``values``, an existing one only the
        ``changed`` columns. Then delete it if every value in ``fields`` is now empty."""
        key_columns = [table.c[k] for k in keys]
        conn.execute(upsert(self.store.engine, table, {**keys, **values}, keys=key_columns, update=changed))
        conn.execute(
            table.delete().where(*(c == keys[c.name] for c in key_columns), *(table.c[f].is_(None) for f in fields))
        )

    def _frame(self, table: Table, project_id: int, columns: Sequence[str], *, order: Sequence[str]) -> pd.DataFrame:
        return self.store.frame(_query(table, project_id, columns, order=order), list(columns))


@dataclass(frozen=True)
class GapData:
    """A project's expectation-gap figures as workbook 3 and the landing page show them, read once."""

    register: pd.DataFrame
    ratings: pd.DataFrame
    satisfaction: pd.DataFrame
    notes: pd.DataFrame
    actions: pd.DataFrame
    gaps: pd.DataFrame
    lights: dict[str, str | None]
    dimensions: list[str]

    def status(self, template: GapTemplate) -> StatusReport:
        """The status report (lights, the all-red rule and its reasons) these figures give."""
        return status_report(
            self.lights,
            self.register,
            self.satisfaction,
            self.gaps,
            rules=template.rules,
            sources=template.source_order,
            names=template.dimension_names,
        )


def read_gap_data(gaps: GapStore, register: StakeholderStore, project_id: int, template: GapTemplate) -> GapData:
    """Read a project's figures once and compute its current gaps on the dimensions it asks about
    (``project_id`` -1: no project, every frame empty)."""
    ratings = gaps.ratings(project_id)
    dimensions = template.asked_dimensions(gaps.chosen_dimensions(project_id) if project_id != -1 else None)
    current = current_ratings(ratings, sources=template.source_order)
    current = current[current["dimension"].isin(dimensions)]
    return GapData(
        register=register.stakeholders(project_id),
        ratings=ratings[ratings["dimension"].isin(dimensions)],
        satisfaction=gaps.satisfaction(project_id),
        notes=gaps.notes(project_id),
        actions=gaps.actions(project_id),
        gaps=gap_table(current, dimensions=dimensions),
        lights=gaps.lights(project_id) if project_id != -1 else {},
        dimensions=dimensions,
    )


def _query(table: Table, project_id: int, columns: Sequence[str], *, order: Sequence[str]) -> Any:
    """``columns`` of ``table`` for the project's stakeholders, "stakeholder" being their name;
    by stakeholder (in the order added), then ``order``."""
    picked = [stakeholders.c.name.label("stakeholder") if c == "stakeholder" else table.c[c] for c in columns]
    return (
        select(*picked)
        .select_from(table)
        .join(stakeholders, stakeholders.c.id == table.c.stakeholder_id)
        .where(stakeholders.c.project_id == project_id)
        .order_by(stakeholders.c.id, *(table.c[c] for c in order))
    )


def _ratings_query(project_id: int) -> Any:
    """The query of every dated figure of the project's stakeholders (``RATING_COLUMNS``), by
    dimension, source and date: ``ratings`` and ``rating_history`` read it."""
    return _query(gap_ratings, project_id, RATING_COLUMNS, order=["dimension", "source", "assessed_on"])


def _chosen(conn: Connection, project_id: int) -> list[str] | None:
    """The dimension ids the project chose, in order; None if never chosen."""
    chosen = (
        conn.execute(
            select(gap_dimensions.c.dimension)
            .where(gap_dimensions.c.project_id == project_id)
            .order_by(gap_dimensions.c.position)
        )
        .scalars()
        .all()
    )
    return list(chosen) or None


def _dated(source: Any, assessed_on: Any) -> dict[str, Any]:
    """The keys that place a figure among a stakeholder's assessments: its source and date."""
    return {
        "source": clean_id("source", source),
        "assessed_on": required("assessed_on", assessed_on, clean_date("assessed_on", assessed_on)),
    }


def _lock(conn: Connection, table: Table, row_id: int, missing: str) -> None:
    """Lock a parent row until the transaction ends, so it cannot be deleted and a second writer
    of the same kind waits its turn (PostgreSQL; SQLite's BEGIN IMMEDIATE already serializes)."""
    found = conn.execute(select(table.c.id).where(table.c.id == row_id).with_for_update(key_share=True)).first()
    if found is None:
        raise NotFoundError(missing)
