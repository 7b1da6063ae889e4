//! An account's replication configuration (PutReplicationConfiguration): rules, each with its
//! destinations (a region and a registry) and the repositories it applies to (prefix filters;
//! none: every repository). Validated as ECR validates it.

use std::collections::BTreeSet;

use berth_meta::Destination;
use serde::{Deserialize, Serialize};

/// ECR's limits: rules per configuration, distinct destinations in all, filters per rule.
pub const MAX_RULES: usize = 10;
pub const MAX_DESTINATIONS: usize = 25;
pub const MAX_FILTERS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicationConfiguration {
    pub rules: Vec<ReplicationRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicationRule {
    pub destinations: Vec<ReplicationDestination>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repository_filters: Vec<RepositoryFilter>,
    /// Berth's extension of ECR's model (which has the member but not the behaviour
    /// documented): a delete at the source deletes the image at the destinations too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_replication: Option<DeleteReplication>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicationDestination {
    pub region: String,
    pub registry_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryFilter {
    pub filter: String,
    pub filter_type: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteReplication {
    pub enabled: bool,
}

/// What makes a configuration invalid: ECR answers each with InvalidParameterException, its
/// text after "Invalid parameter at 'replicationConfiguration' failed to satisfy constraint:".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("A replication configuration can have at most {MAX_RULES} rules")]
    TooManyRules,
    #[error("A replication configuration can have at most {MAX_DESTINATIONS} unique destinations")]
    TooManyDestinations,
    #[error("A replication rule can have at most {MAX_FILTERS} repository filters")]
    TooManyFilters,
    #[error("A replication rule must have at least one destination")]
    NoDestination,
    #[error("Invalid destination region '{0}'")]
    Region(String),
    #[error("Invalid destination registry id '{0}'")]
    RegistryId(String),
    #[error("Replication destination cannot be the source registry in the source region")]
    Source,
    #[error(
        "Region '{0}' is not a replication destination of this installation (no --peer for it)"
    )]
    UnknownRegion(String),
    #[error("Invalid repository filter '{0}'")]
    Filter(String),
    #[error("Invalid repository filter type '{0}': the only type is PREFIX_MATCH")]
    FilterType(String),
}

impl ReplicationConfiguration {
    /// Check the configuration of `account` in `region`, whose installation knows the
    /// regions `peers` (besides its own).
    pub fn validate(
        &self,
        account: &str,
        region: &str,
        peers: &[String],
    ) -> Result<(), ConfigError> {
        if self.rules.len() > MAX_RULES {
            return Err(ConfigError::TooManyRules);
        }
        let mut all = BTreeSet::new();
        for rule in &self.rules {
            if rule.destinations.is_empty() {
                return Err(ConfigError::NoDestination);
            }
            if rule.repository_filters.len() > MAX_FILTERS {
                return Err(ConfigError::TooManyFilters);
            }
            for f in &rule.repository_filters {
                if f.filter_type != "PREFIX_MATCH" {
                    return Err(ConfigError::FilterType(f.filter_type.clone()));
                }
                if !valid_filter(&f.filter) {
                    return Err(ConfigError::Filter(f.filter.clone()));
                }
            }
            for d in &rule.destinations {
                if !valid_region(&d.region) {
                    return Err(ConfigError::Region(d.region.clone()));
                }
                if d.registry_id.len() != 12 || !d.registry_id.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(ConfigError::RegistryId(d.registry_id.clone()));
                }
                if d.region == region && d.registry_id == account {
                    return Err(ConfigError::Source);
                }
                if d.region != region && !peers.contains(&d.region) {
                    return Err(ConfigError::UnknownRegion(d.region.clone()));
                }
                all.insert((&d.region, &d.registry_id));
            }
        }
        if all.len() > MAX_DESTINATIONS {
            return Err(ConfigError::TooManyDestinations);
        }
        Ok(())
    }

    /// Where an image pushed to `repository` goes: every destination of every rule whose
    /// filters match it (a rule without filters matches every repository), each once.
    pub fn destinations_of(&self, repository: &str) -> Vec<Destination> {
        let mut out = BTreeSet::new();
        for rule in &self.rules {
            let applies = rule.repository_filters.is_empty()
                || rule
                    .repository_filters
                    .iter()
                    .any(|f| repository.starts_with(&f.filter));
            if applies {
                out.extend(rule.destinations.iter().map(|d| Destination {
                    region: d.region.clone(),
                    account: d.registry_id.clone(),
                }));
            }
        }
        out.into_iter().collect()
    }

    /// Whether deletes at the source are replicated to `destination`.
    pub fn deletes_replicate(&self, repository: &str, destination: &Destination) -> bool {
        self.rules.iter().any(|rule| {
            rule.delete_replication.is_some_and(|d| d.enabled)
                && rule
                    .destinations
                    .iter()
                    .any(|d| d.region == destination.region && d.registry_id == destination.account)
                && (rule.repository_filters.is_empty()
                    || rule
                        .repository_filters
                        .iter()
                        .any(|f| repository.starts_with(&f.filter)))
        })
    }
}

/// ECR's `[0-9a-z-]{2,25}`.
fn valid_region(r: &str) -> bool {
    (2..=25).contains(&r.len())
        && r.bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase() || b == b'-')
}

/// ECR's `RepositoryFilterValue`: 2 to 256 characters of a repository name's alphabet
/// (lowercase letters, digits, `.`, `_`, `-`, `/`), starting with a letter or a digit.
fn valid_filter(f: &str) -> bool {
    (2..=256).contains(&f.len())
        && f.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/".contains(&b))
        && f.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> ReplicationConfiguration {
        serde_json::from_str(json).unwrap()
    }

    fn peers() -> Vec<String> {
        vec!["us-west-2".to_string()]
    }

    #[test]
    fn rules_destinations_and_filters_are_checked() {
        let ok = config(
            r#"{"rules":[{"destinations":[{"region":"us-west-2","registryId":"111111111111"},
               {"region":"us-east-1","registryId":"222222222222"}],
               "repositoryFilters":[{"filter":"prod","filterType":"PREFIX_MATCH"}]}]}"#,
        );
        assert_eq!(ok.validate("111111111111", "us-east-1", &peers()), Ok(()));
        let own = config(
            r#"{"rules":[{"destinations":[{"region":"us-east-1","registryId":"111111111111"}]}]}"#,
        );
        assert_eq!(
            own.validate("111111111111", "us-east-1", &peers()),
            Err(ConfigError::Source)
        );
        let unknown = config(
            r#"{"rules":[{"destinations":[{"region":"eu-west-1","registryId":"111111111111"}]}]}"#,
        );
        assert_eq!(
            unknown.validate("111111111111", "us-east-1", &peers()),
            Err(ConfigError::UnknownRegion("eu-west-1".into()))
        );
        let rule = r#"{"destinations":[{"region":"us-west-2","registryId":"111111111111"}]}"#;
        let eleven = config(&format!(r#"{{"rules":[{}]}}"#, [rule; 11].join(",")));
        assert_eq!(
            eleven.validate("111111111111", "us-east-1", &peers()),
            Err(ConfigError::TooManyRules)
        );
        let bad_type = config(
            r#"{"rules":[{"destinations":[{"region":"us-west-2","registryId":"111111111111"}],"repositoryFilters":[{"filter":"prod","filterType":"WILDCARD"}]}]}"#,
        );
        assert!(matches!(
            bad_type.validate("111111111111", "us-east-1", &peers()),
            Err(ConfigError::FilterType(_))
        ));
        let many: Vec<String> = (0..26)
            .map(|i| format!(r#"{{"region":"us-west-2","registryId":"{:012}"}}"#, i + 1))
            .collect();
        let wide = config(&format!(
            r#"{{"rules":[{{"destinations":[{}]}}]}}"#,
            many.join(",")
        ));
        assert_eq!(
            wide.validate("111111111111", "us-east-1", &peers()),
            Err(ConfigError::TooManyDestinations)
        );
    }

    #[test]
    fn destinations_follow_the_prefix_filters() {
        let c = config(
            r#"{"rules":[
              {"destinations":[{"region":"us-west-2","registryId":"111111111111"}],
               "repositoryFilters":[{"filter":"prod","filterType":"PREFIX_MATCH"}]},
              {"destinations":[{"region":"us-east-1","registryId":"222222222222"},
                               {"region":"us-west-2","registryId":"111111111111"}]}]}"#,
        );
        let regions = |repo: &str| -> Vec<String> {
            c.destinations_of(repo)
                .into_iter()
                .map(|d| format!("{}/{}", d.region, d.account))
                .collect()
        };
        assert_eq!(
            regions("prod/app"),
            ["us-east-1/222222222222", "us-west-2/111111111111"]
        );
        assert_eq!(
            regions("dev/app"),
            ["us-east-1/222222222222", "us-west-2/111111111111"]
        );
        let only_prod = ReplicationConfiguration {
            rules: c.rules[..1].to_vec(),
        };
        assert!(only_prod.destinations_of("dev/app").is_empty());
        assert_eq!(only_prod.destinations_of("production").len(), 1);
    }
}
