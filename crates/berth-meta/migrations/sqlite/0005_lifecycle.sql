-- Schema 5: lifecycle policies, their previews, and the record of what they expired.

ALTER TABLE repositories ADD COLUMN lifecycle_policy TEXT;
ALTER TABLE repositories ADD COLUMN lifecycle_evaluated_at INTEGER;

-- The latest preview of a repository (StartLifecyclePolicyPreview), with its results as JSON.
CREATE TABLE lifecycle_previews (
    repository_id  INTEGER PRIMARY KEY REFERENCES repositories(id) ON DELETE CASCADE,
    policy         TEXT NOT NULL,
    status         TEXT NOT NULL,
    results        TEXT NOT NULL,
    started_at     INTEGER NOT NULL
);

-- Every image a lifecycle policy expired: which, by which rule, run by whom, when. Kept after the
-- repository goes, as an audit record.
CREATE TABLE lifecycle_events (
    id             INTEGER PRIMARY KEY,
    account_id     TEXT NOT NULL,
    repository     TEXT NOT NULL,
    digest         TEXT NOT NULL,
    tags           TEXT NOT NULL,            -- JSON list
    rule_priority  INTEGER NOT NULL,
    actor          TEXT NOT NULL,            -- 'schedule' or the ARN that ran it
    expired_at     INTEGER NOT NULL
);
CREATE INDEX lifecycle_events_repository ON lifecycle_events(account_id, repository, expired_at);
