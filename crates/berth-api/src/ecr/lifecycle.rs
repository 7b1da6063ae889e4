//! Lifecycle policies: Put/Get/DeleteLifecyclePolicy, StartLifecyclePolicyPreview and
//! GetLifecyclePolicyPreview. A preview is evaluated when it starts, so it is `COMPLETE` at once
//! (ECR answers `IN_PROGRESS` and finishes later; clients poll either way).

use serde_json::Value;

use super::ctx::Ctx;
use super::requests::{
    GetLifecyclePolicyPreviewRequest, LifecyclePolicyRequest, PutLifecyclePolicyRequest,
    RepositoryRequest,
};
use super::shapes::{
    GetLifecyclePolicyPreviewResponse, LifecyclePolicyResponse, PreviewResult, PreviewSummary,
    RuleAction, StartLifecyclePolicyPreviewResponse,
};
use crate::aws::registry_error as core_error;
use crate::aws::{next_token, read_token, reply, AwsError, Epoch, Input};

fn shape<'a>(
    account: &'a str,
    name: &'a str,
    text: &'a str,
    evaluated: Option<i64>,
) -> LifecyclePolicyResponse<'a> {
    LifecyclePolicyResponse {
        registry_id: account,
        repository_name: name,
        lifecycle_policy_text: text,
        last_evaluated_at: evaluated.map(Epoch),
    }
}

pub async fn put_lifecycle_policy(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let PutLifecyclePolicyRequest(req) = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let text = req.lifecycle_policy_text.unwrap_or_default();
    ctx.state
        .registry
        .put_lifecycle_policy(&account, &name, &text)
        .await
        .map_err(core_error)?;
    reply(shape(&account, name.as_str(), &text, None))
}

pub async fn get_lifecycle_policy(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: RepositoryRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let (text, at) = ctx
        .state
        .registry
        .lifecycle_policy(&account, &name)
        .await
        .map_err(core_error)?;
    reply(shape(&account, name.as_str(), &text, at))
}

pub async fn delete_lifecycle_policy(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: RepositoryRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let (text, at) = ctx
        .state
        .registry
        .delete_lifecycle_policy(&account, &name)
        .await
        .map_err(core_error)?;
    reply(shape(&account, name.as_str(), &text, at))
}

pub async fn start_lifecycle_policy_preview(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: LifecyclePolicyRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let text = req.lifecycle_policy_text;
    let text = ctx
        .state
        .registry
        .start_lifecycle_preview(&account, &name, text.as_deref())
        .await
        .map_err(core_error)?;
    reply(StartLifecyclePolicyPreviewResponse {
        policy: shape(&account, name.as_str(), &text, None),
        status: "COMPLETE",
    })
}

pub async fn get_lifecycle_policy_preview(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: GetLifecyclePolicyPreviewRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let ids = req.image_ids;
    let token = req.next_token;
    let max = req.max_results.unwrap_or(100) as usize;
    let status_filter = req.filter.and_then(|f| f.tag_status);
    let preview = ctx
        .state
        .registry
        .lifecycle_preview(&account, &name)
        .await
        .map_err(core_error)?;
    let wanted = |digest: &str, tags: &[String]| -> bool {
        let Some(ids) = &ids else { return true };
        ids.iter().any(|id| {
            id.get("imageDigest").and_then(Value::as_str) == Some(digest)
                || id
                    .get("imageTag")
                    .and_then(Value::as_str)
                    .is_some_and(|t| tags.iter().any(|x| x == t))
        })
    };
    let results: Vec<_> = preview
        .results
        .iter()
        .filter(|p| wanted(&p.digest, &p.tags))
        .filter(|p| match status_filter.as_deref() {
            Some("TAGGED") => !p.tags.is_empty(),
            Some("UNTAGGED") => p.tags.is_empty(),
            _ => true,
        })
        .collect();
    let after = match &token {
        Some(t) => Some(read_token("GetLifecyclePolicyPreview", t)?),
        None => None,
    };
    let start = match &after {
        Some(a) => results
            .iter()
            .position(|p| &p.digest == a)
            .map(|i| i + 1)
            .unwrap_or(results.len()),
        None => 0,
    };
    let page: Vec<_> = results.iter().skip(start).take(max).collect();
    let next_token = page
        .last()
        .filter(|_| start + page.len() < results.len())
        .map(|last| next_token("GetLifecyclePolicyPreview", &last.digest));
    reply(GetLifecyclePolicyPreviewResponse {
        policy: shape(&account, name.as_str(), &preview.policy, None),
        status: &preview.status,
        preview_results: page
            .iter()
            .map(|p| PreviewResult {
                image_tags: &p.tags,
                image_digest: &p.digest,
                image_pushed_at: Epoch(p.pushed_at),
                action: RuleAction { kind: "EXPIRE" },
                applied_rule_priority: p.rule_priority,
                storage_class: "STANDARD",
            })
            .collect(),
        // the summary counts every image the preview expires, whatever the filters
        summary: PreviewSummary {
            expiring_image_total_count: preview.results.len(),
        },
        next_token,
    })
}
