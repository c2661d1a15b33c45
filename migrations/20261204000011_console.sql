-- The web console: one-time links (a login from a chat or the command line, the first admin's
-- set-up), sessions, and the check-in photos the console fetched from their platform.
-- Tokens are never stored: only their SHA-256, in hex.

CREATE TABLE web_links (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT    NOT NULL UNIQUE,
    -- 'login': opens a session for member_id; 'setup': creates the first admin.
    purpose     TEXT    NOT NULL CHECK (purpose IN ('login', 'setup')),
    member_id   INTEGER REFERENCES members(id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    -- Set when the link is spent (by a POST, never by opening it).
    used_at     INTEGER,
    CHECK ((purpose = 'login') = (member_id IS NOT NULL))
) STRICT;

CREATE TABLE web_sessions (
    id            INTEGER PRIMARY KEY,
    token_hash    TEXT    NOT NULL UNIQUE,
    member_id     INTEGER NOT NULL REFERENCES members(id),
    created_at    INTEGER NOT NULL,
    -- A session ends after web_session_hours without use.
    last_seen_at  INTEGER NOT NULL,
    -- 「退出」.
    ended_at      INTEGER
) STRICT;
CREATE INDEX web_sessions_by_member ON web_sessions (member_id);

-- A check-in's photo as the platform holding it gave it, kept once fetched.
CREATE TABLE checkin_photos (
    checkin_id    INTEGER PRIMARY KEY REFERENCES checkins(id),
    content_type  TEXT    NOT NULL,
    bytes         BLOB    NOT NULL,
    fetched_at    INTEGER NOT NULL
) STRICT;
