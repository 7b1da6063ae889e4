//! Accounts, IAM users and their access keys, as `berth admin` manages them.

use crate::db::{query, query_as};
use crate::values::PrincipalKind;

use super::{principal_row, MetaStore, PRINCIPAL_COLUMNS};
use crate::{now_millis, AccessKeyInfo, Principal, Result};

impl MetaStore {
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
        let rows = query(&format!(
            "SELECT {PRINCIPAL_COLUMNS}, created_at FROM principals
             WHERE account_id = $1 AND kind = $2 ORDER BY name"
        ))
        .bind(account)
        .bind(kind.as_str())
        .fetch_all(self.db.read())
        .await?;
        Ok(rows
            .iter()
            .map(|r| (principal_row(r), r.get::<i64>(6)))
            .collect())
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
        let rows: Vec<(String, String, i64, Option<i64>)> = query_as(
            "SELECT access_key_id, status, created_at, last_used_at FROM access_keys
             WHERE principal_id = $1 ORDER BY created_at, access_key_id",
        )
        .bind(principal_id)
        .fetch_all(self.db.read())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, status, created_at, last_used_at)| AccessKeyInfo {
                access_key_id: id,
                active: status == "Active",
                created_at,
                last_used_at,
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
        .bind(if active { "Active" } else { "Inactive" })
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
