//! Accounts, IAM users and their access keys, as `berth admin` manages them.

use crate::db::{query, query_as, query_scalar};
use crate::values::PrincipalKind;

use super::{stored, MetaStore};
use crate::{now_millis, AccessKey, AccessKeyInfo, Principal, Result};

/// The columns of a [`PrincipalRow`].
pub(super) const PRINCIPAL_COLUMNS: &str = "id, account_id, kind, name, unique_id, path";
/// The same, of `principals p` in a join.
const PRINCIPAL_COLUMNS_OF_P: &str = "p.id, p.account_id, p.kind, p.name, p.unique_id, p.path";

/// An access key's `status` when it may sign requests (IAM's spelling).
const ACTIVE: &str = "Active";

/// A row of `principals`.
#[derive(sqlx::FromRow)]
pub(super) struct PrincipalRow {
    id: i64,
    account_id: String,
    kind: String,
    name: String,
    unique_id: String,
    path: String,
}

impl TryFrom<PrincipalRow> for Principal {
    type Error = crate::MetaError;

    fn try_from(r: PrincipalRow) -> Result<Principal> {
        Ok(Principal {
            id: r.id,
            kind: stored("principal kind", &r.kind)?,
            account_id: r.account_id,
            name: r.name,
            unique_id: r.unique_id,
            path: r.path,
        })
    }
}

/// A principal with its creation time (`PRINCIPAL_COLUMNS, created_at`).
#[derive(sqlx::FromRow)]
pub(super) struct DatedPrincipalRow {
    #[sqlx(flatten)]
    principal: PrincipalRow,
    created_at: i64,
}

impl DatedPrincipalRow {
    pub(super) fn into_entry(self) -> Result<(Principal, i64)> {
        Ok((self.principal.try_into()?, self.created_at))
    }
}

#[derive(sqlx::FromRow)]
struct AccessKeyRow {
    access_key_id: String,
    secret_sealed: Vec<u8>,
    status: String,
    #[sqlx(flatten)]
    principal: PrincipalRow,
}

#[derive(sqlx::FromRow)]
struct AccessKeyInfoRow {
    access_key_id: String,
    status: String,
    created_at: i64,
    last_used_at: Option<i64>,
}

impl MetaStore {
    pub async fn ensure_account(&self, id: &str) -> Result<()> {
        query("INSERT INTO accounts (id, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(now_millis())
            .execute(self.db.write())
            .await?;
        Ok(())
    }

    pub async fn principal(
        &self,
        account: &str,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<Option<Principal>> {
        query_as::<PrincipalRow>(&format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE account_id = $1 AND kind = $2 AND name = $3"
        ))
        .bind(account)
        .bind(kind.as_str())
        .bind(name)
        .fetch_optional(self.db.read())
        .await?
        .map(Principal::try_from)
        .transpose()
    }

    pub async fn principal_by_id(&self, id: i64) -> Result<Option<Principal>> {
        query_as::<PrincipalRow>(&format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.db.read())
        .await?
        .map(Principal::try_from)
        .transpose()
    }

    pub async fn create_principal(
        &self,
        account: &str,
        kind: PrincipalKind,
        name: &str,
        unique_id: &str,
    ) -> Result<Principal> {
        self.create_principal_at(account, kind, name, "/", unique_id)
            .await
    }

    /// Create a principal under an IAM path (`/`, `/ci/`).
    pub async fn create_principal_at(
        &self,
        account: &str,
        kind: PrincipalKind,
        name: &str,
        path: &str,
        unique_id: &str,
    ) -> Result<Principal> {
        let id: i64 = query_scalar(
            "INSERT INTO principals (account_id, kind, name, path, unique_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(account)
        .bind(kind.as_str())
        .bind(name)
        .bind(path)
        .bind(unique_id)
        .bind(now_millis())
        .fetch_one(self.db.write())
        .await?;
        Ok(Principal {
            id,
            account_id: account.to_string(),
            kind,
            name: name.to_string(),
            unique_id: unique_id.to_string(),
            path: path.to_string(),
        })
    }

    pub async fn insert_access_key(
        &self,
        key_id: &str,
        principal_id: i64,
        sealed: &[u8],
    ) -> Result<()> {
        query(
            "INSERT INTO access_keys (access_key_id, principal_id, secret_sealed, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(key_id)
        .bind(principal_id)
        .bind(sealed)
        .bind(now_millis())
        .execute(self.db.write())
        .await?;
        Ok(())
    }

    pub async fn access_key(&self, key_id: &str) -> Result<Option<AccessKey>> {
        let Some(row) = query_as::<AccessKeyRow>(&format!(
            "SELECT k.access_key_id, k.secret_sealed, k.status, {}
             FROM access_keys k JOIN principals p ON p.id = k.principal_id WHERE k.access_key_id = $1",
            PRINCIPAL_COLUMNS_OF_P
        ))
        .bind(key_id)
        .fetch_optional(self.db.read())
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(AccessKey {
            access_key_id: row.access_key_id,
            secret_sealed: row.secret_sealed,
            active: row.status == ACTIVE,
            principal: row.principal.try_into()?,
        }))
    }

    /// Create an account; `false` when it exists already.
    pub async fn create_account(&self, id: &str) -> Result<bool> {
        let done =
            query("INSERT INTO accounts (id, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id)
                .bind(now_millis())
                .execute(self.db.write())
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every account and when it was created, in ID order.
    pub async fn accounts(&self) -> Result<Vec<(String, i64)>> {
        Ok(query_as("SELECT id, created_at FROM accounts ORDER BY id")
            .fetch_all(self.db.read())
            .await?)
    }

    /// Principals of one kind in an account, by name, with their creation times.
    pub async fn principals(
        &self,
        account: &str,
        kind: PrincipalKind,
    ) -> Result<Vec<(Principal, i64)>> {
        query_as::<DatedPrincipalRow>(&format!(
            "SELECT {PRINCIPAL_COLUMNS}, created_at FROM principals
             WHERE account_id = $1 AND kind = $2 ORDER BY name"
        ))
        .bind(account)
        .bind(kind.as_str())
        .fetch_all(self.db.read())
        .await?
        .into_iter()
        .map(DatedPrincipalRow::into_entry)
        .collect()
    }

    /// Delete a principal with no access keys, policies or group memberships left; `false` when it
    /// has some.
    pub async fn delete_principal(&self, id: i64) -> Result<bool> {
        let done = query(
            "DELETE FROM principals WHERE id = $1
             AND NOT EXISTS (SELECT 1 FROM access_keys WHERE principal_id = $1)
             AND NOT EXISTS (SELECT 1 FROM iam_inline_policies WHERE owner_kind = 'principal' AND owner_id = $1)
             AND NOT EXISTS (SELECT 1 FROM iam_attachments WHERE owner_kind = 'principal' AND owner_id = $1)
             AND NOT EXISTS (SELECT 1 FROM iam_group_members WHERE principal_id = $1)",
        )
        .bind(id)
        .execute(self.db.write())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Add an access key unless the principal has `max` already; `false` when it has.
    pub async fn insert_access_key_limited(
        &self,
        key_id: &str,
        principal_id: i64,
        sealed: &[u8],
        max: i64,
    ) -> Result<bool> {
        let done = query(
            "INSERT INTO access_keys (access_key_id, principal_id, secret_sealed, created_at)
             SELECT $1, $2, $3, $4
             WHERE (SELECT count(*) FROM access_keys WHERE principal_id = $2) < $5",
        )
        .bind(key_id)
        .bind(principal_id)
        .bind(sealed)
        .bind(now_millis())
        .bind(max)
        .execute(self.db.write())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Access keys of a principal, oldest first (no secrets).
    pub async fn access_keys_of(&self, principal_id: i64) -> Result<Vec<AccessKeyInfo>> {
        let rows: Vec<AccessKeyInfoRow> = query_as(
            "SELECT access_key_id, status, created_at, last_used_at FROM access_keys
             WHERE principal_id = $1 ORDER BY created_at, access_key_id",
        )
        .bind(principal_id)
        .fetch_all(self.db.read())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| AccessKeyInfo {
                active: r.status == ACTIVE,
                access_key_id: r.access_key_id,
                created_at: r.created_at,
                last_used_at: r.last_used_at,
            })
            .collect())
    }

    /// Set a key of a principal of `account` Active or Inactive; `false` when there is no such key.
    pub async fn set_access_key_status(
        &self,
        account: &str,
        key_id: &str,
        active: bool,
    ) -> Result<bool> {
        let done = query(
            "UPDATE access_keys SET status = $1 WHERE access_key_id = $2
             AND principal_id IN (SELECT id FROM principals WHERE account_id = $3)",
        )
        .bind(if active { ACTIVE } else { "Inactive" })
        .bind(key_id)
        .bind(account)
        .execute(self.db.write())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Delete a key of a principal of `account`; `false` when there is no such key.
    pub async fn delete_access_key(&self, account: &str, key_id: &str) -> Result<bool> {
        let done = query(
            "DELETE FROM access_keys WHERE access_key_id = $1
             AND principal_id IN (SELECT id FROM principals WHERE account_id = $2)",
        )
        .bind(key_id)
        .bind(account)
        .execute(self.db.write())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
