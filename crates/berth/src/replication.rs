//! Replication and the pull-through cache on a node: clients of the peer regions (signed with the access key of each
//! region's profile in `--peer-credentials`), the registry-policy check of cross-account
//! replications, and the workers that run replications (any node of a cluster may claim any).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use berth_client::upstream::Login;
use berth_client::{Client, ClientOptions};
use berth_iam::Iam;
use berth_registry::pull_through::UpstreamLogins;
use berth_registry::replication::RegistryPolicyCheck;
use berth_registry::Registry;
use futures_util::future::BoxFuture;
use tokio::sync::watch;

use crate::Config;

/// Replications a node runs at once (copies wait on the network and the peer, not the CPU).
const WORKERS: usize = 4;

/// Give the registry a client of every peer that has credentials, IAM's registry-policy
/// check, and the pull-through cache's reader of upstream logins (Secrets Manager's secrets).
pub fn wire(config: &Config, registry: &Registry, iam: Arc<Iam>) -> anyhow::Result<()> {
    registry
        .replicator()
        .set_policy_check(PolicyCheck(Arc::downgrade(&iam)));
    registry
        .pull_through()
        .set_logins(Logins(Arc::downgrade(&iam)));
    registry
        .pull_through()
        .set_tag_ttl(config.pull_through_tag_ttl);
    if config.peers.is_empty() {
        return Ok(());
    }
    let profiles = match &config.peer_credentials {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            berth_client::credentials::parse_profiles(&text)
                .with_context(|| format!("reading {}", path.display()))?
        }
        None => Default::default(),
    };
    for peer in &config.peers {
        let Some(credentials) = profiles.get(&peer.region) else {
            tracing::warn!(region = %peer.region, "no credentials for this peer (a [{}] profile in --peer-credentials): replications to it fail", peer.region);
            continue;
        };
        let client = Client::new(
            &peer.url,
            &peer.region,
            credentials.clone(),
            &ClientOptions::default(),
        )
        .with_context(|| format!("--peer {}={}", peer.region, peer.url))?;
        registry.replicator().set_peer(&peer.region, client);
    }
    Ok(())
}

/// IAM's answer to "may account A replicate into account B's repository".
struct PolicyCheck(std::sync::Weak<Iam>);

impl RegistryPolicyCheck for PolicyCheck {
    fn allows<'a>(
        &'a self,
        source: &'a str,
        dest: &'a str,
        region: &'a str,
        repository: &'a str,
        action: &'a str,
    ) -> BoxFuture<'a, Result<bool, String>> {
        Box::pin(async move {
            let iam = self.0.upgrade().ok_or("the server is stopping")?;
            iam.registry_policy_allows(source, dest, region, repository, action)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// The login a pull-through cache rule's secret holds.
struct Logins(std::sync::Weak<Iam>);

impl UpstreamLogins for Logins {
    fn login<'a>(
        &'a self,
        account: &'a str,
        secret_arn: &'a str,
    ) -> BoxFuture<'a, Result<Login, String>> {
        Box::pin(async move {
            let iam = self.0.upgrade().ok_or("the server is stopping")?;
            let l = iam
                .upstream_login(account, secret_arn)
                .await
                .map_err(|e| e.to_string())?;
            Ok(Login {
                username: l.username,
                password: l.access_token,
            })
        })
    }
}

/// Start the node's replication workers.
pub fn spawn_workers(registry: &Arc<Registry>, node: &str, stopped: &watch::Receiver<bool>) {
    for i in 0..WORKERS {
        tokio::spawn(worker(
            registry.clone(),
            format!("{node}/{i}"),
            stopped.clone(),
        ));
    }
}

/// Run replications until stopped; between them, sleep until one is asked for on this node
/// or a second passes (other nodes' requests and retries that come due are seen within it).
async fn worker(registry: Arc<Registry>, node: String, mut stopped: watch::Receiver<bool>) {
    loop {
        if *stopped.borrow() {
            return;
        }
        match registry.replicate_next(&node).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "replication worker"),
        }
        tokio::select! {
            _ = registry.replicator().woken() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stopped.changed() => return,
        }
    }
}
