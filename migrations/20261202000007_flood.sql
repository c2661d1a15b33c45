-- Flood control counts each person's messages in the inbox itself, so the counts survive a
-- restart: whose update each row is (set when it is handled; NULL for rows from before).
ALTER TABLE inbox ADD COLUMN person_id INTEGER;
CREATE INDEX inbox_by_person ON inbox (person_id, received_at);
