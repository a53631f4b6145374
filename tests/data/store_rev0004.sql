-- Rows for what revision 0004 added (import_mappings), loaded by tests/db/_old_stores.py onto
-- store_v8.sql's rows once the store is migrated to revision 0004 or later. Frozen, like
-- store_v<N>.sql: plain SQL for SQLite and PostgreSQL, never from today's table definitions.
-- Statements are separated by ";" at the end of a line; no ";" appears anywhere else.

INSERT INTO import_mappings (project_id, headings_digest, data, saved_at) VALUES (1, '9b74c9897bac770ffc029102a200c5de5b0d2f6b7a1c3e4d5f60718293a4b5c6', '{"mapping": {"nps": "Wie wahrscheinlich — Zoë?"}, "recodings": {}}', '2026-11-02 09:30:00');
INSERT INTO import_mappings (project_id, headings_digest, data, saved_at) VALUES (2, '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0', '{"mapping": {}, "recodings": {"csat": {"Very happy": 5}}}', '2026-11-03 10:00:00');
