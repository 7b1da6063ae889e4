//! Replication of images to other regions (other Berth installations, its peers) and other
//! accounts: each account's configuration, the replications a push asks for, their status.

mod backfill;
pub mod config;
mod copy;
pub mod failure;
mod targets;
mod worker;

pub use targets::REPLICATION_HEADER;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use berth_client::Client;
use berth_meta::{Destination, ImageReplication, Repository, Requester};
use berth_oci::{Digest, RepositoryName};
use config::ReplicationConfiguration;
use failure::{Failure, FailureCode};
use futures_util::future::BoxFuture;
use tokio::sync::Notify;

use crate::{Registry, RegistryError, Result};

/// How long a configuration read is used for pushes (another node's change is seen within it).
const CONFIG_TTL: Duration = Duration::from_secs(5);

/// Who stored a manifest: a client, or a replication arriving from another region or account
/// (which is never replicated again: no loops between regions that replicate to each other).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOrigin {
    Client,
    Replication,
}

/// Decides, by a destination account's registry policy, what another account of this
/// installation may do there (`ecr:ReplicateImage`, `ecr:CreateRepository`): set by the server,
/// which holds IAM.
pub trait RegistryPolicyCheck: Send + Sync {
    fn allows<'a>(
        &'a self,
        source: &'a str,
        dest: &'a str,
        region: &'a str,
        repository: &'a str,
        action: &'a str,
    ) -> BoxFuture<'a, std::result::Result<bool, String>>;
}

/// The replication state of a registry.
#[derive(Default)]
pub struct Replicator {
    /// Woken when a replication is asked for.
    wake: Notify,
    configs: Mutex<HashMap<String, (Instant, ReplicationConfiguration)>>,
    /// A client of each peer region that has credentials.
    peers: RwLock<HashMap<String, Arc<Client>>>,
    policy: OnceLock<Box<dyn RegistryPolicyCheck>>,
}

impl Replicator {
    /// Replicate to `region` through `client` (the peer's endpoint, with its credentials).
    pub fn set_peer(&self, region: &str, client: Client) {
        let mut peers = self.peers.write().unwrap_or_else(|p| p.into_inner());
        peers.insert(region.to_string(), Arc::new(client));
    }

    fn peer(&self, region: &str) -> Option<Arc<Client>> {
        let peers = self.peers.read().unwrap_or_else(|p| p.into_inner());
        peers.get(region).cloned()
    }

    /// Decide cross-account replications with `check` (set once, by the server).
    pub fn set_policy_check(&self, check: impl RegistryPolicyCheck + 'static) {
        let _ = self.policy.set(Box::new(check));
    }

    /// Whether `dest`'s registry policy lets account `source` do `action` on `repository`;
    /// without a check (a registry used without IAM), no.
    async fn registry_policy_allows(
        &self,
        source: &str,
        dest: &str,
        region: &str,
        repository: &str,
        action: &str,
    ) -> std::result::Result<bool, Failure> {
        match self.policy.get() {
            None => Ok(false),
            Some(check) => check
                .allows(source, dest, region, repository, action)
                .await
                .map_err(|e| Failure::transient(FailureCode::InternalError, e)),
        }
    }

    /// Wake the workers waiting for replications.
    pub fn wake(&self) {
        self.wake.notify_waiters();
    }

    /// Wait until woken.
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    fn cached(&self, account: &str) -> Option<ReplicationConfiguration> {
        let configs = self.configs.lock().unwrap_or_else(|p| p.into_inner());
        configs
            .get(account)
            .filter(|(at, _)| at.elapsed() < CONFIG_TTL)
            .map(|(_, c)| c.clone())
    }

    fn cache(&self, account: &str, config: &ReplicationConfiguration) {
        let mut configs = self.configs.lock().unwrap_or_else(|p| p.into_inner());
        configs.insert(account.to_string(), (Instant::now(), config.clone()));
    }
}

impl Registry {
    /// An account's replication configuration (no rules when it set none).
    pub async fn replication_configuration(
        &self,
        account: &str,
    ) -> Result<ReplicationConfiguration> {
        match self.meta.replication_config(account).await? {
            None => Ok(ReplicationConfiguration::default()),
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| RegistryError::Internal(format!("stored replication rules: {e}"))),
        }
    }

    /// Replace an account's replication configuration, validated as ECR validates it (its
    /// destination regions must be this one or its peers).
    pub async fn put_replication_configuration(
        &self,
        account: &str,
        config: &ReplicationConfiguration,
    ) -> Result<()> {
        config
            .validate(account, &self.config.region, &self.config.peer_regions)
            .map_err(RegistryError::ReplicationConfig)?;
        let text =
            serde_json::to_string(config).map_err(|e| RegistryError::Internal(e.to_string()))?;
        self.meta.ensure_account(account).await?;
        self.meta.put_replication_config(account, &text).await?;
        self.replicator.cache(account, config);
        Ok(())
    }

    /// The account's configuration, as read within the last few seconds.
    async fn cached_configuration(&self, account: &str) -> Result<ReplicationConfiguration> {
        if let Some(c) = self.replicator.cached(account) {
            return Ok(c);
        }
        let c = self.replication_configuration(account).await?;
        self.replicator.cache(account, &c);
        Ok(c)
    }

    /// After a client's push (a manifest, or a tag moved to it): a replication to every
    /// destination of the account's rules that cover the repository. Never waited for.
    pub(crate) async fn replicate_on_push(&self, repo: &Repository, digest: &Digest) -> Result<()> {
        let config = self.cached_configuration(&repo.account_id).await?;
        let destinations = config.destinations_of(&repo.name);
        self.request(repo.id, digest, &destinations).await
    }

    /// After an image was deleted (by a client or a lifecycle policy): its deletion at the
    /// destinations whose rule replicates deletes (`deleteReplication`, off unless asked for,
    /// as ECR does not replicate deletes). The replication finds the image gone and deletes
    /// it at the destination. A failure to ask is logged, not the delete's.
    pub(crate) async fn replicate_delete(
        &self,
        account: &str,
        repo: i64,
        name: &str,
        digest: &Digest,
    ) {
        let asked = async {
            let config = self.cached_configuration(account).await?;
            let destinations: Vec<_> = config
                .destinations_of(name)
                .into_iter()
                .filter(|d| config.deletes_replicate(name, d))
                .collect();
            self.request(repo, digest, &destinations).await
        };
        if let Err(e) = asked.await {
            tracing::warn!(error = %e, %digest, "the deletion's replication could not be asked for");
        }
    }

    async fn request(
        &self,
        repo: i64,
        digest: &Digest,
        destinations: &[Destination],
    ) -> Result<()> {
        if destinations.is_empty() {
            return Ok(());
        }
        self.meta
            .request_replications(repo, &digest.to_string(), destinations, Requester::Push)
            .await?;
        self.replicator.wake();
        Ok(())
    }

    /// How an image's replications stand, by destination.
    pub async fn image_replications(
        &self,
        account: &str,
        name: &RepositoryName,
        digest: &Digest,
    ) -> Result<Vec<ImageReplication>> {
        let repo = self.repository(account, name).await?;
        Ok(self
            .meta
            .image_replications(repo.id, &digest.to_string())
            .await?)
    }

    /// The replication state (for the workers).
    pub fn replicator(&self) -> &Replicator {
        &self.replicator
    }
}
