-- Files people sent on a platform that keeps them only briefly (WeCom: an encrypted link valid
-- five minutes), fetched and decrypted on receipt and kept here, named as the check-in or the
-- notice names them (`wc:<msgid>`).
CREATE TABLE received_files (
    platform     TEXT    NOT NULL,
    file_id      TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    bytes        BLOB    NOT NULL,
    received_at  INTEGER NOT NULL,
    PRIMARY KEY (platform, file_id)
) STRICT;
