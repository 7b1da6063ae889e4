//! Secrets Manager's secrets: each with its settings and its versions, whose values are stored
//! sealed (this module never sees them in clear). A deleted secret keeps its name until its
//! scheduled deletion date, when it is purged.

use crate::db::{query, query_as};

use super::MetaStore;
use crate::{MetaError, Result};

/// The stage of the version GetSecretValue answers by default.
pub const CURRENT: &str = "AWSCURRENT";
/// The stage of the version before it.
pub const PREVIOUS: &str = "AWSPREVIOUS";

/// A secret, without its values.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredSecret {
    pub arn: String,
    pub account_id: String,
    pub name: String,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    /// `[{"Key","Value"}]` as JSON.
    pub tags: String,
    pub created_at: i64,
    pub changed_at: i64,
    pub accessed_at: Option<i64>,
    /// When a scheduled deletion takes effect.
    pub deleted_at: Option<i64>,
}

/// One version of a secret's value, sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretVersion {
    pub version_id: String,
    /// AWSCURRENT, AWSPREVIOUS, or none.
    pub stage: Option<String>,
    pub is_binary: bool,
    pub value_sealed: Vec<u8>,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version_id: String,
    stage: Option<String>,
    is_binary: i64,
    value_sealed: Vec<u8>,
    created_at: i64,
}

impl From<VersionRow> for SecretVersion {
    fn from(r: VersionRow) -> Self {
        SecretVersion {
            version_id: r.version_id,
            stage: r.stage,
            is_binary: r.is_binary != 0,
            value_sealed: r.value_sealed,
            created_at: r.created_at,
        }
    }
}

/// A value to store as a new version.
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub version_id: String,
    pub is_binary: bool,
    pub value_sealed: Vec<u8>,
}

const SECRET_COLUMNS: &str = "SELECT arn, account_id, name, description, kms_key_id, tags,
       created_at, changed_at, accessed_at, deleted_at FROM secrets";
const VERSION_COLUMNS: &str =
    "SELECT version_id, stage, is_binary, value_sealed, created_at FROM secret_versions";

impl MetaStore {
    /// Store a new secret (and its first value, if given). [`MetaError::SecretExists`] when the
    /// account has a secret of that name, deleted or not (one whose deletion date has passed
    /// is purged first).
    pub async fn create_secret(
        &self,
        secret: &StoredSecret,
        value: Option<&NewVersion>,
    ) -> Result<()> {
        self.purge_deleted_secrets().await?;
        let mut tx = self.db.begin().await?;
        let created = query(
            "INSERT INTO secrets (arn, account_id, name, description, kms_key_id, tags,
               created_at, changed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT DO NOTHING",
        )
        .bind(&secret.arn)
        .bind(&secret.account_id)
        .bind(&secret.name)
        .bind(secret.description.as_deref())
        .bind(secret.kms_key_id.as_deref())
        .bind(&secret.tags)
        .bind(secret.created_at)
        .execute(tx.conn())
        .await?;
        if created.rows_affected() != 1 {
            return Err(MetaError::SecretExists);
        }
        if let Some(v) = value {
            insert_version(&mut tx, &secret.arn, v, secret.created_at).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A secret of `account` by its name or ARN.
    pub async fn secret(&self, account: &str, id: &str) -> Result<Option<StoredSecret>> {
        Ok(query_as(&format!(
            "{SECRET_COLUMNS} WHERE account_id = $1 AND (arn = $2 OR name = $2)"
        ))
        .bind(account)
        .bind(id)
        .fetch_optional(self.db.read())
        .await?)
    }

    /// A secret's versions: AWSCURRENT, AWSPREVIOUS, then the rest, the newest first (two
    /// versions of one millisecond are told apart by their stage).
    pub async fn secret_versions(&self, arn: &str) -> Result<Vec<SecretVersion>> {
        let rows: Vec<VersionRow> = query_as(&format!(
            "{VERSION_COLUMNS} WHERE arn = $1
             ORDER BY CASE stage WHEN $2 THEN 0 WHEN $3 THEN 1 ELSE 2 END,
               created_at DESC, version_id"
        ))
        .bind(arn)
        .bind(CURRENT)
        .bind(PREVIOUS)
        .fetch_all(self.db.read())
        .await?;
        Ok(rows.into_iter().map(SecretVersion::from).collect())
    }

    /// Store a new value of a secret as its AWSCURRENT version: the current one becomes
    /// AWSPREVIOUS, and the previous one, no longer staged, is dropped. [`MetaError::SecretVersionExists`]
    /// when the version ID is taken.
    pub async fn put_secret_value(&self, arn: &str, value: &NewVersion) -> Result<()> {
        let now = crate::now_millis();
        let mut tx = self.db.begin().await?;
        let taken: Option<String> = crate::db::query_scalar(
            "SELECT version_id FROM secret_versions WHERE arn = $1 AND version_id = $2",
        )
        .bind(arn)
        .bind(&value.version_id)
        .fetch_optional(tx.conn())
        .await?;
        if taken.is_some() {
            return Err(MetaError::SecretVersionExists);
        }
        query("DELETE FROM secret_versions WHERE arn = $1 AND stage = $2")
            .bind(arn)
            .bind(PREVIOUS)
            .execute(tx.conn())
            .await?;
        query("UPDATE secret_versions SET stage = $1 WHERE arn = $2 AND stage = $3")
            .bind(PREVIOUS)
            .bind(arn)
            .bind(CURRENT)
            .execute(tx.conn())
            .await?;
        insert_version(&mut tx, arn, value, now).await?;
        query("UPDATE secrets SET changed_at = $1 WHERE arn = $2")
            .bind(now)
            .bind(arn)
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Note that a secret's value was read (DescribeSecret's LastAccessedDate).
    pub async fn secret_accessed(&self, arn: &str) -> Result<()> {
        query("UPDATE secrets SET accessed_at = $1 WHERE arn = $2")
            .bind(crate::now_millis())
            .bind(arn)
            .execute(self.db.write())
            .await?;
        Ok(())
    }

    /// An account's secrets by name, after `after`, at most `limit`; with `deleted`, those
    /// scheduled for deletion too.
    pub async fn list_secrets(
        &self,
        account: &str,
        deleted: bool,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredSecret>> {
        self.purge_deleted_secrets().await?;
        let only_live = if deleted {
            ""
        } else {
            "AND deleted_at IS NULL"
        };
        Ok(query_as(&format!(
            "{SECRET_COLUMNS} WHERE account_id = $1 AND name > $2 {only_live}
             ORDER BY name LIMIT $3"
        ))
        .bind(account)
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(self.db.read())
        .await?)
    }

    /// Schedule a secret's deletion at `at`.
    pub async fn schedule_secret_deletion(&self, arn: &str, at: i64) -> Result<()> {
        query("UPDATE secrets SET deleted_at = $1 WHERE arn = $2")
            .bind(at)
            .bind(arn)
            .execute(self.db.write())
            .await?;
        Ok(())
    }

    /// Delete a secret and its values at once.
    pub async fn delete_secret(&self, arn: &str) -> Result<()> {
        query("DELETE FROM secrets WHERE arn = $1")
            .bind(arn)
            .execute(self.db.write())
            .await?;
        Ok(())
    }

    /// Delete the secrets whose scheduled deletion date has passed.
    async fn purge_deleted_secrets(&self) -> Result<()> {
        query("DELETE FROM secrets WHERE deleted_at IS NOT NULL AND deleted_at <= $1")
            .bind(crate::now_millis())
            .execute(self.db.write())
            .await?;
        Ok(())
    }
}

async fn insert_version(tx: &mut crate::db::Tx, arn: &str, v: &NewVersion, at: i64) -> Result<()> {
    query(
        "INSERT INTO secret_versions (arn, version_id, stage, is_binary, value_sealed, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(arn)
    .bind(&v.version_id)
    .bind(CURRENT)
    .bind(i64::from(v.is_binary))
    .bind(v.value_sealed.as_slice())
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(())
}
