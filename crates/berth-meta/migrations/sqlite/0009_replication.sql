-- Schema 9: replication, its backfills, and repository creation templates.

-- PutReplicationConfiguration: an account's rules (JSON, as ECR's shape).
CREATE TABLE replication_configs (
    account_id   TEXT PRIMARY KEY,
    rules        TEXT NOT NULL,
    updated_at   INTEGER NOT NULL
);

-- Repository creation templates, by account and prefix (`ROOT`: every repository); the
-- template's settings as JSON.
CREATE TABLE creation_templates (
    account_id   TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    template     TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, prefix)
);

-- One image of a repository to one destination (region and registry). A row that is PENDING
-- or IN_PROGRESS is a job: a node claims it with a lease (`lease_until` also holds a retry's
-- time); `generation` grows with every request, so that a push during a copy is copied again;
-- `requested_by` is `push` or the backfill that asked for it last.
CREATE TABLE replications (
    repository_id  INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    digest         TEXT NOT NULL,
    dest_region    TEXT NOT NULL,
    dest_account   TEXT NOT NULL,
    status         TEXT NOT NULL,
    failure_code   TEXT,
    failure_reason TEXT,
    generation     INTEGER NOT NULL DEFAULT 1,
    attempts       INTEGER NOT NULL DEFAULT 0,
    requested_at   INTEGER NOT NULL,
    completed_at   INTEGER,
    bytes_sent     INTEGER NOT NULL DEFAULT 0,
    requested_by   TEXT,
    lease_owner    TEXT,
    lease_until    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (repository_id, digest, dest_region, dest_account)
);
CREATE INDEX replications_queue ON replications(status, lease_until);

-- StartReplicationBackfill: the images of an account to copy to one destination, and how
-- each copy ended.
CREATE TABLE replication_backfills (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL,
    dest_region   TEXT NOT NULL,
    dest_account  TEXT NOT NULL,
    status        TEXT NOT NULL,
    failure_code  TEXT,
    started_at    INTEGER NOT NULL,
    ended_at      INTEGER
);
CREATE INDEX replication_backfills_account ON replication_backfills(account_id, started_at);

CREATE TABLE backfill_images (
    backfill_id    TEXT NOT NULL REFERENCES replication_backfills(id) ON DELETE CASCADE,
    repository_id  INTEGER NOT NULL,
    repository     TEXT NOT NULL,
    digest         TEXT NOT NULL,
    status         TEXT NOT NULL,
    failure_code   TEXT,
    PRIMARY KEY (backfill_id, repository_id, digest)
);
CREATE INDEX backfill_images_image ON backfill_images(repository_id, digest, status);
