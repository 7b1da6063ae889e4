//! Running replications: a node claims one with a lease, renews the lease while it copies (a
//! node that dies loses it, and another node takes the replication over), and records how it
//! ended. A failure that may pass (a peer down, a database hiccup) is retried with backoff
//! for about a day; one that needs someone to act (a policy) ends FAILED.

use std::sync::Arc;
use std::time::Duration;

use berth_client::Client;
use berth_meta::Destination;

use berth_meta::{ReplicationJob, ReplicationOutcome};
use berth_oci::{Digest, RepositoryName};

use super::copy::Copied;
use super::failure::{Failure, FailureCode};
use super::targets::{Local, Peer, REPLICATION_HEADER};
use berth_meta::ReplicationStatus;

use crate::{Registry, Result};

/// How long a claim holds without renewal.
const LEASE: Duration = Duration::from_secs(30);
/// How often a running replication renews its lease.
const RENEW: Duration = Duration::from_secs(10);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Attempts before a transient failure is final: with the backoff capped at a minute, about
/// a day.
const MAX_ATTEMPTS: i64 = 1_450;

fn millis_from_now(d: Duration) -> i64 {
    berth_meta::now_millis() + d.as_millis() as i64
}

/// The wait before attempt `attempts + 1`: 1 s, 2 s, 4 s … up to a minute.
fn backoff(attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 7) - 1;
    Duration::from_secs(1 << exp).min(MAX_BACKOFF)
}

impl Registry {
    /// Run one waiting replication as `node`; `false` when none waits.
    pub async fn replicate_next(&self, node: &str) -> Result<bool> {
        let Some(job) = self
            .meta
            .claim_replication(node, millis_from_now(LEASE))
            .await?
        else {
            return Ok(false);
        };
        tracing::info!(repository = %job.repository, digest = %job.digest,
            region = %job.dest_region, account = %job.dest_account, attempt = job.attempts,
            node, "replication started");
        let renew = async {
            loop {
                tokio::time::sleep(RENEW).await;
                match self
                    .meta
                    .renew_replication(&job, node, millis_from_now(LEASE))
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => tracing::warn!(error = %e, "renewing a replication's lease"),
                }
            }
        };
        let copied = tokio::select! {
            r = self.replicate(&job) => r,
            _ = renew => {
                tracing::warn!(digest = %job.digest, region = %job.dest_region, "replication taken over by another node");
                return Ok(true);
            }
        };
        self.record(&job, node, copied).await?;
        Ok(true)
    }

    async fn record(
        &self,
        job: &ReplicationJob,
        node: &str,
        copied: std::result::Result<Copied, Failure>,
    ) -> Result<()> {
        let outcome = match copied {
            Ok(c) => {
                tracing::info!(repository = %job.repository, digest = %job.digest,
                    region = %job.dest_region, account = %job.dest_account,
                    bytes = c.bytes, manifests = c.manifests, "replicated");
                ReplicationOutcome {
                    status: ReplicationStatus::Complete,
                    failure_code: None,
                    failure_reason: None,
                    bytes_sent: c.bytes as i64,
                }
            }
            Err(f) if f.transient && job.attempts < MAX_ATTEMPTS => {
                let wait = backoff(job.attempts);
                tracing::info!(repository = %job.repository, digest = %job.digest,
                    region = %job.dest_region, account = %job.dest_account,
                    reason = %f.reason, retry_in_ms = wait.as_millis() as u64, "replication will be retried");
                self.meta
                    .retry_replication(job, node, millis_from_now(wait), f.code.as_str(), &f.reason)
                    .await?;
                return Ok(());
            }
            Err(f) => {
                tracing::warn!(repository = %job.repository, digest = %job.digest,
                    region = %job.dest_region, account = %job.dest_account,
                    code = f.code.as_str(), reason = %f.reason, "replication failed");
                ReplicationOutcome {
                    status: ReplicationStatus::Failed,
                    failure_code: Some(f.code.as_str().to_string()),
                    failure_reason: Some(f.reason),
                    bytes_sent: 0,
                }
            }
        };
        self.meta.finish_replication(job, node, &outcome).await?;
        Ok(())
    }

    /// Copy the job's image to its destination.
    async fn replicate(&self, job: &ReplicationJob) -> std::result::Result<Copied, Failure> {
        let corrupt = |what: &str| {
            Failure::new(
                FailureCode::InternalError,
                format!("stored {what} unreadable"),
            )
        };
        let digest: Digest = job.digest.parse().map_err(|_| corrupt("digest"))?;
        let name: RepositoryName = job
            .repository
            .parse()
            .map_err(|_| corrupt("repository name"))?;
        let exists = self
            .meta
            .manifest_by_digest_name(&job.account_id, name.as_str(), &digest, false)
            .await?
            .flatten()
            .is_some();
        let config = self.cached_configuration(&job.account_id).await?;
        let destination = Destination {
            region: job.dest_region.clone(),
            account: job.dest_account.clone(),
        };
        let deletes = config.deletes_replicate(name.as_str(), &destination);
        if !exists {
            return self.replicate_deletion(job, &name, &digest, deletes).await;
        }
        let image = self
            .replicated_image(&job.account_id, &name, job.repository_id, &digest)
            .await?;
        if job.dest_region == self.config.region {
            let target = Local::open(self, &job.account_id, &job.dest_account, &name).await?;
            return image.copy_to(&target, deletes).await;
        }
        let client = self.peer_of(job)?;
        let target = Peer {
            repo: client
                .repository(Some(&job.dest_account), name.as_str())
                .with_header(REPLICATION_HEADER, &self.config.region),
            registry: self,
        };
        image.copy_to(&target, deletes).await
    }

    fn peer_of(&self, job: &ReplicationJob) -> std::result::Result<Arc<Client>, Failure> {
        self.replicator.peer(&job.dest_region).ok_or_else(|| {
            Failure::new(
                FailureCode::DestinationNotConfigured,
                format!("region {} is not a peer with credentials", job.dest_region),
            )
        })
    }

    /// The image is gone from the source: deleted at the destination when the rule
    /// replicates deletes, else the replication fails.
    async fn replicate_deletion(
        &self,
        job: &ReplicationJob,
        name: &RepositoryName,
        digest: &Digest,
        deletes: bool,
    ) -> std::result::Result<Copied, Failure> {
        if !deletes {
            return Err(Failure::new(
                FailureCode::ImageNotFound,
                format!("{name}@{digest} is no longer in the source repository"),
            ));
        }
        if job.dest_region == self.config.region {
            Local::delete(self, &job.account_id, &job.dest_account, name, digest).await?;
        } else {
            let client = self.peer_of(job)?;
            client
                .repository(Some(&job.dest_account), name.as_str())
                .with_header(REPLICATION_HEADER, &self.config.region)
                .delete_manifest(&digest.to_string())
                .await?;
        }
        tracing::info!(repository = %job.repository, %digest, region = %job.dest_region,
            account = %job.dest_account, "deletion replicated");
        Ok(Copied::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_minute() {
        let waits: Vec<u64> = (1..=9).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(backoff(0).as_secs(), 1);
    }
}
