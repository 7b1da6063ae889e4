//! Usage: what repositories, accounts and the whole store hold, and the bytes served each month.

use super::MetaStore;
use crate::db::{query, query_as, query_scalar};
use crate::Result;

/// `YYYY-MM` of an epoch-milliseconds time (UTC).
pub fn month_of(ms: i64) -> String {
    // days since 1970-01-01 to a civil date (Howard Hinnant's algorithm)
    let z = ms.div_euclid(86_400_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}")
}

/// A repository's storage and transfer, for usage reports.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RepositoryUsage {
    pub account_id: String,
    pub name: String,
    pub images: i64,
    /// Distinct blobs its manifests reference, plus the manifests themselves.
    pub bytes: i64,
    /// Served this month, and blob downloads.
    pub bytes_out: i64,
    pub downloads: i64,
}

/// What the whole store holds: blob rows and their bytes, and the manifests' bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct StoreBytes {
    pub blobs: i64,
    pub blob_bytes: i64,
    pub manifest_bytes: i64,
}

impl MetaStore {
    /// Add served bytes to this month's counters.
    pub async fn record_transfers(&self, t: &[(i64, u64, u64)], now: i64) -> Result<()> {
        if t.is_empty() {
            return Ok(());
        }
        let month = month_of(now);
        let mut tx = self.db.begin().await?;
        for (repo, bytes, n) in t {
            query(
                "INSERT INTO repository_transfer (repository_id, month, bytes_out, downloads)
                 SELECT id, $1, $2, $3 FROM repositories WHERE id = $4
                 ON CONFLICT (repository_id, month) DO UPDATE
                 SET bytes_out = repository_transfer.bytes_out + excluded.bytes_out,
                     downloads = repository_transfer.downloads + excluded.downloads",
            )
            .bind(&month)
            .bind(*bytes as i64)
            .bind(*n as i64)
            .bind(repo)
            .execute(tx.conn())
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every repository's usage (this month's transfer), by account and name.
    pub async fn repository_usage(&self, month: &str) -> Result<Vec<RepositoryUsage>> {
        Ok(query_as(
            "SELECT r.account_id, r.name,
                    (SELECT count(*) FROM manifests m WHERE m.repository_id = r.id) AS images,
                    coalesce((SELECT CAST(sum(b.size) AS BIGINT) FROM blobs b WHERE b.digest IN
                        (SELECT mb.digest FROM manifest_blobs mb JOIN manifests m ON m.id = mb.manifest_id
                         WHERE m.repository_id = r.id)), 0)
                    + coalesce((SELECT CAST(sum(m.size) AS BIGINT) FROM manifests m WHERE m.repository_id = r.id), 0)
                      AS bytes,
                    coalesce((SELECT bytes_out FROM repository_transfer t WHERE t.repository_id = r.id AND t.month = $1), 0)
                      AS bytes_out,
                    coalesce((SELECT downloads FROM repository_transfer t WHERE t.repository_id = r.id AND t.month = $2), 0)
                      AS downloads
             FROM repositories r ORDER BY r.account_id, r.name",
        )
        .bind(month)
        .bind(month)
        .fetch_all(self.db.read())
        .await?)
    }

    /// An account's storage with shared blobs counted once: distinct blobs its manifests
    /// reference, plus the manifests.
    pub async fn account_bytes(&self, account: &str) -> Result<i64> {
        Ok(query_scalar(
            "SELECT coalesce((SELECT CAST(sum(b.size) AS BIGINT) FROM blobs b WHERE b.digest IN
                 (SELECT mb.digest FROM manifest_blobs mb JOIN manifests m ON m.id = mb.manifest_id
                  JOIN repositories r ON r.id = m.repository_id WHERE r.account_id = $1)), 0)
             + coalesce((SELECT CAST(sum(m.size) AS BIGINT) FROM manifests m JOIN repositories r ON r.id = m.repository_id
                         WHERE r.account_id = $1), 0)",
        )
        .bind(account)
        .fetch_one(self.db.read())
        .await?)
    }

    /// What the whole store holds.
    pub async fn store_bytes(&self) -> Result<StoreBytes> {
        Ok(query_as(
            "SELECT (SELECT count(*) FROM blobs) AS blobs,
                    coalesce((SELECT CAST(sum(size) AS BIGINT) FROM blobs), 0) AS blob_bytes,
                    coalesce((SELECT CAST(sum(size) AS BIGINT) FROM manifests), 0) AS manifest_bytes",
        )
        .fetch_one(self.db.read())
        .await?)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn months() {
        assert_eq!(super::month_of(0), "1970-01");
        assert_eq!(super::month_of(1_795_000_000_000), "2026-11");
        assert_eq!(super::month_of(951_782_400_000), "2000-02"); // 2000-02-29
        assert_eq!(super::month_of(951_868_800_000), "2000-03");
    }
}
