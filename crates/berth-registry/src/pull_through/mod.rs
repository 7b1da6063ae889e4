//! The pull-through cache: repositories whose images come from an upstream registry on first
//! pull. `rules` holds which prefixes are caches of which upstream; `import` fetches an image
//! and stores it as an ordinary one.

mod import;
pub mod rules;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use berth_client::upstream::{Login, Upstream};
use berth_meta::CacheRule;
use futures_util::future::BoxFuture;

use crate::{Registry, Result};

/// How long a read of the rules is used (another node's change is seen within it).
const RULES_TTL: Duration = Duration::from_secs(5);
/// How long a cached tag is served before the upstream is asked again what it names (ECR
/// re-checks within 24 hours).
pub const DEFAULT_TAG_TTL: Duration = Duration::from_secs(24 * 3600);

/// Reads the login a rule's secret holds (Secrets Manager lives with IAM): set by the server.
pub trait UpstreamLogins: Send + Sync {
    fn login<'a>(
        &'a self,
        account: &'a str,
        secret_arn: &'a str,
    ) -> BoxFuture<'a, std::result::Result<Login, String>>;
}

/// An account's rules, and when they were read.
type RulesRead = (Instant, Arc<Vec<CacheRule>>);
/// An upstream's URL and the secret of its login.
type UpstreamKey = (String, Option<String>);

/// The pull-through cache's state on a node.
pub struct PullThrough {
    rules: Mutex<HashMap<String, RulesRead>>,
    /// A client per upstream and login, so that Bearer tokens are reused.
    clients: Mutex<HashMap<UpstreamKey, Arc<Upstream>>>,
    /// One import at a time per image (account, repository, reference), in the process and
    /// across a cluster (the blob locks' mechanism, under keys of their own): concurrent pulls
    /// of an uncached image wait for the first one's import, then find it stored.
    importing: crate::locks::BlobLocks,
    /// When each cached tag was last checked against its upstream.
    checked: Mutex<HashMap<(i64, String), Instant>>,
    tag_ttl: Mutex<Duration>,
    logins: OnceLock<Box<dyn UpstreamLogins>>,
}

impl Default for PullThrough {
    fn default() -> Self {
        PullThrough {
            rules: Mutex::default(),
            clients: Mutex::default(),
            importing: crate::locks::BlobLocks::default(),
            checked: Mutex::default(),
            tag_ttl: Mutex::new(DEFAULT_TAG_TTL),
            logins: OnceLock::new(),
        }
    }
}

impl PullThrough {
    /// Read rules' secrets with `logins` (set once, by the server).
    pub fn set_logins(&self, logins: impl UpstreamLogins + 'static) {
        let _ = self.logins.set(Box::new(logins));
    }

    /// Re-check cached tags against their upstream after `ttl`.
    pub fn set_tag_ttl(&self, ttl: Duration) {
        *self.tag_ttl.lock().unwrap_or_else(|p| p.into_inner()) = ttl;
    }

    fn tag_ttl(&self) -> Duration {
        *self.tag_ttl.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn forget_rules(&self, account: &str) {
        self.rules
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(account);
    }

    /// Whether tag `tag` of repository `repo` was checked within the TTL.
    fn fresh(&self, repo: i64, tag: &str) -> bool {
        let ttl = self.tag_ttl();
        self.checked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(repo, tag.to_string()))
            .is_some_and(|at| at.elapsed() < ttl)
    }

    fn mark_checked(&self, repo: i64, tag: &str) {
        let mut checked = self.checked.lock().unwrap_or_else(|p| p.into_inner());
        if checked.len() > 100_000 {
            checked.clear();
        }
        checked.insert((repo, tag.to_string()), Instant::now());
    }
}

impl Registry {
    /// The pull-through cache's state (for the server's wiring).
    pub fn pull_through(&self) -> &PullThrough {
        &self.pull_through
    }

    /// An account's rules, as read within the last few seconds.
    async fn cached_rules(&self, account: &str) -> Result<Arc<Vec<CacheRule>>> {
        {
            let rules = self
                .pull_through
                .rules
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some((at, r)) = rules.get(account) {
                if at.elapsed() < RULES_TTL {
                    return Ok(r.clone());
                }
            }
        }
        let fresh = Arc::new(self.meta.cache_rules(account).await?);
        self.pull_through
            .rules
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(account.to_string(), (Instant::now(), fresh.clone()));
        Ok(fresh)
    }

    /// Refuse a push into a cache repository: its images come from the upstream, as ECR has it.
    pub async fn refuse_push_into_cache(&self, account: &str, name: &str) -> Result<()> {
        if self.cache_rule_of(account, name).await?.is_some() {
            return Err(crate::RegistryError::PushIntoCache(name.to_string()));
        }
        Ok(())
    }

    /// The rule that makes repository `name` of `account` a cache, and its upstream
    /// repository; `None` for an ordinary repository.
    pub async fn cache_rule_of(
        &self,
        account: &str,
        name: &str,
    ) -> Result<Option<(CacheRule, String)>> {
        let rules = self.cached_rules(account).await?;
        Ok(rules::rule_for(&rules, name).map(|(r, up)| (r.clone(), up)))
    }
}
