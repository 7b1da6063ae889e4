-- Schema 11: every replication's outcome, kept after the replication's row moves on (for the
-- events and the audit trail to read): the image, where it went, how it ended, what it sent.
CREATE TABLE replication_outcomes (
    id              INTEGER PRIMARY KEY,
    account_id      TEXT NOT NULL,
    repository      TEXT NOT NULL,
    digest          TEXT NOT NULL,
    dest_region     TEXT NOT NULL,
    dest_account    TEXT NOT NULL,
    status          TEXT NOT NULL,
    failure_code    TEXT,
    failure_reason  TEXT,
    bytes_sent      INTEGER NOT NULL,
    requested_by    TEXT,
    finished_at     INTEGER NOT NULL
);
CREATE INDEX replication_outcomes_account ON replication_outcomes(account_id, id);
