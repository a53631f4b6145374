-- Rows for what revision 0005 added (retro_boards.finished_at and archived_at), applied by
-- tests/db/_old_stores.py to store_v8.sql's rows once the store is migrated to revision 0005 or
-- later. Frozen, like store_v<N>.sql: plain SQL for SQLite and PostgreSQL, never from today's table definitions.
-- Statements are separated by ";" at the end of a line; no ";" appears anywhere else.

UPDATE retro_boards SET finished_at = '2026-11-20 16:00:00', archived_at = '2026-11-27 09:15:00' WHERE id = 1;
