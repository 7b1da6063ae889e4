//! Pull-through cache rules: which repositories are caches of which upstream registry, checked
//! as ECR checks them (the upstream's kind and URL, its credentials, the prefixes).

use berth_meta::{CacheRule, MetaError};

use crate::templates::stored_prefix;
use crate::{Registry, RegistryError, Result};

/// Rules per registry (ECR's quota).
pub const MAX_RULES: usize = 50;

/// The kinds of upstream ECR knows, and a generic OCI registry (Berth's extension: any other
/// host, or `http://host:port` for a plaintext one, with `upstreamRegistry` left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamKind {
    Ecr,
    EcrPublic,
    DockerHub,
    Quay,
    K8s,
    GitHub,
    Azure,
    GitLab,
    Chainguard,
    Generic,
}

impl UpstreamKind {
    pub const NAMED: &'static [UpstreamKind] = &[
        UpstreamKind::Ecr,
        UpstreamKind::EcrPublic,
        UpstreamKind::Quay,
        UpstreamKind::K8s,
        UpstreamKind::DockerHub,
        UpstreamKind::GitHub,
        UpstreamKind::Azure,
        UpstreamKind::GitLab,
        UpstreamKind::Chainguard,
    ];

    /// ECR's name (`docker-hub`); `generic` for Berth's own.
    pub fn as_str(self) -> &'static str {
        match self {
            UpstreamKind::Ecr => "ecr",
            UpstreamKind::EcrPublic => "ecr-public",
            UpstreamKind::DockerHub => "docker-hub",
            UpstreamKind::Quay => "quay",
            UpstreamKind::K8s => "k8s",
            UpstreamKind::GitHub => "github-container-registry",
            UpstreamKind::Azure => "azure-container-registry",
            UpstreamKind::GitLab => "gitlab-container-registry",
            UpstreamKind::Chainguard => "chainguard",
            UpstreamKind::Generic => "generic",
        }
    }

    pub fn parse(s: &str) -> Option<UpstreamKind> {
        Self::NAMED
            .iter()
            .copied()
            .chain([UpstreamKind::Generic])
            .find(|k| k.as_str() == s)
    }

    /// The kind a URL is, as ECR infers it when `upstreamRegistry` is not given.
    pub fn of_url(url: &str) -> UpstreamKind {
        let host = url.split(':').next().unwrap_or(url);
        match host {
            "public.ecr.aws" => UpstreamKind::EcrPublic,
            "registry-1.docker.io" => UpstreamKind::DockerHub,
            "quay.io" => UpstreamKind::Quay,
            "registry.k8s.io" => UpstreamKind::K8s,
            "ghcr.io" => UpstreamKind::GitHub,
            "registry.gitlab.com" => UpstreamKind::GitLab,
            "cgr.dev" => UpstreamKind::Chainguard,
            h if h.ends_with(".azurecr.io") => UpstreamKind::Azure,
            h if is_ecr_host(h) => UpstreamKind::Ecr,
            _ => UpstreamKind::Generic,
        }
    }

    /// Whether the upstream needs credentials (a Secrets Manager secret), as ECR requires.
    pub fn needs_credentials(self) -> bool {
        matches!(
            self,
            UpstreamKind::DockerHub
                | UpstreamKind::GitHub
                | UpstreamKind::Azure
                | UpstreamKind::GitLab
                | UpstreamKind::Chainguard
        )
    }
}

/// `<account>.dkr.ecr.<region>.amazonaws.com`.
fn is_ecr_host(host: &str) -> bool {
    let parts: Vec<&str> = host.split('.').collect();
    matches!(parts.as_slice(), [acct, "dkr", "ecr", _, "amazonaws", "com"]
        if acct.len() == 12 && acct.bytes().all(|b| b.is_ascii_digit()))
}

/// A rule as CreatePullThroughCacheRule asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRule {
    pub prefix: String,
    pub upstream_url: String,
    pub upstream_registry: Option<String>,
    pub upstream_prefix: Option<String>,
    pub credential_arn: Option<String>,
    pub custom_role_arn: Option<String>,
}

/// Why ECR refuses a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// InvalidParameterException.
    #[error("{0}")]
    Invalid(String),
    /// UnsupportedUpstreamRegistryException.
    #[error("{0}")]
    Unsupported(String),
}

/// The upstream's URL as stored: a host (and port) as ECR takes it, or `http://host:port` for
/// a plaintext upstream; `https://` is dropped.
fn normalized_url(url: &str) -> Result<String, RuleError> {
    let bare = url
        .strip_prefix("https://")
        .unwrap_or(url)
        .trim_end_matches('/');
    let host = bare.strip_prefix("http://").unwrap_or(bare);
    let ok = !host.is_empty()
        && !host.contains('/')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    if !ok {
        return Err(RuleError::Invalid(format!(
            "Invalid parameter at 'upstreamRegistryUrl' failed to satisfy constraint: '{url} is not a registry host name'"
        )));
    }
    Ok(bare.to_string())
}

impl NewRule {
    /// Check the rule as ECR does; the rule to store.
    pub fn validate(&self) -> Result<CacheRule, RuleError> {
        let url = normalized_url(&self.upstream_url)?;
        let host = url.strip_prefix("http://").unwrap_or(&url);
        let inferred = UpstreamKind::of_url(host);
        let kind = match self.upstream_registry.as_deref() {
            None => inferred,
            Some(s) => {
                let named = UpstreamKind::parse(s).ok_or_else(|| {
                    RuleError::Unsupported(format!("The upstream registry {s} is not supported"))
                })?;
                if named != inferred {
                    return Err(RuleError::Unsupported(format!(
                        "The upstream registry URL {} is not supported for the upstream registry {s}",
                        self.upstream_url
                    )));
                }
                named
            }
        };
        if kind.needs_credentials() && self.credential_arn.is_none() {
            return Err(RuleError::Invalid(format!(
                "A credential ARN is required for the upstream registry {}",
                kind.as_str()
            )));
        }
        if self.custom_role_arn.is_some() && kind != UpstreamKind::Ecr {
            return Err(RuleError::Invalid(
                "A custom role ARN can only be specified for an ecr upstream registry".into(),
            ));
        }
        if self.upstream_prefix.is_some() && self.prefix == "ROOT" {
            return Err(RuleError::Invalid(
                "An upstream repository prefix can't be specified when the ECR repository prefix is ROOT".into(),
            ));
        }
        Ok(CacheRule {
            prefix: stored_prefix(&self.prefix).to_string(),
            upstream_url: url,
            upstream_registry: kind.as_str().to_string(),
            upstream_prefix: self
                .upstream_prefix
                .as_deref()
                .map(stored_prefix)
                .unwrap_or("ROOT")
                .to_string(),
            credential_arn: self.credential_arn.clone(),
            custom_role_arn: self.custom_role_arn.clone(),
            created_at: 0,
            updated_at: 0,
        })
    }
}

/// The rule whose prefix covers repository `name` (the longest; `ROOT` covers every name),
/// and the upstream repository it caches.
pub fn rule_for<'r>(rules: &'r [CacheRule], name: &str) -> Option<(&'r CacheRule, String)> {
    rules
        .iter()
        .filter_map(|r| {
            let rest = if r.prefix == "ROOT" {
                Some(name)
            } else {
                name.strip_prefix(r.prefix.as_str())
                    .and_then(|rest| rest.strip_prefix('/'))
            }?;
            let upstream = if r.upstream_prefix == "ROOT" {
                rest.to_string()
            } else {
                format!("{}/{rest}", r.upstream_prefix)
            };
            (!rest.is_empty()).then_some((r, upstream))
        })
        .max_by_key(|(r, _)| {
            if r.prefix == "ROOT" {
                0
            } else {
                r.prefix.len() + 1
            }
        })
}

impl Registry {
    /// An account's pull-through cache rules, by prefix.
    pub async fn cache_rules(&self, account: &str) -> Result<Vec<CacheRule>> {
        Ok(self.meta.cache_rules(account).await?)
    }

    /// CreatePullThroughCacheRule (checked by [`NewRule::validate`] first).
    pub async fn create_cache_rule(&self, account: &str, rule: &CacheRule) -> Result<CacheRule> {
        if self.meta.cache_rules(account).await?.len() >= MAX_RULES {
            return Err(RegistryError::CacheRuleLimit);
        }
        self.meta.ensure_account(account).await?;
        self.pull_through.forget_rules(account);
        match self.meta.create_cache_rule(account, rule).await {
            Err(MetaError::CacheRuleExists) => Err(RegistryError::CacheRuleExists {
                prefix: rule.prefix.clone(),
                account: account.to_string(),
            }),
            other => Ok(other?),
        }
    }

    /// UpdatePullThroughCacheRule: its credentials and role.
    pub async fn update_cache_rule(
        &self,
        account: &str,
        prefix: &str,
        credential_arn: Option<&str>,
        custom_role_arn: Option<&str>,
    ) -> Result<CacheRule> {
        let prefix = stored_prefix(prefix);
        match self
            .meta
            .update_cache_rule(account, prefix, credential_arn, custom_role_arn)
            .await
        {
            Err(MetaError::CacheRuleNotFound) => Err(rule_not_found(account, prefix)),
            other => Ok(other?),
        }
    }

    /// DeletePullThroughCacheRule: the rule as it was. The cache repositories stay.
    pub async fn delete_cache_rule(&self, account: &str, prefix: &str) -> Result<CacheRule> {
        let prefix = stored_prefix(prefix);
        self.pull_through.forget_rules(account);
        match self.meta.delete_cache_rule(account, prefix).await {
            Err(MetaError::CacheRuleNotFound) => Err(rule_not_found(account, prefix)),
            other => Ok(other?),
        }
    }

    /// One rule by its prefix.
    pub async fn cache_rule(&self, account: &str, prefix: &str) -> Result<CacheRule> {
        let prefix = stored_prefix(prefix);
        self.meta
            .cache_rules(account)
            .await?
            .into_iter()
            .find(|r| r.prefix == prefix)
            .ok_or_else(|| rule_not_found(account, prefix))
    }
}

fn rule_not_found(account: &str, prefix: &str) -> RegistryError {
    RegistryError::CacheRuleNotFound {
        prefix: prefix.to_string(),
        account: account.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(prefix: &str, url: &str, registry: Option<&str>) -> NewRule {
        NewRule {
            prefix: prefix.into(),
            upstream_url: url.into(),
            upstream_registry: registry.map(str::to_string),
            upstream_prefix: None,
            credential_arn: None,
            custom_role_arn: None,
        }
    }

    #[test]
    fn kinds_are_inferred_and_checked_against_the_url() {
        let r = rule("ecr-public", "public.ecr.aws", None)
            .validate()
            .unwrap();
        assert_eq!(r.upstream_registry, "ecr-public");
        assert_eq!(r.upstream_prefix, "ROOT");
        let r = rule("quay/", "https://quay.io", Some("quay"))
            .validate()
            .unwrap();
        assert_eq!(
            (r.prefix.as_str(), r.upstream_url.as_str()),
            ("quay", "quay.io")
        );
        assert!(matches!(
            rule("quay", "public.ecr.aws", Some("quay")).validate(),
            Err(RuleError::Unsupported(_))
        ));
        assert!(matches!(
            rule("x", "x.io", Some("nexus")).validate(),
            Err(RuleError::Unsupported(_))
        ));
        // Docker Hub needs credentials
        assert!(matches!(
            rule("docker-hub", "registry-1.docker.io", None).validate(),
            Err(RuleError::Invalid(_))
        ));
        let ecr = rule("ecr", "123456789012.dkr.ecr.us-west-2.amazonaws.com", None);
        assert_eq!(ecr.validate().unwrap().upstream_registry, "ecr");
        // Berth's generic upstream: any host, http:// for plaintext
        let local = rule("local", "http://127.0.0.1:5000", None)
            .validate()
            .unwrap();
        assert_eq!(
            (
                local.upstream_registry.as_str(),
                local.upstream_url.as_str()
            ),
            ("generic", "http://127.0.0.1:5000")
        );
        assert!(matches!(
            rule("bad", "http://host/path", None).validate(),
            Err(RuleError::Invalid(_))
        ));
    }

    #[test]
    fn prefixes_and_roles_follow_ecr() {
        let mut r = rule("ROOT", "public.ecr.aws", None);
        r.upstream_prefix = Some("library".into());
        assert!(matches!(r.validate(), Err(RuleError::Invalid(_))));
        let mut r = rule("quay", "quay.io", None);
        r.custom_role_arn = Some("arn:aws:iam::123456789012:role/x".into());
        assert!(matches!(r.validate(), Err(RuleError::Invalid(_))));
    }

    #[test]
    fn the_longest_prefix_maps_a_repository_to_its_upstream() {
        let mut rules = vec![
            rule("ROOT", "public.ecr.aws", None).validate().unwrap(),
            rule("hub", "http://127.0.0.1:5000", None)
                .validate()
                .unwrap(),
        ];
        let mut lib = rule("hub/lib", "http://127.0.0.1:5001", None);
        lib.upstream_prefix = Some("library".into());
        rules.push(lib.validate().unwrap());
        let (r, up) = rule_for(&rules, "hub/lib/alpine").unwrap();
        assert_eq!(
            (r.prefix.as_str(), up.as_str()),
            ("hub/lib", "library/alpine")
        );
        let (r, up) = rule_for(&rules, "hub/nginx").unwrap();
        assert_eq!((r.prefix.as_str(), up.as_str()), ("hub", "nginx"));
        let (r, up) = rule_for(&rules, "hubble/x").unwrap();
        assert_eq!((r.prefix.as_str(), up.as_str()), ("ROOT", "hubble/x"));
        assert!(rule_for(&rules[1..], "other/x").is_none());
        assert!(rule_for(&rules[1..], "hub").is_none());
    }
}
