//! Authorising an ECR operation before its handler runs: the caller's policies and the
//! resource's, on the repository the input names (or the registry's `repository/*`).

use berth_iam::policy::Decision;
use serde_json::Value;

use super::operations::Operation;
use crate::authz::Subject;
use crate::aws::{AwsCaller, AwsError};
use crate::state::AppState;

/// The account and repository an operation addresses, read from its input before validation
/// (a malformed value is reported by the handler; here it only names a resource).
fn addressed(
    caller: &AwsCaller,
    operation: Operation,
    v: &serde_json::Map<String, Value>,
) -> (String, Option<String>) {
    let own = caller.principal.account_id.clone();
    if matches!(
        operation,
        Operation::TagResource | Operation::UntagResource | Operation::ListTagsForResource
    ) {
        let arn = v.get("resourceArn").and_then(Value::as_str).unwrap_or("");
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        if let [_, _, _, _, account, resource] = parts.as_slice() {
            if let Some(name) = resource.strip_prefix("repository/") {
                return (account.to_string(), Some(name.to_string()));
            }
        }
        return (own, None);
    }
    let account = v
        .get("registryId")
        .and_then(Value::as_str)
        .filter(|id| berth_iam::policy::is_account_id(id))
        .map(str::to_string)
        .unwrap_or(own);
    let repo = v
        .get("repositoryName")
        .and_then(Value::as_str)
        .map(str::to_string);
    (account, repo)
}

/// Refuse the operation unless the caller's policies and the resource's allow it. Operations on
/// a repository are authorised on its ARN, the rest on `*`; DescribeRepositories without names
/// lists only what the caller may describe (in the handler).
pub(super) async fn authorize(
    state: &AppState,
    subject: &Subject,
    caller: &AwsCaller,
    operation: Operation,
    v: &serde_json::Map<String, Value>,
) -> Result<(), AwsError> {
    let (account, repo) = addressed(caller, operation, v);
    let action = format!("ecr:{}", operation.name());
    // the tags a request would set, for aws:RequestTag/… and aws:TagKeys
    let mut context = subject.context.clone();
    let request_tags: Vec<(String, String)> = v
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(|t| {
                    Some((
                        t.get("Key")?.as_str()?.to_string(),
                        t.get("Value")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut keys: Vec<String> = request_tags.iter().map(|(k, _)| k.clone()).collect();
    for (k, val) in &request_tags {
        context.set(&format!("aws:RequestTag/{k}"), val.clone());
    }
    if let Some(list) = v.get("tagKeys").and_then(Value::as_array) {
        keys.extend(list.iter().filter_map(|k| k.as_str().map(str::to_string)));
    }
    if !keys.is_empty() {
        context.set_many("aws:TagKeys", keys);
    }
    let names: Vec<String> = match (operation, &repo) {
        (Operation::DescribeRepositories, _) => v
            .get("repositoryNames")
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(|n| n.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        (_, Some(r)) => vec![r.clone()],
        _ => Vec::new(),
    };
    let decide = |repository: Option<String>| {
        let context = &context;
        let account = &account;
        let action = &action;
        async move {
            let d = subject
                .decide_with(state, action, account, repository.as_deref(), context)
                .await
                .map_err(authorization_failed)?;
            if d.allowed() {
                return Ok(());
            }
            let resource = match &repository {
                Some(r) => crate::authz::repository_arn(state, account, r),
                None => "*".to_string(),
            };
            Err(denied(subject, action, &resource, d))
        }
    };
    if operation == Operation::DescribeRepositories && names.is_empty() {
        // as AWS: a listing is authorised on `repository/*` first; the handler's filter by each
        // repository's decision only narrows what an allowed caller sees (explicit denies)
        return decide(Some("*".to_string())).await;
    }
    if names.is_empty() {
        return decide(None).await;
    }
    for n in names {
        decide(Some(n)).await?;
    }
    Ok(())
}

/// A policy lookup that failed: logged, and an internal error for the client.
pub fn authorization_failed(e: berth_iam::AuthError) -> AwsError {
    tracing::error!(error = %e, "authorization failed");
    AwsError::server("An internal error occurred")
}

/// ECR's AccessDeniedException.
pub fn denied(subject: &Subject, action: &str, resource: &str, d: Decision) -> AwsError {
    AwsError::new(
        "AccessDeniedException",
        crate::authz::denial_message(subject, action, resource, d),
    )
}
