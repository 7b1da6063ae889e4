//! Requests of Create/Describe/Update/Delete/ValidatePullThroughCacheRule(s).

use berth_oci::RepositoryName;
use serde::Deserialize;

use super::check_registry_id;
use crate::aws::{AwsError, Checks, Request};

const PREFIX_PATTERN: &str =
    "^([a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*\\/?|ROOT)$";
const CREDENTIAL_PATTERN: &str = "^arn:aws(-\\w+)*:secretsmanager:[a-zA-Z0-9-:]+:secret:ecr\\-pullthroughcache\\/[a-zA-Z0-9\\/_+=.@-]+$";
const UPSTREAMS: &[&str] = &[
    "ecr",
    "ecr-public",
    "quay",
    "k8s",
    "docker-hub",
    "github-container-registry",
    "azure-container-registry",
    "gitlab-container-registry",
    "chainguard",
];

fn pattern_error(field: &str, pattern: &str) -> AwsError {
    AwsError::new(
        "InvalidParameterException",
        format!("Invalid parameter at '{field}' failed to satisfy constraint: 'must satisfy regular expression '{pattern}''"),
    )
}

/// A repository prefix (2..30 characters): `ROOT`, or a repository name with an optional `/`.
fn check_prefix(c: &mut Checks, field: &str, v: Option<&str>, required: bool) {
    if required {
        c.required_length(field, v, 2, 30);
    } else {
        c.length(field, v, 2, 30);
    }
    let Some(p) = v.filter(|p| (2..=30).contains(&p.chars().count())) else {
        return;
    };
    let name = p.strip_suffix('/').unwrap_or(p);
    if p != "ROOT" && name.parse::<RepositoryName>().is_err() {
        c.fail(pattern_error(field, PREFIX_PATTERN));
    }
}

/// A Secrets Manager secret's ARN whose name starts `ecr-pullthroughcache/`.
fn check_credential(c: &mut Checks, v: Option<&str>) {
    c.length("credentialArn", v, 50, 612);
    let Some(arn) = v else { return };
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    let ok = match parts.as_slice() {
        [arn_, partition, "secretsmanager", region, account, "secret", name] => {
            *arn_ == "arn"
                && partition.starts_with("aws")
                && !region.is_empty()
                && !account.is_empty()
                && name
                    .strip_prefix("ecr-pullthroughcache/")
                    .is_some_and(|rest| {
                        !rest.is_empty()
                            && rest
                                .bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b"/_+=.@-".contains(&b))
                    })
        }
        _ => false,
    };
    if !ok {
        c.fail(pattern_error("credentialArn", CREDENTIAL_PATTERN));
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCacheRuleRequest {
    pub ecr_repository_prefix: Option<String>,
    pub upstream_registry_url: Option<String>,
    pub registry_id: Option<String>,
    pub upstream_registry: Option<String>,
    pub credential_arn: Option<String>,
    pub custom_role_arn: Option<String>,
    pub upstream_repository_prefix: Option<String>,
}

impl Request for CreateCacheRuleRequest {
    fn check(&self, c: &mut Checks) {
        check_prefix(
            c,
            "ecrRepositoryPrefix",
            self.ecr_repository_prefix.as_deref(),
            true,
        );
        c.required("upstreamRegistryUrl", self.upstream_registry_url.as_ref());
        check_registry_id(c, self.registry_id.as_deref());
        c.one_of(
            "upstreamRegistry",
            self.upstream_registry.as_deref(),
            UPSTREAMS,
        );
        check_credential(c, self.credential_arn.as_deref());
        c.length("customRoleArn", self.custom_role_arn.as_deref(), 0, 2048);
        check_prefix(
            c,
            "upstreamRepositoryPrefix",
            self.upstream_repository_prefix.as_deref(),
            false,
        );
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeCacheRulesRequest {
    pub registry_id: Option<String>,
    pub ecr_repository_prefixes: Option<Vec<String>>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
}

impl Request for DescribeCacheRulesRequest {
    fn check(&self, c: &mut Checks) {
        check_registry_id(c, self.registry_id.as_deref());
        c.count(
            "ecrRepositoryPrefixes",
            self.ecr_repository_prefixes.as_deref(),
            1,
            100,
        );
        for (i, p) in self.ecr_repository_prefixes.iter().flatten().enumerate() {
            check_prefix(
                c,
                &format!("ecrRepositoryPrefixes.{}.member", i + 1),
                Some(p),
                true,
            );
        }
        c.range("maxResults", self.max_results, 1, 1000);
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCacheRuleRequest {
    pub registry_id: Option<String>,
    pub ecr_repository_prefix: Option<String>,
    pub credential_arn: Option<String>,
    pub custom_role_arn: Option<String>,
}

impl Request for UpdateCacheRuleRequest {
    fn check(&self, c: &mut Checks) {
        check_registry_id(c, self.registry_id.as_deref());
        check_prefix(
            c,
            "ecrRepositoryPrefix",
            self.ecr_repository_prefix.as_deref(),
            true,
        );
        check_credential(c, self.credential_arn.as_deref());
        c.length("customRoleArn", self.custom_role_arn.as_deref(), 0, 2048);
    }
}

/// DeletePullThroughCacheRule and ValidatePullThroughCacheRule: a rule by its prefix.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheRulePrefixRequest {
    pub registry_id: Option<String>,
    pub ecr_repository_prefix: Option<String>,
}

impl Request for CacheRulePrefixRequest {
    fn check(&self, c: &mut Checks) {
        check_registry_id(c, self.registry_id.as_deref());
        check_prefix(
            c,
            "ecrRepositoryPrefix",
            self.ecr_repository_prefix.as_deref(),
            true,
        );
    }
}
