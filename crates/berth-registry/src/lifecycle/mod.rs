//! Lifecycle policies: stored per repository, previewed without changing anything, and run on a
//! schedule or on demand. A run expires what the policy selects (the image and all its tags) and
//! records each expiry (who ran it, which image, which rule) in the database and the log.
//! Blobs are left to the garbage collector.

pub mod policy;

use berth_meta::{ImageDeletion, LifecycleEvent, LifecyclePreview};
use berth_oci::{Digest, RepositoryName};
use serde::{Deserialize, Serialize};

use crate::{Registry, RegistryError, Result};
use policy::{evaluate, Candidate, LifecyclePolicy};

/// An image a policy expires (or, in a preview, would).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Planned {
    pub digest: String,
    pub tags: Vec<String>,
    /// Epoch milliseconds.
    pub pushed_at: i64,
    pub media_type: String,
    pub rule_priority: u64,
}

/// A stored preview.
#[derive(Debug, Clone)]
pub struct Preview {
    pub policy: String,
    pub status: String,
    pub results: Vec<Planned>,
}

/// What one run of one repository's policy did.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub account: String,
    pub repository: String,
    pub expired: Vec<Planned>,
}

impl Registry {
    fn policy_not_found(account: &str, name: &RepositoryName) -> RegistryError {
        RegistryError::LifecyclePolicyNotFound {
            repository: name.to_string(),
            account: account.to_string(),
        }
    }

    /// Validate and store a repository's lifecycle policy.
    pub async fn put_lifecycle_policy(
        &self,
        account: &str,
        name: &RepositoryName,
        text: &str,
    ) -> Result<()> {
        LifecyclePolicy::parse(text)?;
        if !self
            .meta
            .set_lifecycle_policy(account, name.as_str(), Some(text))
            .await?
        {
            return Err(RegistryError::name_unknown(account, name));
        }
        Ok(())
    }

    /// A repository's lifecycle policy and when it last ran (epoch ms).
    pub async fn lifecycle_policy(
        &self,
        account: &str,
        name: &RepositoryName,
    ) -> Result<(String, Option<i64>)> {
        match self.meta.lifecycle_policy(account, name.as_str()).await? {
            None => Err(RegistryError::name_unknown(account, name)),
            Some((None, _)) => Err(Self::policy_not_found(account, name)),
            Some((Some(text), at)) => Ok((text, at)),
        }
    }

    /// Remove a repository's lifecycle policy; what it was.
    pub async fn delete_lifecycle_policy(
        &self,
        account: &str,
        name: &RepositoryName,
    ) -> Result<(String, Option<i64>)> {
        let found = self.lifecycle_policy(account, name).await?;
        self.meta
            .set_lifecycle_policy(account, name.as_str(), None)
            .await?;
        Ok(found)
    }

    /// What `policy` would expire in a repository now, oldest first.
    async fn plan(&self, repo: i64, policy: &LifecyclePolicy, now: i64) -> Result<Vec<Planned>> {
        let images = self.meta.lifecycle_images(repo).await?;
        let candidates: Vec<Candidate> = images
            .iter()
            .map(|i| Candidate {
                digest: i.digest.clone(),
                tags: i.tags.clone(),
                pushed_at: i.pushed_at,
                last_pulled_at: i.last_pulled_at,
            })
            .collect();
        Ok(evaluate(policy, &candidates, now)
            .into_iter()
            .map(|(i, rule)| Planned {
                digest: images[i].digest.clone(),
                tags: images[i].tags.clone(),
                pushed_at: images[i].pushed_at,
                media_type: images[i].media_type.clone(),
                rule_priority: rule,
            })
            .collect())
    }

    /// Preview `text` (the stored policy when `None`): evaluated now and stored, changing no
    /// image. Returns the policy text previewed.
    pub async fn start_lifecycle_preview(
        &self,
        account: &str,
        name: &RepositoryName,
        text: Option<&str>,
    ) -> Result<String> {
        let repo = self.repository(account, name).await?;
        let text = match text {
            Some(t) => t.to_string(),
            None => self.lifecycle_policy(account, name).await?.0,
        };
        let policy = LifecyclePolicy::parse(&text)?;
        let results = self
            .plan(repo.id, &policy, berth_meta::now_millis())
            .await?;
        self.meta
            .put_lifecycle_preview(
                repo.id,
                &LifecyclePreview {
                    policy: text.clone(),
                    status: "COMPLETE".into(),
                    results: serde_json::to_string(&results)
                        .map_err(|e| RegistryError::Internal(e.to_string()))?,
                    started_at: berth_meta::now_millis(),
                },
            )
            .await?;
        Ok(text)
    }

    pub async fn lifecycle_preview(&self, account: &str, name: &RepositoryName) -> Result<Preview> {
        let repo = self.repository(account, name).await?;
        let p = self.meta.lifecycle_preview(repo.id).await?.ok_or_else(|| {
            RegistryError::LifecyclePreviewNotFound {
                repository: name.to_string(),
                account: account.to_string(),
            }
        })?;
        Ok(Preview {
            policy: p.policy,
            status: p.status,
            results: serde_json::from_str(&p.results)
                .map_err(|e| RegistryError::Internal(format!("stored preview: {e}")))?,
        })
    }

    /// Run a repository's lifecycle policy now: expire what it selects, record each expiry as
    /// done by `actor`. A repository without a policy gives LifecyclePolicyNotFound.
    pub async fn run_lifecycle(
        &self,
        account: &str,
        name: &RepositoryName,
        actor: &str,
    ) -> Result<RunReport> {
        let repo = self.repository(account, name).await?;
        let (text, _) = self.lifecycle_policy(account, name).await?;
        self.run_policy(repo.id, account, name.as_str(), &text, actor)
            .await
    }

    async fn run_policy(
        &self,
        repo: i64,
        account: &str,
        name: &str,
        text: &str,
        actor: &str,
    ) -> Result<RunReport> {
        let policy = LifecyclePolicy::parse(text)?;
        let now = berth_meta::now_millis();
        let plan = self.plan(repo, &policy, now).await?;
        let mut expired = Vec::with_capacity(plan.len());
        for p in plan {
            let Ok(d) = p.digest.parse::<Digest>() else {
                continue;
            };
            // a concurrent push may have made it an index's child since: then it stays
            match self.meta.delete_image_digest(repo, &d).await? {
                ImageDeletion::Deleted { .. } => {}
                ImageDeletion::NotFound | ImageDeletion::ReferencedByIndex => continue,
            }
            self.replicate_delete(account, repo, name, &d).await;
            tracing::info!(
                account, repository = name, digest = %p.digest, tags = ?p.tags,
                rule = p.rule_priority, actor, "lifecycle policy expired an image"
            );
            self.meta
                .record_lifecycle_event(&LifecycleEvent {
                    account_id: account.to_string(),
                    repository: name.to_string(),
                    digest: p.digest.clone(),
                    tags: p.tags.clone(),
                    rule_priority: p.rule_priority as i64,
                    actor: actor.to_string(),
                    expired_at: berth_meta::now_millis(),
                })
                .await?;
            expired.push(p);
        }
        self.meta.set_lifecycle_evaluated(repo, now).await?;
        Ok(RunReport {
            account: account.to_string(),
            repository: name.to_string(),
            expired,
        })
    }

    /// Run every repository's lifecycle policy (the schedule, or `berth admin lifecycle run`
    /// without a repository), optionally of one account only. A repository whose run fails is
    /// logged and skipped.
    pub async fn run_all_lifecycle(
        &self,
        account: Option<&str>,
        actor: &str,
    ) -> Result<Vec<RunReport>> {
        let mut out = Vec::new();
        for r in self.meta.lifecycle_repositories().await? {
            if account.is_some_and(|a| a != r.account_id) {
                continue;
            }
            match self
                .run_policy(r.id, &r.account_id, &r.name, &r.policy, actor)
                .await
            {
                Ok(report) => out.push(report),
                Err(e) => {
                    tracing::error!(account = %r.account_id, repository = %r.name, error = %e, "lifecycle run failed")
                }
            }
        }
        Ok(out)
    }

    /// The recorded expirations of an account (one repository's with `name`), newest first.
    pub async fn lifecycle_events(
        &self,
        account: &str,
        name: Option<&str>,
        limit: i64,
    ) -> Result<Vec<LifecycleEvent>> {
        Ok(self.meta.lifecycle_events(account, name, limit).await?)
    }
}

#[cfg(test)]
mod tests;
