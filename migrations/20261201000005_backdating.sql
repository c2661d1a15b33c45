-- Check-ins may name the day the work was done (昨天 送服务 …, 周五 …, 11月28日 …).
--
-- sent_at stays what every count reads: the instant the check-in counts at. Without a named
-- day that is when the member sent it, as before; with one, noon of that day in the configured
-- zone, so it falls in that day's ISO week (and `week` is computed from it as always).
-- logged_at is when the member sent it, whatever day it names; rows from before this
-- migration were always counted when sent, so theirs is their sent_at.
ALTER TABLE checkins ADD COLUMN logged_at INTEGER;
UPDATE checkins SET logged_at = sent_at;

-- The day named, as YYYY-MM-DD in the configured zone (NULL: none named).
ALTER TABLE checkins ADD COLUMN done_on TEXT;

-- The weekly report counts the entries of a week that were logged after it ended (补登).
CREATE INDEX checkins_week_logged ON checkins (week, logged_at) WHERE deleted_at IS NULL;
