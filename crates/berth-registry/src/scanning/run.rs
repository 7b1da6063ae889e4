//! Asking for scans and running them: StartImageScan and scan on push put a scan in the
//! queue; `scan_next` claims one, reads the image's layers as streams (or its stored
//! inventory, when the image was read before), matches the packages, and records the findings.

use std::sync::Arc;

use berth_meta::{ImageScan, Repository, ScanJob, ScanOutcome, ScanStatus};
use berth_oci::{Digest, RepositoryName};
use berth_scan::matcher::findings;
use berth_scan::Finding;

use super::config::{RegistryScanning, ScanFrequency, ScanType};
use super::descriptions;
use super::inventory::Failure;
use crate::{Registry, RegistryError, Result};

/// How long a claimed scan is held before another node may take it over (a node that dies
/// mid-scan loses it this long after its last renewal); renewed every third of it while it runs.
const LEASE_MS: i64 = 30_000;
/// Scans whose layers cannot be read are tried this many times in all.
const ATTEMPTS: i64 = 3;
/// A manual scan of an image once per this period (BASIC scanning).
const MANUAL_PERIOD_MS: i64 = 24 * 3600 * 1000;

impl Registry {
    /// An account's registry scanning configuration.
    pub async fn registry_scanning(&self, account: &str) -> Result<RegistryScanning> {
        let Some((scan_type, rules)) = self.meta.registry_scanning(account).await? else {
            return Ok(RegistryScanning::default());
        };
        let corrupt = |what: &str| RegistryError::Internal(format!("stored scanning {what}"));
        Ok(RegistryScanning {
            scan_type: ScanType::parse(&scan_type).ok_or_else(|| corrupt("type"))?,
            rules: serde_json::from_str(&rules).map_err(|_| corrupt("rules"))?,
        })
    }

    pub async fn put_registry_scanning(&self, account: &str, c: &RegistryScanning) -> Result<()> {
        let rules =
            serde_json::to_string(&c.rules).map_err(|e| RegistryError::Internal(e.to_string()))?;
        self.meta
            .put_registry_scanning(account, c.scan_type.as_str(), &rules)
            .await?;
        self.scanner.cache_config(account, c);
        Ok(())
    }

    /// Ask for a scan of an image (`manual`: StartImageScan, once per image in 24 hours with
    /// BASIC scanning).
    pub async fn start_image_scan(
        &self,
        account: &str,
        name: &RepositoryName,
        digest: &Digest,
        manual: bool,
    ) -> Result<ImageScan> {
        let repo = self.repository(account, name).await?;
        let found = self
            .meta
            .manifest_by_digest_name(account, name.as_str(), digest, false)
            .await?;
        if !matches!(found, Some(Some(_))) {
            return Err(RegistryError::ImageNotFound {
                digest: digest.to_string(),
                repository: name.to_string(),
                account: account.to_string(),
            });
        }
        if manual {
            let basic = self.registry_scanning(account).await?.scan_type == ScanType::Basic;
            let now = berth_meta::now_millis();
            let previous = self.meta.image_scan(repo.id, &digest.to_string()).await?;
            if basic
                && previous
                    .and_then(|s| s.manual_at)
                    .is_some_and(|t| now - t < MANUAL_PERIOD_MS)
            {
                return Err(RegistryError::ScanLimitExceeded);
            }
        }
        self.meta
            .request_scan(repo.id, &digest.to_string(), manual)
            .await?;
        self.scanner.wake();
        self.meta
            .image_scan(repo.id, &digest.to_string())
            .await?
            .ok_or_else(|| RegistryError::Internal("a requested scan is missing".into()))
    }

    /// An image's scan (`None`: never scanned).
    pub async fn image_scan(
        &self,
        account: &str,
        name: &RepositoryName,
        digest: &Digest,
    ) -> Result<Option<ImageScan>> {
        let repo = self.repository(account, name).await?;
        Ok(self.meta.image_scan(repo.id, &digest.to_string()).await?)
    }

    /// The scans of a repository's images.
    pub async fn image_scans(
        &self,
        account: &str,
        name: &RepositoryName,
    ) -> Result<Vec<ImageScan>> {
        let repo = self.repository(account, name).await?;
        Ok(self.meta.image_scans(repo.id).await?)
    }

    /// After a push: a scan when the repository scans on push, or the account's rules say so.
    pub(crate) async fn scan_on_push(&self, repo: &Repository, digest: &Digest) -> Result<()> {
        let by_rules = || async {
            let config = match self.scanner.cached_config(&repo.account_id) {
                Some(c) => c,
                None => {
                    let c = self.registry_scanning(&repo.account_id).await?;
                    self.scanner.cache_config(&repo.account_id, &c);
                    c
                }
            };
            Ok::<_, RegistryError>(config.frequency(&repo.name).is_some())
        };
        if repo.scan_on_push || by_rules().await? {
            self.meta
                .request_scan(repo.id, &digest.to_string(), false)
                .await?;
            self.scanner.wake();
        }
        Ok(())
    }

    /// After new vulnerability data: every completed scan of a repository that a
    /// CONTINUOUS_SCAN rule covers is asked for again (from its stored inventory).
    pub(crate) async fn rescan_continuous(&self) -> Result<()> {
        let mut configs: std::collections::HashMap<String, RegistryScanning> = Default::default();
        let mut asked = 0;
        for job in self.meta.completed_scans().await? {
            if !configs.contains_key(&job.account_id) {
                let c = self.registry_scanning(&job.account_id).await?;
                configs.insert(job.account_id.clone(), c);
            }
            let continuous = configs
                .get(&job.account_id)
                .and_then(|c| c.frequency(&job.repository))
                == Some(ScanFrequency::Continuous);
            if continuous {
                self.meta
                    .request_scan(job.repository_id, &job.digest, false)
                    .await?;
                asked += 1;
            }
        }
        if asked > 0 {
            tracing::info!(scans = asked, "continuous rescans asked for after new data");
            self.scanner.wake();
        }
        Ok(())
    }

    /// Claim one waiting scan and run it: `false` when none waits.
    pub async fn scan_next(self: &Arc<Self>, owner: &str) -> Result<bool> {
        let lease = berth_meta::now_millis() + LEASE_MS;
        let Some(job) = self.meta.claim_scan(owner, lease).await? else {
            return Ok(false);
        };
        tracing::info!(repository = %job.repository, digest = %job.digest, attempt = job.attempts, "scan started");
        let data = self.scanner.data();
        let heartbeat = self.renew_while_running(&job, owner);
        let scanned = self.scan_image(&job, &data.db).await;
        heartbeat.abort();
        let outcome = match scanned {
            Ok((found, unscanned)) => ScanOutcome {
                status: ScanStatus::Complete,
                description: Some(descriptions::complete(&unscanned)),
                findings: Some(
                    serde_json::to_string(&found)
                        .map_err(|e| RegistryError::Internal(e.to_string()))?,
                ),
                data_updated_at: data.updated_at,
            },
            Err(Failure::Unsupported) => ScanOutcome {
                status: ScanStatus::UnsupportedImage,
                description: Some(descriptions::UNSUPPORTED.into()),
                findings: None,
                data_updated_at: data.updated_at,
            },
            Err(Failure::Content(why)) => ScanOutcome {
                status: ScanStatus::Failed,
                description: Some(why),
                findings: None,
                data_updated_at: data.updated_at,
            },
            Err(Failure::Transient(why)) if job.attempts < ATTEMPTS => {
                tracing::warn!(digest = %job.digest, attempt = job.attempts, error = %why, "scan will be retried");
                let retry_at = berth_meta::now_millis() + 1000 * (1 << job.attempts.min(6));
                self.meta
                    .retry_scan(job.repository_id, &job.digest, owner, retry_at, &why)
                    .await?;
                return Ok(true);
            }
            Err(Failure::Transient(why)) => ScanOutcome {
                status: ScanStatus::Failed,
                description: Some(format!("The image could not be read: {why}")),
                findings: None,
                data_updated_at: data.updated_at,
            },
        };
        let recorded = self
            .meta
            .finish_scan(job.repository_id, &job.digest, owner, &outcome)
            .await?;
        tracing::info!(repository = %job.repository, digest = %job.digest, status = %outcome.status, recorded, "scan finished");
        Ok(true)
    }

    /// A task that renews the job's lease until aborted.
    fn renew_while_running(&self, job: &ScanJob, owner: &str) -> tokio::task::JoinHandle<()> {
        let meta = self.meta.clone();
        let (repo, digest, owner) = (job.repository_id, job.digest.clone(), owner.to_string());
        tokio::spawn(async move {
            let every = std::time::Duration::from_millis(LEASE_MS as u64 / 3);
            loop {
                tokio::time::sleep(every).await;
                let until = berth_meta::now_millis() + LEASE_MS;
                match meta.renew_scan(repo, &digest, &owner, until).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => tracing::warn!(error = %e, %digest, "renewing a scan's lease failed"),
                }
            }
        })
    }

    /// The findings of an image (an index: of every image it lists), and the package
    /// databases it has that could not be read.
    async fn scan_image(
        &self,
        job: &ScanJob,
        db: &berth_scan::vulndb::Database,
    ) -> std::result::Result<(Vec<Finding>, Vec<String>), Failure> {
        let mut found = Vec::new();
        let mut unscanned = Vec::new();
        for inventory in self
            .inventories(&job.account_id, &job.repository, &job.digest)
            .await?
        {
            found.extend(findings(db, &inventory));
            unscanned.extend(inventory.unscanned);
        }
        found.sort_by(|a, b| (&a.name, &a.package).cmp(&(&b.name, &b.package)));
        found.dedup_by(|a, b| a.name == b.name && a.package == b.package);
        unscanned.sort();
        unscanned.dedup();
        Ok((found, unscanned))
    }
}
