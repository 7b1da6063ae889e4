//! CreateRepository, DescribeRepositories, DeleteRepository, PutImageTagMutability,
//! PutImageScanningConfiguration.

use super::ctx::{named, target, Ctx};
use super::shapes::{
    self, DescribeRepositoriesResponse, EncryptionConfiguration, ExclusionFilter,
    PutImageScanningConfigurationResponse, PutImageTagMutabilityResponse, RepositoryResponse,
    ScanningConfiguration,
};
use crate::aws::input;
use crate::aws::registry_error as core_error;
use crate::aws::{next_token, read_token, reply, AwsError, Epoch, Input};
use berth_meta::{EncryptionType, NewRepository, Repository, TagMutability};
use berth_oci::RepositoryName;
use serde_json::Value;

/// The output shape `Repository`.
fn shape<'a>(ctx: &Ctx<'_>, r: &'a Repository) -> shapes::Repository<'a> {
    shapes::Repository {
        repository_arn: ctx.repository_arn(&r.account_id, &r.name),
        registry_id: &r.account_id,
        repository_name: &r.name,
        repository_uri: format!("{}/{}", ctx.registry_host(&r.account_id), r.name),
        created_at: Epoch(r.created_at),
        image_tag_mutability: r.tag_mutability,
        image_tag_mutability_exclusion_filters: ExclusionFilter::list(&r.mutability_filters),
        image_scanning_configuration: ScanningConfiguration {
            scan_on_push: r.scan_on_push,
        },
        encryption_configuration: EncryptionConfiguration {
            encryption_type: r.encryption_type,
            kms_key: r.kms_key.as_deref(),
        },
    }
}

/// `imageScanningConfiguration.scanOnPush` (false when absent, unless `required`).
fn scanning_configuration(inp: &mut Input, required: bool) -> bool {
    match inp.structure("imageScanningConfiguration") {
        Some(mut s) => {
            let v = s.boolean("scanOnPush");
            inp.absorb("imageScanningConfiguration", s);
            v.unwrap_or(false)
        }
        None => {
            if required {
                inp.require("imageScanningConfiguration");
            }
            false
        }
    }
}

/// `imageTagMutability` with its exclusion filters, as ECR checks them together.
/// (An invalid mode is recorded as the input's problem, and reported with the others.)
fn mutability(inp: &mut Input, required: bool) -> Result<(TagMutability, Vec<String>), AwsError> {
    let names = TagMutability::names();
    let given = if required {
        let v = inp.required_string("imageTagMutability", 0, usize::MAX);
        if !v.is_empty() && v.parse::<TagMutability>().is_err() {
            inp.problem(format!(
                "Value '{v}' at 'imageTagMutability' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                names.join(", ")
            ));
        }
        Some(v)
    } else {
        inp.enumeration("imageTagMutability", &names)
    };
    let valid = match given {
        Some(v) => v.parse::<TagMutability>().ok(),
        None => Some(TagMutability::Mutable),
    };
    let mut filters = Vec::new();
    if let Some(list) = inp.list("imageTagMutabilityExclusionFilters", 1, 5) {
        for (i, item) in list.iter().enumerate() {
            let field = format!("imageTagMutabilityExclusionFilters.{}.member", i + 1);
            let Some(mut f) = input::element(item) else {
                return Err(AwsError::serialization(format!(
                    "Unexpected value type for '{field}': expected a structure"
                )));
            };
            let kind = f.required_string("filterType", 0, usize::MAX);
            if !kind.is_empty() && kind != "WILDCARD" {
                f.problem(format!("Value '{kind}' at 'filterType' failed to satisfy constraint: Member must satisfy enum value set: [WILDCARD]"));
            }
            let filter = f.required_string("filter", 1, 128);
            if !filter.is_empty()
                && !filter
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'*' | b'-'))
            {
                f.problem(format!("Value '{filter}' at 'filter' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9a-zA-Z._*-]{{1,128}}"));
            }
            inp.absorb(&field, f);
            filters.push(filter);
        }
    }
    let m = valid.unwrap_or(TagMutability::Mutable);
    let with_exclusion = valid.is_some_and(TagMutability::with_exclusion);
    if with_exclusion && filters.is_empty() {
        return Err(AwsError::new(
            "InvalidParameterException",
            format!("Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'imageTagMutabilityExclusionFilters must be specified when imageTagMutability is {m}'"),
        ));
    }
    if valid.is_some() && !with_exclusion && !filters.is_empty() {
        return Err(AwsError::new(
            "InvalidParameterException",
            format!("Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'imageTagMutabilityExclusionFilters can only be specified when imageTagMutability is IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION, not {m}'"),
        ));
    }
    Ok((m, filters))
}

/// Resource tags `[{Key, Value}]` with ECR's limits.
pub fn resource_tags(inp: &mut Input, field: &str) -> Result<Vec<(String, String)>, AwsError> {
    let Some(list) = inp.list(field, 0, usize::MAX) else {
        return Ok(Vec::new());
    };
    let mut tags = Vec::with_capacity(list.len());
    for item in &list {
        let Some(mut t) = input::element(item) else {
            return Err(AwsError::serialization(format!(
                "Unexpected value type for '{field}': expected a list of Tag structures"
            )));
        };
        let key = t.string("Key", 0, usize::MAX);
        let value = t.string("Value", 0, usize::MAX);
        t.finish()?;
        let (Some(key), Some(value)) = (key, value) else {
            return Err(AwsError::new(
                "InvalidTagParameterException",
                "Each tag must have a Key and a Value",
            ));
        };
        if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
            return Err(AwsError::new(
                "InvalidTagParameterException",
                "Tag keys must be 1 to 128 characters and tag values at most 256 characters",
            ));
        }
        if key.starts_with("aws:") {
            return Err(AwsError::new(
                "InvalidTagParameterException",
                "Tag keys may not begin with the reserved prefix 'aws:'",
            ));
        }
        tags.push((key, value));
    }
    if tags.len() > berth_registry::MAX_REPOSITORY_TAGS {
        return Err(AwsError::new(
            "TooManyTagsException",
            "Exceeded the maximum number of tags (50) for a repository",
        ));
    }
    Ok(tags)
}

pub async fn create_repository(ctx: &Ctx<'_>, mut inp: Input) -> Result<Value, AwsError> {
    let (account, name) = target(ctx, &mut inp)?;
    let tags = resource_tags(&mut inp, "tags")?;
    let (tag_mutability, mutability_filters) = mutability(&mut inp, false)?;
    let scan_on_push = scanning_configuration(&mut inp, false);
    let (encryption_type, kms_key) = match inp.structure("encryptionConfiguration") {
        Some(mut e) => {
            let t = e.required_string("encryptionType", 0, usize::MAX);
            let parsed = t.parse::<EncryptionType>();
            if !t.is_empty() && parsed.is_err() {
                e.problem(format!("Value '{t}' at 'encryptionType' failed to satisfy constraint: Member must satisfy enum value set: [{}]", EncryptionType::names().join(", ")));
            }
            let k = e.string("kmsKey", 1, 2048);
            inp.absorb("encryptionConfiguration", e);
            // (an invalid type was recorded as a problem, reported by `named` below)
            let t = parsed.unwrap_or(EncryptionType::Aes256);
            if t == EncryptionType::Aes256 && k.is_some() {
                return Err(AwsError::new(
                    "InvalidParameterException",
                    "Invalid parameter at 'encryptionConfiguration' failed to satisfy constraint: 'kmsKey can only be specified when encryptionType is KMS or KMS_DSSE'",
                ));
            }
            (t, k)
        }
        None => (EncryptionType::Aes256, None),
    };
    let name = named(inp, name)?;
    let repo = ctx
        .state
        .registry
        .create_repository(&NewRepository {
            account_id: account,
            name: name.to_string(),
            tag_mutability,
            mutability_filters,
            scan_on_push,
            // Berth stores blobs on its own backends: the setting is kept and reported
            encryption_type,
            kms_key,
            tags,
        })
        .await
        .map_err(core_error)?;
    reply(RepositoryResponse {
        repository: shape(ctx, &repo),
    })
}

pub async fn describe_repositories(ctx: &Ctx<'_>, mut inp: Input) -> Result<Value, AwsError> {
    let account = ctx.registry_id(&mut inp)?;
    let names = inp.string_list("repositoryNames", 1, 100, 2, 256);
    let token = inp.string("nextToken", 0, usize::MAX);
    let max = inp.integer("maxResults", 1, 1000);
    inp.finish()?;
    if let Some(names) = names {
        if token.is_some() || max.is_some() {
            return Err(AwsError::new(
                "InvalidParameterException",
                "Invalid parameter at 'repositoryNames' failed to satisfy constraint: 'nextToken and maxResults cannot be specified together with repositoryNames'",
            ));
        }
        let mut repos = Vec::with_capacity(names.len());
        for n in names {
            let name = n.parse::<RepositoryName>().map_err(|_| {
                AwsError::new(
                    "InvalidParameterException",
                    format!("Invalid parameter at 'repositoryNames' failed to satisfy constraint: 'must satisfy regular expression '{}''", super::ctx::REPOSITORY_NAME_PATTERN),
                )
            })?;
            let repo = ctx
                .state
                .registry
                .repository(&account, &name)
                .await
                .map_err(core_error)?;
            repos.push(repo);
        }
        return reply(DescribeRepositoriesResponse {
            repositories: repos.iter().map(|r| shape(ctx, r)).collect(),
            next_token: None,
        });
    }
    let after = token
        .map(|t| read_token("DescribeRepositories", &t))
        .transpose()?;
    let limit = max.unwrap_or(100) as u32;
    let (repos, more) = ctx
        .state
        .registry
        .repositories_page(&account, after.as_deref(), limit)
        .await
        .map_err(core_error)?;
    // a listing shows only the repositories the caller may describe
    let names: Vec<&str> = repos.iter().map(|r| r.name.as_str()).collect();
    let decisions = ctx
        .subject
        .decide_repositories(ctx.state, "ecr:DescribeRepositories", &account, &names)
        .await
        .map_err(super::authorize::authorization_failed)?;
    let repositories = repos
        .iter()
        .zip(decisions)
        .filter(|(_, d)| d.allowed())
        .map(|(r, _)| shape(ctx, r))
        .collect();
    let next_token = repos
        .last()
        .filter(|_| more)
        .map(|last| next_token("DescribeRepositories", &last.name));
    reply(DescribeRepositoriesResponse {
        repositories,
        next_token,
    })
}

pub async fn delete_repository(ctx: &Ctx<'_>, mut inp: Input) -> Result<Value, AwsError> {
    let (account, name) = target(ctx, &mut inp)?;
    let force = inp.boolean("force").unwrap_or(false);
    let name = named(inp, name)?;
    let repo = ctx
        .state
        .registry
        .delete_repository(&account, &name, force)
        .await
        .map_err(core_error)?;
    // its policy went with it: a repository created under the same name starts without one
    ctx.state.iam.policies_changed();
    reply(RepositoryResponse {
        repository: shape(ctx, &repo),
    })
}

pub async fn put_image_tag_mutability(ctx: &Ctx<'_>, mut inp: Input) -> Result<Value, AwsError> {
    let (account, name) = target(ctx, &mut inp)?;
    let (m, filters) = mutability(&mut inp, true)?;
    let name = named(inp, name)?;
    let repo = ctx
        .state
        .registry
        .set_tag_mutability(&account, &name, m, &filters)
        .await
        .map_err(core_error)?;
    reply(PutImageTagMutabilityResponse {
        registry_id: &repo.account_id,
        repository_name: &repo.name,
        image_tag_mutability: repo.tag_mutability,
        image_tag_mutability_exclusion_filters: ExclusionFilter::list(&repo.mutability_filters),
    })
}

pub async fn put_image_scanning_configuration(
    ctx: &Ctx<'_>,
    mut inp: Input,
) -> Result<Value, AwsError> {
    let (account, name) = target(ctx, &mut inp)?;
    let scan = scanning_configuration(&mut inp, true);
    let name = named(inp, name)?;
    let repo = ctx
        .state
        .registry
        .set_scan_on_push(&account, &name, scan)
        .await
        .map_err(core_error)?;
    reply(PutImageScanningConfigurationResponse {
        registry_id: &repo.account_id,
        repository_name: &repo.name,
        image_scanning_configuration: ScanningConfiguration {
            scan_on_push: repo.scan_on_push,
        },
    })
}
