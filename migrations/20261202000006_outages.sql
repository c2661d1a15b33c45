-- Periods in which the sender found the platform down (sends to several members failing in a
-- row): receipts show the delay they caused, and each notice's creator is told of a long one.
CREATE TABLE outages (
    id          INTEGER PRIMARY KEY,
    platform    TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    -- NULL while it lasts.
    ended_at    INTEGER,
    -- The creators of the notices it delayed have been told (or there was nobody to tell).
    reported    INTEGER NOT NULL DEFAULT 0 CHECK (reported IN (0, 1))
) STRICT;
CREATE INDEX outages_unreported ON outages (ended_at) WHERE reported = 0;
