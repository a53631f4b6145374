"""Workbook 2's saved answers: soft-skills self-assessments, alone or in a trainer's workshop.

Built on a :class:`~cpmkit.db.database.Store` (``AssessmentStore(store)``): the same engine, the same
``write()``/``read()`` transactions, so it is as safe with many Voila kernels at once. A workshop
of 20-200 participants means that many kernels saving answers together; each answer is one
upsert statement, so a repeated or concurrent save never loses or duplicates an answer.

Secrets:

* A participant's ``token`` (and a peer rater's) is the secret in their resume link; the
  store keeps only its digest (``cpmkit.core.links``), so it is returned only when it is
  made (``start_self_assessment``, ``join_workshop``, ``new_resume_token``,
  ``create_peer_link``), and it is never part of a cohort view or an export.
* The trainer key is shown once, when the workshop is created, and stored only as a salted
  scrypt hash. A cohort's answers, counts and export, and closing the workshop, are methods of
  a :class:`TrainerAccess`, which only ``trainer_workshop`` hands out, once the key matched.
* A person across rounds: every workshop participant gets a ``person_key`` (a digest: of the
  browser they first joined from, or of a secret nobody keeps). Joining a later round from a
  browser that took an earlier one (``join_workshop``), or from one's own earlier participant
  (``take_round``: the page their link, or their browser, opened), carries it over, so the
  rounds pair (``workshop.round_pairs``). The key never leaves the store but for the trainer's
  paired figures (``TrainerAccess.people``), which show it to no one.
* Others' view: the release a participant was last shown (``release_peer_view``) is kept, so
  it changes only by the rule of :func:`cpmkit.soft_skills.scoring.release_peer_view`; the browsers a
  participant opened their own assessment in are kept as digests of their keys
  (``cpmkit.core.links``), so a rating link opened there can be refused (``is_own_browser``).

Everything comes out as plain dicts, lists and ints (the export as a DataFrame); refusals are
:class:`~cpmkit.errors.ValidationError` or :class:`~cpmkit.errors.NotFoundError` with a message
that can be shown as it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Final, Literal

from sqlalchemy import Connection, case, func, select
from sqlalchemy.exc import IntegrityError

from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.fields import clean_date, clean_text, is_whole, name_key, not_text, required, too_long
from cpmkit.core.links import (
    digest,
    lookup_digest,
    new_join_code,
    new_token,
    new_typed_key,
    typed_key_hash,
    typed_key_matches,
)
from cpmkit.db.database import Store, upsert
from cpmkit.db.schema import answers, commitments, meta, participants, peer_answers, peer_raters, reflections, workshops
from cpmkit.errors import NotFoundError, StoreError, ValidationError
from cpmkit.soft_skills.bank import QuestionBank
from cpmkit.soft_skills.scoring import PeerRelease, finished_raters, known_answers, release_peer_view
from cpmkit.soft_skills.state import COMMITMENTS
from cpmkit.soft_skills.workshop import EXPORT_COLUMNS, person_of, require_open, round_pairs

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = ["EXPORT_COLUMNS", "AssessmentStore", "TrainerAccess"]

_JOIN_CODE_ATTEMPTS: Final = 20
_MAX_NAME: Final = 200
_MAX_ID: Final = 64
_MAX_TEXT: Final = 5000
_INT32: Final = 2**31  # stored as INTEGER on both backends
_RELEASE_ATTEMPTS: Final = 10
_OWN_BROWSERS_KEPT: Final = 20

_PARTICIPANT_COLUMNS = (
    participants.c.id,
    participants.c.workshop_id,
    participants.c.round,
    participants.c.display_name,
    participants.c.created_at,
    participants.c.completed_at,
)
#: What pairing a workshop's rounds reads of a participant (``workshop.round_pairs``).
_PERSON_COLUMNS = (
    participants.c.id,
    participants.c.round,
    participants.c.person_key,
    participants.c.browser_key,
    participants.c.completed_at,
)
_WORKSHOP_COLUMNS = (
    workshops.c.id,
    workshops.c.name,
    workshops.c.bank,
    workshops.c.rounds,
    workshops.c.join_code,
    workshops.c.is_open,
    workshops.c.created_at,
)


class AssessmentStore:
    """Self-assessments, workshops, development plans and peer ratings, in a :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- workshops ----------------------------------------------------------------------------

    def create_workshop(self, name: str, *, bank: str, rounds: Sequence[str]) -> tuple[int, str, str]:
        """Create a workshop; return ``(id, join_code, trainer_key)``.

        The join code is for participants; the trainer key opens the cohort view and is
        returned only now (only a salted hash is kept), so show it to the trainer once.
        """
        clean_name = _clean_text("name", name, limit=_MAX_NAME)
        clean_bank = _clean_text("bank", bank, limit=_MAX_ID)
        clean_rounds = _clean_rounds(rounds)
        key = new_typed_key()
        values = {
            "name": clean_name,
            "bank": clean_bank,
            "rounds": json.dumps(clean_rounds),
            "trainer_key_hash": typed_key_hash(key),
        }
        for _attempt in range(_JOIN_CODE_ATTEMPTS):
            code = new_join_code()
            try:
                with self.store.write() as conn:
                    stmt = workshops.insert().values(join_code=code, **values).returning(workshops.c.id)
                    return int(conn.execute(stmt).scalar_one()), code, key
            except IntegrityError:  # the code is taken (the only unique column): draw another
                continue
        raise StoreError(f"Could not find a free workshop code after {_JOIN_CODE_ATTEMPTS} tries; please try again.")

    def workshop(self, workshop_id: int) -> dict[str, Any]:
        """One workshop (without its key hash); NotFoundError if there is none with this id."""
        with self.store.read() as conn:
            return _workshop_row(conn, workshop_id)

    def workshop_by_code(self, code: str) -> dict[str, Any]:
        """The workshop with this join code, ignoring case, spaces and dashes."""
        clean = _clean_code(code)
        with self.store.read() as conn:
            row = conn.execute(select(*_WORKSHOP_COLUMNS).where(workshops.c.join_code == clean)).first()
        if row is None:
            raise NotFoundError(f"No workshop has the code {clean!r}. Check the code with your trainer.")
        return _workshop_dict(row._mapping)

    def trainer_workshop(self, workshop_id: int, key: str) -> TrainerAccess:
        """The trainer's access to the workshop (its cohort, counts, export, closing), if ``key`` is
        its trainer key; ValidationError otherwise. Only this hands out a :class:`TrainerAccess`.

        Each check of a key of the right shape costs a scrypt (16 MiB, tens of milliseconds), so
        callers limit how often a page may try (see ``cpmkit.soft_skills.ui.trainer``)."""
        with self.store.read() as conn:
            row = conn.execute(
                select(*_WORKSHOP_COLUMNS, workshops.c.trainer_key_hash).where(workshops.c.id == workshop_id)
            ).first()
        if row is None:
            raise NotFoundError(f"There is no workshop number {workshop_id}.")
        workshop = _workshop_dict(row._mapping)
        stored = workshop.pop("trainer_key_hash")
        if not typed_key_matches(key, stored):
            raise ValidationError("That is not the trainer key of this workshop.", field="trainer_key")
        return TrainerAccess(self.store, workshop, _issued=_ISSUED)

    def join_workshop(
        self, code: str, *, round: str, display_name: str | None = None, browser_key: str | None = None
    ) -> dict[str, Any]:
        """Join an open workshop for one round; return the new participant (id, token, ...): the
        token is returned only now, so show the resume link once.

        ``browser_key`` (the joining browser's ``BrowserKey``; only its digest is kept) makes a
        join from a browser that already joined this round resume that participant: it is
        returned without a token, with ``resumed`` True, even once the workshop is closed (those
        already in can still finish), and the trainer counts one person, not two joins.

        A name is refused when someone in the same round already joined under it, or under a
        name that looks the same (``fields.name_key``): the trainer could not tell their
        answers apart. The same name in another round is the same person coming back.

        A browser that took another round of this workshop joins as the same person (the same
        ``person_key``), so the rounds pair; unless that person already has this round.
        """
        clean = _clean_code(code)
        name = _clean_display_name(display_name)
        browser = None if browser_key is None else _browser_digest(browser_key)
        for _attempt in range(2):
            try:
                return self._join(clean, round, name, browser)
            except IntegrityError:  # the same browser joined this round in another kernel just now
                continue
        raise StoreError("Joining the workshop clashed with another join from this browser; please try again.")

    def _join(self, code: str, round: str, name: str | None, browser: str | None) -> dict[str, Any]:
        """One attempt of ``join_workshop`` with clean values and the browser's digest."""
        with self.store.write() as conn:
            # FOR SHARE on PostgreSQL: a trainer closing the workshop waits for joins in flight
            # (SQLite's BEGIN IMMEDIATE already serializes them). A named join locks the row
            # (FOR UPDATE), so two kernels joining under look-alike names take turns.
            row = conn.execute(
                select(*_WORKSHOP_COLUMNS).where(workshops.c.join_code == code).with_for_update(read=name is None)
            ).first()
            if row is None:
                raise NotFoundError(f"No workshop has the code {code!r}. Check the code with your trainer.")
            workshop = _workshop_dict(row._mapping)
            known = None if browser is None else _browser_in_round(conn, workshop["id"], round, browser)
            if known is not None:
                return {**_participant_row(conn, int(known)), "resumed": True}
            require_open(workshop)
            if round not in workshop["rounds"]:
                raise ValidationError.for_field(
                    "round",
                    round,
                    f"this workshop has no round {round!r}; its rounds are {_names(workshop['rounds'])}.",
                )
            if name is not None:
                _check_name_is_free(conn, workshop["id"], round, name)
            person = _joining_person(conn, workshop["id"], round, name, browser)
            return _new_participant(conn, workshop["id"], round, name, browser, person)

    def take_round(self, participant_id: int, round: str, *, browser_key: str | None = None) -> dict[str, Any]:
        """The workshop participant ``participant_id`` takes a later ``round`` of their workshop as
        the same person (their ``person_key``), under the same name: return the new participant,
        with its token (returned only now: show its resume link once). ``browser_key`` (the
        page's browser) makes a join from that browser resume the new one.

        The page that calls this was opened by the participant's own link or browser. It opens
        only a new participant: a round this person already took is refused (its own link, or the
        browser it was taken in, opens it), so an earlier link never opens a later participant.
        """
        browser = None if browser_key is None else _browser_digest(browser_key)
        for _attempt in range(2):
            try:
                return self._take_round(participant_id, round, browser)
            except IntegrityError:  # this person (or this browser) joined the round in another kernel just now
                continue
        raise StoreError("Taking the round clashed with another join of yours; please try again.")

    def _take_round(self, participant_id: int, round: str, browser: str | None) -> dict[str, Any]:
        """One attempt of ``take_round``, with the browser's digest."""
        with self.store.write() as conn:
            me = conn.execute(
                select(*_PARTICIPANT_COLUMNS, participants.c.person_key, participants.c.browser_key)
                .where(participants.c.id == participant_id)
                .with_for_update()
            ).first()
            if me is None:
                raise _no_participant(participant_id)
            if me.workshop_id is None:
                raise ValidationError("A self-assessment outside a workshop has no rounds to take.")
            # As a join: FOR SHARE, so closing waits; FOR UPDATE under a name, so look-alikes take turns.
            workshop = _workshop_row(conn, int(me.workshop_id), lock="share" if me.display_name is None else "update")
            require_open(workshop)
            later = (
                workshop["rounds"][workshop["rounds"].index(me.round) + 1 :] if me.round in workshop["rounds"] else []
            )
            if round not in later:
                raise ValidationError.for_field(
                    "round", round, f"the rounds after {me.round!r} are {_names(later) if later else 'none'}."
                )
            person = person_of(dict(me._mapping))
            if person is None:  # joined before rounds were paired, from no known browser
                person = digest(new_token())
                conn.execute(participants.update().where(participants.c.id == me.id).values(person_key=person))
            if _person_rows(conn, workshop["id"], person, round):
                raise ValidationError.for_field(
                    "round",
                    round,
                    f"you have already taken the round {round!r}: open it with the link you were given then, "
                    "or from the browser you took it in.",
                )
            if me.display_name is not None:
                _check_name_is_free(
                    conn,
                    workshop["id"],
                    round,
                    me.display_name,
                    advice=f"join the round {round!r} with the workshop's code under another name, "
                    "such as with your surname.",
                )
            if browser is not None and not _browser_is_persons(conn, workshop["id"], browser, person):
                browser = None  # someone else's browser (Alice's after round on Bob's phone): it stays theirs
            return _new_participant(conn, workshop["id"], round, me.display_name, browser, person)

    def rounds_to_take(self, participant_id: int) -> list[str]:
        """The rounds of their open workshop after the participant's own that this person has not
        taken yet (``take_round`` takes one); none outside a workshop or once it is closed."""
        with self.store.read() as conn:
            me = conn.execute(
                select(participants.c.workshop_id, participants.c.round, *_PERSON_COLUMNS[2:4]).where(
                    participants.c.id == participant_id
                )
            ).first()
            if me is None:
                raise _no_participant(participant_id)
            if me.workshop_id is None:
                return []
            workshop = _workshop_row(conn, int(me.workshop_id))
            if not workshop["is_open"] or me.round not in workshop["rounds"]:
                return []
            person = person_of(dict(me._mapping))
            taken = {row["round"] for row in _person_rows(conn, workshop["id"], person)} if person else set()
            return [name for name in workshop["rounds"][workshop["rounds"].index(me.round) + 1 :] if name not in taken]

    def earlier_round(self, participant_id: int) -> tuple[str, dict[str, int]] | None:
        """The nearest round of the workshop this participant's person took before their own round,
        paired with it (``workshop.round_pairs``), and its answers: what the participant's own
        change is measured from. None when there is no such round (or no workshop)."""
        with self.store.read() as conn:
            me = conn.execute(
                select(participants.c.workshop_id, *_PERSON_COLUMNS).where(participants.c.id == participant_id)
            ).first()
            if me is None:
                raise _no_participant(participant_id)
            person = person_of(dict(me._mapping))
            if me.workshop_id is None or person is None:
                return None
            rounds = _workshop_row(conn, int(me.workshop_id))["rounds"]
            rows = _person_rows(conn, int(me.workshop_id), person)
            earlier = rounds[: rounds.index(me.round)] if me.round in rounds else []
            for name in reversed(earlier):
                paired = {new: old for old, new in round_pairs(rows, before=name, after=me.round)}
                if int(me.id) in paired:
                    given = conn.execute(
                        select(answers.c.item_id, answers.c.value).where(answers.c.participant_id == paired[int(me.id)])
                    )
                    return name, {item: int(value) for item, value in given}
            return None

    def browser_participant(self, code: str, browser_key: str) -> dict[str, Any] | None:
        """The participant the browser with this key joined the workshop with this code as, in
        its latest round (no token: the store keeps only its digest); None if it never joined it,
        or there is no such workshop. Reopening the join link resumes them."""
        clean = _clean_code(code)
        wanted = lookup_digest(browser_key)
        if wanted is None:
            return None
        with self.store.read() as conn:
            row = conn.execute(
                select(*_PARTICIPANT_COLUMNS)
                .join(workshops, workshops.c.id == participants.c.workshop_id)
                .where(workshops.c.join_code == clean, participants.c.browser_key == wanted)
                .order_by(participants.c.id.desc())
                .limit(1)
            ).first()
        return None if row is None else dict(row._mapping)

    # -- participants -------------------------------------------------------------------------

    def start_self_assessment(self, display_name: str | None = None) -> dict[str, Any]:
        """Start a self-assessment outside any workshop; return the participant (id, token, ...):
        the token is returned only now, so show the resume link once."""
        name = _clean_display_name(display_name)
        token = new_token()
        with self.store.write() as conn:
            stmt = participants.insert().values(display_name=name, token=digest(token)).returning(participants.c.id)
            return {**_participant_row(conn, int(conn.execute(stmt).scalar_one())), "token": token}

    def participant_by_token(self, token: str) -> dict[str, Any]:
        """The participant whose resume link carries ``token`` (id, token, ...; ``token`` as given)."""
        wanted = lookup_digest(token)
        row = None
        if wanted is not None:
            with self.store.read() as conn:
                row = conn.execute(select(*_PARTICIPANT_COLUMNS).where(participants.c.token == wanted)).first()
        if row is None:
            raise NotFoundError(
                "This link does not open any saved self-assessment. Check that the whole link was copied."
            )
        return {**row._mapping, "token": token.strip()}

    def participant(self, participant_id: int) -> dict[str, Any]:
        """One participant (id, workshop_id, round, display_name, created_at, completed_at): no
        token, which the store keeps only as a digest."""
        with self.store.read() as conn:
            return _participant_row(conn, participant_id)

    def new_resume_token(self, participant_id: int) -> str:
        """A new secret for the participant's resume link, returned only now; the old link stops working."""
        token = new_token()
        with self.store.write() as conn:
            done = conn.execute(
                participants.update().where(participants.c.id == participant_id).values(token=digest(token))
            )
            if not done.rowcount:
                raise _no_participant(participant_id)
        return token

    # -- answers ------------------------------------------------------------------------------

    def save_answer(self, participant_id: int, item_id: str, value: int) -> None:
        """Save (or change) one answer: a single upsert, so racing saves keep exactly one row."""
        item = _clean_item_id(item_id)
        number = _clean_value(value)
        stmt = upsert(
            self.store.engine,
            answers,
            {
                "participant_id": participant_id,
                "item_id": item,
                "value": number,
                "answered_at": func.current_timestamp(),
            },
            keys=[answers.c.participant_id, answers.c.item_id],
            update=["value", "answered_at"],
        )
        try:
            with self.store.write() as conn:
                conn.execute(stmt)
        except IntegrityError as exc:  # no such participant (foreign key)
            raise _no_participant(participant_id) from exc

    def answers(self, participant_id: int) -> dict[str, int]:
        """The participant's answers so far, ``{item id: value}``."""
        with self.store.read() as conn:
            _participant_row(conn, participant_id)
            rows = conn.execute(
                select(answers.c.item_id, answers.c.value)
                .where(answers.c.participant_id == participant_id)
                .order_by(answers.c.item_id)
            )
            return {item: int(value) for item, value in rows}

    def mark_completed(self, participant_id: int) -> None:
        """Record that the participant finished; the first completion time is kept."""
        with self.store.write() as conn:
            stmt = (
                participants.update()
                .where(participants.c.id == participant_id)
                .values(completed_at=func.coalesce(participants.c.completed_at, func.current_timestamp()))
            )
            if not conn.execute(stmt).rowcount:
                raise _no_participant(participant_id)

    # -- development plan ---------------------------------------------------------------------

    def set_reflection(self, participant_id: int, text: str) -> None:
        """Save the participant's reflection; blank text removes it."""
        if not isinstance(text, str):
            raise ValidationError.for_field("reflection", text, not_text(text))
        clean = clean_text("reflection", text, limit=_MAX_TEXT) or ""
        row = {"participant_id": participant_id, "text": clean}
        self._save_or_clear(reflections, row, keep=bool(clean), keys=["participant_id"])

    def set_commitment(self, participant_id: int, position: int, *, what: str, by_when: Any) -> None:
        """Save commitment ``position`` (1 to ``COMMITMENTS``): what the participant will do, by when.

        ``by_when`` is a date, ``YYYY-MM-DD`` text or None (no date yet). A blank ``what`` with
        no date clears the commitment.
        """
        if not is_whole(position) or not 1 <= int(position) <= COMMITMENTS:
            raise ValidationError.for_field(
                "position", position, f"a commitment is number 1 to {COMMITMENTS}, not {position!r}."
            )
        if not isinstance(what, str):
            raise ValidationError.for_field("what", what, not_text(what))
        clean_what = clean_text("what", what, limit=_MAX_TEXT) or ""
        when = clean_date("by_when", by_when)
        if not clean_what and when is not None:
            raise ValidationError.for_field("what", what, "say what you will do by that date.")
        row = {"participant_id": participant_id, "position": int(position), "what": clean_what, "by_when": when}
        self._save_or_clear(commitments, row, keep=bool(clean_what), keys=["participant_id", "position"])

    def _save_or_clear(self, table: Any, row: dict[str, Any], *, keep: bool, keys: list[str]) -> None:
        """Upsert one part of a participant's plan, or delete it when it was cleared."""
        participant_id = row["participant_id"]
        try:
            with self.store.write() as conn:
                if keep:
                    update = [c for c in row if c not in keys]
                    conn.execute(upsert(self.store.engine, table, row, keys=[table.c[k] for k in keys], update=update))
                else:
                    _participant_row(conn, participant_id)
                    conn.execute(table.delete().where(*(table.c[k] == row[k] for k in keys)))
        except IntegrityError as exc:
            raise _no_participant(participant_id) from exc

    def plan(self, participant_id: int) -> dict[str, Any]:
        """``{"reflection": text or None, "commitments": [{"position", "what", "by_when"}, ...]}``."""
        with self.store.read() as conn:
            _participant_row(conn, participant_id)
            reflection = conn.execute(
                select(reflections.c.text).where(reflections.c.participant_id == participant_id)
            ).scalar()
            rows = conn.execute(
                select(commitments.c.position, commitments.c.what, commitments.c.by_when)
                .where(commitments.c.participant_id == participant_id)
                .order_by(commitments.c.position)
            )
            return {"reflection": reflection, "commitments": [dict(row._mapping) for row in rows]}

    # -- peer ratings (the 360-degree view) ---------------------------------------------------

    def create_peer_link(self, subject_id: int) -> str:
        """A new rater for the participant ``subject_id``; returns the token for the rater's link,
        only now (the store keeps its digest), so show the link once."""
        token = new_token()
        try:
            with self.store.write() as conn:
                conn.execute(peer_raters.insert().values(subject_id=subject_id, token=digest(token)))
        except IntegrityError as exc:
            raise _no_participant(subject_id) from exc
        return token

    def save_peer_answer(self, rater_token: str, item_id: str, value: int) -> None:
        """Save (or change) one of a peer rater's answers, by the token in their link."""
        item = _clean_item_id(item_id)
        number = _clean_value(value)
        gone = NotFoundError("This rating link does not work any more. Ask for a new one.")
        wanted = lookup_digest(rater_token)
        if wanted is None:
            raise gone
        try:
            with self.store.write() as conn:
                rater_id = conn.execute(select(peer_raters.c.id).where(peer_raters.c.token == wanted)).scalar()
                if rater_id is None:
                    raise gone
                conn.execute(
                    upsert(
                        self.store.engine,
                        peer_answers,
                        {"rater_id": rater_id, "item_id": item, "value": number},
                        keys=[peer_answers.c.rater_id, peer_answers.c.item_id],
                        update=["value"],
                    )
                )
        except IntegrityError as exc:  # the rater was deleted in between
            raise gone from exc

    def peer_rater(self, rater_token: str) -> dict[str, Any]:
        """The rater behind a rating link: whom they rate, with which bank, and their answers so far."""
        gone = NotFoundError("This rating link does not work any more. Ask for a new one.")
        wanted = lookup_digest(rater_token)
        if wanted is None:
            raise gone
        with self.store.read() as conn:
            row = conn.execute(
                select(peer_raters.c.id, peer_raters.c.subject_id, workshops.c.bank)
                .join(participants, participants.c.id == peer_raters.c.subject_id)
                .outerjoin(workshops, workshops.c.id == participants.c.workshop_id)
                .where(peer_raters.c.token == wanted)
            ).first()
            if row is None:
                raise gone
            given = conn.execute(
                select(peer_answers.c.item_id, peer_answers.c.value).where(peer_answers.c.rater_id == row.id)
            ).all()
        return {
            "subject_id": int(row.subject_id),
            "bank": row.bank,
            "answers": {item: int(value) for item, value in given},
        }

    def peer_answers(self, subject_id: int) -> list[dict[str, int]]:
        """Each rater's answers about ``subject_id``, one dict per rater who answered, in link order."""
        return list(self.peer_ratings(subject_id).values())

    def peer_ratings(self, subject_id: int) -> dict[int, dict[str, int]]:
        """Each rater's answers about ``subject_id`` by rater id (raters who answered nothing left out)."""
        with self.store.read() as conn:
            _participant_row(conn, subject_id)
            return _ratings(conn, subject_id)

    def release_peer_view(self, subject_id: int, bank: QuestionBank) -> tuple[PeerRelease | None, int]:
        """What ``subject_id`` may see of their colleagues' ratings now, and how many raters
        have finished but wait for the next release.

        The last release shown is kept; a new one is made (and kept) only as
        :func:`cpmkit.soft_skills.scoring.release_peer_view` allows. Answers to items no longer in
        ``bank`` are ignored. Two pages of the same participant releasing at once agree: a
        release is only stored over the one it was computed from.
        """
        key = f"peer-release:{int(subject_id)}"
        for _attempt in range(_RELEASE_ATTEMPTS):
            with self.store.read() as conn:
                subject = _participant_row(conn, subject_id)
                stored = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
                ratings = {rater: known_answers(bank, given) for rater, given in _ratings(conn, subject_id).items()}
            previous = _release_from_json(stored, subject)
            release = release_peer_view(bank, ratings, previous)
            waiting = len(set(finished_raters(bank, ratings)) - (release.raters if release is not None else set()))
            if release is previous or release is None:
                return release, waiting
            value = _release_json(release, subject)
            try:
                with self.store.write() as conn:
                    if stored is None:
                        conn.execute(meta.insert().values(key=key, value=value))
                        return release, waiting
                    changed = meta.update().where(meta.c.key == key, meta.c.value == stored).values(value=value)
                    if conn.execute(changed).rowcount == 1:
                        return release, waiting
            except IntegrityError:  # another page stored the first release just now
                pass
        raise StoreError("Others' view changed too often while being read; please refresh it again.")

    def remember_own_browser(self, participant_id: int, browser_key: str) -> None:
        """Note that ``participant_id`` opens their own assessment in the browser with this key
        (its ``BrowserKey``); only a SHA-256 hash is kept, for the last 20 browsers. A workshop
        participant who has no joining browser yet (joined before the key arrived, or before
        browsers were remembered) gets this one, unless it already is someone's in their round."""
        digest = _browser_digest(browser_key)
        key = f"own-browsers:{int(participant_id)}"
        with self.store.write() as conn:
            _participant_row(conn, participant_id)
            stored = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
            known = _json_list(stored)
            if digest not in known:
                value = json.dumps([*known, digest][-_OWN_BROWSERS_KEPT:])
                conn.execute(
                    upsert(self.store.engine, meta, {"key": key, "value": value}, keys=[meta.c.key], update=["value"])
                )
        try:
            with self.store.write() as conn:
                conn.execute(_adopt_browser(participant_id, digest))
        except IntegrityError:  # the same browser joined this round in another kernel just now
            pass

    def is_own_browser(self, subject_id: int, browser_key: str) -> bool:
        """Whether ``subject_id`` opened their own assessment in the browser with this key."""
        with self.store.read() as conn:
            stored = conn.execute(select(meta.c.value).where(meta.c.key == f"own-browsers:{int(subject_id)}")).scalar()
        return _browser_digest(browser_key) in _json_list(stored)

    # -- plumbing -----------------------------------------------------------------------------


#: Proof that a TrainerAccess comes from AssessmentStore.trainer_workshop, which checked the key.
_ISSUED: Final = object()


class TrainerAccess:
    """What the trainer of one workshop may read and do: its cohort's answers, counts and export,
    and closing it. Only :meth:`AssessmentStore.trainer_workshop` makes one, once the trainer
    key matched, so nothing of a cohort is read without the key (a dashboard keeps its access
    and is not asked for the key at every refresh)."""

    def __init__(self, store: Store, workshop: dict[str, Any], *, _issued: object) -> None:
        if _issued is not _ISSUED:
            raise ValidationError("Only the workshop's trainer key opens its cohort.", field="trainer_key")
        self.store = store
        #: The workshop as it was when the key was checked (without its key hash).
        self.workshop = workshop
        self.workshop_id = int(workshop["id"])

    def cohort(self, round: str) -> dict[int, dict[str, int]]:
        """Everyone who joined ``round``, ``{participant id: {item id: value}}`` (answers so far)."""
        with self.store.read() as conn:
            workshop = _workshop_row(conn, self.workshop_id)
            if round not in workshop["rounds"]:
                raise ValidationError.for_field(
                    "round",
                    round,
                    f"this workshop has no round {round!r}; its rounds are {_names(workshop['rounds'])}.",
                )
            ids = conn.execute(
                select(participants.c.id)
                .where(participants.c.workshop_id == self.workshop_id, participants.c.round == round)
                .order_by(participants.c.id)
            ).scalars()
            cohort: dict[int, dict[str, int]] = {int(pid): {} for pid in ids}
            rows = conn.execute(
                select(answers.c.participant_id, answers.c.item_id, answers.c.value)
                .join(participants, participants.c.id == answers.c.participant_id)
                .where(participants.c.workshop_id == self.workshop_id, participants.c.round == round)
                .order_by(answers.c.participant_id, answers.c.item_id)
            )
            for pid, item, value in rows:
                cohort.setdefault(int(pid), {})[item] = int(value)
            return cohort

    def cohort_status(self) -> dict[str, dict[str, int]]:
        """Per round, in the workshop's order: ``{round: {"joined": n, "completed": n}}``."""
        with self.store.read() as conn:
            return _cohort_status(conn, _workshop_row(conn, self.workshop_id))

    def live_status(self) -> tuple[dict[str, dict[str, int]], dict[str, list[str]]]:
        """``cohort_status`` and, per round in the workshop's order, the names of the named
        participants who joined and have not finished (in the order they joined), read at once so
        the names and the counts agree. Anonymous participants stay counts."""
        with self.store.read() as conn:
            workshop = _workshop_row(conn, self.workshop_id)
            rows = conn.execute(
                select(participants.c.round, participants.c.display_name)
                .where(
                    participants.c.workshop_id == self.workshop_id,
                    participants.c.completed_at.is_(None),
                    participants.c.display_name.is_not(None),
                )
                .order_by(participants.c.id)
            )
            names: dict[str, list[str]] = {name: [] for name in workshop["rounds"]}
            for round_name, display_name in rows:
                if round_name in names:
                    names[round_name].append(str(display_name))
            return _cohort_status(conn, workshop), names

    def people(self) -> list[dict[str, Any]]:
        """Every participant of the workshop as ``workshop.round_pairs`` and ``released_pairs``
        read them: id, round, person_key, browser_key (digests), completed_at. Only for pairing:
        no name, and nothing of it is shown or exported."""
        with self.store.read() as conn:
            rows = conn.execute(
                select(*_PERSON_COLUMNS)
                .where(participants.c.workshop_id == self.workshop_id)
                .order_by(participants.c.id)
            )
            return [dict(row._mapping) for row in rows]

    def cohort_export(self) -> pd.DataFrame:
        """Every answer of the workshop in long format, for ``workshop.released_answers`` to apply the
        anonymity rule to: round, participant (their id: never shown, never exported),
        display_name (None if anonymous), completed_at (None while answering), item_id, value.

        Rows come in the workshop's round order, then by participant and item. Never a token.
        """
        with self.store.read() as conn:
            workshop = _workshop_row(conn, self.workshop_id)
            rows = conn.execute(
                select(
                    participants.c.round,
                    participants.c.id,
                    participants.c.display_name,
                    participants.c.completed_at,
                    answers.c.item_id,
                    answers.c.value,
                )
                .join(participants, participants.c.id == answers.c.participant_id)
                .where(participants.c.workshop_id == self.workshop_id)
            ).all()
        order = {name: i for i, name in enumerate(workshop["rounds"])}
        ordered = sorted(rows, key=lambda r: (order.get(r[0], len(order)), r[1], r[4]))
        # object columns first: pandas would turn a None completion time into NaT
        frame = pd.DataFrame([tuple(r) for r in ordered], columns=EXPORT_COLUMNS, dtype=object)
        return frame.astype({"participant": "int64", "value": "int64"})

    def close(self) -> None:
        """Stop anyone else joining; participants already in can still finish."""
        with self.store.write() as conn:
            stmt = workshops.update().where(workshops.c.id == self.workshop_id).values(is_open=False)
            if not conn.execute(stmt).rowcount:
                raise NotFoundError(f"There is no workshop number {self.workshop_id}.")


# -- rows ------------------------------------------------------------------------------------


def _workshop_row(
    conn: Connection, workshop_id: int, *, lock: Literal["share", "update"] | None = None
) -> dict[str, Any]:
    """One workshop; ``lock`` on PostgreSQL: FOR SHARE, so closing it waits for a join in flight,
    or FOR UPDATE, so two named joins take turns too."""
    stmt = select(*_WORKSHOP_COLUMNS).where(workshops.c.id == workshop_id)
    row = conn.execute(stmt if lock is None else stmt.with_for_update(read=lock == "share")).first()
    if row is None:
        raise NotFoundError(f"There is no workshop number {workshop_id}.")
    return _workshop_dict(row._mapping)


def _workshop_dict(row: Any) -> dict[str, Any]:
    workshop = dict(row)
    workshop["rounds"] = list(json.loads(workshop["rounds"]))
    workshop["is_open"] = bool(workshop["is_open"])
    return workshop


def _participant_row(conn: Connection, participant_id: int) -> dict[str, Any]:
    row = conn.execute(select(*_PARTICIPANT_COLUMNS).where(participants.c.id == participant_id)).first()
    if row is None:
        raise _no_participant(participant_id)
    return dict(row._mapping)


def _new_participant(
    conn: Connection, workshop_id: int, round: str, name: str | None, browser: str | None, person: str
) -> dict[str, Any]:
    """Insert a workshop participant; return it with the token of its resume link (only now)."""
    token = new_token()
    stmt = participants.insert().values(
        workshop_id=workshop_id,
        round=round,
        display_name=name,
        token=digest(token),
        browser_key=browser,
        person_key=person,
    )
    new_id = int(conn.execute(stmt.returning(participants.c.id)).scalar_one())
    return {**_participant_row(conn, new_id), "token": token}


def _person_rows(conn: Connection, workshop_id: int, person: str, round: str | None = None) -> list[dict[str, Any]]:
    """The participant rows of the workshop that are ``person`` (``workshop.person_of``: their
    person_key, or a browser_key where there is none), in ``round`` if given."""
    where = [
        participants.c.workshop_id == workshop_id,
        (participants.c.person_key == person)
        | (participants.c.person_key.is_(None) & (participants.c.browser_key == person)),
    ]
    if round is not None:
        where.append(participants.c.round == round)
    return [dict(row._mapping) for row in conn.execute(select(*_PERSON_COLUMNS).where(*where))]


def _browser_in_round(conn: Connection, workshop_id: int, round: str, browser: str) -> int | None:
    """The participant who joined ``round`` of the workshop from ``browser`` (a digest), if any."""
    found = conn.execute(
        select(participants.c.id).where(
            participants.c.workshop_id == workshop_id,
            participants.c.round == round,
            participants.c.browser_key == browser,
        )
    ).scalar()
    return None if found is None else int(found)


def _browser_is_persons(conn: Connection, workshop_id: int, browser: str, person: str) -> bool:
    """Whether every participant of the workshop who joined from ``browser`` (a digest), if any,
    is ``person`` (``workshop.person_of``): only then may a round ``person`` takes attach it."""
    rows = conn.execute(
        select(participants.c.person_key, participants.c.browser_key).where(
            participants.c.workshop_id == workshop_id, participants.c.browser_key == browser
        )
    )
    return all(person_of(dict(row._mapping)) == person for row in rows)


def _joining_person(conn: Connection, workshop_id: int, round: str, name: str | None, browser: str | None) -> str:
    """The person a new participant of ``round`` joining under ``name`` from ``browser`` (a
    digest) is: whoever took another round of the workshop from that browser (their latest), if
    under the same name (``fields.name_key``; no name both times counts as the same), else the
    browser's own digest; a new one when there is no browser, that person already has this
    round, or the name differs (on a device shared in the room, "Bob" is not the "Alice" before)."""
    person = browser
    if browser is not None:
        earlier = conn.execute(
            select(participants.c.person_key, participants.c.browser_key, participants.c.display_name)
            .where(participants.c.workshop_id == workshop_id, participants.c.browser_key == browser)
            .order_by(participants.c.id.desc())
            .limit(1)
        ).first()
        if earlier is not None:
            same = _name_or_none(earlier.display_name) == _name_or_none(name)
            person = person_of(dict(earlier._mapping)) if same else None
    if person is None or _person_rows(conn, workshop_id, person, round):
        person = digest(new_token())
    return person


def _name_or_none(name: str | None) -> str | None:
    """A display name as two names that look the same compare (``fields.name_key``); None: no name."""
    return None if name is None else name_key(name)


def _adopt_browser(participant_id: int, browser: str) -> Any:
    """The update giving a workshop participant without a joining browser this one (a digest),
    unless another participant of the same workshop round has it."""
    other = participants.alias("other")
    taken = (
        select(other.c.id)
        .where(
            other.c.workshop_id == participants.c.workshop_id,
            other.c.round == participants.c.round,
            other.c.browser_key == browser,
        )
        .exists()
    )
    return (
        participants.update()
        .where(
            participants.c.id == participant_id,
            participants.c.workshop_id.is_not(None),
            participants.c.browser_key.is_(None),
            ~taken,
        )
        .values(browser_key=browser)
    )


def _no_participant(participant_id: int) -> NotFoundError:
    return NotFoundError(f"There is no self-assessment number {participant_id}; it may have been deleted.")


def _check_name_is_free(
    conn: Connection,
    workshop_id: int,
    round: str,
    name: str,
    *,
    advice: str = "add something to tell you apart, such as your surname.",
) -> None:
    """Refuse ``name`` when someone in this round of the workshop joined under a name that
    looks the same, with ``advice`` on what to do. Compared in Python, by ``name_key``:
    participants keep no key column."""
    key = name_key(name)
    taken = conn.execute(
        select(participants.c.display_name).where(
            participants.c.workshop_id == workshop_id,
            participants.c.round == round,
            participants.c.display_name.is_not(None),
        )
    ).scalars()
    if any(name_key(other) == key for other in taken):
        raise ValidationError.for_field(
            "display_name",
            name,
            f"someone in this round has already joined as {name!r} (or a name that looks the same); {advice}",
        )


def _ratings(conn: Connection, subject_id: int) -> dict[int, dict[str, int]]:
    rows = conn.execute(
        select(peer_answers.c.rater_id, peer_answers.c.item_id, peer_answers.c.value)
        .join(peer_raters, peer_raters.c.id == peer_answers.c.rater_id)
        .where(peer_raters.c.subject_id == subject_id)
        .order_by(peer_answers.c.rater_id, peer_answers.c.item_id)
    )
    by_rater: dict[int, dict[str, int]] = {}
    for rater, item, value in rows:
        by_rater.setdefault(int(rater), {})[item] = int(value)
    return by_rater


def _release_json(release: PeerRelease, subject: dict[str, Any]) -> str:
    """A release as stored: tied to the subject's creation time, so a reused id never inherits it."""
    return json.dumps(
        {
            "subject_created": str(subject["created_at"]),
            "raters": sorted(release.raters),
            "others": {competency: str(value) for competency, value in release.others.items()},
        },
        sort_keys=True,
    )


def _release_from_json(stored: str | None, subject: dict[str, Any]) -> PeerRelease | None:
    if stored is None:
        return None
    try:
        data = json.loads(stored)
        if data["subject_created"] != str(subject["created_at"]):
            return None
        others = {str(competency): Fraction(value) for competency, value in data["others"].items()}
        return PeerRelease(raters=frozenset(int(rater) for rater in data["raters"]), others=others)
    except (ValueError, KeyError, TypeError, AttributeError, ZeroDivisionError):
        return None


def _cohort_status(conn: Connection, workshop: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    rows = conn.execute(
        select(
            participants.c.round,
            func.count(),
            func.sum(case((participants.c.completed_at.is_not(None), 1), else_=0)),
        )
        .where(participants.c.workshop_id == workshop["id"])
        .group_by(participants.c.round)
    )
    counts = {name: (int(joined), int(done or 0)) for name, joined, done in rows}
    return {
        name: {"joined": counts.get(name, (0, 0))[0], "completed": counts.get(name, (0, 0))[1]}
        for name in workshop["rounds"]
    }


def _browser_digest(browser_key: Any) -> str:
    found = lookup_digest(browser_key)
    if found is None:
        raise ValidationError.for_field("browser_key", browser_key, "this browser has no key yet.")
    return found


def _json_list(stored: str | None) -> list[str]:
    try:
        value = json.loads(stored) if stored is not None else []
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


# -- checking values -------------------------------------------------------------------------


def _clean_code(code: Any) -> str:
    clean = "".join(code.split()).replace("-", "").upper() if isinstance(code, str) else ""
    if not clean:
        raise ValidationError.for_field("code", code, "enter the workshop code your trainer gave you.")
    return clean


def _clean_text(field: str, value: Any, *, limit: int) -> str:
    if not isinstance(value, str):
        raise ValidationError.for_field(field, value, not_text(value))
    return required(field, value, clean_text(field, value, limit=limit))


def _clean_rounds(rounds: Any) -> list[str]:
    if isinstance(rounds, str) or not isinstance(rounds, Sequence):
        raise ValidationError.for_field("rounds", rounds, 'give a list of round names, such as ["before", "after"].')
    clean = [_clean_text("rounds", name, limit=_MAX_ID) for name in rounds]
    if not clean:
        raise ValidationError.for_field("rounds", rounds, "a workshop needs at least one round.")
    seen: set[str] = set()
    for name in clean:
        if name.casefold() in seen:
            raise ValidationError.for_field("rounds", rounds, f"the round {name!r} is listed twice.")
        seen.add(name.casefold())
    return clean


def _clean_display_name(display_name: Any) -> str | None:
    if display_name is None:
        return None
    if not isinstance(display_name, str):
        raise ValidationError.for_field("display_name", display_name, not_text(display_name))
    clean = " ".join(display_name.split())
    if len(clean) > _MAX_NAME:
        raise ValidationError.for_field("display_name", display_name, f"{too_long(len(clean), _MAX_NAME)}.")
    if clean and not name_key(clean):
        raise ValidationError.for_field(
            "display_name",
            display_name,
            "nothing of it shows on screen; type a name others can read, or leave it empty.",
        )
    return clean or None


def _clean_item_id(item_id: Any) -> str:
    if not isinstance(item_id, str) or not item_id or len(item_id) > _MAX_ID:
        raise ValidationError.for_field("item_id", item_id, f"{item_id!r} is not a question id.")
    return item_id


def _clean_value(value: Any) -> int:
    if not is_whole(value) or not -_INT32 <= int(value) < _INT32:
        raise ValidationError.for_field("value", value, f"an answer is a whole number from the scale, not {value!r}.")
    return int(value)


def _names(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names)
