-- Every privileged action: who did what to whom, when, and the state before and after.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    -- 'cli' or 'tg:<telegram id>'.
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    -- The member acted on, when there is one.
    member_id   INTEGER REFERENCES members(id),
    before      TEXT,
    after       TEXT,
    detail      TEXT
) STRICT;
CREATE INDEX audit_by_time ON audit_log (at);
