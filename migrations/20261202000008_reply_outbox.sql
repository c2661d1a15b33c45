-- Replies to people that the platform could not take (5xx, timeouts, an outage): kept and
-- sent when it answers again, for up to reply_give_up_minutes, then dropped with a log line.
-- `reply` is the reply as JSON (chat::Reply), in the order the conversation gave them.
CREATE TABLE reply_outbox (
    id               INTEGER PRIMARY KEY,
    chat_id          INTEGER NOT NULL,
    reply            TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    next_attempt_ms  INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    status           TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dropped'))
) STRICT;
CREATE INDEX reply_outbox_due ON reply_outbox (next_attempt_ms) WHERE status = 'pending';
