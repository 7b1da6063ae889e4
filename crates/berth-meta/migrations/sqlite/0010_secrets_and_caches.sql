-- Schema 10: Secrets Manager's secrets, and the pull-through cache rules.

-- A secret: its ARN (the name and six random characters), its name (one per account while the
-- secret exists, deleted or not), settings, and `deleted_at`, the date a scheduled deletion
-- (DeleteSecret's recovery window) takes effect.
CREATE TABLE secrets (
    arn          TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT,
    kms_key_id   TEXT,
    tags         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    changed_at   INTEGER NOT NULL,
    accessed_at  INTEGER,
    deleted_at   INTEGER,
    UNIQUE (account_id, name)
);

-- A secret's values, each sealed under the master key, by version; `stage` is AWSCURRENT,
-- AWSPREVIOUS or NULL; `is_binary` tells SecretBinary from SecretString.
CREATE TABLE secret_versions (
    arn           TEXT NOT NULL REFERENCES secrets(arn) ON DELETE CASCADE,
    version_id    TEXT NOT NULL,
    stage         TEXT,
    is_binary     INTEGER NOT NULL,
    value_sealed  BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (arn, version_id)
);

-- CreatePullThroughCacheRule: repositories under `prefix` (`ROOT`: every one) are caches of
-- the upstream registry's repositories under `upstream_prefix`.
CREATE TABLE pull_through_cache_rules (
    account_id         TEXT NOT NULL,
    prefix             TEXT NOT NULL,
    upstream_url       TEXT NOT NULL,
    upstream_registry  TEXT NOT NULL,
    upstream_prefix    TEXT NOT NULL,
    credential_arn     TEXT,
    custom_role_arn    TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (account_id, prefix)
);
