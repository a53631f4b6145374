-- cpmkit store rows as schema version 6 kept them, before _v6_to_v7 (cpmkit/schema.py) replaced
-- every link secret by its digest: participants' and peer raters' tokens, a survey link's token,
-- a pulse round's token, a retro board's token and facilitator key, a retro member's browser
-- key, a pulse form's response key ("form-" and the browser's key) and the settings that
-- remember the last solo self-assessment, store-wide and per owner (its participant's token),
-- all in plain text.
-- Used by tests/test_schema.py, which inserts these rows into the tables of a fresh store (no
-- table changed shape in version 7) set back to version 6, upgrades it, and opens every link.
--
-- Written to run unchanged on SQLite and PostgreSQL: ids are left to the database, which
-- numbers a fresh table's rows 1, 2, 3 in the order inserted.
-- Statements are separated by ";" at the end of a line; no ";" appears anywhere else.

INSERT INTO projects (name, name_key) VALUES ('Apollo', 'apollo');
INSERT INTO stakeholders (project_id, name, name_key) VALUES (1, 'Ada Lovelace', 'adalovelace');

INSERT INTO workshops (name, bank, rounds, join_code, trainer_key_hash)
VALUES ('Leads', 'soft_skills', '["before"]', 'K7P2QX', 'scrypt$16384$8$1$00$00');
INSERT INTO participants (workshop_id, round, display_name, token) VALUES (1, 'before', 'Grace', 'bc0qhjDouJbsASJ6cO1OBtgPJJyhTwMV');
INSERT INTO participants (display_name, token) VALUES (NULL, 'vAdqsjDdcgha8KLXyD7MwW8xajyPXrdA');
INSERT INTO answers (participant_id, item_id, value) VALUES (1, 'listen_1', 4);
INSERT INTO peer_raters (subject_id, token) VALUES (1, 'mtTc0wm-J5ks0TN5DKtFILrFTDRl20Bi');
INSERT INTO peer_answers (rater_id, item_id, value) VALUES (1, 'listen_1', 3);
INSERT INTO cpmkit_meta (key, value) VALUES ('setting:last_self_assessment', 'vAdqsjDdcgha8KLXyD7MwW8xajyPXrdA');
INSERT INTO users (username, password_hash) VALUES ('pat', 'argon2-hash-of-no-concern-here');
INSERT INTO cpmkit_meta (key, value) VALUES ('setting:last_self_assessment:1', 'vAdqsjDdcgha8KLXyD7MwW8xajyPXrdA');

INSERT INTO survey_links (stakeholder_id, token) VALUES (1, 'bfK0sTruO0_5-RqmPYeBN2s05yfi57PK');

INSERT INTO pulse_rounds (project_id, name, name_key, opened_on, token)
VALUES (1, 'October', 'october', '2026-10-01', 'Yd1rdCr334e5NZ8u2EFLcDQywlMw71FC');
INSERT INTO pulse_responses (round_id, response_key, stakeholder_id, source, submitted_at)
VALUES (1, 'form-0123456789abcdef0123456789abcdef', NULL, 'form', '2026-10-02 09:00:00');
INSERT INTO pulse_answers (response_id, question, score) VALUES (1, 'recommend', 9);
INSERT INTO pulse_responses (round_id, response_key, respondent, source, submitted_at)
VALUES (1, '5d41402abc4b2a76b9719d911017c592', 'ada@example.com', 'import', '2026-10-03 10:00:00');

INSERT INTO retro_boards (project_id, title, format, votes_per_member, token, facilitator_key)
VALUES (1, 'Sprint 3', 'sailboat', 3, 'q4K2A93tkt6S3CltbXr-bsZsJKaA0AQo', 'py7B_XS_A7DOs91IBecbxqSypZmBBWio');
INSERT INTO retro_members (board_id, name, name_key, browser_key) VALUES (1, 'Ana', 'ana', 'fedcba9876543210fedcba9876543210');
INSERT INTO retro_cards (board_id, member_id, column_id, text) VALUES (1, 1, 'wind', 'Weekly demos');
