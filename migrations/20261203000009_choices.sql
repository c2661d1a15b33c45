-- The buttons of the latest message the bot sent to each chat, so a person may type an
-- option's number or label instead of pressing it (on platforms without buttons, the only way).
-- `buttons` is a JSON list of [label, data] pairs in the order they were shown.
CREATE TABLE choices (
    chat_id     INTEGER PRIMARY KEY,
    buttons     TEXT    NOT NULL,
    offered_at  INTEGER NOT NULL
) STRICT;
