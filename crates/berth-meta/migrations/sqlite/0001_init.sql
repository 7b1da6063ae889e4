-- Berth metadata, schema 1. Times are epoch milliseconds.

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,            -- 12-digit registry ID
    created_at  INTEGER NOT NULL
);

-- Root principals, IAM users and (later) roles of an account.
CREATE TABLE principals (
    id          INTEGER PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('root', 'user', 'role')),
    name        TEXT NOT NULL,
    path        TEXT NOT NULL DEFAULT '/',
    unique_id   TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    UNIQUE (account_id, kind, name)
);

CREATE TABLE access_keys (
    access_key_id  TEXT PRIMARY KEY,
    principal_id   INTEGER NOT NULL REFERENCES principals(id) ON DELETE CASCADE,
    secret_sealed  BLOB NOT NULL,            -- AEAD-sealed secret, never stored in clear
    status         TEXT NOT NULL DEFAULT 'Active' CHECK (status IN ('Active', 'Inactive')),
    created_at     INTEGER NOT NULL,
    last_used_at   INTEGER
);
CREATE INDEX access_keys_principal ON access_keys(principal_id);

CREATE TABLE repositories (
    id               INTEGER PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    tag_mutability   TEXT NOT NULL DEFAULT 'MUTABLE',
    mutability_filters TEXT,                 -- JSON, for the *_WITH_EXCLUSION modes
    scan_on_push     INTEGER NOT NULL DEFAULT 0,
    encryption_type  TEXT NOT NULL DEFAULT 'AES256',
    kms_key          TEXT,
    UNIQUE (account_id, name)
);

-- Content-addressed blobs, global and deduplicated. Bytes live in the blob store.
CREATE TABLE blobs (
    digest              TEXT PRIMARY KEY,
    size                INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    unreferenced_since  INTEGER              -- set by the collector's marking, for the GC grace period
);

-- A blob is readable only through the repositories that link it.
CREATE TABLE repository_blobs (
    repository_id  INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    digest         TEXT NOT NULL REFERENCES blobs(digest),
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (repository_id, digest)
) WITHOUT ROWID;
CREATE INDEX repository_blobs_digest ON repository_blobs(digest);

CREATE TABLE manifests (
    id              INTEGER PRIMARY KEY,
    repository_id   INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    digest          TEXT NOT NULL,
    media_type      TEXT NOT NULL,
    artifact_type   TEXT,
    subject_digest  TEXT,
    config_digest   TEXT,
    size            INTEGER NOT NULL,        -- length of body
    image_size      INTEGER NOT NULL,        -- sum of layer sizes (ECR's imageSizeInBytes)
    body            BLOB NOT NULL,           -- the exact bytes pushed
    pushed_at       INTEGER NOT NULL,
    last_pulled_at  INTEGER,
    UNIQUE (repository_id, digest)
);
CREATE INDEX manifests_subject ON manifests(repository_id, subject_digest)
    WHERE subject_digest IS NOT NULL;

CREATE TABLE tags (
    repository_id  INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    manifest_id    INTEGER NOT NULL REFERENCES manifests(id) ON DELETE CASCADE,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (repository_id, name)
) WITHOUT ROWID;
CREATE INDEX tags_manifest ON tags(manifest_id);

-- Blobs a manifest references (config and layers).
CREATE TABLE manifest_blobs (
    manifest_id  INTEGER NOT NULL REFERENCES manifests(id) ON DELETE CASCADE,
    digest       TEXT NOT NULL REFERENCES blobs(digest),
    PRIMARY KEY (manifest_id, digest)
) WITHOUT ROWID;
CREATE INDEX manifest_blobs_digest ON manifest_blobs(digest);

-- Child manifests of an index; a child cannot be deleted while a parent references it.
CREATE TABLE manifest_children (
    parent_id  INTEGER NOT NULL REFERENCES manifests(id) ON DELETE CASCADE,
    child_id   INTEGER NOT NULL REFERENCES manifests(id),
    PRIMARY KEY (parent_id, child_id)
) WITHOUT ROWID;
CREATE INDEX manifest_children_child ON manifest_children(child_id);

CREATE TABLE uploads (
    id             TEXT PRIMARY KEY,         -- UUID
    repository_id  INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    size           INTEGER NOT NULL DEFAULT 0,
    started_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX uploads_updated ON uploads(updated_at);

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
