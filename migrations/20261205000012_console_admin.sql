-- The console's part 2: running the campaign from the web.
--
-- Read-only tokens for the JSON API (other systems reading the tallies): only the SHA-256 of
-- each token is kept, in hex; a revoked token stays listed, refused.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    token_hash    TEXT    NOT NULL UNIQUE,
    created_by    INTEGER NOT NULL REFERENCES members(id),
    created_at    INTEGER NOT NULL,
    -- Marked at most once a minute, as sessions are.
    last_used_at  INTEGER,
    revoked_at    INTEGER,
    -- The one-time key of the form that made it: the same form sent again makes no second.
    form_key      TEXT    UNIQUE
) STRICT;

-- A site no longer visited: kept with its check-ins and in old tallies, no longer offered.
ALTER TABLE sites ADD COLUMN archived_at INTEGER;

-- An invite withdrawn before its time: nobody can join with it any more.
ALTER TABLE invites ADD COLUMN revoked_at INTEGER;

-- DingTalk departments whose people join a unit without an invite (按部门加入): a department
-- of the organisation's address book belongs to at most one unit; a unit may have several.
CREATE TABLE unit_dingtalk_departments (
    department_id INTEGER PRIMARY KEY,
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    added_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX unit_dingtalk_departments_by_unit ON unit_dingtalk_departments (unit_id);
