"""Workbook 4's pulse surveys in the store: the rounds a project runs (each with the secret of
its survey link), the responses given through the form or imported from a survey tool's
export, and their answers.

Built on a :class:`~cpmkit.db.database.Store` like ``GapStore``: every answer from the form is one
short write, an upsert wherever the row may exist already, so many respondents answering at
once lose nothing. An import is one transaction, written ``IMPORT_BATCH`` responses at a time
with a call of ``progress`` after each: it is saved whole or not at all, even when its kernel
dies half way (nothing records an import as incomplete, so none may be). It upserts on
(round, response_key), so importing the same export twice (or a later download of it) adds
no response twice. On SQLite other writers wait for it, well within the busy timeout: 100,000
responses of four answers take about 7 s (in batches of one transaction each they took 12 s).

A round's link secret and a form's browser key are kept only as digests
(``cpmkit.core.links``): ``new_round_token`` gives the link to send, once.

A closed round takes no more answers from its link; the project manager can still import
into it. A response stays when its stakeholder is deleted: it becomes anonymous.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, func, null, select

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.fields import (
    DEFAULT_TEXT_LIMIT,
    clean_date,
    clean_name,
    clean_text,
    clean_whole_number,
    name_key,
    required,
)
from cpmkit.core.links import digest, lookup_digest, new_browser_key, new_token
from cpmkit.db.database import Store, upsert
from cpmkit.db.schema import (
    projects,
    pulse_answers,
    pulse_links,
    pulse_responses,
    pulse_rounds,
    stakeholders,
)
from cpmkit.errors import NotFoundError, ValidationError, gone
from cpmkit.feedback.pulse.template import PulseQuestion, PulseSurvey, pulse_survey
from cpmkit.feedback.survey_import.reader import RESPONDENT, SUBMITTED_AT, ImportResult, Progress

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:
    np = deferred_module("numpy")
    pd = deferred_module("pandas")

__all__ = ["IMPORT_BATCH", "RESPONSE_COLUMNS", "ROUND_COLUMNS", "PulseStore"]

#: Columns of the frame ``rounds`` returns.
ROUND_COLUMNS: Final = ["id", "name", "opened_on", "closed", "responses"]
#: Columns of the frame ``responses`` returns before one column per question id.
RESPONSE_COLUMNS: Final = [
    "response_id", "round_id", "round", "submitted_at", "stakeholder_id", "stakeholder", "respondent", "source",
]  # fmt: skip
#: Responses an import writes per statement, and per call of ``progress``; all in one transaction.
IMPORT_BATCH: Final = 2000

#: A form's key is stored as the digest of this (64 hex digits), so no key a browser sends can
#: name an imported response (whose keys are 32-digit hashes, some of ids a survey tool numbers
#: 1, 2, 3...). Schema version 7 turned the plain "form-<key>" values into these digests.
_FORM_KEY: Final = "form-{}"
_NAME_LIMIT: Final = 200  # pulse_rounds.name, pulse_responses.respondent
_NO_ROUND: Final = gone("pulse round")
_NO_RESPONSE: Final = gone("response")
_NO_STAKEHOLDER: Final = gone("stakeholder")
_BAD_LINK: Final = (
    "This survey link is not valid: the pulse round may have been deleted, or the link was not copied whole."
    " Please ask your project manager for the link again."
)
_GONE_IN_IMPORT: Final = (
    "The pulse round, or a stakeholder the file names, was deleted during the import, so none of it was saved."
    " Import the file again."
)
_CLOSED: Final = "This pulse round is closed and takes no more answers. Thank you all the same."


class PulseStore:
    """Pulse rounds, responses and answers of ``survey`` (default: templates/pulse_survey.yaml)."""

    def __init__(self, store: Store, survey: PulseSurvey | None = None) -> None:
        self.store = store
        self.survey = survey or pulse_survey()

    # -- rounds -------------------------------------------------------------------------------

    def create_round(self, project_id: int, name: Any, opened_on: Any) -> int:
        """Open a new round of the project; names are unique per project, ignoring case.

        Its link's secret is made with it but not returned (the store keeps only its digest):
        ``new_round_token`` gives the link to send."""
        clean = required("name", name, clean_name("name", name, limit=_NAME_LIMIT))
        day = required("opened_on", opened_on, clean_date("opened_on", opened_on))
        values = {"project_id": project_id, "name": clean, "name_key": name_key(clean), "opened_on": day}
        with (
            self.store.unique_name("pulse round of this project", clean, project_id=project_id),
            self.store.write() as conn,
        ):
            stmt = pulse_rounds.insert().values(token=digest(new_token()), **values)
            return int(conn.execute(stmt.returning(pulse_rounds.c.id)).scalar_one())

    def rounds(self, project_id: int) -> pd.DataFrame:
        """The project's rounds, earliest first, with their response counts (``ROUND_COLUMNS``)."""
        of_project = select(pulse_rounds.c.id).where(pulse_rounds.c.project_id == project_id)
        counts = (
            select(pulse_responses.c.round_id, func.count().label("responses"))
            .where(pulse_responses.c.round_id.in_(of_project))
            .group_by(pulse_responses.c.round_id)
            .subquery()
        )
        query = (
            select(
                *(pulse_rounds.c[c] for c in ROUND_COLUMNS[:-1]),
                func.coalesce(counts.c.responses, 0).label("responses"),
            )
            .outerjoin(counts, counts.c.round_id == pulse_rounds.c.id)
            .where(pulse_rounds.c.project_id == project_id)
            .order_by(pulse_rounds.c.opened_on, pulse_rounds.c.id)
        )
        frame = self.store.frame(query, ROUND_COLUMNS)
        return frame.astype({"closed": bool, "responses": int})

    def new_round_token(self, round_id: int) -> str:
        """A new secret for the round's survey link, returned only now (the store keeps its
        digest), so show the link once; the round's earlier link stops working."""
        token = new_token()
        with self.store.write() as conn:
            if not conn.execute(
                pulse_rounds.update().where(pulse_rounds.c.id == round_id).values(token=digest(token))
            ).rowcount:
                raise NotFoundError(_NO_ROUND)
        return token

    def set_round_closed(self, round_id: int, closed: bool) -> None:
        """Close a round (its link takes no more answers) or open it again."""
        with self.store.write() as conn:
            done = conn.execute(pulse_rounds.update().where(pulse_rounds.c.id == round_id).values(closed=bool(closed)))
            if not done.rowcount:
                raise NotFoundError(_NO_ROUND)

    def new_stakeholder_links(self, round_id: int) -> dict[str, str]:
        """A link of their own for each stakeholder of the round's project, ``{name: secret}``,
        returned only now (the store keeps digests); each stakeholder's earlier link stops
        working. A stakeholder's link answers as them, one response per round, from any device."""
        made: dict[str, str] = {}
        with self.store.write(missing=_NO_ROUND) as conn:
            project_id = conn.execute(select(pulse_rounds.c.project_id).where(pulse_rounds.c.id == round_id)).scalar()
            if project_id is None:
                raise NotFoundError(_NO_ROUND)
            people = conn.execute(
                select(stakeholders.c.id, stakeholders.c.name).where(stakeholders.c.project_id == project_id)
            )
            for stakeholder_id, name in people.all():
                token = new_token()
                values = {"round_id": round_id, "stakeholder_id": stakeholder_id, "token": digest(token)}
                keys = [pulse_links.c.round_id, pulse_links.c.stakeholder_id]
                conn.execute(upsert(self.store.engine, pulse_links, values, keys=keys, update=["token"]))
                made[str(name)] = token
        return made

    def rounds_with_stakeholder_links(self, project_id: int) -> set[int]:
        """The project's rounds whose stakeholders were given links of their own."""
        query = select(pulse_links.c.round_id).join(pulse_rounds, pulse_rounds.c.id == pulse_links.c.round_id)
        with self.store.read() as conn:
            return set(conn.execute(query.where(pulse_rounds.c.project_id == project_id)).scalars())

    def round_for_token(self, token: Any) -> dict[str, Any]:
        """The round a survey link opens: ``{"round_id", "name", "opened_on", "closed",
        "project_id", "project", "stakeholder_id", "stakeholder"}``; the last two name the
        stakeholder whose own link it is, and are None for the round's anonymous link."""
        row = None
        wanted = lookup_digest(token)
        if wanted is not None:
            columns = [
                pulse_rounds.c.id.label("round_id"),
                pulse_rounds.c.name,
                pulse_rounds.c.opened_on,
                pulse_rounds.c.closed,
                projects.c.id.label("project_id"),
                projects.c.name.label("project"),
            ]
            anonymous = (
                select(*columns, null().label("stakeholder_id"), null().label("stakeholder"))
                .join(projects, projects.c.id == pulse_rounds.c.project_id)
                .where(pulse_rounds.c.token == wanted)
            )
            own = (
                select(*columns, stakeholders.c.id.label("stakeholder_id"), stakeholders.c.name.label("stakeholder"))
                .select_from(pulse_links)
                .join(pulse_rounds, pulse_rounds.c.id == pulse_links.c.round_id)
                .join(projects, projects.c.id == pulse_rounds.c.project_id)
                .join(stakeholders, stakeholders.c.id == pulse_links.c.stakeholder_id)
                .where(pulse_links.c.token == wanted)
            )
            with self.store.read() as conn:
                row = conn.execute(anonymous).first() or conn.execute(own).first()
        if row is None:
            raise NotFoundError(_BAD_LINK)
        found = dict(row._mapping)
        found["closed"] = bool(found["closed"])
        return found

    # -- the respondent's form ----------------------------------------------------------------

    def start_response(
        self, round_id: int, *, stakeholder_id: int | None, submitted_at: Any, key: str | None = None
    ) -> tuple[int, str]:
        """A response to an open round, by a stakeholder of its project or anonymous (None);
        returns its id and key. ``key`` (the form's key kept by the respondent's browser)
        finds the response that browser started before instead of making a second one;
        without it the key is random."""
        moment = _clean_moment(submitted_at)
        key = key or new_browser_key()
        with self.store.write(missing=_NO_ROUND) as conn:
            project_id = self._open_round(conn, round_id)
            self._check_stakeholder(conn, project_id, stakeholder_id)
            values = {
                "round_id": round_id,
                "response_key": _form_key(key),
                "stakeholder_id": stakeholder_id,
                "source": "form",
                "submitted_at": moment,
            }
            keys = [pulse_responses.c.round_id, pulse_responses.c.response_key]
            stmt = upsert(
                self.store.engine, pulse_responses, values, keys=keys, update=["source"]
            )  # found: left as it was
            response_id = int(conn.execute(stmt.returning(pulse_responses.c.id)).scalar_one())
        return response_id, key

    def form_response(self, round_id: int, key: str) -> dict[str, Any] | None:
        """The response the form with ``key`` started in the round, as ``{"id", "stakeholder_id",
        "answers"}`` (answers by question id); None if it has none yet."""
        with self.store.read() as conn:
            found = conn.execute(
                select(pulse_responses.c.id, pulse_responses.c.stakeholder_id).where(
                    pulse_responses.c.round_id == round_id, pulse_responses.c.response_key == _form_key(key)
                )
            ).first()
            if found is None:
                return None
            rows = conn.execute(
                select(pulse_answers.c.question, pulse_answers.c.score, pulse_answers.c.text).where(
                    pulse_answers.c.response_id == found.id
                )
            ).all()
        answers = {row.question: row.text if row.score is None else row.score for row in rows}
        return {"id": int(found.id), "stakeholder_id": found.stakeholder_id, "answers": answers}

    def save_answer(self, response_id: int, question_id: str, value: Any) -> int | str | None:
        """Save one answer as given, checked against its question; a blank clears it. Returns it as stored."""
        question = self._question(question_id)
        clean = _clean_answer(question, value)
        with self.store.write(missing=_NO_RESPONSE) as conn:
            self._open_round(conn, self._round_of(conn, response_id))
            keys = {"response_id": response_id, "question": question.id}
            if clean is None:
                conn.execute(pulse_answers.delete().where(*(pulse_answers.c[k] == v for k, v in keys.items())))
            else:
                values = {**keys, **_answer_columns(question, clean)}
                key_columns = [pulse_answers.c.response_id, pulse_answers.c.question]
                conn.execute(
                    upsert(self.store.engine, pulse_answers, values, keys=key_columns, update=["score", "text"])
                )
        return clean

    def import_responses(
        self, round_id: int, result: ImportResult, *, progress: Progress | None = None
    ) -> tuple[int, int]:
        """Save an import's responses in the round; returns (added, updated): responses new to
        the round, and those already there (same response_key), whose answers are refreshed.

        Only the answers the export gives are written: a blank cell leaves a saved answer as it is,
        and a response already saved keeps its time.
        A respondent named like a stakeholder of the project (or as it looks: ``fields.name_key``) is that
        stakeholder. The round takes imports even when closed to its link.
        """
        frame = result.responses
        questions = [q for q in self.survey.questions if q.id in frame.columns]
        total = len(frame)
        added = updated = 0
        with self.store.write(missing=_GONE_IN_IMPORT) as conn:  # all or nothing: see the module docstring
            project_id = conn.execute(select(pulse_rounds.c.project_id).where(pulse_rounds.c.id == round_id)).scalar()
            if project_id is None:
                raise NotFoundError(_NO_ROUND)
            people = select(stakeholders.c.name, stakeholders.c.id).where(stakeholders.c.project_id == project_id)
            named: dict[str, int] = {}
            for who, sid in conn.execute(people.order_by(stakeholders.c.id)):
                # Keyed from the name, not the stored name_key, which a store may have from before
                # name_key compared look-alikes.
                named.setdefault(name_key(who), int(sid))
            for start in range(0, total, IMPORT_BATCH):
                batch = frame.iloc[start : start + IMPORT_BATCH]
                new, old = self._import_batch(conn, round_id, batch, questions, named)
                added, updated = added + new, updated + old
                if progress is not None:
                    progress(start + len(batch), total)
        if progress is not None and total == 0:
            progress(0, 0)
        return added, updated

    def _import_batch(
        self,
        conn: Connection,
        round_id: int,
        batch: pd.DataFrame,
        questions: Sequence[PulseQuestion],
        named: Mapping[str, int],
    ) -> tuple[int, int]:
        """Upsert one batch of responses and their answers in the import's transaction; (added, updated)."""
        keys = batch["response_key"].astype(str).tolist()
        moments = [_clean_moment(stamp) for stamp in batch[SUBMITTED_AT.id]]
        respondents = batch[RESPONDENT.id] if RESPONDENT.id in batch.columns else pd.Series(None, index=batch.index)
        rows = [
            {
                "round_id": round_id,
                "response_key": key,
                "stakeholder_id": None if pd.isna(who) else named.get(name_key(str(who))),
                "respondent": None if pd.isna(who) else str(who)[:_NAME_LIMIT],
                "source": "import",
                "submitted_at": moment,
            }
            for key, moment, who in zip(keys, moments, respondents.tolist())
        ]
        key_columns = [pulse_responses.c.round_id, pulse_responses.c.response_key]
        in_round = select(pulse_responses.c.response_key, pulse_responses.c.id).where(
            pulse_responses.c.round_id == round_id, pulse_responses.c.response_key.in_(keys)
        )
        # Not submitted_at: a response keeps the time it was first saved with. A file without
        # times is dated by its import, and a later download must not move older answers to it.
        update = ["stakeholder_id", "respondent"]
        before = {key for key, _id in conn.execute(in_round)}
        conn.execute(upsert(self.store.engine, pulse_responses, {}, keys=key_columns, update=update), rows)
        ids = dict(tuple(r) for r in conn.execute(in_round))
        answers = [
            {"response_id": ids[key], "question": question.id, **_answer_columns(question, value)}
            for question in questions
            for key, value in zip(keys, batch[question.id].tolist())
            if not pd.isna(value)
        ]
        if answers:
            answer_keys = [pulse_answers.c.response_id, pulse_answers.c.question]
            conn.execute(
                upsert(self.store.engine, pulse_answers, {}, keys=answer_keys, update=["score", "text"]), answers
            )
        return len(set(keys) - before), len(set(keys) & before)

    # -- reading ------------------------------------------------------------------------------

    def responses(self, project_id: int) -> pd.DataFrame:
        """Every response of the project's rounds (rounds in the order opened, then by time):
        ``RESPONSE_COLUMNS``, then one column per question id, Int64 for scores and text (None
        when not answered) for text questions, at most ``DEFAULT_TEXT_LIMIT`` characters (the
        database cuts any longer one an older cpmkit imported); the frame ``feedback`` and
        ``comments`` take."""
        query = (
            select(
                pulse_responses.c.id.label("response_id"),
                pulse_responses.c.round_id,
                pulse_rounds.c.name.label("round"),
                pulse_responses.c.submitted_at,
                pulse_responses.c.stakeholder_id,
                stakeholders.c.name.label("stakeholder"),
                pulse_responses.c.respondent,
                pulse_responses.c.source,
            )
            .join(pulse_rounds, pulse_rounds.c.id == pulse_responses.c.round_id)
            .outerjoin(stakeholders, stakeholders.c.id == pulse_responses.c.stakeholder_id)
            .where(pulse_rounds.c.project_id == project_id)
            .order_by(pulse_rounds.c.opened_on, pulse_rounds.c.id, pulse_responses.c.submitted_at, pulse_responses.c.id)
        )
        answers_query = (
            select(
                pulse_answers.c.response_id,
                pulse_answers.c.question,
                pulse_answers.c.score,
                # no longer than an answer may be now: an import before that limit may have saved 50 MB
                func.substr(pulse_answers.c.text, 1, DEFAULT_TEXT_LIMIT).label("text"),
            )
            .join(pulse_responses, pulse_responses.c.id == pulse_answers.c.response_id)
            .join(pulse_rounds, pulse_rounds.c.id == pulse_responses.c.round_id)
            .where(pulse_rounds.c.project_id == project_id)
        )
        with self.store.read() as conn:  # one snapshot: no answer without its response
            rows = [tuple(row) for row in conn.execute(query).all()]  # plain tuples: pandas probes Rows slowly
            answer_rows = [tuple(row) for row in conn.execute(answers_query).all()]
        frame = pd.DataFrame(rows, columns=RESPONSE_COLUMNS)
        frame["submitted_at"] = pd.to_datetime(frame["submitted_at"])
        frame["stakeholder_id"] = frame["stakeholder_id"].astype("Int64")
        for name in ("round", "stakeholder", "respondent", "source"):
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
        answers = pd.DataFrame(answer_rows, columns=["response_id", "question", "score", "text"])
        position = pd.Index(frame["response_id"])
        for question in self.survey.questions:
            given = answers[answers["question"] == question.id]
            at = position.get_indexer(given["response_id"])
            if question.scale is None:
                column = np.full(len(frame), None, dtype=object)
                column[at] = given["text"].to_numpy(dtype=object)
                frame[question.id] = pd.Series(column, index=frame.index, dtype=object)
            else:
                scores = pd.array([pd.NA] * len(frame), dtype="Int64")
                scores[at] = given["score"].to_numpy()
                frame[question.id] = scores
        return frame

    # -- plumbing -----------------------------------------------------------------------------

    def _question(self, question_id: Any) -> PulseQuestion:
        for question in self.survey.questions:
            if question.id == question_id:
                return question
        raise ValidationError(f"The pulse survey has no question {question_id!r}.", field="question", value=question_id)

    def _round_of(self, conn: Connection, response_id: int) -> int:
        round_id = conn.execute(select(pulse_responses.c.round_id).where(pulse_responses.c.id == response_id)).scalar()
        if round_id is None:
            raise NotFoundError(_NO_RESPONSE)
        return int(round_id)

    def _open_round(self, conn: Connection, round_id: int) -> int:
        """The project of a round that takes answers; a plain refusal if it is gone or closed."""
        row = conn.execute(
            select(pulse_rounds.c.project_id, pulse_rounds.c.closed).where(pulse_rounds.c.id == round_id)
        ).first()
        if row is None:
            raise NotFoundError(_NO_ROUND)
        if row.closed:
            raise ValidationError(_CLOSED, field="round", value=round_id)
        return int(row.project_id)

    def _check_stakeholder(self, conn: Connection, project_id: int, stakeholder_id: int | None) -> None:
        if stakeholder_id is None:
            return
        found = conn.execute(select(stakeholders.c.project_id).where(stakeholders.c.id == stakeholder_id)).scalar()
        if found is None:
            raise NotFoundError(_NO_STAKEHOLDER)
        if int(found) != project_id:
            raise ValidationError(
                "This stakeholder belongs to another project.", field="stakeholder", value=stakeholder_id
            )


def _form_key(key: str) -> str:
    """The response_key of the form response a browser's ``key`` started: a digest, never the key."""
    return digest(_FORM_KEY.format(key))


def _clean_answer(question: PulseQuestion, value: Any) -> int | str | None:
    if question.scale is None:
        return clean_text(question.id, value)
    return clean_whole_number(question.id, value, low=question.scale.low, high=question.scale.high)


def _answer_columns(question: PulseQuestion, value: Any) -> dict[str, Any]:
    """An answer as the row stores it: a score, or a text."""
    if question.scale is None:
        return {"score": None, "text": str(value)}
    return {"score": int(value), "text": None}


def _clean_moment(value: Any) -> dt.datetime:
    """When a response was sent, as a naive datetime (UTC if it had a time zone); a date is its midnight."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if not isinstance(value, dt.datetime) or pd.isna(value):
        raise ValidationError.for_field("submitted_at", value, f"{value!r} is not a date and time.")
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_pydatetime()
