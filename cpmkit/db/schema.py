"""The store's tables, as they are today: what cpmkit reads and writes.

Changing a table here takes a new Alembic revision in ``cpmkit.db.migrations`` (README.md
there says how); tests/db/test_migrations.py fails while the two disagree. Stores cpmkit wrote
before Alembic are upgraded by ``cpmkit.db.legacy_upgrades``, which never reads these tables.

Columns marked "secret digest" hold ``cpmkit.core.links.digest`` of a link's secret, never
the secret itself (since version 7).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    false,
    func,
    text,
    true,
)

__all__ = ["metadata"]

metadata = MetaData()

meta = Table(
    "cpmkit_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# -- owners who sign in (version 6) --------------------------------------------------------

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False),  # accounts.clean_username: lower case
    Column("password_hash", String(255), nullable=False),  # Argon2id, salted; never the password
    Column("is_admin", Boolean, nullable=False, server_default=false()),
    Column("session_version", Integer, nullable=False, server_default=text("0")),  # +1 signs every session out
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ux_users_username", "username", unique=True),
)

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    # Who sees the project (besides admins); NULL: made in JupyterLab or before version 6.
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
)
#: A name is unique among one owner's projects (another PM's names are neither taken nor told).
Index("ux_projects_owner_name", func.coalesce(projects.c.owner_id, 0), projects.c.name_key, unique=True)

stakeholders = Table(
    "stakeholders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False),
    Column("role", String(200)),
    Column("organisation", String(200)),
    Column("category", String(20)),
    Column("power", Integer),
    Column("interest", Integer),
    Column("current_engagement", String(20)),
    Column("desired_engagement", String(20)),
    Column("expected_value", Text),
    Column("channel", String(20)),
    Column("cadence", String(20)),
    Column("owner", String(200)),
    Column("last_contact", Date),
    Column("next_touchpoint", Date),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("updated_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ux_stakeholders_project_name", "project_id", "name_key", unique=True),
)

success_measures = Table(
    "success_measures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("stakeholder_id", Integer, ForeignKey("stakeholders.id", ondelete="CASCADE"), nullable=False),
    Column("metric", String(200), nullable=False),
    Column("unit", String(40)),
    Column("baseline", Float),
    Column("target", Float),
    Column("latest", Float),
    Column("measured_on", Date),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
)


# -- workbook 2: soft-skills self-assessment, alone or in a trainer's workshop (version 3) ----

workshops = Table(
    "workshops",
    metadata,
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

participants = Table(
    "participants",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workshop_id", Integer, ForeignKey("workshops.id", ondelete="CASCADE")),  # NULL: on their own
    Column("round", String(64)),  # NULL on their own
    Column("display_name", String(200)),  # NULL: anonymous
    Column("token", String(64), nullable=False),  # secret digest; the secret is in the resume link
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("completed_at", DateTime),
    # Digest of the joining browser's BrowserKey (a secret): a join from it resumes this participant
    Column("browser_key", String(64)),  # NULL: started alone, or joined before browsers were remembered
    # Revision 0006: the same person in every round of a workshop (digest of a secret: the browser key they
    # joined the first round from, carried over when they take a later round from that browser or their own link)
    Column("person_key", String(64)),  # NULL: joined before rounds were paired (their browser_key pairs them)
    Index("ux_participants_token", "token", unique=True),
    Index("ix_participants_workshop_round", "workshop_id", "round"),
    Index("ux_participants_browser", "workshop_id", "round", "browser_key", unique=True),  # one per browser
    # one row per person and round (two kernels cannot both add it); serves the lookups by person too
    Index("ux_participants_person", "workshop_id", "person_key", "round", unique=True),
)

answers = Table(
    "answers",
    metadata,
    Column("participant_id", Integer, ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", String(64), nullable=False),
    Column("value", Integer, nullable=False),
    Column("answered_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    PrimaryKeyConstraint("participant_id", "item_id", name="pk_answers"),
)

reflections = Table(
    "reflections",
    metadata,
    Column("participant_id", Integer, ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True),
    Column("text", Text, nullable=False),
)

commitments = Table(
    "commitments",
    metadata,
    Column("participant_id", Integer, ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("what", Text, nullable=False),
    Column("by_when", Date),
    PrimaryKeyConstraint("participant_id", "position", name="pk_commitments"),
    CheckConstraint("position BETWEEN 1 AND 3", name="ck_commitments_position"),
)

peer_raters = Table(
    "peer_raters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("subject_id", Integer, ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("token", String(64), nullable=False),  # secret digest; the secret is in the link the subject sends the rater
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ux_peer_raters_token", "token", unique=True),
    Index("ix_peer_raters_subject", "subject_id"),
)

peer_answers = Table(
    "peer_answers",
    metadata,
    Column("rater_id", Integer, ForeignKey("peer_raters.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", String(64), nullable=False),
    Column("value", Integer, nullable=False),
    PrimaryKeyConstraint("rater_id", "item_id", name="pk_peer_answers"),
)


# -- workbook 3: expectation gaps and the customer-centric status report (version 4) ----------
# Value columns are nullable: GapStore deletes a row once every value in it is cleared.

gap_dimensions = Table(
    "gap_dimensions",
    metadata,
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("dimension", String(64), nullable=False),  # a dimension id from templates/expectation_gap.yaml
    Column("position", Integer, nullable=False),
    PrimaryKeyConstraint("project_id", "dimension", name="pk_gap_dimensions"),
)

gap_ratings = Table(
    "gap_ratings",
    metadata,
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

satisfaction_scores = Table(
    "satisfaction_scores",
    metadata,
    Column("stakeholder_id", Integer, ForeignKey("stakeholders.id", ondelete="CASCADE"), nullable=False),
    Column("source", String(64), nullable=False),
    Column("assessed_on", Date, nullable=False),
    Column("score", Integer),
    PrimaryKeyConstraint("stakeholder_id", "source", "assessed_on", name="pk_satisfaction_scores"),
)

gap_notes = Table(
    "gap_notes",
    metadata,
    Column("stakeholder_id", Integer, ForeignKey("stakeholders.id", ondelete="CASCADE"), nullable=False),
    Column("dimension", String(64), nullable=False),
    Column("stated_problem", Text),
    Column("underlying_expectation", Text),
    PrimaryKeyConstraint("stakeholder_id", "dimension", name="pk_gap_notes"),
)

gap_actions = Table(
    "gap_actions",
    metadata,
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

status_lights = Table(
    "status_lights",
    metadata,
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("area", String(64), nullable=False),  # e.g. scope, schedule, budget
    Column("colour", String(10)),
    PrimaryKeyConstraint("project_id", "area", name="pk_status_lights"),
)

survey_links = Table(
    "survey_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("stakeholder_id", Integer, ForeignKey("stakeholders.id", ondelete="CASCADE"), nullable=False),
    Column(
        "token", String(64), nullable=False
    ),  # secret digest; the secret is in the link the PM sends the stakeholder
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ux_survey_links_token", "token", unique=True),
    Index("ux_survey_links_stakeholder", "stakeholder_id", unique=True),  # one link per stakeholder
)

survey_responses = Table(  # revision 0002: what the survey adds to the figures, one row per stakeholder
    "survey_responses",
    metadata,
    Column("stakeholder_id", Integer, ForeignKey("stakeholders.id", ondelete="CASCADE"), primary_key=True),
    Column("comment", Text),  # in the stakeholder's own words, as entered
    Column("submitted_at", DateTime),  # when they last pressed Submit; None until then
)

#: Workbook 3's tables, parents first.
GAP_TABLES = (
    gap_dimensions,
    gap_ratings,
    satisfaction_scores,
    gap_notes,
    gap_actions,
    status_lights,
    survey_links,
    survey_responses,
)


# -- workbook 4: pulse surveys, retrospectives and lessons learned (version 5) -----------------

pulse_rounds = Table(
    "pulse_rounds",
    metadata,
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

# -- a stakeholder's own pulse link (version 8) -------------------------------------------------

pulse_links = Table(
    "pulse_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("round_id", Integer, ForeignKey("pulse_rounds.id", ondelete="CASCADE"), nullable=False),
    Column("stakeholder_id", Integer, ForeignKey("stakeholders.id", ondelete="CASCADE"), nullable=False),
    Column("token", String(64), nullable=False),  # secret digest; the secret is in the stakeholder's own link
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ux_pulse_links_token", "token", unique=True),
    Index("ux_pulse_links_round_stakeholder", "round_id", "stakeholder_id", unique=True),
)

pulse_responses = Table(
    "pulse_responses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("round_id", Integer, ForeignKey("pulse_rounds.id", ondelete="CASCADE"), nullable=False),
    # The digest of "form-<the form's browser key>" (a secret), or survey_import.reader's hash of an
    # imported response: re-importing a file upserts, never duplicates.
    Column("response_key", String(64), nullable=False),
    Column("stakeholder_id", Integer, ForeignKey("stakeholders.id", ondelete="SET NULL")),  # None: anonymous
    Column("respondent", String(200)),  # as an import names them (an e-mail, say); None: anonymous
    Column("source", String(20), nullable=False),  # "form" or "import"
    Column("submitted_at", DateTime, nullable=False),
    Index("ux_pulse_responses_key", "round_id", "response_key", unique=True),
)

import_mappings = Table(  # revision 0004: the column mapping and recodings a PM last used for a survey export
    "import_mappings",
    metadata,
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    # SHA-256 of the export's headings in file order (survey_import.store): never the headings themselves
    Column("headings_digest", String(64), nullable=False),
    Column("data", Text, nullable=False),  # JSON: {"mapping": ..., "recodings": ...} as the import panel saves it
    Column("saved_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    PrimaryKeyConstraint("project_id", "headings_digest", name="pk_import_mappings"),
)

pulse_answers = Table(
    "pulse_answers",
    metadata,
    Column("response_id", Integer, ForeignKey("pulse_responses.id", ondelete="CASCADE"), nullable=False),
    Column("question", String(64), nullable=False),  # a question id from templates/pulse_survey.yaml
    Column("score", Integer),
    Column("text", Text),
    PrimaryKeyConstraint("response_id", "question", name="pk_pulse_answers"),
)

retro_boards = Table(
    "retro_boards",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("format", String(64), nullable=False),  # a format id from templates/retro_formats.yaml
    Column("phase", String(20), nullable=False, server_default="collect"),
    Column("votes_per_member", Integer, nullable=False),
    Column("token", String(64), nullable=False),  # secret digest; the secret is in the link team members join by
    Column("facilitator_key", String(64), nullable=False),  # secret digest; the secret is in the facilitator's link
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("finished_at", DateTime),  # revision 0005: when the facilitator finished it (None: still running)
    Column("archived_at", DateTime),  # revision 0005: when the PM archived it (None: not archived)
    # Revision 0006: facilitation and the team health check (issue 15)
    Column("kind", String(20), nullable=False, server_default="retro"),  # "retro", or "health": a health check
    Column("private_writing", Boolean, nullable=False, server_default=false()),  # cards hidden until revealed
    Column("revealed_at", DateTime),  # when the cards were first shown to all (UTC, from the app's clock)
    Column("named_votes", Boolean, nullable=False, server_default=false()),  # health check: votes shown by name
    Column("timer_phase", String(20)),  # the phase the running timer is for (None: no timer)
    Column("timer_ends_at", DateTime),  # when that timer runs out (UTC, from the app's clock)
    Index("ux_retro_boards_token", "token", unique=True),
    Index("ux_retro_boards_facilitator", "facilitator_key", unique=True),
    Index("ix_retro_boards_project", "project_id"),
)

retro_members = Table(
    "retro_members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("board_id", Integer, ForeignKey("retro_boards.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False),  # joining again under the same name is the same member...
    Column(
        "browser_key", String(64), nullable=False
    ),  # ...from the same browser (digest of its BrowserKey), no one else
    Column("joined_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("ready_phase", String(20)),  # revision 0006: the phase in which the member said they are ready
    # Revision 0006: joined from the facilitator's link: runs the board, so not one of the team who say they are ready
    Column("facilitating", Boolean, nullable=False, server_default=false()),
    Index("ux_retro_members_name", "board_id", "name_key", unique=True),
)

retro_column_limits = Table(  # revision 0006: the most votes a member may put in one column of a board
    "retro_column_limits",
    metadata,
    Column("board_id", Integer, ForeignKey("retro_boards.id", ondelete="CASCADE"), nullable=False),
    Column("column_id", String(64), nullable=False),
    Column("votes", Integer, nullable=False),
    PrimaryKeyConstraint("board_id", "column_id", name="pk_retro_column_limits"),
)

retro_cards = Table(
    "retro_cards",
    metadata,
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

retro_votes = Table(
    "retro_votes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("card_id", Integer, ForeignKey("retro_cards.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, ForeignKey("retro_members.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ix_retro_votes_member", "member_id"),
    Index("ix_retro_votes_card", "card_id"),
)

retro_actions = Table(
    "retro_actions",
    metadata,
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

health_votes = Table(  # revision 0006: a member's vote on one dimension of a team health check
    "health_votes",
    metadata,
    Column("board_id", Integer, ForeignKey("retro_boards.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, ForeignKey("retro_members.id", ondelete="CASCADE"), nullable=False),
    Column("dimension", String(64), nullable=False),  # a dimension id from templates/health_check.yaml
    Column("colour", String(10)),  # "green", "amber" or "red"; saved as entered, so it may come after the trend
    Column("trend", String(10)),  # "better", "same" or "worse"
    Column("note", Text),
    Column("updated_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    PrimaryKeyConstraint("member_id", "dimension", name="pk_health_votes"),
    Index("ix_health_votes_board", "board_id"),
)

lessons = Table(
    "lessons",
    metadata,
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

lesson_sources = Table(
    "lesson_sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("lesson_id", Integer, ForeignKey("lessons.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(20), nullable=False),  # "theme", "comment" or "card"
    Column("ref", String(200), nullable=False),  # a theme id, "<pulse response id>:<question>", a retro card id
    Column("excerpt", Text),  # what it said when the lesson was made, kept if the source goes
    Index("ux_lesson_sources", "lesson_id", "kind", "ref", unique=True),
)
