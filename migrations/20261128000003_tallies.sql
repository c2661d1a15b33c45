-- Weekly tallies, reports and check-in reminders.

-- The ISO week a check-in counts in (year * 100 + week, e.g. 202647), on the configured zone's
-- wall clock when it was sent. Written with the check-in; rows from before this column, or
-- after a change of zone, are filled in by the bot (see checkins::ensure_weeks).
ALTER TABLE checkins ADD COLUMN week INTEGER;

-- A week's tally reads one equality range of these covering indexes, already in unit and
-- member order, and never touches the table.
CREATE INDEX checkins_week ON checkins (week, unit_id, member_id, kind, people_served, site_id)
    WHERE deleted_at IS NULL;
CREATE INDEX checkins_week_member ON checkins (week, member_id, kind, people_served)
    WHERE deleted_at IS NULL;
-- Finds the rows whose week is still to be filled in (normally none) without a table scan.
CREATE INDEX checkins_week_missing ON checkins (sent_at) WHERE week IS NULL;
CREATE INDEX members_active_by_unit ON members (unit_id) WHERE status = 'active';

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
