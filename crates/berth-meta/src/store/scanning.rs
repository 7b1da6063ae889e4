//! Vulnerability scanning: the imported vulnerability data (each import, and every advisory as
//! its OSV record), the package inventory of each image, the scans (one per image; a PENDING
//! or IN_PROGRESS row is a job that a node claims with a lease), and each account's registry
//! scanning configuration.

use crate::db::{query, query_as, query_scalar};

use super::MetaStore;
use crate::{MetaError, Result, ScanStatus};

/// One import of vulnerability data.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct VulnImport {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub sha256: String,
    pub records: i64,
    pub imported_at: i64,
}

/// An advisory to store: its source kind, id, `modified` time (RFC 3339, compared as text),
/// and its OSV record as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAdvisory {
    pub id: String,
    pub modified: Option<String>,
    pub record: String,
}

/// A stored advisory: its kind and OSV record.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredAdvisory {
    pub kind: String,
    pub record: String,
}

/// An image's scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageScan {
    pub repository_id: i64,
    pub digest: String,
    pub status: ScanStatus,
    pub description: Option<String>,
    /// The findings (JSON), once complete.
    pub findings: Option<String>,
    /// When the vulnerability data it used was last updated (epoch ms).
    pub data_updated_at: Option<i64>,
    pub requested_at: i64,
    pub completed_at: Option<i64>,
    /// The last scan asked for with StartImageScan (epoch ms).
    pub manual_at: Option<i64>,
    pub attempts: i64,
}

#[derive(sqlx::FromRow)]
struct ImageScanRow {
    repository_id: i64,
    digest: String,
    status: String,
    description: Option<String>,
    findings: Option<String>,
    data_updated_at: Option<i64>,
    requested_at: i64,
    completed_at: Option<i64>,
    manual_at: Option<i64>,
    attempts: i64,
}

impl TryFrom<ImageScanRow> for ImageScan {
    type Error = MetaError;

    fn try_from(r: ImageScanRow) -> Result<ImageScan> {
        let status = r
            .status
            .parse()
            .map_err(|_| MetaError::Corrupt(format!("scan status {:?}", r.status)))?;
        Ok(ImageScan {
            repository_id: r.repository_id,
            digest: r.digest,
            status,
            description: r.description,
            findings: r.findings,
            data_updated_at: r.data_updated_at,
            requested_at: r.requested_at,
            completed_at: r.completed_at,
            manual_at: r.manual_at,
            attempts: r.attempts,
        })
    }
}

/// A scan a node claimed: the image and where it is.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ScanJob {
    pub repository_id: i64,
    pub account_id: String,
    pub repository: String,
    pub digest: String,
    pub attempts: i64,
}

/// How a scan ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanOutcome {
    pub status: ScanStatus,
    pub description: Option<String>,
    pub findings: Option<String>,
    pub data_updated_at: Option<i64>,
}

/// A scan as a job, with its repository's account and name.
const JOB_COLUMNS: &str =
    "SELECT s.repository_id, r.account_id, r.name AS repository, s.digest, s.attempts
     FROM image_scans s JOIN repositories r ON r.id = s.repository_id";

const SCAN_COLUMNS: &str = "repository_id, digest, status, description, findings, data_updated_at, requested_at, completed_at, manual_at, attempts";

impl MetaStore {
    /// Store the advisories of one file in one transaction (a record replaces the stored one of
    /// the same kind and id unless that one is newer) and record the import. Returns how many
    /// records were new or replaced.
    pub async fn import_advisories(
        &self,
        kind: &str,
        name: &str,
        sha256: &str,
        advisories: &[NewAdvisory],
    ) -> Result<u64> {
        let now = crate::now_millis();
        let mut tx = self.db.begin().await?;
        let mut changed = 0;
        for a in advisories {
            let done = query(
                "INSERT INTO vuln_advisories (kind, id, modified, record, imported_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (kind, id) DO UPDATE SET
                   modified = excluded.modified, record = excluded.record,
                   imported_at = excluded.imported_at
                 WHERE vuln_advisories.modified IS NULL OR excluded.modified IS NULL
                    OR excluded.modified >= vuln_advisories.modified",
            )
            .bind(kind)
            .bind(a.id.as_str())
            .bind(a.modified.as_deref())
            .bind(a.record.as_str())
            .bind(now)
            .execute(tx.conn())
            .await?;
            changed += done.rows_affected();
        }
        query(
            "INSERT INTO vuln_imports (kind, name, sha256, records, imported_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(kind)
        .bind(name)
        .bind(sha256)
        .bind(advisories.len() as i64)
        .bind(now)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Every stored advisory.
    pub async fn advisories(&self) -> Result<Vec<StoredAdvisory>> {
        Ok(
            query_as("SELECT kind, record FROM vuln_advisories ORDER BY kind, id")
                .fetch_all(self.db.read())
                .await?,
        )
    }

    /// Every import, oldest first.
    pub async fn vuln_imports(&self) -> Result<Vec<VulnImport>> {
        Ok(query_as(
            "SELECT id, kind, name, sha256, records, imported_at FROM vuln_imports ORDER BY id",
        )
        .fetch_all(self.db.read())
        .await?)
    }

    /// When the vulnerability data last changed (epoch ms), if any was imported.
    pub async fn vuln_updated_at(&self) -> Result<Option<i64>> {
        Ok(query_scalar("SELECT MAX(imported_at) FROM vuln_imports")
            .fetch_one(self.db.read())
            .await?)
    }

    pub async fn put_inventory(&self, digest: &str, inventory: &str) -> Result<()> {
        query(
            "INSERT INTO image_inventories (digest, inventory, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (digest) DO UPDATE SET inventory = excluded.inventory,
               created_at = excluded.created_at",
        )
        .bind(digest)
        .bind(inventory)
        .bind(crate::now_millis())
        .execute(self.db.write())
        .await?;
        Ok(())
    }

    pub async fn inventory(&self, digest: &str) -> Result<Option<String>> {
        Ok(
            query_scalar("SELECT inventory FROM image_inventories WHERE digest = $1")
                .bind(digest)
                .fetch_optional(self.db.read())
                .await?,
        )
    }

    /// Inventories of images that no repository holds: deleted (counted only, with
    /// `dry_run`). Returns how many.
    pub async fn orphan_inventories(&self, dry_run: bool) -> Result<u64> {
        const ORPHANS: &str =
            "NOT EXISTS (SELECT 1 FROM manifests m WHERE m.digest = image_inventories.digest)";
        if dry_run {
            let n: i64 = query_scalar(&format!(
                "SELECT count(*) FROM image_inventories WHERE {ORPHANS}"
            ))
            .fetch_one(self.db.read())
            .await?;
            return Ok(n as u64);
        }
        let done = query(&format!("DELETE FROM image_inventories WHERE {ORPHANS}"))
            .execute(self.db.write())
            .await?;
        Ok(done.rows_affected())
    }

    /// Ask for a scan of an image (`manual`: by StartImageScan): a new PENDING scan, or the
    /// image's scan back to PENDING.
    pub async fn request_scan(&self, repo: i64, digest: &str, manual: bool) -> Result<()> {
        let now = crate::now_millis();
        let manual_at = manual.then_some(now);
        query(
            "INSERT INTO image_scans (repository_id, digest, status, requested_at, manual_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (repository_id, digest) DO UPDATE SET
               status = excluded.status, requested_at = excluded.requested_at,
               manual_at = COALESCE(excluded.manual_at, image_scans.manual_at),
               description = NULL, attempts = 0, lease_owner = NULL, lease_until = 0",
        )
        .bind(repo)
        .bind(digest)
        .bind(ScanStatus::Pending.as_str())
        .bind(now)
        .bind(manual_at)
        .execute(self.db.write())
        .await?;
        Ok(())
    }

    /// An image's scan, if it has one.
    pub async fn image_scan(&self, repo: i64, digest: &str) -> Result<Option<ImageScan>> {
        let row: Option<ImageScanRow> = query_as(&format!(
            "SELECT {SCAN_COLUMNS} FROM image_scans WHERE repository_id = $1 AND digest = $2"
        ))
        .bind(repo)
        .bind(digest)
        .fetch_optional(self.db.read())
        .await?;
        row.map(ImageScan::try_from).transpose()
    }

    /// The scans of a repository's images.
    pub async fn image_scans(&self, repo: i64) -> Result<Vec<ImageScan>> {
        let rows: Vec<ImageScanRow> = query_as(&format!(
            "SELECT {SCAN_COLUMNS} FROM image_scans WHERE repository_id = $1 ORDER BY digest"
        ))
        .bind(repo)
        .fetch_all(self.db.read())
        .await?;
        rows.into_iter().map(ImageScan::try_from).collect()
    }

    /// Claim the oldest scan that waits (PENDING, or IN_PROGRESS with its lease run out, or a
    /// retry whose time has come) for `owner` until `lease_until`.
    pub async fn claim_scan(&self, owner: &str, lease_until: i64) -> Result<Option<ScanJob>> {
        let now = crate::now_millis();
        let waiting = "status IN ('PENDING', 'IN_PROGRESS') AND lease_until < $3";
        let claimed: Option<(i64, String)> = query_as(&format!(
            "UPDATE image_scans SET status = 'IN_PROGRESS', lease_owner = $1, lease_until = $2,
               attempts = attempts + 1
             WHERE {waiting} AND (repository_id, digest) = (
               SELECT repository_id, digest FROM image_scans WHERE {waiting}
               ORDER BY requested_at LIMIT 1)
             RETURNING repository_id, digest"
        ))
        .bind(owner)
        .bind(lease_until)
        .bind(now)
        .fetch_optional(self.db.write())
        .await?;
        let Some((repo, digest)) = claimed else {
            return Ok(None);
        };
        Ok(query_as(&format!(
            "{JOB_COLUMNS} WHERE s.repository_id = $1 AND s.digest = $2"
        ))
        .bind(repo)
        .bind(digest)
        .fetch_optional(self.db.read())
        .await?)
    }

    /// Extend the lease of a scan `owner` holds while it runs; `false` when another node
    /// has taken it over.
    pub async fn renew_scan(
        &self,
        repo: i64,
        digest: &str,
        owner: &str,
        lease_until: i64,
    ) -> Result<bool> {
        let renewed = query(
            "UPDATE image_scans SET lease_until = $1
             WHERE repository_id = $2 AND digest = $3 AND lease_owner = $4 AND status = 'IN_PROGRESS'",
        )
        .bind(lease_until)
        .bind(repo)
        .bind(digest)
        .bind(owner)
        .execute(self.db.write())
        .await?;
        Ok(renewed.rows_affected() == 1)
    }

    /// Record how a claimed scan ended; `false` when `owner` no longer holds it (another node
    /// took it over, or the image was deleted).
    pub async fn finish_scan(
        &self,
        repo: i64,
        digest: &str,
        owner: &str,
        outcome: &ScanOutcome,
    ) -> Result<bool> {
        let done = query(
            "UPDATE image_scans SET status = $1, description = $2, findings = $3,
               data_updated_at = $4, completed_at = $5, lease_owner = NULL, lease_until = 0
             WHERE repository_id = $6 AND digest = $7 AND lease_owner = $8",
        )
        .bind(outcome.status.as_str())
        .bind(outcome.description.as_deref())
        .bind(outcome.findings.as_deref())
        .bind(outcome.data_updated_at)
        .bind(crate::now_millis())
        .bind(repo)
        .bind(digest)
        .bind(owner)
        .execute(self.db.write())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Put a claimed scan back to wait until `retry_at` (after a failure worth retrying).
    pub async fn retry_scan(
        &self,
        repo: i64,
        digest: &str,
        owner: &str,
        retry_at: i64,
        reason: &str,
    ) -> Result<()> {
        query(
            "UPDATE image_scans SET status = 'PENDING', lease_owner = NULL, lease_until = $1,
               description = $2
             WHERE repository_id = $3 AND digest = $4 AND lease_owner = $5",
        )
        .bind(retry_at)
        .bind(reason)
        .bind(repo)
        .bind(digest)
        .bind(owner)
        .execute(self.db.write())
        .await?;
        Ok(())
    }

    /// Every completed scan, with its image's place (for rescans when the data changes).
    pub async fn completed_scans(&self) -> Result<Vec<ScanJob>> {
        Ok(query_as(&format!(
            "{JOB_COLUMNS} WHERE s.status = 'COMPLETE' ORDER BY s.repository_id, s.digest"
        ))
        .fetch_all(self.db.read())
        .await?)
    }

    /// An account's registry scanning configuration: its scan type and rules (JSON).
    pub async fn registry_scanning(&self, account: &str) -> Result<Option<(String, String)>> {
        Ok(
            query_as("SELECT scan_type, rules FROM registry_scanning WHERE account_id = $1")
                .bind(account)
                .fetch_optional(self.db.read())
                .await?,
        )
    }

    pub async fn put_registry_scanning(
        &self,
        account: &str,
        scan_type: &str,
        rules: &str,
    ) -> Result<()> {
        query(
            "INSERT INTO registry_scanning (account_id, scan_type, rules) VALUES ($1, $2, $3)
             ON CONFLICT (account_id) DO UPDATE SET scan_type = excluded.scan_type,
               rules = excluded.rules",
        )
        .bind(account)
        .bind(scan_type)
        .bind(rules)
        .execute(self.db.write())
        .await?;
        Ok(())
    }
}
