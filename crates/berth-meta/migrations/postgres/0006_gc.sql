-- Schema 6: garbage collection. A repository's link to a blob that none of its manifests uses is
-- marked when the collector first sees it so; the collector removes links and blobs only after
-- they stayed unreferenced for the grace period. Transfer counters for usage reports.

ALTER TABLE repository_blobs ADD COLUMN unreferenced_since BIGINT;
CREATE INDEX blobs_unreferenced ON blobs(unreferenced_since) WHERE unreferenced_since IS NOT NULL;

-- Bytes of blobs served per repository and calendar month (UTC, 'YYYY-MM'), for usage and cost
-- reports.
CREATE TABLE repository_transfer (
    repository_id  BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    month          TEXT COLLATE "C" NOT NULL,
    bytes_out      BIGINT NOT NULL DEFAULT 0,
    downloads      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (repository_id, month)
);
