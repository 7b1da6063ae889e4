//! The ECR API (AWS JSON 1.1, `X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.<Operation>`).
//!
//! One module per operation family: `auth` (GetAuthorizationToken), `repositories`
//! (Create/Describe/DeleteRepository, tag mutability, scanning configuration), `resource_tags`
//! (Tag/Untag/ListTagsForResource), `registry` (DescribeRegistry, account settings). Every
//! handler validates its input against the service model's constraints, calls the registry core
//! and shapes the output as botocore's model says.

mod auth;
mod images;
mod input;
mod layers;
mod lifecycle;
pub mod operations;
mod policies;
mod registry;
mod repositories;
mod resource_tags;

use base64::Engine;
use berth_oci::RepositoryName;
use berth_registry::RegistryError;
use http::HeaderMap;
use serde_json::{json, Value};

use crate::authz::Subject;
use crate::aws::{AwsCaller, AwsError};
use crate::AppState;
use berth_iam::policy::Decision;
pub use input::Input;
pub use operations::Operation;

pub const TARGET_PREFIX: &str = "AmazonEC2ContainerRegistry_V20150921.";

/// What every operation handler receives.
pub struct Ctx<'a> {
    pub state: &'a AppState,
    pub caller: &'a AwsCaller,
    /// The caller as policies see it (for listings that show only what it may see).
    pub subject: &'a Subject,
    pub operation: Operation,
    /// The host the request was sent to (for URLs handed back).
    pub host: &'a str,
}

pub async fn dispatch(
    state: &AppState,
    caller: &AwsCaller,
    peer: Option<std::net::IpAddr>,
    host: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, AwsError> {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(op) = target.strip_prefix(TARGET_PREFIX) else {
        return Err(AwsError::new(
            "UnknownOperationException",
            format!("Unknown operation target '{target}' for the ECR service"),
        ));
    };
    let Some(operation) = Operation::parse(op) else {
        return Err(AwsError::new(
            "UnknownOperationException",
            format!("Unknown operation '{op}'"),
        ));
    };
    if !operation.built() {
        return Err(operations::not_built(operation));
    }
    let inp = Input::parse(body)?;
    let subject = Subject::new(
        state,
        caller.principal.clone(),
        caller.session.as_deref(),
        peer,
    );
    authorize(state, &subject, caller, operation, inp.raw()).await?;
    let ctx = Ctx {
        state,
        caller,
        subject: &subject,
        operation,
        host,
    };
    operations::dispatch(operation, &ctx, inp).await
}

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
async fn authorize(
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

impl Ctx<'_> {
    pub fn account(&self) -> &str {
        &self.caller.principal.account_id
    }

    pub fn region(&self) -> &str {
        &self.state.region
    }

    pub fn repository_arn(&self, account: &str, name: &str) -> String {
        crate::authz::repository_arn(self.state, account, name)
    }

    pub fn registry_host(&self, account: &str) -> String {
        format!("{account}.dkr.ecr.{}.{}", self.region(), self.state.domain)
    }

    /// The registry an operation addresses: `registryId` when given (12 digits), else the
    /// caller's own. Another account's registry is reached through its policies (see `authorize`).
    pub fn registry_id(&self, inp: &mut Input) -> Result<String, AwsError> {
        let Some(id) = inp.string("registryId", 0, usize::MAX) else {
            return Ok(self.account().to_string());
        };
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AwsError::new(
                "InvalidParameterException",
                "Invalid parameter at 'registryId' failed to satisfy constraint: 'must satisfy regular expression '[0-9]{12}''",
            ));
        }
        // another account's registry was authorised by its policies in `dispatch`
        Ok(id)
    }
}

/// ECR's repository-name constraint message.
pub const REPOSITORY_NAME_PATTERN: &str =
    "(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*";

/// A required `repositoryName` (2..256, ECR's pattern).
pub fn repository_name(inp: &mut Input, field: &str) -> Result<Option<RepositoryName>, AwsError> {
    let name = inp.required_string(field, 2, 256);
    if name.is_empty() || name.chars().count() < 2 || name.chars().count() > 256 {
        return Ok(None); // reported by the length check
    }
    match name.parse::<RepositoryName>() {
        Ok(n) => Ok(Some(n)),
        Err(_) => Err(AwsError::new(
            "InvalidParameterException",
            format!("Invalid parameter at '{field}' failed to satisfy constraint: 'must satisfy regular expression '{REPOSITORY_NAME_PATTERN}''"),
        )),
    }
}

/// The registry and repository an operation addresses: `registryId` (the caller's by default) and
/// `repositoryName`.
pub fn target(
    ctx: &Ctx<'_>,
    inp: &mut Input,
) -> Result<(String, Option<RepositoryName>), AwsError> {
    let account = ctx.registry_id(inp)?;
    let name = repository_name(inp, "repositoryName")?;
    Ok((account, name))
}

/// The input's problems, if any, as the error; else the repository name it carried.
pub fn named(inp: Input, name: Option<RepositoryName>) -> Result<RepositoryName, AwsError> {
    inp.finish()?;
    // a missing, short, long or mistyped name was reported by `finish`
    name.ok_or_else(|| AwsError::serialization("repositoryName must be a string"))
}

/// Epoch seconds (with milliseconds) as a JSON number, as AWS's JSON protocols send timestamps.
pub fn epoch(millis: i64) -> Value {
    json!(millis as f64 / 1000.0)
}

/// Map a core error to ECR's exceptions.
pub fn core_error(e: RegistryError) -> AwsError {
    use RegistryError as R;
    let msg = e.to_string();
    match e {
        R::NameUnknown { .. } => AwsError::new("RepositoryNotFoundException", msg),
        R::RepositoryExists { .. } => AwsError::new("RepositoryAlreadyExistsException", msg),
        R::RepositoryNotEmpty { .. } => AwsError::new("RepositoryNotEmptyException", msg),
        R::TooManyTags => AwsError::new("TooManyTagsException", msg),
        R::TagImmutable { .. } => AwsError::new("ImageTagAlreadyExistsException", msg),
        R::LifecyclePolicyNotFound { .. } => AwsError::new("LifecyclePolicyNotFoundException", msg),
        R::LifecyclePreviewNotFound { .. } => {
            AwsError::new("LifecyclePolicyPreviewNotFoundException", msg)
        }
        R::LifecycleInvalid(_) => AwsError::new(
            "InvalidParameterException",
            format!(
                "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: '{msg}'"
            ),
        ),
        R::InsufficientStorage(_) => AwsError::server(msg),
        R::Internal(m) => {
            tracing::error!(error = %m, "internal error");
            AwsError::server("An internal error occurred")
        }
        other => AwsError::new("InvalidParameterException", other.to_string()),
    }
}

/// Opaque pagination tokens: base64url of the operation and the last key returned.
pub fn next_token(op: &str, after: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{op}\n{after}"))
}

pub fn read_token(op: &str, token: &str) -> Result<String, AwsError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            let (o, after) = s.split_once('\n')?;
            (o == op).then(|| after.to_string())
        })
        .ok_or_else(|| {
            AwsError::new(
                "InvalidParameterException",
                "Invalid parameter at 'nextToken' failed to satisfy constraint: 'must be a valid pagination token'",
            )
        })
}
