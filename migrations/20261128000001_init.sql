-- The organisation, its members, their 三送 check-ins, and the durable update inbox.
-- All instants are INTEGER unix seconds (UTC). Weeks are computed in the configured zone at query time.

-- A government department taking part in the campaign (e.g. 人社局).
CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
) STRICT;

-- A village, community, enterprise or chamber of commerce a unit is linked to.
CREATE TABLE sites (
    id          INTEGER PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    name        TEXT    NOT NULL,
    link        TEXT    NOT NULL CHECK (link IN ('village', 'community', 'enterprise', 'chamber')),
    -- The site a check-in goes to when the member names none.
    is_default  INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at  INTEGER NOT NULL,
    UNIQUE (unit_id, name)
) STRICT;

CREATE TABLE invites (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    role        TEXT    NOT NULL CHECK (role IN ('member', 'organiser', 'admin')),
    max_uses    INTEGER NOT NULL CHECK (max_uses > 0),
    uses        INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0),
    expires_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    -- 'cli' or 'tg:<telegram id>'.
    created_by  TEXT    NOT NULL,
    -- The chat message that asked for it, so a redelivered request makes no second invite.
    source_key  TEXT UNIQUE
) STRICT;

CREATE TABLE members (
    id            INTEGER PRIMARY KEY,
    telegram_id   INTEGER NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    username      TEXT,
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    role          TEXT    NOT NULL CHECK (role IN ('member', 'organiser', 'admin')),
    status        TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    reminders     INTEGER NOT NULL DEFAULT 1 CHECK (reminders IN (0, 1)),
    invite_id     INTEGER REFERENCES invites(id),
    registered_at INTEGER NOT NULL
) STRICT;
CREATE INDEX members_by_unit ON members (unit_id);

CREATE TABLE checkins (
    id                INTEGER PRIMARY KEY,
    member_id         INTEGER NOT NULL REFERENCES members(id),
    -- The member's unit when they checked in: a later move does not rewrite history.
    unit_id           INTEGER NOT NULL REFERENCES units(id),
    site_id           INTEGER REFERENCES sites(id),
    kind              TEXT    NOT NULL,
    description       TEXT    NOT NULL,
    people_served     INTEGER CHECK (people_served >= 0),
    photo_file_id     TEXT,
    latitude          REAL,
    longitude         REAL,
    -- When the member sent it (the message's date): this decides the week it counts in.
    sent_at           INTEGER NOT NULL,
    -- The message it came from: the same message handled twice is one check-in.
    source_chat_id    INTEGER NOT NULL,
    source_message_id INTEGER NOT NULL,
    via               TEXT    NOT NULL CHECK (via IN ('line', 'photo', 'dialogue')),
    created_at        INTEGER NOT NULL,
    -- /undo keeps the row and marks it; deleted rows never count.
    deleted_at        INTEGER,
    -- The /undo message that deleted it, so a redelivered /undo deletes nothing else.
    deleted_by_message INTEGER,
    UNIQUE (source_chat_id, source_message_id)
) STRICT;
CREATE INDEX checkins_by_member_time ON checkins (member_id, sent_at);
CREATE INDEX checkins_by_unit_time ON checkins (unit_id, sent_at);
CREATE INDEX checkins_by_time ON checkins (sent_at);

-- Every update from Telegram, written before it is confirmed and handled from here.
CREATE TABLE inbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    update_id   INTEGER NOT NULL UNIQUE,
    payload     TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    handled_at  INTEGER,
    -- 'ok', 'ignored', 'skipped' (could not be parsed) or 'failed'.
    outcome     TEXT,
    error       TEXT
) STRICT;
CREATE INDEX inbox_pending ON inbox (seq) WHERE handled_at IS NULL;

-- In-progress guided dialogues, one per chat, so they survive a restart.
CREATE TABLE dialogues (
    chat_id     INTEGER PRIMARY KEY,
    state       TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

-- Small facts the bot learns at run time (e.g. its username, for invite links printed by the CLI).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
