-- Weekly tallies, reports and check-in reminders.

-- The tally reads a week's counted check-ins by time; this index holds every column it needs,
-- so a week is one range scan of the index and never touches the table.
CREATE INDEX checkins_tally ON checkins (sent_at, unit_id, member_id, site_id, kind, people_served)
    WHERE deleted_at IS NULL;

-- Built-in recurring jobs (the weekly report, the check-in reminder): when each fires next.
CREATE TABLE periodic_jobs (
    job           TEXT    PRIMARY KEY,
    next_fire_at  INTEGER NOT NULL,
    -- The schedule next_fire_at was computed from: a changed config recomputes it.
    schedule      TEXT    NOT NULL
) STRICT;

-- One row per firing: a tick fires at most once, in the same transaction as the notices it
-- queues (so a crash either fired it completely or not at all).
CREATE TABLE periodic_runs (
    job       TEXT    NOT NULL,
    due_at    INTEGER NOT NULL,
    fired_at  INTEGER NOT NULL,
    -- What it did, for the log and the tests: e.g. 'reports:3' or 'reminders:12'.
    outcome   TEXT    NOT NULL,
    PRIMARY KEY (job, due_at)
) STRICT;
