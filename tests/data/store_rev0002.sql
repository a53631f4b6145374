-- Rows for what revision 0002 added (participants.browser_key), loaded by tests/db/_old_stores.py
-- onto store_v8.sql's rows once the store is migrated to revision 0002 or later, so a store at
-- any revision since holds a row in every table and column cpmkit then had. Frozen, like
-- store_v<N>.sql: plain SQL for SQLite and PostgreSQL, never from today's table definitions.
-- Statements are separated by ";" at the end of a line; no ";" appears anywhere else.

UPDATE participants SET browser_key = '3f1e0c6b2a7d4e9f8a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071' WHERE id = 1;
