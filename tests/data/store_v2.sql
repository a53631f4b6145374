-- cpmkit store, schema version 2: the tables as cpmkit created them at that version, and rows
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

CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    name_key VARCHAR(200) NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE UNIQUE INDEX ux_projects_name_key ON projects (name_key);

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

INSERT INTO cpmkit_meta (key, value) VALUES ('schema_version', '2');
INSERT INTO projects (name, name_key, created_at) VALUES ('Apollo', 'apollo', '2023-01-02 03:04:05');
INSERT INTO projects (name, name_key, created_at) VALUES ('Zoë''s  Launch', 'zoë''s launch', '2023-06-07 08:09:10');
INSERT INTO stakeholders (project_id, name, name_key, role, organisation, category, power, interest, current_engagement, desired_engagement, expected_value, channel, cadence, owner, last_contact, next_touchpoint, created_at, updated_at) VALUES (1, 'Ada Lovelace', 'ada lovelace', 'Sponsor', 'Analytical Engines Ltd', 'sponsor', 5, 4, 'neutral', 'leading', 'Fewer manual calculations', 'meeting', 'fortnightly', 'Charles', '2024-05-01', '2024-06-01', '2023-01-02 03:04:05', '2023-06-07 08:09:10');
INSERT INTO stakeholders (project_id, name, name_key, expected_value) VALUES (1, '<img src=x onerror=alert(1)>', '<img src=x onerror=alert(1)>', '<script>alert(''x'')</script> & Zoë 🚀');
INSERT INTO stakeholders (project_id, name, name_key, power) VALUES (2, 'Ada Lovelace', 'ada lovelace', 2);
INSERT INTO success_measures (stakeholder_id, metric, unit, baseline, target, latest, measured_on, created_at) VALUES (1, 'NPS', 'points', 20.0, 40.0, 25.5, '2024-01-31', '2023-01-02 03:04:05');
INSERT INTO success_measures (stakeholder_id, metric, unit, baseline, target) VALUES (3, 'Uptime', '%', 99.0, 99.9);
INSERT INTO cpmkit_meta (key, value) VALUES ('setting:last_project', '1');
