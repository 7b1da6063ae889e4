//! Create/Describe/Update/Delete/ValidatePullThroughCacheRule(s): which repository prefixes
//! are caches of which upstream registry, with the Secrets Manager secret that holds the
//! upstream's login.

use berth_client::upstream::{Login, Upstream};
use berth_client::ClientOptions;
use berth_iam::secrets_manager::{SecretsError, UpstreamLogin};
use berth_meta::CacheRule;
use berth_oci::{Reference, RepositoryName};
use berth_registry::pull_through::rules::{NewRule, RuleError};
use berth_registry::{ImageRef, RegistryError};
use serde::Serialize;
use serde_json::Value;

use super::ctx::Ctx;
use super::requests::{
    CacheRulePrefixRequest, CreateCacheRuleRequest, DescribeCacheRulesRequest,
    UpdateCacheRuleRequest,
};
use crate::aws::registry_error as core_error;
use crate::aws::{next_token, read_token, reply, AwsError, Epoch, Input};

/// `PullThroughCacheRule` and the outputs that repeat its members.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleOut<'a> {
    ecr_repository_prefix: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    upstream_registry_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<Epoch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated_at: Option<Epoch>,
    registry_id: &'a str,
    /// Left out for Berth's generic upstream, which ECR's enum does not have.
    #[serde(skip_serializing_if = "Option::is_none")]
    upstream_registry: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credential_arn: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_role_arn: Option<&'a str>,
    upstream_repository_prefix: &'a str,
}

impl<'a> RuleOut<'a> {
    fn of(r: &'a CacheRule, registry_id: &'a str) -> RuleOut<'a> {
        RuleOut {
            ecr_repository_prefix: &r.prefix,
            upstream_registry_url: Some(&r.upstream_url),
            created_at: Some(Epoch(r.created_at)),
            updated_at: None,
            registry_id,
            upstream_registry: (r.upstream_registry != "generic")
                .then_some(r.upstream_registry.as_str()),
            credential_arn: r.credential_arn.as_deref(),
            custom_role_arn: r.custom_role_arn.as_deref(),
            upstream_repository_prefix: &r.upstream_prefix,
        }
    }
}

fn rule_error(e: RuleError) -> AwsError {
    match e {
        RuleError::Invalid(m) => AwsError::new("InvalidParameterException", m),
        RuleError::Unsupported(m) => AwsError::new("UnsupportedUpstreamRegistryException", m),
    }
}

/// The login a rule's secret holds, read as ECR reads it when a rule is created or used.
async fn login_of(ctx: &Ctx<'_>, account: &str, arn: &str) -> Result<UpstreamLogin, AwsError> {
    ctx.state
        .iam
        .upstream_login(account, arn)
        .await
        .map_err(|e| match e {
            SecretsError::NotFound | SecretsError::NoValue(_) | SecretsError::MarkedForDeletion => {
                AwsError::new(
                    "SecretNotFoundException",
                    format!("The secret '{arn}' could not be found in Secrets Manager."),
                )
            }
            SecretsError::Decryption => AwsError::new(
                "UnableToDecryptSecretValueException",
                format!("The secret '{arn}' could not be decrypted."),
            ),
            other => AwsError::new("UnableToAccessSecretException", other.to_string()),
        })
}

pub async fn create_pull_through_cache_rule(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: CreateCacheRuleRequest = inp.request()?;
    let account = &ctx.registry(&req.registry_id);
    let new = NewRule {
        prefix: req.ecr_repository_prefix.unwrap_or_default(),
        upstream_url: req.upstream_registry_url.unwrap_or_default(),
        upstream_registry: req.upstream_registry,
        upstream_prefix: req.upstream_repository_prefix,
        credential_arn: req.credential_arn,
        custom_role_arn: req.custom_role_arn,
    };
    let rule = new.validate().map_err(rule_error)?;
    if let Some(arn) = &rule.credential_arn {
        login_of(ctx, account, arn).await?;
    }
    let created = ctx
        .state
        .registry
        .create_cache_rule(account, &rule)
        .await
        .map_err(core_error)?;
    reply(RuleOut::of(&created, account))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DescribeOut<'a> {
    pull_through_cache_rules: Vec<RuleOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

pub async fn describe_pull_through_cache_rules(
    ctx: &Ctx<'_>,
    inp: Input,
) -> Result<Value, AwsError> {
    let req: DescribeCacheRulesRequest = inp.request()?;
    let account = &ctx.registry(&req.registry_id);
    let rules = ctx
        .state
        .registry
        .cache_rules(account)
        .await
        .map_err(core_error)?;
    let wanted: Option<Vec<&str>> = req.ecr_repository_prefixes.as_ref().map(|ps| {
        ps.iter()
            .map(|p| berth_registry::templates::stored_prefix(p))
            .collect()
    });
    if let Some(w) = &wanted {
        if let Some(missing) = w.iter().find(|p| !rules.iter().any(|r| r.prefix == **p)) {
            return Err(core_error(
                berth_registry::RegistryError::CacheRuleNotFound {
                    prefix: missing.to_string(),
                    account: account.to_string(),
                },
            ));
        }
    }
    let after = match &req.next_token {
        Some(t) => Some(read_token("DescribePullThroughCacheRules", t)?),
        None => None,
    };
    let limit = req.max_results.unwrap_or(100) as usize;
    let mut page: Vec<&CacheRule> = rules
        .iter()
        .filter(|r| {
            wanted
                .as_ref()
                .is_none_or(|w| w.contains(&r.prefix.as_str()))
        })
        .filter(|r| after.as_deref().is_none_or(|a| r.prefix.as_str() > a))
        .take(limit + 1)
        .collect();
    let more = page.len() > limit;
    page.truncate(limit);
    let next = match (more, page.last()) {
        (true, Some(last)) => Some(next_token("DescribePullThroughCacheRules", &last.prefix)),
        _ => None,
    };
    reply(DescribeOut {
        pull_through_cache_rules: page.into_iter().map(|r| RuleOut::of(r, account)).collect(),
        next_token: next,
    })
}

pub async fn update_pull_through_cache_rule(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: UpdateCacheRuleRequest = inp.request()?;
    let account = &ctx.registry(&req.registry_id);
    let prefix = req.ecr_repository_prefix.unwrap_or_default();
    let reg = &ctx.state.registry;
    let current = reg.cache_rule(account, &prefix).await.map_err(core_error)?;
    if let Some(arn) = &req.credential_arn {
        login_of(ctx, account, arn).await?;
    }
    if req.custom_role_arn.is_some() && current.upstream_registry != "ecr" {
        return Err(AwsError::new(
            "InvalidParameterException",
            "A custom role ARN can only be specified for an ecr upstream registry",
        ));
    }
    let updated = reg
        .update_cache_rule(
            account,
            &prefix,
            req.credential_arn
                .as_deref()
                .or(current.credential_arn.as_deref()),
            req.custom_role_arn
                .as_deref()
                .or(current.custom_role_arn.as_deref()),
        )
        .await
        .map_err(core_error)?;
    let mut out = RuleOut::of(&updated, account);
    out.upstream_registry_url = None;
    out.upstream_registry = None;
    out.created_at = None;
    out.updated_at = Some(Epoch(updated.updated_at));
    reply(out)
}

pub async fn delete_pull_through_cache_rule(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: CacheRulePrefixRequest = inp.request()?;
    let account = &ctx.registry(&req.registry_id);
    let deleted = ctx
        .state
        .registry
        .delete_cache_rule(
            account,
            req.ecr_repository_prefix.as_deref().unwrap_or_default(),
        )
        .await
        .map_err(core_error)?;
    let mut out = RuleOut::of(&deleted, account);
    out.upstream_registry = None;
    reply(out)
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ValidateOut<'a> {
    #[serde(flatten)]
    rule: RuleOut<'a>,
    is_valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure: Option<String>,
}

/// ValidatePullThroughCacheRule: the rule's secret is read and the upstream asked `GET /v2/`
/// with its login.
pub async fn validate_pull_through_cache_rule(
    ctx: &Ctx<'_>,
    inp: Input,
) -> Result<Value, AwsError> {
    let req: CacheRulePrefixRequest = inp.request()?;
    let account = &ctx.registry(&req.registry_id);
    let prefix = req.ecr_repository_prefix.unwrap_or_default();
    let rule = ctx
        .state
        .registry
        .cache_rule(account, &prefix)
        .await
        .map_err(core_error)?;
    let failure = check_upstream(ctx, account, &rule).await.err();
    let mut out = RuleOut::of(&rule, account);
    out.created_at = None;
    out.upstream_registry = None;
    reply(ValidateOut {
        rule: out,
        is_valid: failure.is_none(),
        failure,
    })
}

/// Whether the upstream answers `GET /v2/` with the rule's login; why not.
async fn check_upstream(ctx: &Ctx<'_>, account: &str, rule: &CacheRule) -> Result<(), String> {
    let login = match &rule.credential_arn {
        Some(arn) => {
            let l = login_of(ctx, account, arn).await.map_err(|e| e.message)?;
            Some(Login {
                username: l.username,
                password: l.access_token,
            })
        }
        None => None,
    };
    let upstream = Upstream::new(&rule.upstream_url, login, &ClientOptions::default())
        .map_err(|e| e.to_string())?;
    upstream.ping().await.map_err(|e| e.to_string())
}

/// BatchGetImage on a cache repository imports the images it does not have yet, as a pull
/// does (with ECR's `ecr:BatchImportUpstreamImage`, and `ecr:CreateRepository` for a new
/// repository). The upstream's failures, by identifier (`None`: imported, cached, or not a
/// cache repository at all); a missing image is left for the lookup to report.
pub(super) async fn import_for_batch_get(
    ctx: &Ctx<'_>,
    account: &str,
    name: &RepositoryName,
    refs: &[ImageRef],
) -> Result<Vec<Option<String>>, AwsError> {
    let reg = &ctx.state.registry;
    let mut failures = Vec::with_capacity(refs.len());
    for r in refs {
        let reference = match (&r.digest, &r.tag) {
            (Some(d), _) => Reference::Digest(d.clone()),
            (None, Some(t)) => match t.parse() {
                Ok(t) => Reference::Tag(t),
                Err(_) => {
                    failures.push(None);
                    continue;
                }
            },
            (None, None) => {
                failures.push(None);
                continue;
            }
        };
        let Some(exists) = reg
            .pull_would_import(account, name, &reference)
            .await
            .map_err(core_error)?
        else {
            failures.push(None);
            continue;
        };
        require(ctx, "ecr:BatchImportUpstreamImage", account, name).await?;
        if !exists {
            require(ctx, "ecr:CreateRepository", account, name).await?;
        }
        failures.push(
            match reg
                .pull_through_manifest(account, name, &reference, false)
                .await
            {
                Err(RegistryError::Upstream(m)) => Some(m),
                _ => None,
            },
        );
    }
    Ok(failures)
}

/// Refuse unless the caller may do `action` on the repository.
async fn require(
    ctx: &Ctx<'_>,
    action: &str,
    account: &str,
    name: &RepositoryName,
) -> Result<(), AwsError> {
    let d = ctx
        .subject
        .decide(ctx.state, action, account, Some(name.as_str()))
        .await
        .map_err(super::authorize::authorization_failed)?;
    if d.allowed() {
        return Ok(());
    }
    let resource = ctx.repository_arn(account, name.as_str());
    Err(super::authorize::denied(ctx.subject, action, &resource, d))
}
