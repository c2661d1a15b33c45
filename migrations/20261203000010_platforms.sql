-- One core, platforms at the edge: members are no longer keyed by a Telegram id.
--
-- Every id the core handles for a person or a chat is an integer unique across platforms.
-- Telegram's own ids (users, chats) lie within ±2^53 and serve as their own ids, so every
-- existing row stays valid as it is. Another platform's ids are strings (DingTalk's staff ids,
-- conversation ids); each gets an integer from `handles`, from 2^60 up, where no Telegram id can be.
CREATE TABLE handles (
    id           INTEGER PRIMARY KEY CHECK (id >= 1152921504606846976),
    platform     TEXT    NOT NULL,
    external_id  TEXT    NOT NULL,
    UNIQUE (platform, external_id)
) STRICT;

-- A member's accounts: one per platform they use, each a person id (Telegram's user id, or a
-- handle). `last_seen_at`: when they last wrote from it.
CREATE TABLE accounts (
    person_id     INTEGER PRIMARY KEY,
    platform      TEXT    NOT NULL,
    member_id     INTEGER NOT NULL REFERENCES members(id),
    linked_at     INTEGER NOT NULL,
    last_seen_at  INTEGER,
    UNIQUE (member_id, platform)
) STRICT;
INSERT INTO accounts (person_id, platform, member_id, linked_at)
    SELECT telegram_id, 'telegram', id, registered_at FROM members;

-- What was the Telegram id is now the person id of the account a member registered with: a
-- fact of history, kept (SQLite cannot drop a UNIQUE column without rebuilding the table that
-- every check-in refers to). Members are looked up through `accounts`.
ALTER TABLE members RENAME COLUMN telegram_id TO registered_as;

-- The account a member is reached on: the one they last wrote from, or bound last. One copy of
-- each notice goes there.
ALTER TABLE members ADD COLUMN reached_on INTEGER;
UPDATE members SET reached_on = registered_as;

-- One-time codes to bind a second platform's account to a member (绑定).
CREATE TABLE link_codes (
    code        TEXT    PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
) STRICT;

-- Deliveries and kept replies go out on a platform (the member's, the chat's).
ALTER TABLE deliveries ADD COLUMN platform TEXT NOT NULL DEFAULT 'telegram';
ALTER TABLE reply_outbox ADD COLUMN platform TEXT NOT NULL DEFAULT 'telegram';

-- The inbox, keyed by platform and the platform's own id for the update (Telegram's
-- update_id, DingTalk's messageId). Nothing refers to inbox rows, so it is rebuilt.
CREATE TABLE inbox_by_platform (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    platform     TEXT    NOT NULL,
    update_key   TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    received_at  INTEGER NOT NULL,
    handled_at   INTEGER,
    -- 'ok', 'ignored', 'discarded', 'skipped' (could not be parsed) or 'failed'.
    outcome      TEXT,
    error        TEXT,
    person_id    INTEGER,
    UNIQUE (platform, update_key)
) STRICT;
INSERT INTO inbox_by_platform (seq, platform, update_key, payload, received_at, handled_at, outcome, error, person_id)
    SELECT seq, 'telegram', CAST(update_id AS TEXT), payload, received_at, handled_at, outcome, error, person_id
    FROM inbox;
DROP TABLE inbox;
ALTER TABLE inbox_by_platform RENAME TO inbox;
CREATE INDEX inbox_pending ON inbox (platform, seq) WHERE handled_at IS NULL;
CREATE INDEX inbox_by_person ON inbox (person_id, received_at);
