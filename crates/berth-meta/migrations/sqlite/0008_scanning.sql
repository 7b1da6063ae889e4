-- Schema 8: vulnerability scanning.

-- Each import of vulnerability data: its kind (osv, alpine-secdb, debian-oval), the file it was
-- read from, its sha256, how many records it held, when.
CREATE TABLE vuln_imports (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    records      INTEGER NOT NULL,
    imported_at  INTEGER NOT NULL
);

-- Every advisory, as its OSV record (JSON), by kind and id; a newer record replaces an older.
CREATE TABLE vuln_advisories (
    kind         TEXT NOT NULL,
    id           TEXT NOT NULL,
    modified     TEXT,
    record       TEXT NOT NULL,
    imported_at  INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
);

-- The package inventory of an image (by manifest digest, shared by every repository holding
-- it), so that a rescan reads no layer again.
CREATE TABLE image_inventories (
    digest       TEXT PRIMARY KEY,
    inventory    TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);

-- Inventories of images no repository holds any more are collected: manifests by digest.
CREATE INDEX manifests_digest ON manifests(digest);

-- One scan per image: its status, findings (JSON) and the data it used. A row that is
-- PENDING or IN_PROGRESS is a job: a node claims it with a lease, and another node takes it
-- over when the lease runs out.
CREATE TABLE image_scans (
    repository_id  INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    digest         TEXT NOT NULL,
    status         TEXT NOT NULL,
    description    TEXT,
    findings       TEXT,
    data_updated_at INTEGER,
    requested_at   INTEGER NOT NULL,
    completed_at   INTEGER,
    manual_at      INTEGER,
    attempts       INTEGER NOT NULL DEFAULT 0,
    lease_owner    TEXT,
    lease_until    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (repository_id, digest)
);
CREATE INDEX image_scans_queue ON image_scans(status, lease_until);

-- PutRegistryScanningConfiguration: the scan type and the rules (JSON) of an account.
CREATE TABLE registry_scanning (
    account_id   TEXT PRIMARY KEY,
    scan_type    TEXT NOT NULL,
    rules        TEXT NOT NULL
);
