-- Schema 2: what the ECR control plane adds.

-- Resource tags of a repository (TagResource, CreateRepository's tags).
CREATE TABLE repository_tags (
    repository_id  INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    key            TEXT NOT NULL,
    value          TEXT NOT NULL,
    PRIMARY KEY (repository_id, key)
) WITHOUT ROWID;

-- Account settings (GetAccountSetting / PutAccountSetting); absent means the default.
CREATE TABLE account_settings (
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (account_id, name)
) WITHOUT ROWID;
