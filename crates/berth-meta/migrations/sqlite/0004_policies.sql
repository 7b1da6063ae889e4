-- Schema 4: permissions. Identity policies (inline and attached) of users, groups and roles,
-- customer managed policies, groups, roles' trust policies, repository and registry policies.

-- IAM groups of an account.
CREATE TABLE iam_groups (
    id          INTEGER PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name        TEXT NOT NULL COLLATE NOCASE,   -- IAM names are unique regardless of case
    path        TEXT NOT NULL DEFAULT '/',
    unique_id   TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE iam_group_members (
    group_id      INTEGER NOT NULL REFERENCES iam_groups(id) ON DELETE CASCADE,
    principal_id  INTEGER NOT NULL REFERENCES principals(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, principal_id)
) WITHOUT ROWID;
CREATE INDEX iam_group_members_principal ON iam_group_members(principal_id);

-- A role's trust policy and session limit (the role itself is a principal of kind 'role').
CREATE TABLE iam_roles (
    principal_id          INTEGER PRIMARY KEY REFERENCES principals(id) ON DELETE CASCADE,
    trust_policy          TEXT NOT NULL,
    max_session_duration  INTEGER NOT NULL DEFAULT 3600,
    description           TEXT
);

-- Inline policies of users and roles (owner 'principal') and of groups (owner 'group').
CREATE TABLE iam_inline_policies (
    owner_kind  TEXT NOT NULL CHECK (owner_kind IN ('principal', 'group')),
    owner_id    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    document    TEXT NOT NULL,
    PRIMARY KEY (owner_kind, owner_id, name)
) WITHOUT ROWID;

-- Customer managed policies (AWS managed ones are built in and have no row).
CREATE TABLE iam_managed_policies (
    id           INTEGER PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name         TEXT NOT NULL COLLATE NOCASE,
    path         TEXT NOT NULL DEFAULT '/',
    policy_id    TEXT NOT NULL UNIQUE,
    arn          TEXT NOT NULL UNIQUE,
    description  TEXT,
    document     TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

-- Managed policies attached to users, roles and groups, by ARN.
CREATE TABLE iam_attachments (
    owner_kind  TEXT NOT NULL CHECK (owner_kind IN ('principal', 'group')),
    owner_id    INTEGER NOT NULL,
    policy_arn  TEXT NOT NULL,
    PRIMARY KEY (owner_kind, owner_id, policy_arn)
) WITHOUT ROWID;
CREATE INDEX iam_attachments_policy ON iam_attachments(policy_arn);

-- A repository's policy (SetRepositoryPolicy); NULL when it has none.
ALTER TABLE repositories ADD COLUMN policy TEXT;

-- An account's registry policy (PutRegistryPolicy).
CREATE TABLE registry_policies (
    account_id  TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    document    TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
) WITHOUT ROWID;
