-- cpmkit store, schema version 7: the tables as cpmkit created them at that version, and rows
-- in every table as that version wrote them. Frozen: never regenerate from today's
-- table definitions; tests/db/test_migrations.py loads it with the plain driver, upgrades it
-- with Store.open and checks every row survived.
--
-- Written to run unchanged on SQLite and PostgreSQL, with one dialect note:
-- "INTEGER PRIMARY KEY" auto-numbers on SQLite (rowid alias); on PostgreSQL the test replaces it
-- with "SERIAL PRIMARY KEY", which is what SQLAlchemy created there. Ids are left to the
-- database, which numbers a fresh table's rows 1, 2, 3 in the order inserted.
-- Statements are separated by ";" at the end of a line; no ";" appears anywhere else.

CREATE TABLE cpmkit_meta (
    key VARCHAR(64) NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (key)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username VARCHAR(64) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    is_admin BOOLEAN DEFAULT false NOT NULL,
    session_version INTEGER DEFAULT 0 NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE UNIQUE INDEX ux_users_username ON users (username);

CREATE TABLE workshops (
    id INTEGER PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    bank VARCHAR(64) NOT NULL,
    rounds TEXT NOT NULL,
    join_code VARCHAR(16) NOT NULL,
    trainer_key_hash VARCHAR(255) NOT NULL,
    is_open BOOLEAN DEFAULT true NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE UNIQUE INDEX ux_workshops_join_code ON workshops (join_code);

CREATE TABLE participants (
    id INTEGER PRIMARY KEY,
    workshop_id INTEGER,
    round VARCHAR(64),
    display_name VARCHAR(200),
    token VARCHAR(64) NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    FOREIGN KEY(workshop_id) REFERENCES workshops (id) ON DELETE CASCADE
);

CREATE INDEX ix_participants_workshop_round ON participants (workshop_id, round);

CREATE UNIQUE INDEX ux_participants_token ON participants (token);

CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    name_key VARCHAR(200) NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
    owner_id INTEGER,
    FOREIGN KEY(owner_id) REFERENCES users (id) ON DELETE SET NULL
);

CREATE UNIQUE INDEX ux_projects_owner_name ON projects (coalesce(owner_id, 0), name_key);

CREATE TABLE answers (
    participant_id INTEGER NOT NULL,
    item_id VARCHAR(64) NOT NULL,
    value INTEGER NOT NULL,
    answered_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
    CONSTRAINT pk_answers PRIMARY KEY (participant_id, item_id),
    FOREIGN KEY(participant_id) REFERENCES participants (id) ON DELETE CASCADE
);

CREATE TABLE commitments (
    participant_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    what TEXT NOT NULL,
    by_when DATE,
    CONSTRAINT pk_commitments PRIMARY KEY (participant_id, position),
    CONSTRAINT ck_commitments_position CHECK (position BETWEEN 1 AND 3),
    FOREIGN KEY(participant_id) REFERENCES participants (id) ON DELETE CASCADE
);

CREATE TABLE gap_dimensions (
    project_id INTEGER NOT NULL,
    dimension VARCHAR(64) NOT NULL,
    position INTEGER NOT NULL,
    CONSTRAINT pk_gap_dimensions PRIMARY KEY (project_id, dimension),
    FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE
);

CREATE TABLE lessons (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL,
    what_happened TEXT NOT NULL,
    impact TEXT,
    root_cause TEXT,
    recommendation TEXT,
    category VARCHAR(64),
    phase VARCHAR(64),
    owner VARCHAR(200),
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
    FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE
);

CREATE INDEX ix_lessons_project ON lessons (project_id);

CREATE TABLE peer_raters (
    id INTEGER PRIMARY KEY,
    subject_id INTEGER NOT NULL,
    token VARCHAR(64) NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
    FOREIGN KEY(subject_id) REFERENCES participants (id) ON DELETE CASCADE
);

CREATE INDEX ix_peer_raters_subject ON peer_raters (subject_id);

CREATE UNIQUE INDEX ux_peer_raters_token ON peer_raters (token);

CREATE TABLE pulse_rounds (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL,
    name VARCHAR(200) NOT NULL,
    name_key VARCHAR(200) NOT NULL,
    opened_on DATE NOT NULL,
    closed BOOLEAN DEFAULT false NOT NULL,
    token VARCHAR(64) NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
    FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX ux_pulse_rounds_project_name ON pulse_rounds (project_id, name_key);

CREATE UNIQUE INDEX ux_pulse_rounds_token ON pulse_rounds (token);

CREATE TABLE reflections (
    participant_id INTEGER NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (participant_id),
    FOREIGN KEY(participant_id) REFERENCES participants (id) ON DELETE CASCADE
);

CREATE TABLE retro_boards (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL,
    title VARCHAR(200) NOT NULL,
    format VARCHAR(64) NOT NULL,
    phase VARCHAR(20) DEFAULT 'collect' NOT NULL,
    votes_per_member INTEGER NOT NULL,
    token VARCHAR(64) NOT NULL,
    facilitator_key VARCHAR(64) NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
    FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE
);

CREATE INDEX ix_retro_boards_project ON retro_boards (project_id);

CREATE UNIQUE INDEX ux_retro_boards_facilitator ON retro_boards (facilitator_key);

CREATE UNIQUE INDEX ux_retro_boards_token ON retro_boards (token);

CREATE TABLE stakeholders (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL,
    name VARCHAR(200) NOT NULL,
    name_key VARCHAR(200) NOT NULL,
    role VARCHAR(200),
    organisation VARCHAR(200),
    category VARCHAR(20),
    power INTEGER,
    interest INTEGER,
    current_engagement VARCHAR(20),
    desired_engagement VARCHAR(20),
    expected_value TEXT,
    channel VARCHAR(20),
    cadence VARCHAR(20),
    owner VARCHAR(200),
    last_contact DATE,
    next_touchpoint DATE,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
    FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX ux_stakeholders_project_name ON stakeholders (project_id, name_key);

CREATE TABLE status_lights (
    project_id INTEGER NOT NULL,
    area VARCHAR(64) NOT NULL,
    colour VARCHAR(10),
    CONSTRAINT pk_status_lights PRIMARY KEY (project_id, area),
    FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE
);

CREATE TABLE gap_actions (
    id INTEGER PRIMARY KEY,
    stakeholder_id INTEGER NOT NULL,
    dimension VARCHAR(64) NOT NULL,
    what TEXT NOT NULL,
    owner VARCHAR(200),
    due DATE,
    status VARCHAR(20) DEFAULT 'open' NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholders (id) ON DELETE CASCADE
);

CREATE INDEX ix_gap_actions_stakeholder ON gap_actions (stakeholder_id);

CREATE TABLE gap_notes (
    stakeholder_id INTEGER NOT NULL,
    dimension VARCHAR(64) NOT NULL,
    stated_problem TEXT,
    underlying_expectation TEXT,
    CONSTRAINT pk_gap_notes PRIMARY KEY (stakeholder_id, dimension),
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholders (id) ON DELETE CASCADE
);

CREATE TABLE gap_ratings (
    id INTEGER PRIMARY KEY,
    stakeholder_id INTEGER NOT NULL,
    dimension VARCHAR(64) NOT NULL,
    source VARCHAR(64) NOT NULL,
    assessed_on DATE NOT NULL,
    expectation INTEGER,
    perception INTEGER,
    importance INTEGER,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholders (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX ux_gap_ratings_assessment ON gap_ratings (stakeholder_id, dimension, source, assessed_on);

CREATE TABLE lesson_sources (
    id INTEGER PRIMARY KEY,
    lesson_id INTEGER NOT NULL,
    kind VARCHAR(20) NOT NULL,
    ref VARCHAR(200) NOT NULL,
    excerpt TEXT,
    FOREIGN KEY(lesson_id) REFERENCES lessons (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX ux_lesson_sources ON lesson_sources (lesson_id, kind, ref);

CREATE TABLE peer_answers (
    rater_id INTEGER NOT NULL,
    item_id VARCHAR(64) NOT NULL,
    value INTEGER NOT NULL,
    CONSTRAINT pk_peer_answers PRIMARY KEY (rater_id, item_id),
    FOREIGN KEY(rater_id) REFERENCES peer_raters (id) ON DELETE CASCADE
);

CREATE TABLE pulse_responses (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL,
    response_key VARCHAR(64) NOT NULL,
    stakeholder_id INTEGER,
    respondent VARCHAR(200),
    source VARCHAR(20) NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    FOREIGN KEY(round_id) REFERENCES pulse_rounds (id) ON DELETE CASCADE,
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholders (id) ON DELETE SET NULL
);

CREATE UNIQUE INDEX ux_pulse_responses_key ON pulse_responses (round_id, response_key);

CREATE TABLE retro_members (
    id INTEGER PRIMARY KEY,
    board_id INTEGER NOT NULL,
    name VARCHAR(200) NOT NULL,
    name_key VARCHAR(200) NOT NULL,
    browser_key VARCHAR(64) NOT NULL,
    joined_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
    FOREIGN KEY(board_id) REFERENCES retro_boards (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX ux_retro_members_name ON retro_members (board_id, name_key);

CREATE TABLE satisfaction_scores (
    stakeholder_id INTEGER NOT NULL,
    source VARCHAR(64) NOT NULL,
    assessed_on DATE NOT NULL,
    score INTEGER,
    CONSTRAINT pk_satisfaction_scores PRIMARY KEY (stakeholder_id, source, assessed_on),
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholders (id) ON DELETE CASCADE
);

CREATE TABLE success_measures (
    id INTEGER PRIMARY KEY,
    stakeholder_id INTEGER NOT NULL,
    metric VARCHAR(200) NOT NULL,
    unit VARCHAR(40),
    baseline FLOAT,
    target FLOAT,
    latest FLOAT,
    measured_on DATE,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholders (id) ON DELETE CASCADE
);

CREATE TABLE survey_links (
    id INTEGER PRIMARY KEY,
    stakeholder_id INTEGER NOT NULL,
    token VARCHAR(64) NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholders (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX ux_survey_links_stakeholder ON survey_links (stakeholder_id);

CREATE UNIQUE INDEX ux_survey_links_token ON survey_links (token);

CREATE TABLE pulse_answers (
    response_id INTEGER NOT NULL,
    question VARCHAR(64) NOT NULL,
    score INTEGER,
    text TEXT,
    CONSTRAINT pk_pulse_answers PRIMARY KEY (response_id, question),
    FOREIGN KEY(response_id) REFERENCES pulse_responses (id) ON DELETE CASCADE
);

CREATE TABLE retro_cards (
    id INTEGER PRIMARY KEY,
    board_id INTEGER NOT NULL,
    member_id INTEGER,
    column_id VARCHAR(64) NOT NULL,
    text TEXT NOT NULL,
    anonymous BOOLEAN DEFAULT false NOT NULL,
    group_id INTEGER,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
    FOREIGN KEY(board_id) REFERENCES retro_boards (id) ON DELETE CASCADE,
    FOREIGN KEY(member_id) REFERENCES retro_members (id) ON DELETE SET NULL,
    FOREIGN KEY(group_id) REFERENCES retro_cards (id) ON DELETE SET NULL
);

CREATE INDEX ix_retro_cards_board ON retro_cards (board_id);

CREATE TABLE retro_actions (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL,
    board_id INTEGER,
    card_id INTEGER,
    what TEXT NOT NULL,
    owner VARCHAR(200),
    due DATE,
    status VARCHAR(20) DEFAULT 'open' NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE,
    FOREIGN KEY(board_id) REFERENCES retro_boards (id) ON DELETE SET NULL,
    FOREIGN KEY(card_id) REFERENCES retro_cards (id) ON DELETE SET NULL
);

CREATE INDEX ix_retro_actions_project ON retro_actions (project_id);

CREATE TABLE retro_votes (
    id INTEGER PRIMARY KEY,
    card_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
    FOREIGN KEY(card_id) REFERENCES retro_cards (id) ON DELETE CASCADE,
    FOREIGN KEY(member_id) REFERENCES retro_members (id) ON DELETE CASCADE
);

CREATE INDEX ix_retro_votes_card ON retro_votes (card_id);

CREATE INDEX ix_retro_votes_member ON retro_votes (member_id);

INSERT INTO cpmkit_meta (key, value) VALUES ('schema_version', '7');
INSERT INTO users (username, password_hash, is_admin, session_version, created_at) VALUES ('pat', 'argon2-hash-of-no-concern-here', true, 2, '2026-01-05 08:00:00');
INSERT INTO users (username, password_hash) VALUES ('sam', 'argon2-another-hash');
INSERT INTO projects (name, name_key, created_at, owner_id) VALUES ('Apollo', 'apollo', '2023-01-02 03:04:05', 1);
INSERT INTO projects (name, name_key, created_at) VALUES ('Zoë''s  Launch', 'zoë''slaunch', '2023-06-07 08:09:10');
INSERT INTO stakeholders (project_id, name, name_key, role, organisation, category, power, interest, current_engagement, desired_engagement, expected_value, channel, cadence, owner, last_contact, next_touchpoint, created_at, updated_at) VALUES (1, 'Ada Lovelace', 'adalovelace', 'Sponsor', 'Analytical Engines Ltd', 'sponsor', 5, 4, 'neutral', 'leading', 'Fewer manual calculations', 'meeting', 'fortnightly', 'Charles', '2024-05-01', '2024-06-01', '2023-01-02 03:04:05', '2023-06-07 08:09:10');
INSERT INTO stakeholders (project_id, name, name_key, expected_value) VALUES (1, '<img src=x onerror=alert(1)>', '<irngsrc=xonerror=alert(l)>', '<script>alert(''x'')</script> & Zoë 🚀');
INSERT INTO stakeholders (project_id, name, name_key, power) VALUES (2, 'Ada Lovelace', 'adalovelace', 2);
INSERT INTO success_measures (stakeholder_id, metric, unit, baseline, target, latest, measured_on, created_at) VALUES (1, 'NPS', 'points', 20.0, 40.0, 25.5, '2024-01-31', '2023-01-02 03:04:05');
INSERT INTO success_measures (stakeholder_id, metric, unit, baseline, target) VALUES (3, 'Uptime', '%', 99.0, 99.9);
INSERT INTO cpmkit_meta (key, value) VALUES ('setting:last_project', '1');
INSERT INTO workshops (name, bank, rounds, join_code, trainer_key_hash, is_open) VALUES ('Leads', 'soft_skills', '["before", "after"]', 'K7P2QX', 'scrypt$16384$8$1$00$00', false);
INSERT INTO participants (workshop_id, round, display_name, token, completed_at) VALUES (1, 'before', 'Grace', '6773954c6f884f549875b17aa2821f397f8152fd0c252527fadc457c7786846b', '2024-03-01 10:00:00');
INSERT INTO participants (display_name, token) VALUES (NULL, 'd756320ca935448f6ec419179ae567a6443c68d167ec621230572120ab84788d');
INSERT INTO answers (participant_id, item_id, value, answered_at) VALUES (1, 'listen_1', 4, '2024-03-01 09:59:00');
INSERT INTO answers (participant_id, item_id, value) VALUES (2, 'listen_1', 2);
INSERT INTO reflections (participant_id, text) VALUES (1, 'I interrupt less — mostly.');
INSERT INTO commitments (participant_id, position, what, by_when) VALUES (1, 1, 'Summarise before answering', '2024-04-01');
INSERT INTO peer_raters (subject_id, token) VALUES (1, 'de68572bf162a1aedee85f86d996760a702d859d742880d3617c6042ba3a75e1');
INSERT INTO peer_answers (rater_id, item_id, value) VALUES (1, 'listen_1', 3);
INSERT INTO cpmkit_meta (key, value) VALUES ('setting:last_self_assessment', '2');
INSERT INTO cpmkit_meta (key, value) VALUES ('setting:last_self_assessment:1', '2');
INSERT INTO gap_dimensions (project_id, dimension, position) VALUES (1, 'reliability', 1);
INSERT INTO gap_ratings (stakeholder_id, dimension, source, assessed_on, expectation, perception, importance) VALUES (1, 'reliability', 'estimate', '2024-05-01', 6, 4, 5);
INSERT INTO satisfaction_scores (stakeholder_id, source, assessed_on, score) VALUES (1, 'survey', '2024-05-01', 7);
INSERT INTO gap_notes (stakeholder_id, dimension, stated_problem, underlying_expectation) VALUES (1, 'reliability', 'Builds break', 'Predictable releases');
INSERT INTO gap_actions (stakeholder_id, dimension, what, owner, due, status) VALUES (1, 'reliability', 'Nightly build', 'Ops', '2024-06-30', 'done');
INSERT INTO status_lights (project_id, area, colour) VALUES (1, 'schedule', 'amber');
INSERT INTO survey_links (stakeholder_id, token) VALUES (1, '0b7b25a483d5e9f8ec02e94b2278ce2751e6b2400eee4ae0cbacc56de61ba052');
INSERT INTO pulse_rounds (project_id, name, name_key, opened_on, closed, token) VALUES (1, 'October', 'october', '2026-10-01', true, '2889ca60bc588d2bd75745f4a4c8cbf7311dc691ed44a1573f09d17e068cbfa9');
INSERT INTO pulse_responses (round_id, response_key, stakeholder_id, source, submitted_at) VALUES (1, '2f1c25235142d65e8deb5b5e5d0db3223575e5fa17afaba118d3939a6025d84a', NULL, 'form', '2026-10-02 09:00:00');
INSERT INTO pulse_responses (round_id, response_key, stakeholder_id, respondent, source, submitted_at) VALUES (1, '5d41402abc4b2a76b9719d911017c592', 1, 'ada@example.com', 'import', '2026-10-03 10:00:00');
INSERT INTO pulse_answers (response_id, question, score) VALUES (1, 'recommend', 9);
INSERT INTO pulse_answers (response_id, question, text) VALUES (2, 'comment', 'More demos, please');
INSERT INTO retro_boards (project_id, title, format, phase, votes_per_member, token, facilitator_key) VALUES (1, 'Sprint 3', 'sailboat', 'vote', 3, 'bc6f104f39dc3694acdf3db2f87bbb711ee955cd6c63522f13170c2491222d10', '57dde69e038b39e0a45db344f4262fb5b1241c3b1232054c01a56f338cca2214');
INSERT INTO retro_members (board_id, name, name_key, browser_key) VALUES (1, 'Ana', 'ana', '4ba68aa8767bde72e8c798ee82d1275291cea73e72ad74d35ecf48e41386eb82');
INSERT INTO retro_cards (board_id, member_id, column_id, text) VALUES (1, 1, 'wind', 'Weekly demos');
INSERT INTO retro_cards (board_id, member_id, column_id, text, anonymous, group_id) VALUES (1, NULL, 'anchor', 'Flaky CI', true, 1);
INSERT INTO retro_votes (card_id, member_id) VALUES (1, 1);
INSERT INTO retro_actions (project_id, board_id, card_id, what, owner, due, status, closed_at) VALUES (1, 1, 1, 'Demo every Friday', 'Ana', '2026-11-01', 'done', '2026-10-20 12:00:00');
INSERT INTO lessons (project_id, what_happened, impact, root_cause, recommendation, category, phase, owner) VALUES (1, 'Demos caught a wrong assumption', 'Two days saved', 'No early feedback', 'Demo weekly', 'communication', 'execution', 'Ana');
INSERT INTO lesson_sources (lesson_id, kind, ref, excerpt) VALUES (1, 'card', '1', 'Weekly demos');
