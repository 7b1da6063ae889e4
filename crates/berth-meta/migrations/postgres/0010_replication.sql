-- Schema 10: replication, its backfills, and repository creation templates.

-- PutReplicationConfiguration: an account's rules (JSON, as ECR's shape).
CREATE TABLE replication_configs (
    account_id   TEXT COLLATE "C" PRIMARY KEY,
    rules        TEXT COLLATE "C" NOT NULL,
    updated_at   BIGINT NOT NULL
);

-- Repository creation templates, by account and prefix (`ROOT`: every repository); the
-- template's settings as JSON.
CREATE TABLE creation_templates (
    account_id   TEXT COLLATE "C" NOT NULL,
    prefix       TEXT COLLATE "C" NOT NULL,
    template     TEXT COLLATE "C" NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (account_id, prefix)
);

-- One image of a repository to one destination (region and registry). A row that is PENDING
-- or IN_PROGRESS is a job: a node claims it with a lease (`lease_until` also holds a retry's
-- time); `generation` grows with every request, so that a push during a copy is copied again;
-- `requested_by` is `push` or the backfill that asked for it last.
CREATE TABLE replications (
    repository_id  BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    digest         TEXT COLLATE "C" NOT NULL,
    dest_region    TEXT COLLATE "C" NOT NULL,
    dest_account   TEXT COLLATE "C" NOT NULL,
    status         TEXT COLLATE "C" NOT NULL,
    failure_code   TEXT COLLATE "C",
    failure_reason TEXT COLLATE "C",
    generation     BIGINT NOT NULL DEFAULT 1,
    attempts       BIGINT NOT NULL DEFAULT 0,
    requested_at   BIGINT NOT NULL,
    completed_at   BIGINT,
    bytes_sent     BIGINT NOT NULL DEFAULT 0,
    requested_by   TEXT COLLATE "C",
    lease_owner    TEXT COLLATE "C",
    lease_until    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (repository_id, digest, dest_region, dest_account)
);
CREATE INDEX replications_queue ON replications(status, lease_until);

-- StartReplicationBackfill: the images of an account to copy to one destination, and how
-- each copy ended.
CREATE TABLE replication_backfills (
    id            TEXT COLLATE "C" PRIMARY KEY,
    account_id    TEXT COLLATE "C" NOT NULL,
    dest_region   TEXT COLLATE "C" NOT NULL,
    dest_account  TEXT COLLATE "C" NOT NULL,
    status        TEXT COLLATE "C" NOT NULL,
    failure_code  TEXT COLLATE "C",
    started_at    BIGINT NOT NULL,
    ended_at      BIGINT
);
CREATE INDEX replication_backfills_account ON replication_backfills(account_id, started_at);

CREATE TABLE backfill_images (
    backfill_id    TEXT COLLATE "C" NOT NULL REFERENCES replication_backfills(id) ON DELETE CASCADE,
    repository_id  BIGINT NOT NULL,
    repository     TEXT COLLATE "C" NOT NULL,
    digest         TEXT COLLATE "C" NOT NULL,
    status         TEXT COLLATE "C" NOT NULL,
    failure_code   TEXT COLLATE "C",
    PRIMARY KEY (backfill_id, repository_id, digest)
);
CREATE INDEX backfill_images_image ON backfill_images(repository_id, digest, status);
