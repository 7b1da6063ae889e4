//! DescribeImageReplicationStatus (PutReplicationConfiguration and DescribeRegistry are in
//! `registry`).

use berth_meta::ReplicationStatus;
use serde::Serialize;
use serde_json::Value;

use super::ctx::Ctx;
use super::image_ids::{image_id, one_image};
use super::requests::ImageReplicationStatusRequest;
use super::shapes::ImageIdentifier;
use crate::aws::registry_error as core_error;
use crate::aws::{reply, AwsError, Input};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusOut {
    region: String,
    registry_id: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_code: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DescribeImageReplicationStatusResponse {
    repository_name: String,
    image_id: ImageIdentifier,
    replication_statuses: Vec<StatusOut>,
}

pub async fn describe_image_replication_status(
    ctx: &Ctx<'_>,
    inp: Input,
) -> Result<Value, AwsError> {
    let req: ImageReplicationStatusRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let raw = req.image_id.unwrap_or_default();
    let image = one_image(ctx, &account, &name, &raw).await?;
    let statuses = ctx
        .state
        .registry
        .image_replications(&account, &name, &image.digest)
        .await
        .map_err(core_error)?;
    let tag = raw.get("imageTag").and_then(Value::as_str);
    reply(DescribeImageReplicationStatusResponse {
        repository_name: name.to_string(),
        image_id: image_id(&image.digest, tag),
        replication_statuses: statuses
            .into_iter()
            .map(|s| StatusOut {
                region: s.destination.region,
                registry_id: s.destination.account,
                // a replication waiting to start or to retry is in progress, as ECR has it
                status: match s.status {
                    ReplicationStatus::Pending | ReplicationStatus::InProgress => "IN_PROGRESS",
                    other => other.as_str(),
                },
                failure_code: s
                    .failure_code
                    .filter(|_| s.status == ReplicationStatus::Failed),
            })
            .collect(),
    })
}
