-- Schema 2: what the ECR control plane adds.

-- Resource tags of a repository (TagResource, CreateRepository's tags).
CREATE TABLE repository_tags (
    repository_id  BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    key            TEXT COLLATE "C" NOT NULL,
    value          TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (repository_id, key)
);

-- Account settings (GetAccountSetting / PutAccountSetting); absent means the default.
CREATE TABLE account_settings (
    account_id  TEXT COLLATE "C" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name        TEXT COLLATE "C" NOT NULL,
    value       TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (account_id, name)
);
