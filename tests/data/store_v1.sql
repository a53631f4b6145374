-- cpmkit store, schema version 1: the tables as cpmkit 0.1 created them, before _v1_to_v2
-- (cpmkit/db/legacy_upgrades.py) added projects.name_key, stakeholders.name_key, stakeholders.last_contact,
-- stakeholders.next_touchpoint and the unique indexes ux_projects_name_key and
-- ux_stakeholders_project_name; and rows as cpmkit 0.1 wrote them: names that later versions see
-- as duplicates (by case, by spacing) and hostile text. Frozen: never regenerate from today's
-- table definitions. tests/db/test_migrations.py and test_legacy_upgrades.py load it with the
-- plain driver, upgrade it with Store.open and check every row survived.
--
-- Written to run unchanged on SQLite and PostgreSQL, with one dialect note:
-- "INTEGER PRIMARY KEY" auto-numbers on SQLite (rowid alias); on PostgreSQL the test replaces it
-- with "SERIAL PRIMARY KEY", which is what SQLAlchemy created there. Ids are left to the
-- database, which numbers a fresh table's rows 1, 2, 3 in the order inserted.
-- Statements are separated by ";" at the end of a line; no ";" appears anywhere else.

CREATE TABLE cpmkit_meta (
    key VARCHAR(64) NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE TABLE stakeholders (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name VARCHAR(200) NOT NULL,
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
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE TABLE success_measures (
    id INTEGER PRIMARY KEY,
    stakeholder_id INTEGER NOT NULL REFERENCES stakeholders (id) ON DELETE CASCADE,
    metric VARCHAR(200) NOT NULL,
    unit VARCHAR(40),
    baseline FLOAT,
    target FLOAT,
    latest FLOAT,
    measured_on DATE,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);

INSERT INTO cpmkit_meta (key, value) VALUES ('schema_version', '1');
INSERT INTO projects (name, created_at) VALUES ('Apollo', '2023-01-02 03:04:05');
INSERT INTO projects (name, created_at) VALUES ('APOLLO', '2023-06-07 08:09:10');
INSERT INTO projects (name, created_at) VALUES ('Gemini', '2023-06-07 08:09:10');
INSERT INTO stakeholders (project_id, name, role, organisation, category, power, interest, current_engagement, desired_engagement, expected_value, channel, cadence, owner, created_at, updated_at) VALUES (1, 'Ada Lovelace', 'Sponsor', 'Analytical Engines Ltd', 'sponsor', 5, 4, 'neutral', 'leading', 'Fewer manual calculations', 'meeting', 'fortnightly', 'Charles', '2023-01-02 03:04:05', '2023-06-07 08:09:10');
INSERT INTO stakeholders (project_id, name, role, power, created_at, updated_at) VALUES (1, 'ada lovelace', 'Shadow', 1, '2023-01-02 03:04:05', '2023-01-02 03:04:05');
INSERT INTO stakeholders (project_id, name, interest, created_at, updated_at) VALUES (1, 'Grace  Hopper', 2, '2023-01-02 03:04:05', '2023-01-02 03:04:05');
INSERT INTO stakeholders (project_id, name, created_at, updated_at) VALUES (1, 'grace hopper', '2023-01-02 03:04:05', '2023-01-02 03:04:05');
INSERT INTO stakeholders (project_id, name, expected_value, created_at, updated_at) VALUES (1, '<img src=x onerror=alert(1)>', '<script>alert(''x'')</script> & Zoë 🚀', '2023-06-07 08:09:10', '2023-06-07 08:09:10');
INSERT INTO stakeholders (project_id, name, created_at, updated_at) VALUES (3, 'Ada Lovelace', '2023-06-07 08:09:10', '2023-06-07 08:09:10');
INSERT INTO success_measures (stakeholder_id, metric, unit, baseline, target, latest, measured_on, created_at) VALUES (1, 'NPS', 'points', 20.0, 40.0, 25.5, '2024-01-31', '2023-01-02 03:04:05');
INSERT INTO success_measures (stakeholder_id, metric, unit, baseline, target, created_at) VALUES (2, 'Cycle time', 'days', 10.0, 5.0, '2023-01-02 03:04:05');
INSERT INTO success_measures (stakeholder_id, metric, unit, baseline, target, latest, measured_on, created_at) VALUES (6, 'Uptime', '%', 99.0, 99.9, 99.5, '2024-02-29', '2023-06-07 08:09:10');
