//! TagResource, UntagResource, ListTagsForResource. The only taggable resource is a repository.

use berth_oci::RepositoryName;
use serde_json::Value;

use super::ctx::Ctx;
use super::requests::{
    tag_pairs, ListTagsForResourceRequest, TagResourceRequest, UntagResourceRequest,
};
use super::shapes::{ListTagsForResourceResponse, Tag};
use crate::aws::registry_error as core_error;
use crate::aws::{reply, AwsError, Empty, Input};

/// The account and repository an ARN names (`arn:aws:ecr:<region>:<account>:repository/<name>`).
fn repository_of(ctx: &Ctx<'_>, arn: &str) -> Result<(String, RepositoryName), AwsError> {
    let invalid = || {
        AwsError::new(
            "InvalidParameterException",
            "Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'",
        )
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [a, partition, service, region, account, resource] = parts.as_slice() else {
        return Err(invalid());
    };
    if *a != "arn" || partition.is_empty() || *service != "ecr" || *region != ctx.region() {
        return Err(invalid());
    }
    let name = resource.strip_prefix("repository/").ok_or_else(invalid)?;
    let name = name.parse::<RepositoryName>().map_err(|_| invalid())?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    // another account's repository was authorised by its policies in `dispatch`
    Ok((account.to_string(), name))
}

pub async fn tag_resource(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: TagResourceRequest = inp.request()?;
    let arn = req.resource_arn.clone().unwrap_or_default();
    let tags = tag_pairs(&req.tags);
    let (account, name) = repository_of(ctx, &arn)?;
    ctx.state
        .registry
        .tag_repository(&account, &name, &tags)
        .await
        .map_err(core_error)?;
    reply(Empty {})
}

pub async fn untag_resource(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: UntagResourceRequest = inp.request()?;
    let (arn, keys) = (req.resource_arn.unwrap_or_default(), req.tag_keys);
    let (account, name) = repository_of(ctx, &arn)?;
    ctx.state
        .registry
        .untag_repository(&account, &name, &keys.unwrap_or_default())
        .await
        .map_err(core_error)?;
    reply(Empty {})
}

pub async fn list_tags_for_resource(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: ListTagsForResourceRequest = inp.request()?;
    let arn = req.resource_arn.unwrap_or_default();
    let (account, name) = repository_of(ctx, &arn)?;
    let tags = ctx
        .state
        .registry
        .repository_tags(&account, &name)
        .await
        .map_err(core_error)?;
    reply(ListTagsForResourceResponse {
        tags: tags.iter().map(|(key, value)| Tag { key, value }).collect(),
    })
}
