//! CreateRepository, DescribeRepositories, DeleteRepository, PutImageTagMutability,
//! PutImageScanningConfiguration.

use berth_meta::{NewRepository, Repository};
use berth_oci::RepositoryName;
use serde_json::Value;

use super::ctx::Ctx;
use super::requests::{
    tag_pairs, CreateRepositoryRequest, DeleteRepositoryRequest, DescribeRepositoriesRequest,
    PutImageScanningConfigurationRequest, PutImageTagMutabilityRequest, REPOSITORY_NAME_PATTERN,
};
use super::shapes::{
    self, DescribeRepositoriesResponse, EncryptionConfiguration, ExclusionFilter,
    PutImageScanningConfigurationResponse, PutImageTagMutabilityResponse, RepositoryResponse,
    ScanningConfiguration,
};
use crate::aws::registry_error as core_error;
use crate::aws::{next_token, read_token, reply, AwsError, Epoch, Input};

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

pub async fn create_repository(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: CreateRepositoryRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let tags = tag_pairs(&req.tags);
    let (tag_mutability, mutability_filters) = req.mutability().value();
    let scan_on_push = req
        .image_scanning_configuration
        .as_ref()
        .and_then(|s| s.scan_on_push)
        .unwrap_or(false);
    let (encryption_type, kms_key) = req.encryption();
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

pub async fn describe_repositories(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: DescribeRepositoriesRequest = inp.request()?;
    let account = ctx.registry(&req.registry_id);
    let (names, token, max) = (req.repository_names, req.next_token, req.max_results);
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
                    format!("Invalid parameter at 'repositoryNames' failed to satisfy constraint: 'must satisfy regular expression '{}''", REPOSITORY_NAME_PATTERN),
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

pub async fn delete_repository(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: DeleteRepositoryRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let force = req.force.unwrap_or(false);
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

pub async fn put_image_tag_mutability(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: PutImageTagMutabilityRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let (m, filters) = req.mutability().value();
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
    inp: Input,
) -> Result<Value, AwsError> {
    let req: PutImageScanningConfigurationRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let scan = req
        .image_scanning_configuration
        .and_then(|s| s.scan_on_push)
        .unwrap_or(false);
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
