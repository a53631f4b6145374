"""Bring a store cpmkit wrote before Alembic (``cpmkit_meta.schema_version`` 1 to 8) to schema
version 8, the Alembic baseline, in the caller's transaction, keeping every row.

Frozen: every step uses the table definitions below, as they were at the version the step
made, never today's (``cpmkit.db.schema``), so a step keeps its meaning when a table changes
later. Later changes are Alembic revisions (``cpmkit.db.migrations``), never steps here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    bindparam,
    false,
    func,
    select,
    text,
    true,
)

from cpmkit.core.fields import name_key
from cpmkit.core.links import digest
from cpmkit.db.name_keys import recompute_name_keys

__all__ = ["LAST_VERSION", "SECRET_COLUMNS", "upgrade"]

#: The last schema version before Alembic: the baseline revision's schema.
LAST_VERSION: Final = 8

_frozen = MetaData()

_meta = Table(
    "cpmkit_meta",
    _frozen,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# Never created here (version 1 made them): the columns the steps read and write, and what the
# tables created later refer to.
_projects = Table(
    "projects",
    _frozen,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200)),
    Column("owner_id", Integer),
)
_stakeholders = Table(
    "stakeholders",
    _frozen,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200)),
)

_users = Table(
    "users",
    _frozen,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False),  # accounts.clean_username: lower case
    Column("password_hash", String(255), nullable=False),  # Argon2id, salted; never the password
    Column("is_admin", Boolean, nullable=False, server_default=false()),
    Column("session_version", Integer, nullable=False, server_default=text("0")),  # +1 signs every session out
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ux_users_username", "username", unique=True),
)


_workshops = Table(
    "workshops",
    _frozen,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("bank", String(64), nullable=False),  # the question bank's name, e.g. "soft_skills"
    Column("rounds", Text, nullable=False),  # JSON list of round names, e.g. ["before", "after"]
    Column("join_code", String(16), nullable=False),
    Column("trainer_key_hash", String(255), nullable=False),  # salted scrypt; never the key itself
    Column("is_open", Boolean, nullable=False, server_default=true()),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ux_workshops_join_code", "join_code", unique=True),
)

_participants = Table(
    "participants",
    _frozen,
    Column("id", Integer, primary_key=True),
    Column("workshop_id", Integer, ForeignKey("workshops.id", ondelete="CASCADE")),  # NULL: on their own
    Column("round", String(64)),  # NULL on their own
    Column("display_name", String(200)),  # NULL: anonymous
    Column("token", String(64), nullable=False),  # secret digest; the secret is in the resume link
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("completed_at", DateTime),
    Index("ux_participants_token", "token", unique=True),
    Index("ix_participants_workshop_round", "workshop_id", "round"),
)

_answers = Table(
    "answers",
    _frozen,
    Column("participant_id", Integer, ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", String(64), nullable=False),
    Column("value", Integer, nullable=False),
    Column("answered_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    PrimaryKeyConstraint("participant_id", "item_id", name="pk_answers"),
)

_reflections = Table(
    "reflections",
    _frozen,
    Column("participant_id", Integer, ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True),
    Column("text", Text, nullable=False),
)

_commitments = Table(
    "commitments",
    _frozen,
    Column("participant_id", Integer, ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("what", Text, nullable=False),
    Column("by_when", Date),
    PrimaryKeyConstraint("participant_id", "position", name="pk_commitments"),
    CheckConstraint("position BETWEEN 1 AND 3", name="ck_commitments_position"),
)

_peer_raters = Table(
    "peer_raters",
    _frozen,
    Column("id", Integer, primary_key=True),
    Column("subject_id", Integer, ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("token", String(64), nullable=False),  # secret digest; the secret is in the link the subject sends the rater
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ux_peer_raters_token", "token", unique=True),
    Index("ix_peer_raters_subject", "subject_id"),
)

_peer_answers = Table(
    "peer_answers",
    _frozen,
    Column("rater_id", Integer, ForeignKey("peer_raters.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", String(64), nullable=False),
    Column("value", Integer, nullable=False),
    PrimaryKeyConstraint("rater_id", "item_id", name="pk_peer_answers"),
)


# Value columns are nullable: GapStore deletes a row once every value in it is cleared.

_gap_dimensions = Table(
    "gap_dimensions",
    _frozen,
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("dimension", String(64), nullable=False),  # a dimension id from templates/expectation_gap.yaml
    Column("position", Integer, nullable=False),
    PrimaryKeyConstraint("project_id", "dimension", name="pk_gap_dimensions"),
)

_gap_ratings = Table(
    "gap_ratings",
    _frozen,
    Column("id", Integer, primary_key=True),
    Column("stakeholder_id", Integer, ForeignKey("stakeholders.id", ondelete="CASCADE"), nullable=False),
    Column("dimension", String(64), nullable=False),
    Column("source", String(64), nullable=False),  # who gave the figures: survey, stakeholder, estimate
    Column("assessed_on", Date, nullable=False),
    Column("expectation", Integer),
    Column("perception", Integer),
    Column("importance", Integer),
    Column("updated_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ux_gap_ratings_assessment", "stakeholder_id", "dimension", "source", "assessed_on", unique=True),
)

_satisfaction_scores = Table(
    "satisfaction_scores",
    _frozen,
    Column("stakeholder_id", Integer, ForeignKey("stakeholders.id", ondelete="CASCADE"), nullable=False),
    Column("source", String(64), nullable=False),
    Column("assessed_on", Date, nullable=False),
    Column("score", Integer),
    PrimaryKeyConstraint("stakeholder_id", "source", "assessed_on", name="pk_satisfaction_scores"),
)

_gap_notes = Table(
    "gap_notes",
    _frozen,
    Column("stakeholder_id", Integer, ForeignKey("stakeholders.id", ondelete="CASCADE"), nullable=False),
    Column("dimension", String(64), nullable=False),
    Column("stated_problem", Text),
    Column("underlying_expectation", Text),
    PrimaryKeyConstraint("stakeholder_id", "dimension", name="pk_gap_notes"),
)

_gap_actions = Table(
    "gap_actions",
    _frozen,
    Column("id", Integer, primary_key=True),
    Column("stakeholder_id", Integer, ForeignKey("stakeholders.id", ondelete="CASCADE"), nullable=False),
    Column("dimension", String(64), nullable=False),
    Column("what", Text, nullable=False),
    Column("owner", String(200)),
    Column("due", Date),
    Column("status", String(20), nullable=False, server_default="open"),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ix_gap_actions_stakeholder", "stakeholder_id"),
)

_status_lights = Table(
    "status_lights",
    _frozen,
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("area", String(64), nullable=False),  # e.g. scope, schedule, budget
    Column("colour", String(10)),
    PrimaryKeyConstraint("project_id", "area", name="pk_status_lights"),
)

_survey_links = Table(
    "survey_links",
    _frozen,
    Column("id", Integer, primary_key=True),
    Column("stakeholder_id", Integer, ForeignKey("stakeholders.id", ondelete="CASCADE"), nullable=False),
    Column(
        "token", String(64), nullable=False
    ),  # secret digest; the secret is in the link the PM sends the stakeholder
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ux_survey_links_token", "token", unique=True),
    Index("ux_survey_links_stakeholder", "stakeholder_id", unique=True),  # one link per stakeholder
)


_pulse_rounds = Table(
    "pulse_rounds",
    _frozen,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("closed", Boolean, nullable=False, server_default=false()),
    Column("token", String(64), nullable=False),  # secret digest; the secret is in the survey link respondents open
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ux_pulse_rounds_token", "token", unique=True),
    Index("ux_pulse_rounds_project_name", "project_id", "name_key", unique=True),
)


_pulse_links = Table(
    "pulse_links",
    _frozen,
    Column("id", Integer, primary_key=True),
    Column("round_id", Integer, ForeignKey("pulse_rounds.id", ondelete="CASCADE"), nullable=False),
    Column("stakeholder_id", Integer, ForeignKey("stakeholders.id", ondelete="CASCADE"), nullable=False),
    Column("token", String(64), nullable=False),  # secret digest; the secret is in the stakeholder's own link
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ux_pulse_links_token", "token", unique=True),
    Index("ux_pulse_links_round_stakeholder", "round_id", "stakeholder_id", unique=True),
)

_pulse_responses = Table(
    "pulse_responses",
    _frozen,
    Column("id", Integer, primary_key=True),
    Column("round_id", Integer, ForeignKey("pulse_rounds.id", ondelete="CASCADE"), nullable=False),
    # The digest of "form-<the form's browser key>" (a secret), or feedback_import's hash of an
    # imported response: re-importing a file upserts, never duplicates.
    Column("response_key", String(64), nullable=False),
    Column("stakeholder_id", Integer, ForeignKey("stakeholders.id", ondelete="SET NULL")),  # None: anonymous
    Column("respondent", String(200)),  # as an import names them (an e-mail, say); None: anonymous
    Column("source", String(20), nullable=False),  # "form" or "import"
    Column("submitted_at", DateTime, nullable=False),
    Index("ux_pulse_responses_key", "round_id", "response_key", unique=True),
)

_pulse_answers = Table(
    "pulse_answers",
    _frozen,
    Column("response_id", Integer, ForeignKey("pulse_responses.id", ondelete="CASCADE"), nullable=False),
    Column("question", String(64), nullable=False),  # a question id from templates/pulse_survey.yaml
    Column("score", Integer),
    Column("text", Text),
    PrimaryKeyConstraint("response_id", "question", name="pk_pulse_answers"),
)

_retro_boards = Table(
    "retro_boards",
    _frozen,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("format", String(64), nullable=False),  # a format id from templates/retro_formats.yaml
    Column("phase", String(20), nullable=False, server_default="collect"),
    Column("votes_per_member", Integer, nullable=False),
    Column("token", String(64), nullable=False),  # secret digest; the secret is in the link team members join by
    Column("facilitator_key", String(64), nullable=False),  # secret digest; the secret is in the facilitator's link
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ux_retro_boards_token", "token", unique=True),
    Index("ux_retro_boards_facilitator", "facilitator_key", unique=True),
    Index("ix_retro_boards_project", "project_id"),
)

_retro_members = Table(
    "retro_members",
    _frozen,
    Column("id", Integer, primary_key=True),
    Column("board_id", Integer, ForeignKey("retro_boards.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False),  # joining again under the same name is the same member...
    Column(
        "browser_key", String(64), nullable=False
    ),  # ...from the same browser (digest of its BrowserKey), no one else
    Column("joined_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ux_retro_members_name", "board_id", "name_key", unique=True),
)

_retro_cards = Table(
    "retro_cards",
    _frozen,
    Column("id", Integer, primary_key=True),
    Column("board_id", Integer, ForeignKey("retro_boards.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, ForeignKey("retro_members.id", ondelete="SET NULL")),
    Column("column_id", String(64), nullable=False),  # a column id of the board's format
    Column("text", Text, nullable=False),
    Column("anonymous", Boolean, nullable=False, server_default=false()),
    Column("group_id", Integer, ForeignKey("retro_cards.id", ondelete="SET NULL")),  # the card it is grouped under
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ix_retro_cards_board", "board_id"),
)

_retro_votes = Table(
    "retro_votes",
    _frozen,
    Column("id", Integer, primary_key=True),
    Column("card_id", Integer, ForeignKey("retro_cards.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, ForeignKey("retro_members.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ix_retro_votes_member", "member_id"),
    Index("ix_retro_votes_card", "card_id"),
)

_retro_actions = Table(
    "retro_actions",
    _frozen,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("board_id", Integer, ForeignKey("retro_boards.id", ondelete="SET NULL")),  # the retro it came from
    Column("card_id", Integer, ForeignKey("retro_cards.id", ondelete="SET NULL")),  # the group it acts on
    Column("what", Text, nullable=False),
    Column("owner", String(200)),
    Column("due", Date),
    Column("status", String(20), nullable=False, server_default="open"),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("updated_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("closed_at", DateTime),  # when it was done or dropped (None while open): the retro after that reviews it
    Index("ix_retro_actions_project", "project_id"),
)

_lessons = Table(
    "lessons",
    _frozen,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("what_happened", Text, nullable=False),
    Column("impact", Text),
    Column("root_cause", Text),
    Column("recommendation", Text),
    Column("category", String(64)),  # an id from templates/lessons.yaml
    Column("phase", String(64)),  # an id from templates/lessons.yaml
    Column("owner", String(200)),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("updated_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ix_lessons_project", "project_id"),
)

_lesson_sources = Table(
    "lesson_sources",
    _frozen,
    Column("id", Integer, primary_key=True),
    Column("lesson_id", Integer, ForeignKey("lessons.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(20), nullable=False),  # "theme", "comment" or "card"
    Column("ref", String(200), nullable=False),  # a theme id, "<pulse response id>:<question>", a retro card id
    Column("excerpt", Text),  # what it said when the lesson was made, kept if the source goes
    Index("ux_lesson_sources", "lesson_id", "kind", "ref", unique=True),
)


#: The tables each version added, parents first.
_ADDED_IN: Final = {
    3: (_workshops, _participants, _answers, _reflections, _commitments, _peer_raters, _peer_answers),
    4: (_gap_dimensions, _gap_ratings, _satisfaction_scores, _gap_notes, _gap_actions, _status_lights, _survey_links),
    5: (
        _pulse_rounds,
        _pulse_responses,
        _pulse_answers,
        _retro_boards,
        _retro_members,
        _retro_cards,
        _retro_votes,
        _retro_actions,
        _lessons,
        _lesson_sources,
    ),
    8: (_pulse_links,),
}


def upgrade(conn: Connection, version: int) -> None:
    """Run the steps from ``version`` to ``LAST_VERSION`` and record it in ``cpmkit_meta``."""
    for step in range(version, LAST_VERSION):
        _STEPS[step](conn)
    conn.execute(_meta.update().where(_meta.c.key == "schema_version").values(value=str(LAST_VERSION)))


def _v1_to_v2(conn: Connection) -> None:
    """Version 2: duplicate names are checked case-insensitively (``name_key``), and the
    communication plan records the last contact and a hand-set next touchpoint."""
    for table in ("projects", "stakeholders"):
        conn.execute(text(f"ALTER TABLE {table} ADD COLUMN name_key VARCHAR(200)"))
    conn.execute(text("ALTER TABLE stakeholders ADD COLUMN last_contact DATE"))
    conn.execute(text("ALTER TABLE stakeholders ADD COLUMN next_touchpoint DATE"))
    _backfill_name_keys(conn, _projects, group=None)
    _backfill_name_keys(conn, _stakeholders, group=_stakeholders.c.project_id)
    conn.execute(text("CREATE UNIQUE INDEX ux_projects_name_key ON projects (name_key)"))
    conn.execute(text("CREATE UNIQUE INDEX ux_stakeholders_project_name ON stakeholders (project_id, name_key)"))


def _backfill_name_keys(conn: Connection, table: Table, *, group: Column[int] | None) -> None:
    """Fill ``name_key``; names that only differ by case get a ' (2)' suffix rather than being lost."""
    columns = [table.c.id, table.c.name] + ([group] if group is not None else [])
    seen: set[tuple[object, str]] = set()
    for row in conn.execute(select(*columns).order_by(table.c.id)):
        scope = row[2] if group is not None else None
        name, n = row.name, 1
        while (scope, name_key(name)) in seen:
            n += 1
            name = f"{row.name} ({n})"
        seen.add((scope, name_key(name)))
        conn.execute(table.update().where(table.c.id == row.id).values(name=name, name_key=name_key(name)))


def _creating(version: int) -> Callable[[Connection], None]:
    """A step that only adds the tables ``version`` added, as they were then."""

    def step(conn: Connection) -> None:
        _frozen.create_all(conn, tables=list(_ADDED_IN[version]), checkfirst=True)

    return step


def _v5_to_v6(conn: Connection) -> None:
    """Version 6: owners sign in. Projects get an owner; names are unique per owner, not store-wide.
    Projects from before have none, so only an admin sees them until one is given an owner.
    Names are compared by look-alike key from this version on."""
    _users.create(conn, checkfirst=True)
    conn.execute(text("ALTER TABLE projects ADD COLUMN owner_id INTEGER REFERENCES users (id) ON DELETE SET NULL"))
    conn.execute(text("DROP INDEX ux_projects_name_key"))
    conn.execute(text("CREATE UNIQUE INDEX ux_projects_owner_name ON projects (coalesce(owner_id, 0), name_key)"))
    # Names are compared by their look-alike key ("Bоb" with a Cyrillic о is "Bob"): stored keys
    # are recomputed, and an older name that now looks like another gets " (2)".
    recompute_name_keys(conn, _projects, group=func.coalesce(_projects.c.owner_id, 0))
    recompute_name_keys(conn, _stakeholders, group=_stakeholders.c.project_id)
    recompute_name_keys(conn, _pulse_rounds, group=_pulse_rounds.c.project_id)
    recompute_name_keys(conn, _retro_members, group=_retro_members.c.board_id)


#: The columns holding a link secret, digested in place by version 7.
SECRET_COLUMNS: Final[tuple[tuple[Table, str], ...]] = (
    (_participants, "token"),
    (_peer_raters, "token"),
    (_survey_links, "token"),
    (_pulse_rounds, "token"),
    (_retro_boards, "token"),
    (_retro_boards, "facilitator_key"),
    (_retro_members, "browser_key"),
)
#: A form response's key before version 7: "form-" and the browser's key, in plain text.
_PLAIN_FORM_KEY: Final = "form-%"
#: The store settings that remember the solo self-assessment started last (cpmkit.soft_skills.ui.assessment),
#: one store-wide and one per owner ("...:<user id>"): its participant's token before version 7,
#: its participant's id since.
_LAST_SELF_ASSESSMENT: Final = "setting:last_self_assessment"


def _v6_to_v7(conn: Connection) -> None:
    """Version 7: link secrets are kept only as their digest (``cpmkit.core.links``), so a copy
    of the store opens no link. Every plain secret is replaced by its digest in place; a link
    already sent keeps working, since a link's secret is now looked up by its digest. No column
    can hold a digest before this step, so every value is converted exactly once.

    Form responses' keys ("form-<browser key>") become the digest of that text, and the settings
    remembering the last solo self-assessment hold its participant's id instead of its token.
    On SQLite, ``secure_delete`` zeroes the space the plain values leave in the file.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA secure_delete=ON")
    for table, column in SECRET_COLUMNS:
        rows = conn.execute(select(table.c.id, table.c[column])).all()
        _set_digests(conn, table, column, [(row[0], digest(row[1])) for row in rows])
    responses = conn.execute(
        select(_pulse_responses.c.id, _pulse_responses.c.response_key).where(
            _pulse_responses.c.source == "form", _pulse_responses.c.response_key.like(_PLAIN_FORM_KEY)
        )
    ).all()
    _set_digests(conn, _pulse_responses, "response_key", [(row[0], digest(row[1])) for row in responses])
    remembering = (_meta.c.key == _LAST_SELF_ASSESSMENT) | _meta.c.key.like(f"{_LAST_SELF_ASSESSMENT}:%")
    for key, remembered in conn.execute(select(_meta.c.key, _meta.c.value).where(remembering)).all():
        found = conn.execute(select(_participants.c.id).where(_participants.c.token == digest(remembered))).scalar()
        forget = _meta.delete().where(_meta.c.key == key)
        keep = _meta.update().where(_meta.c.key == key).values(value=str(found))
        conn.execute(forget if found is None else keep)


def _set_digests(conn: Connection, table: Table, column: str, digests: list[tuple[int, str]]) -> None:
    """Set ``column`` of each row ``id`` to its digest, in one executemany."""
    if digests:
        stmt = table.update().where(table.c.id == bindparam("row_id")).values({column: bindparam("digest")})
        conn.execute(stmt, [{"row_id": row_id, "digest": value} for row_id, value in digests])


#: Version 3 adds workbook 2 (the soft-skills self-assessment and its workshops), version 4
#: workbook 3 (expectation gaps and the status report), version 5 workbook 4 (pulse surveys,
#: retrospectives and lessons learned), version 6 owners who sign in, version 7 keeps link
#: secrets only as digests, version 8 gives each stakeholder their own pulse link.
_STEPS: Final[dict[int, Callable[[Connection], None]]] = {
    1: _v1_to_v2,
    2: _creating(3),
    3: _creating(4),
    4: _creating(5),
    5: _v5_to_v6,
    6: _v6_to_v7,
    7: _creating(8),
}
