//! Replication: each account's configuration (its rules as JSON), the replication of each
//! image to each destination (a PENDING or IN_PROGRESS row is a job that a node claims with a
//! lease), backfills with their images, and repository creation templates.

use crate::db::{query, query_as, query_scalar};

use super::MetaStore;
use crate::{BackfillStatus, MetaError, ReplicationStatus, Result};

/// Where an image is replicated to: a region (an installation) and a registry (account).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Destination {
    pub region: String,
    pub account: String,
}

/// Who asked for a replication last: a push (or a tag moved), or a backfill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requester<'a> {
    Push,
    Backfill(&'a str),
}

impl Requester<'_> {
    fn as_str(&self) -> &str {
        match self {
            Requester::Push => "push",
            Requester::Backfill(id) => id,
        }
    }
}

/// A replication a node claimed: the image, where it is, where it goes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReplicationJob {
    pub repository_id: i64,
    pub account_id: String,
    pub repository: String,
    pub digest: String,
    pub dest_region: String,
    pub dest_account: String,
    /// The request this run answers: a later request makes it run again.
    pub generation: i64,
    pub attempts: i64,
}

/// How a replication of an image to a destination stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageReplication {
    pub destination: Destination,
    pub status: ReplicationStatus,
    pub failure_code: Option<String>,
    pub failure_reason: Option<String>,
    pub requested_at: i64,
    pub completed_at: Option<i64>,
    pub bytes_sent: i64,
}

#[derive(sqlx::FromRow)]
struct ImageReplicationRow {
    dest_region: String,
    dest_account: String,
    status: String,
    failure_code: Option<String>,
    failure_reason: Option<String>,
    requested_at: i64,
    completed_at: Option<i64>,
    bytes_sent: i64,
}

/// A replication's outcome as recorded when it ended (kept after its row moves on).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReplicationRecord {
    pub id: i64,
    pub account_id: String,
    pub repository: String,
    pub digest: String,
    pub dest_region: String,
    pub dest_account: String,
    /// COMPLETE or FAILED.
    pub status: String,
    pub failure_code: Option<String>,
    pub failure_reason: Option<String>,
    pub bytes_sent: i64,
    /// `push` or the backfill that asked for it.
    pub requested_by: Option<String>,
    pub finished_at: i64,
}

/// How a claimed replication ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationOutcome {
    /// COMPLETE or FAILED.
    pub status: ReplicationStatus,
    pub failure_code: Option<String>,
    pub failure_reason: Option<String>,
    pub bytes_sent: i64,
}

/// A repository creation template: its prefix and settings (JSON).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CreationTemplate {
    pub prefix: String,
    pub template: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A backfill, with its progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backfill {
    pub id: String,
    pub account_id: String,
    pub destination: Destination,
    pub status: BackfillStatus,
    pub failure_code: Option<String>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub total: i64,
    pub completed: i64,
    pub failed: i64,
    /// The failure codes of its images, each once.
    pub failure_codes: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct BackfillRow {
    id: String,
    account_id: String,
    dest_region: String,
    dest_account: String,
    status: String,
    failure_code: Option<String>,
    started_at: i64,
    ended_at: Option<i64>,
    total: i64,
    completed: i64,
    failed: i64,
}

/// One image of a backfill and how its copy ended (PENDING until it has).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BackfillImage {
    pub repository: String,
    pub digest: String,
    pub status: String,
    pub failure_code: Option<String>,
}

/// An image a backfill copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillItem {
    pub repository_id: i64,
    pub repository: String,
    pub digest: String,
}

/// Ask for a replication: a new PENDING row, or the row back to PENDING with its generation
/// raised (a copy in progress keeps its lease, and runs again when it ends). Binds: repository,
/// digest, region, account, time, requester.
const REQUEST: &str = "INSERT INTO replications (repository_id, digest, dest_region,
       dest_account, status, requested_at, requested_by)
     VALUES ($1, $2, $3, $4, 'PENDING', $5, $6)
     ON CONFLICT (repository_id, digest, dest_region, dest_account) DO UPDATE SET
       status = CASE WHEN replications.status = 'IN_PROGRESS'
         THEN 'IN_PROGRESS' ELSE 'PENDING' END,
       lease_until = CASE WHEN replications.status = 'IN_PROGRESS'
         THEN replications.lease_until ELSE 0 END,
       generation = replications.generation + 1, attempts = 0,
       failure_code = NULL, failure_reason = NULL,
       requested_at = excluded.requested_at, requested_by = excluded.requested_by";

const JOB_COLUMNS: &str = "SELECT p.repository_id, r.account_id, r.name AS repository, p.digest,
       p.dest_region, p.dest_account, p.generation, p.attempts
     FROM replications p JOIN repositories r ON r.id = p.repository_id";

const BACKFILL_COLUMNS: &str = "SELECT b.id, b.account_id, b.dest_region, b.dest_account,
       b.status, b.failure_code, b.started_at, b.ended_at,
       (SELECT COUNT(*) FROM backfill_images i WHERE i.backfill_id = b.id) AS total,
       (SELECT COUNT(*) FROM backfill_images i WHERE i.backfill_id = b.id
          AND i.status = 'COMPLETE') AS completed,
       (SELECT COUNT(*) FROM backfill_images i WHERE i.backfill_id = b.id
          AND i.status = 'FAILED') AS failed
     FROM replication_backfills b";

fn status<T: std::str::FromStr>(what: &str, s: &str) -> Result<T> {
    s.parse()
        .map_err(|_| MetaError::Corrupt(format!("{what} status {s:?}")))
}

impl MetaStore {
    /// An account's replication rules (JSON), if it configured any.
    pub async fn replication_config(&self, account: &str) -> Result<Option<String>> {
        Ok(
            query_scalar("SELECT rules FROM replication_configs WHERE account_id = $1")
                .bind(account)
                .fetch_optional(self.db.read())
                .await?,
        )
    }

    /// Replace an account's replication rules (JSON).
    pub async fn put_replication_config(&self, account: &str, rules: &str) -> Result<()> {
        query(
            "INSERT INTO replication_configs (account_id, rules, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (account_id) DO UPDATE SET rules = excluded.rules,
               updated_at = excluded.updated_at",
        )
        .bind(account)
        .bind(rules)
        .bind(crate::now_millis())
        .execute(self.db.write())
        .await?;
        Ok(())
    }

    /// Ask for an image to be replicated to each destination: a new PENDING row, or the row
    /// back to PENDING with its generation raised (a copy in progress keeps its lease and runs
    /// again when it ends).
    pub async fn request_replications(
        &self,
        repo: i64,
        digest: &str,
        destinations: &[Destination],
        by: Requester<'_>,
    ) -> Result<()> {
        let now = crate::now_millis();
        let mut tx = self.db.begin().await?;
        for d in destinations {
            query(REQUEST)
                .bind(repo)
                .bind(digest)
                .bind(&d.region)
                .bind(&d.account)
                .bind(now)
                .bind(by.as_str())
                .execute(tx.conn())
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Claim the oldest replication that waits (PENDING, or IN_PROGRESS with its lease run
    /// out, or a retry whose time has come) for `owner` until `lease_until`.
    pub async fn claim_replication(
        &self,
        owner: &str,
        lease_until: i64,
    ) -> Result<Option<ReplicationJob>> {
        let now = crate::now_millis();
        let waiting = "status IN ('PENDING', 'IN_PROGRESS') AND lease_until < $3";
        let claimed: Option<(i64, String, String, String)> = query_as(&format!(
            "UPDATE replications SET status = 'IN_PROGRESS', lease_owner = $1, lease_until = $2,
               attempts = attempts + 1
             WHERE {waiting} AND (repository_id, digest, dest_region, dest_account) = (
               SELECT repository_id, digest, dest_region, dest_account FROM replications
               WHERE {waiting} ORDER BY requested_at LIMIT 1)
             RETURNING repository_id, digest, dest_region, dest_account"
        ))
        .bind(owner)
        .bind(lease_until)
        .bind(now)
        .fetch_optional(self.db.write())
        .await?;
        let Some((repo, digest, region, account)) = claimed else {
            return Ok(None);
        };
        Ok(query_as(&format!(
            "{JOB_COLUMNS} WHERE p.repository_id = $1 AND p.digest = $2
               AND p.dest_region = $3 AND p.dest_account = $4"
        ))
        .bind(repo)
        .bind(digest)
        .bind(region)
        .bind(account)
        .fetch_optional(self.db.read())
        .await?)
    }

    /// Extend the lease of a replication `owner` holds while it runs; `false` when another
    /// node has taken it over.
    pub async fn renew_replication(
        &self,
        job: &ReplicationJob,
        owner: &str,
        lease_until: i64,
    ) -> Result<bool> {
        let renewed = query(
            "UPDATE replications SET lease_until = $1
             WHERE repository_id = $2 AND digest = $3 AND dest_region = $4
               AND dest_account = $5 AND lease_owner = $6 AND status = 'IN_PROGRESS'",
        )
        .bind(lease_until)
        .bind(job.repository_id)
        .bind(&job.digest)
        .bind(&job.dest_region)
        .bind(&job.dest_account)
        .bind(owner)
        .execute(self.db.write())
        .await?;
        Ok(renewed.rows_affected() == 1)
    }

    /// Record how a claimed replication ended, and the images of backfills that waited for
    /// it. When it was asked for again meanwhile (a later generation), it waits to run again
    /// instead. `false` when `owner` no longer holds it.
    pub async fn finish_replication(
        &self,
        job: &ReplicationJob,
        owner: &str,
        outcome: &ReplicationOutcome,
    ) -> Result<bool> {
        let mut tx = self.db.begin().await?;
        let done = query(
            "UPDATE replications SET
               status = CASE WHEN generation = $1 THEN $2 ELSE 'PENDING' END,
               failure_code = $3, failure_reason = $4, completed_at = $5,
               bytes_sent = bytes_sent + $6, lease_owner = NULL, lease_until = 0
             WHERE repository_id = $7 AND digest = $8 AND dest_region = $9
               AND dest_account = $10 AND lease_owner = $11",
        )
        .bind(job.generation)
        .bind(outcome.status.as_str())
        .bind(outcome.failure_code.as_deref())
        .bind(outcome.failure_reason.as_deref())
        .bind(crate::now_millis())
        .bind(outcome.bytes_sent)
        .bind(job.repository_id)
        .bind(&job.digest)
        .bind(&job.dest_region)
        .bind(&job.dest_account)
        .bind(owner)
        .execute(tx.conn())
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        query(
            "INSERT INTO replication_outcomes (account_id, repository, digest, dest_region,
               dest_account, status, failure_code, failure_reason, bytes_sent, requested_by,
               finished_at)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, requested_by, $10 FROM replications
             WHERE repository_id = $11 AND digest = $3 AND dest_region = $4
               AND dest_account = $5",
        )
        .bind(&job.account_id)
        .bind(&job.repository)
        .bind(&job.digest)
        .bind(&job.dest_region)
        .bind(&job.dest_account)
        .bind(outcome.status.as_str())
        .bind(outcome.failure_code.as_deref())
        .bind(outcome.failure_reason.as_deref())
        .bind(outcome.bytes_sent)
        .bind(crate::now_millis())
        .bind(job.repository_id)
        .execute(tx.conn())
        .await?;
        query(
            "UPDATE backfill_images SET status = $1, failure_code = $2
             WHERE repository_id = $3 AND digest = $4 AND status = 'PENDING'
               AND backfill_id IN (SELECT id FROM replication_backfills
                 WHERE dest_region = $5 AND dest_account = $6)",
        )
        .bind(outcome.status.as_str())
        .bind(outcome.failure_code.as_deref())
        .bind(job.repository_id)
        .bind(&job.digest)
        .bind(&job.dest_region)
        .bind(&job.dest_account)
        .execute(tx.conn())
        .await?;
        settle_backfills(&mut tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// An account's replication outcomes after `after` (an outcome's `id`), oldest first, at
    /// most `limit`.
    pub async fn replication_records(
        &self,
        account: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<ReplicationRecord>> {
        Ok(query_as(
            "SELECT id, account_id, repository, digest, dest_region, dest_account, status,
               failure_code, failure_reason, bytes_sent, requested_by, finished_at
             FROM replication_outcomes WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(account)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(self.db.read())
        .await?)
    }

    /// Put a claimed replication back to wait until `retry_at`, with what went wrong.
    pub async fn retry_replication(
        &self,
        job: &ReplicationJob,
        owner: &str,
        retry_at: i64,
        failure_code: &str,
        reason: &str,
    ) -> Result<()> {
        query(
            "UPDATE replications SET status = 'PENDING', lease_owner = NULL, lease_until = $1,
               failure_code = $2, failure_reason = $3
             WHERE repository_id = $4 AND digest = $5 AND dest_region = $6
               AND dest_account = $7 AND lease_owner = $8",
        )
        .bind(retry_at)
        .bind(failure_code)
        .bind(reason)
        .bind(job.repository_id)
        .bind(&job.digest)
        .bind(&job.dest_region)
        .bind(&job.dest_account)
        .bind(owner)
        .execute(self.db.write())
        .await?;
        Ok(())
    }

    /// How an image's replications stand, by destination.
    pub async fn image_replications(
        &self,
        repo: i64,
        digest: &str,
    ) -> Result<Vec<ImageReplication>> {
        let rows: Vec<ImageReplicationRow> = query_as(
            "SELECT dest_region, dest_account, status, failure_code, failure_reason,
               requested_at, completed_at, bytes_sent
             FROM replications WHERE repository_id = $1 AND digest = $2
             ORDER BY dest_region, dest_account",
        )
        .bind(repo)
        .bind(digest)
        .fetch_all(self.db.read())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(ImageReplication {
                    destination: Destination {
                        region: r.dest_region,
                        account: r.dest_account,
                    },
                    status: status("replication", &r.status)?,
                    failure_code: r.failure_code,
                    failure_reason: r.failure_reason,
                    requested_at: r.requested_at,
                    completed_at: r.completed_at,
                    bytes_sent: r.bytes_sent,
                })
            })
            .collect()
    }

    /// Repository creation templates of an account, by prefix.
    pub async fn creation_templates(&self, account: &str) -> Result<Vec<CreationTemplate>> {
        Ok(query_as(
            "SELECT prefix, template, created_at, updated_at FROM creation_templates
             WHERE account_id = $1 ORDER BY prefix",
        )
        .bind(account)
        .fetch_all(self.db.read())
        .await?)
    }

    /// Store a new template; [`MetaError::TemplateExists`] when the prefix has one.
    pub async fn create_creation_template(
        &self,
        account: &str,
        prefix: &str,
        template: &str,
    ) -> Result<CreationTemplate> {
        let now = crate::now_millis();
        query_as(
            "INSERT INTO creation_templates (account_id, prefix, template, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (account_id, prefix) DO NOTHING
             RETURNING prefix, template, created_at, updated_at",
        )
        .bind(account)
        .bind(prefix)
        .bind(template)
        .bind(now)
        .fetch_optional(self.db.write())
        .await?
        .ok_or(MetaError::TemplateExists)
    }

    /// Replace a template's settings; [`MetaError::TemplateNotFound`] when there is none.
    pub async fn update_creation_template(
        &self,
        account: &str,
        prefix: &str,
        template: &str,
    ) -> Result<CreationTemplate> {
        query_as(
            "UPDATE creation_templates SET template = $1, updated_at = $2
             WHERE account_id = $3 AND prefix = $4
             RETURNING prefix, template, created_at, updated_at",
        )
        .bind(template)
        .bind(crate::now_millis())
        .bind(account)
        .bind(prefix)
        .fetch_optional(self.db.write())
        .await?
        .ok_or(MetaError::TemplateNotFound)
    }

    /// Delete a template, returning it; [`MetaError::TemplateNotFound`] when there is none.
    pub async fn delete_creation_template(
        &self,
        account: &str,
        prefix: &str,
    ) -> Result<CreationTemplate> {
        query_as(
            "DELETE FROM creation_templates WHERE account_id = $1 AND prefix = $2
             RETURNING prefix, template, created_at, updated_at",
        )
        .bind(account)
        .bind(prefix)
        .fetch_optional(self.db.write())
        .await?
        .ok_or(MetaError::TemplateNotFound)
    }

    /// The images of an account a backfill would copy: every manifest that is neither a
    /// child of an index in its repository (it goes with the index) nor a referrer (it goes
    /// with its subject), by repository and digest.
    pub async fn backfill_candidates(&self, account: &str) -> Result<Vec<BackfillItem>> {
        let rows: Vec<(i64, String, String)> = query_as(
            "SELECT r.id, r.name, m.digest FROM manifests m
             JOIN repositories r ON r.id = m.repository_id
             WHERE r.account_id = $1 AND m.subject_digest IS NULL
               AND NOT EXISTS (SELECT 1 FROM manifest_children c WHERE c.child_id = m.id)
             ORDER BY r.name, m.digest",
        )
        .bind(account)
        .fetch_all(self.db.read())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(repository_id, repository, digest)| BackfillItem {
                repository_id,
                repository,
                digest,
            })
            .collect())
    }

    /// Start a backfill of `images` to a destination: the backfill, its images, and a
    /// replication asked for of each, in one transaction. [`MetaError::BackfillInProgress`]
    /// when one to the same region is still going.
    pub async fn start_backfill(
        &self,
        id: &str,
        account: &str,
        destination: &Destination,
        images: &[BackfillItem],
    ) -> Result<()> {
        let now = crate::now_millis();
        let mut tx = self.db.begin().await?;
        let going: Option<String> = query_scalar(
            "SELECT id FROM replication_backfills WHERE account_id = $1 AND dest_region = $2
               AND status IN ('PREPARING', 'IN_PROGRESS', 'STOPPING')",
        )
        .bind(account)
        .bind(&destination.region)
        .fetch_optional(tx.conn())
        .await?;
        if going.is_some() {
            return Err(MetaError::BackfillInProgress);
        }
        query(
            "INSERT INTO replication_backfills (id, account_id, dest_region, dest_account,
               status, started_at)
             VALUES ($1, $2, $3, $4, 'IN_PROGRESS', $5)",
        )
        .bind(id)
        .bind(account)
        .bind(&destination.region)
        .bind(&destination.account)
        .bind(now)
        .execute(tx.conn())
        .await?;
        for image in images {
            query(
                "INSERT INTO backfill_images (backfill_id, repository_id, repository, digest,
                   status) VALUES ($1, $2, $3, $4, 'PENDING')
                 ON CONFLICT (backfill_id, repository_id, digest) DO NOTHING",
            )
            .bind(id)
            .bind(image.repository_id)
            .bind(&image.repository)
            .bind(&image.digest)
            .execute(tx.conn())
            .await?;
            query(REQUEST)
                .bind(image.repository_id)
                .bind(&image.digest)
                .bind(&destination.region)
                .bind(&destination.account)
                .bind(now)
                .bind(id)
                .execute(tx.conn())
                .await?;
        }
        settle_backfills(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stop a backfill: its images not yet copied are left out (a copy already running ends
    /// as it would), and it is STOPPED. Returns it as it stands; `None` when the account has
    /// no backfill by that id; [`MetaError::BackfillNotStoppable`] when it has ended.
    pub async fn stop_backfill(&self, account: &str, id: &str) -> Result<Option<Backfill>> {
        let mut tx = self.db.begin().await?;
        let current: Option<String> = query_scalar(
            "SELECT status FROM replication_backfills WHERE account_id = $1 AND id = $2",
        )
        .bind(account)
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
        let Some(current) = current else {
            return Ok(None);
        };
        let current: BackfillStatus = status("backfill", &current)?;
        if !current.is_going() {
            return Err(MetaError::BackfillNotStoppable(current));
        }
        query(
            "DELETE FROM replications WHERE requested_by = $1 AND status = 'PENDING'
               AND lease_owner IS NULL",
        )
        .bind(id)
        .execute(tx.conn())
        .await?;
        query(
            "UPDATE backfill_images SET status = 'STOPPED'
             WHERE backfill_id = $1 AND status = 'PENDING' AND NOT EXISTS (
               SELECT 1 FROM replications p, replication_backfills b
               WHERE b.id = backfill_images.backfill_id
                 AND p.repository_id = backfill_images.repository_id
                 AND p.digest = backfill_images.digest AND p.dest_region = b.dest_region
                 AND p.dest_account = b.dest_account AND p.status IN ('PENDING', 'IN_PROGRESS'))",
        )
        .bind(id)
        .execute(tx.conn())
        .await?;
        query("UPDATE replication_backfills SET status = 'STOPPING' WHERE id = $1")
            .bind(id)
            .execute(tx.conn())
            .await?;
        settle_backfills(&mut tx).await?;
        tx.commit().await?;
        self.backfill(account, id).await
    }

    /// An account's backfill, with its progress.
    pub async fn backfill(&self, account: &str, id: &str) -> Result<Option<Backfill>> {
        let row: Option<BackfillRow> = query_as(&format!(
            "{BACKFILL_COLUMNS} WHERE b.account_id = $1 AND b.id = $2"
        ))
        .bind(account)
        .bind(id)
        .fetch_optional(self.db.read())
        .await?;
        match row {
            Some(r) => Ok(Some(self.backfill_of(r).await?)),
            None => Ok(None),
        }
    }

    /// An account's backfills, the latest first.
    pub async fn backfills(&self, account: &str) -> Result<Vec<Backfill>> {
        let rows: Vec<BackfillRow> = query_as(&format!(
            "{BACKFILL_COLUMNS} WHERE b.account_id = $1 ORDER BY b.started_at DESC, b.id"
        ))
        .bind(account)
        .fetch_all(self.db.read())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.backfill_of(r).await?);
        }
        Ok(out)
    }

    async fn backfill_of(&self, r: BackfillRow) -> Result<Backfill> {
        let failure_codes: Vec<String> = query_scalar(
            "SELECT DISTINCT failure_code FROM backfill_images
             WHERE backfill_id = $1 AND failure_code IS NOT NULL ORDER BY failure_code",
        )
        .bind(&r.id)
        .fetch_all(self.db.read())
        .await?;
        Ok(Backfill {
            status: status("backfill", &r.status)?,
            id: r.id,
            account_id: r.account_id,
            destination: Destination {
                region: r.dest_region,
                account: r.dest_account,
            },
            failure_code: r.failure_code,
            started_at: r.started_at,
            ended_at: r.ended_at,
            total: r.total,
            completed: r.completed,
            failed: r.failed,
            failure_codes,
        })
    }

    /// The images of a backfill and how each copy ended (`only`: COMPLETE or FAILED ones).
    pub async fn backfill_images(
        &self,
        id: &str,
        only: Option<ReplicationStatus>,
    ) -> Result<Vec<BackfillImage>> {
        let columns = "SELECT repository, digest, status, failure_code FROM backfill_images";
        let order = "ORDER BY repository, digest";
        let rows = match only {
            Some(only) => {
                query_as(&format!(
                    "{columns} WHERE backfill_id = $1 AND status = $2 {order}"
                ))
                .bind(id)
                .bind(only.as_str())
                .fetch_all(self.db.read())
                .await?
            }
            None => {
                query_as(&format!("{columns} WHERE backfill_id = $1 {order}"))
                    .bind(id)
                    .fetch_all(self.db.read())
                    .await?
            }
        };
        Ok(rows)
    }
}

/// Backfills with no image left to copy end: COMPLETE, or STOPPED when they were stopping.
async fn settle_backfills(tx: &mut crate::db::Tx) -> Result<()> {
    query(
        "UPDATE replication_backfills SET
           status = CASE WHEN status = 'STOPPING' THEN 'STOPPED' ELSE 'COMPLETE' END,
           ended_at = $1
         WHERE status IN ('IN_PROGRESS', 'STOPPING') AND NOT EXISTS (
           SELECT 1 FROM backfill_images i
           WHERE i.backfill_id = replication_backfills.id AND i.status = 'PENDING')",
    )
    .bind(crate::now_millis())
    .execute(tx.conn())
    .await?;
    Ok(())
}
