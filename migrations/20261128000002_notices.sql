-- Scheduled notices, their runs, and a durable outbox of deliveries.
-- Outbox times are INTEGER unix *milliseconds* (UTC): retries and rate limits need sub-second steps.

-- Set when Telegram answers 403 for the member (blocked the bot, account deleted); cleared when
-- they write to the bot again. Unreachable members are not sent to.
ALTER TABLE members ADD COLUMN unreachable_at INTEGER;

CREATE TABLE notices (
    id                 INTEGER PRIMARY KEY,
    -- 'cli' or 'tg:<telegram id>'; the member row too when made in the chat.
    created_by         TEXT    NOT NULL,
    creator_member_id  INTEGER REFERENCES members(id),
    -- The text, or the caption when there is media.
    body               TEXT    NOT NULL,
    media_kind         TEXT CHECK (media_kind IN ('photo', 'document')),
    -- Telegram's file_id, once Telegram has the file.
    media_file_id      TEXT,
    media_name         TEXT,
    -- A file given on the command line, kept until the first upload returns a file_id.
    media_bytes        BLOB,
    -- JSON: {"all":bool,"units":[ids],"roles":[..],"links":[..]}
    audience           TEXT    NOT NULL,
    -- JSON schedule (see notices::schedule::Schedule).
    schedule           TEXT    NOT NULL,
    next_fire_at       INTEGER,
    ack_required       INTEGER NOT NULL DEFAULT 0 CHECK (ack_required IN (0, 1)),
    policy             INTEGER NOT NULL DEFAULT 0 CHECK (policy IN (0, 1)),
    urgent             INTEGER NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1)),
    remind_after_secs  INTEGER CHECK (remind_after_secs > 0),
    status             TEXT    NOT NULL CHECK (status IN ('active', 'paused', 'cancelled', 'finished')),
    created_at         INTEGER NOT NULL,
    -- The chat message that confirmed it, so a redelivered confirmation makes no second notice.
    source_key         TEXT UNIQUE
) STRICT;
CREATE INDEX notices_due ON notices (next_fire_at) WHERE status = 'active';

-- One firing of a notice: a tick of its schedule fires at most once.
CREATE TABLE notice_runs (
    id         INTEGER PRIMARY KEY,
    notice_id  INTEGER NOT NULL REFERENCES notices(id),
    due_at     INTEGER NOT NULL,
    fired_at   INTEGER NOT NULL,
    targeted   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (notice_id, due_at)
) STRICT;

-- The outbox: one row per member per run (and at most one reminder), written in the same
-- transaction that records the run.
CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY,
    run_id           INTEGER NOT NULL REFERENCES notice_runs(id),
    member_id        INTEGER NOT NULL REFERENCES members(id),
    chat_id          INTEGER NOT NULL,
    kind             TEXT    NOT NULL CHECK (kind IN ('notice', 'reminder')),
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'blocked')),
    -- Quiet hours: not before this (ms).
    not_before_ms    INTEGER NOT NULL,
    next_attempt_ms  INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    message_id       INTEGER,
    sent_at          INTEGER,
    acked_at         INTEGER,
    -- On a reminder: the delivery it reminds of. On a delivery: when its reminder was queued.
    reminder_of      INTEGER REFERENCES deliveries(id),
    reminded_at      INTEGER,
    UNIQUE (run_id, member_id, kind)
) STRICT;
CREATE INDEX deliveries_queue ON deliveries (id) WHERE status = 'pending';
CREATE INDEX deliveries_by_run ON deliveries (run_id, status);
CREATE INDEX deliveries_by_member ON deliveries (member_id);

-- A 送政策 check-in started from a policy notice's 「去宣讲」 button cites it.
ALTER TABLE checkins ADD COLUMN notice_id INTEGER REFERENCES notices(id);
CREATE INDEX checkins_by_notice ON checkins (notice_id) WHERE notice_id IS NOT NULL;
