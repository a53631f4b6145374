"""The Python API for notebooks: ``cpmkit.open_project("Harbour Bridge Refit")`` gives a project
whose stakeholders, gaps, pulse scores, lessons and actions are DataFrames, for a PM who would
rather work in JupyterLab with pandas than in the apps.

Each frame is read from the store when asked for, through the workbooks' own stores, and
computed by their own rules (the gap list as workbook 3 ranks it, NPS and CSAT as workbook 4
scores them): the same figures the apps show. Ids the store keeps (dimensions, sources,
lesson categories) are shown by their names from the content files in use. Nothing here writes
project data (opening a store an older cpmkit wrote upgrades its schema, as the apps do).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pandas as pd
from sqlalchemy.engine import make_url

from cpmkit.db import location
from cpmkit.db.database import Store
from cpmkit.errors import NotFoundError
from cpmkit.feedback import scores
from cpmkit.feedback.lessons.store import LessonStore
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.feedback.retro.rules import OPEN_STATUSES
from cpmkit.feedback.retro.store import RetroStore
from cpmkit.gap import rules as gap
from cpmkit.gap.store import GapStore
from cpmkit.gap.template import load_gap_template
from cpmkit.stakeholders.store import StakeholderStore

__all__ = ["ACTIONS_COLUMNS", "GAPS_COLUMNS", "PULSE_COLUMNS", "Project", "open_project"]

#: Columns of ``Project.gaps``: workbook 3's gap list, with each gap's note and open actions.
GAPS_COLUMNS: Final = [
    "rank", "stakeholder", "dimension", "expectation", "perception", "gap", "importance", "weight",
    "weighted_gap", "source", "assessed_on", *gap.NOTE_FIELDS, "open_actions", "stakeholder_id",
]  # fmt: skip
#: Columns of ``Project.pulse``: one row per pulse round, its scores and how many answered each.
PULSE_COLUMNS: Final = ["round", "opened_on", "closed", "responses", "nps", "nps_n", "csat", "csat_n"]
#: Columns of ``Project.actions``: ``source`` is "gap" (workbook 3) or "retrospective" (workbook 4).
ACTIONS_COLUMNS: Final = ["source", "about", "what", "owner", "due", "status", "open", "id"]


def open_project(name_or_id: str | int, *, db_url: str | None = None) -> Project:
    """The project called ``name_or_id`` (or with that id) in the store at ``db_url`` (default:
    ``CPMKIT_DB_URL``, else the usual SQLite file: the one the apps use). NotFoundError, listing
    the projects, if there is none."""
    url = db_url or location.db_url()
    database = make_url(url).database
    if make_url(url).get_backend_name() == "sqlite" and database and not Path(database).exists():
        raise NotFoundError(f"No store at {database}: the apps have not saved anything there yet (check the address).")
    store = Store.open(url)
    try:
        found = store.find_project(name_or_id)
    finally:
        store.close()
    return Project(id=int(found["id"]), name=str(found["name"]), db_url=url)


@dataclass(frozen=True)
class Project:
    """One project of a store, read-only. Every property reads the store again, so a cell run
    again shows what the apps saved meanwhile."""

    id: int
    name: str
    db_url: str = field(repr=False)  # may hold a password

    @property
    def stakeholders(self) -> pd.DataFrame:
        """Workbook 1's register: one row per stakeholder, in the order added."""
        with self._store() as store:
            return StakeholderStore(store).stakeholders(self.id)

    @property
    def gaps(self) -> pd.DataFrame:
        """Workbook 3's gap list, worst first: one row per stakeholder and dimension asked about,
        ranked by weighted gap (perception - expectation, weighted by the stakeholder's
        importance), the largest shortfall at the top and gaps without an importance last; with
        each gap's note and number of open actions (``GAPS_COLUMNS``)."""
        template = load_gap_template()
        with self._store() as store:
            gaps = GapStore(store)
            ratings, chosen = gaps.rating_history(self.id)
            notes, actions = gaps.notes(self.id), gaps.actions(self.id)
        current = gap.current_ratings(ratings, sources=template.source_order)
        table = gap.with_notes(gap.gap_table(current, dimensions=template.asked_dimensions(chosen)), notes, actions)
        labels = {source.id: source.label for source in template.sources}
        table["dimension"] = table["dimension"].map(template.dimension_names)
        table["source"] = table["source"].map(labels)
        return table[GAPS_COLUMNS]

    @property
    def pulse(self) -> pd.DataFrame:
        """Workbook 4's scores per pulse round, in the order opened (``PULSE_COLUMNS``): the NPS
        (-100 to 100) and CSAT (% satisfied) of its responses, each with ``_n``, the number who
        answered that question; NaN, never 0, where no one did. The answers themselves:
        ``responses``."""
        with self._store() as store:
            pulses = PulseStore(store)
            rounds, responses = pulses.rounds(self.id), pulses.responses(self.id)
        table = rounds.rename(columns={"name": "round"})[["round", "opened_on", "closed", "responses"]]
        survey = pulses.survey
        if not responses.empty:
            nps = scores.nps_by_round(responses, column=survey.recommend.id)
            table = table.merge(nps[["round", "nps", "n"]].rename(columns={"n": "nps_n"}), on="round", how="left")
            satisfaction = survey.satisfaction
            if satisfaction is not None and satisfaction.scale is not None:
                scale = (satisfaction.scale.low, satisfaction.scale.high)
                csat = scores.csat_by_round(responses, column=satisfaction.id, scale=scale)
                found = csat[["round", "csat", "n"]].rename(columns={"n": "csat_n"})
                table = table.merge(found, on="round", how="left")
        table = table.reindex(columns=PULSE_COLUMNS)
        counts = {name: table[name].fillna(0).astype(int) for name in ("nps_n", "csat_n")}
        return table.assign(**counts, nps=table["nps"].astype(float), csat=table["csat"].astype(float))

    @property
    def responses(self) -> pd.DataFrame:
        """Every pulse-survey response as given (``PulseStore.responses``): a row per response,
        a column per question id."""
        with self._store() as store:
            return PulseStore(store).responses(self.id)

    @property
    def lessons(self) -> pd.DataFrame:
        """Workbook 4's lessons register in the order recorded, categories and phases by their labels."""
        with self._store() as store:
            register = LessonStore(store)
            lessons = register.lessons(self.id)
        for name in ("category", "phase"):
            lessons[name] = lessons[name].map(lambda value, name=name: register.template.label(name, value) or None)
        return lessons

    @property
    def actions(self) -> pd.DataFrame:
        """Every action of the project (``ACTIONS_COLUMNS``): those closing a gap (workbook 3,
        ``about`` the stakeholder and dimension) and those agreed at a retrospective (workbook 4,
        ``about`` its title). Open ones first (``open``: not done, nor dropped), each part by due
        date, earliest first (so the overdue lead), then those with none; ``due`` is a date (NaT: none)."""
        names = load_gap_template().dimension_names
        with self._store() as store:
            on_gaps = GapStore(store).actions(self.id)
            history = RetroStore(store).history(self.id)
        titles = dict(zip(history.boards["id"], history.boards["title"]))
        rows = [
            {
                **action,
                "source": "gap",
                "about": f"{action['stakeholder']}: {names.get(action['dimension'], action['dimension'])}",
                "open": gap.is_open(action["status"]),
            }
            for action in on_gaps.to_dict("records")
        ]
        rows += [
            {
                **action,
                "source": "retrospective",
                "about": titles.get(action["board_id"]),
                "open": action["status"] in OPEN_STATUSES,
            }
            for action in history.actions.to_dict("records")
        ]
        frame = pd.DataFrame(rows, columns=ACTIONS_COLUMNS).astype({"open": bool})
        frame["due"] = pd.to_datetime(frame["due"])
        frame = frame.sort_values(["open", "due"], ascending=[False, True], na_position="last", kind="stable")
        return frame.reset_index(drop=True)[ACTIONS_COLUMNS]

    @contextmanager
    def _store(self) -> Iterator[Store]:
        """The store, open for one read and closed after it (a notebook keeps no connection)."""
        store = Store.open(self.db_url)
        try:
            yield store
        finally:
            store.close()
