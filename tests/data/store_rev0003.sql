-- Rows for what revision 0003 added (survey_responses), loaded by tests/db/_old_stores.py onto
-- store_v8.sql's rows once the store is migrated to revision 0003 or later. Frozen, like
-- store_v<N>.sql: plain SQL for SQLite and PostgreSQL, never from today's table definitions.
-- Statements are separated by ";" at the end of a line; no ";" appears anywhere else.

INSERT INTO survey_responses (stakeholder_id, comment, submitted_at) VALUES (1, 'Fewer surprises, more demos — Zoë 🚀', '2026-10-05 14:00:00');
INSERT INTO survey_responses (stakeholder_id, comment, submitted_at) VALUES (3, NULL, NULL);
