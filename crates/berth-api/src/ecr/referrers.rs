//! ListImageReferrers: the manifests whose subject is an image, as `/v2/`'s referrers API lists
//! them, with ECR's filters and paging.

use berth_oci::Digest;

use super::ctx::Ctx;
use super::image_ids::DIGEST_PATTERN;
use super::requests::ListImageReferrersRequest;
use super::shapes::{ImageReferrer, ListImageReferrersResponse};
use crate::aws::registry_error as core_error;
use crate::aws::{next_token, read_token, reply, AwsError, Input};
use serde_json::Value;

pub async fn list_image_referrers(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: ListImageReferrersRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let subject = req.subject_id.and_then(|s| s.image_digest);
    let (types, artifact_status) = match req.filter {
        Some(f) => (f.artifact_types, f.artifact_status),
        None => (None, None),
    };
    let token = req.next_token;
    let max = req.max_results.unwrap_or(50);
    let subject = subject.unwrap_or_default();
    let subject = subject.parse::<Digest>().map_err(|_| {
        AwsError::new(
            "InvalidParameterException",
            format!("Invalid parameter at 'subjectId.imageDigest' failed to satisfy constraint: 'must satisfy regular expression '{DIGEST_PATTERN}''"),
        )
    })?;
    let after = token
        .map(|t| read_token("ListImageReferrers", &t))
        .transpose()?;
    let all = ctx
        .state
        .registry
        .referrers(&account, &name, &subject, None)
        .await
        .map_err(core_error)?;
    // every artifact is ACTIVE in Berth (no archive storage class)
    let none = matches!(artifact_status.as_deref(), Some("ARCHIVED" | "ACTIVATING"));
    let mut matching = all.into_iter().filter(|r| {
        !none
            && types.as_ref().is_none_or(|ts| {
                ts.is_empty() || r.artifact_type.as_ref().is_some_and(|a| ts.contains(a))
            })
            && after
                .as_deref()
                .is_none_or(|a| r.digest.to_string().as_str() > a)
    });
    let page: Vec<_> = matching.by_ref().take(max as usize).collect();
    let more = matching.next().is_some();
    let referrers = page
        .iter()
        .map(|r| ImageReferrer {
            digest: r.digest.to_string(),
            media_type: &r.media_type,
            size: r.size,
            artifact_status: "ACTIVE",
            artifact_type: r.artifact_type.as_deref(),
            annotations: r.annotations.as_ref(),
        })
        .collect();
    let next_token = page
        .last()
        .filter(|_| more)
        .map(|last| next_token("ListImageReferrers", &last.digest.to_string()));
    reply(ListImageReferrersResponse {
        referrers,
        next_token,
    })
}
