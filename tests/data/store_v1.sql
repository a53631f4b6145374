-- cpmkit store, schema version 1: the tables as cpmkit 0.1 created them, before _v1_to_v2
-- (cpmkit/schema.py) added projects.name_key, stakeholders.name_key, stakeholders.last_contact,
-- stakeholders.next_touchpoint and the unique indexes ux_projects_name_key and
-- ux_stakeholders_project_name. Used by tests/test_schema.py to check the upgrade keeps every row.
--
-- Written to run unchanged on SQLite and PostgreSQL, with one dialect note:
-- "INTEGER PRIMARY KEY" auto-numbers on SQLite (rowid alias); on PostgreSQL the test replaces it
-- with "SERIAL PRIMARY KEY", which is what SQLAlchemy created there.
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
