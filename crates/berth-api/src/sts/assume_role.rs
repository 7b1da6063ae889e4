//! AssumeRole: a role's temporary credentials, checked against its trust policy (and, across
//! accounts or for the caller's account as principal, the caller's own policies).

use berth_iam::authz::role_arn;
use berth_iam::session::{MAX_DURATION, MIN_DURATION};
use berth_meta::{PrincipalKind, Role};
use http::StatusCode;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::call::{access_denied, internal, Call, Credentials};
use crate::authz::Subject;
use crate::aws::{AwsError, Checks, Request};
use crate::query::Reply;
use crate::state::AppState;

/// AssumeRole's default session length, and the limit for role chaining.
const ASSUME_ROLE_DEFAULT: i64 = 3600;
const CHAINED_MAX: i64 = 3600;

/// The role an ARN names: `arn:aws:iam::ACCOUNT:role/[PATH/]NAME`.
fn role_of(arn: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", _, "iam", "", account, resource] = parts.as_slice() else {
        return None;
    };
    let rest = resource.strip_prefix("role/")?;
    let name = rest.rsplit('/').next()?;
    (berth_iam::policy::is_account_id(account) && !name.is_empty()).then_some((account, name))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssumeRoleRequest {
    role_arn: Option<String>,
    role_session_name: Option<String>,
    duration_seconds: Option<i64>,
    external_id: Option<String>,
    // not supported yet: refused when given
    policy: Option<IgnoredAny>,
    policy_arns: Option<IgnoredAny>,
    tags: Option<IgnoredAny>,
    serial_number: Option<IgnoredAny>,
}

impl Request for AssumeRoleRequest {
    fn check(&self, c: &mut Checks) {
        c.required("roleArn", self.role_arn.as_ref());
        let session = self.role_session_name.as_deref();
        c.required_length("roleSessionName", session, 2, 64);
        if let Some(s) = session.filter(|s| {
            !s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
        }) {
            c.problem(format!("Value '{s}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"));
        }
        c.range(
            "durationSeconds",
            self.duration_seconds,
            MIN_DURATION,
            MAX_DURATION,
        );
        for (given, name) in [
            (self.policy.is_some(), "Policy"),
            (self.policy_arns.is_some(), "PolicyArns"),
            (self.tags.is_some(), "Tags"),
            (self.serial_number.is_some(), "SerialNumber"),
        ] {
            if given {
                c.fail(AwsError::new(
                    "ValidationError",
                    format!("Berth does not support the AssumeRole parameter {name} yet"),
                ));
            }
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct AssumedRoleUser {
    arn: String,
    assumed_role_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct AssumeRoleResult {
    credentials: Credentials,
    assumed_role_user: AssumedRoleUser,
}

/// The role an ARN names, if it exists (by that exact ARN, path included).
async fn role_named(state: &AppState, arn: &str) -> Result<Option<Role>, AwsError> {
    let Some((account, name)) = role_of(arn) else {
        return Ok(None);
    };
    match state.iam.role(account, name).await {
        Ok(r) if role_arn(&r.principal) == arn => Ok(Some(r)),
        Ok(_) | Err(berth_iam::admin::AdminError::NoSuchEntity(_)) => Ok(None),
        Err(e) => {
            tracing::error!(error = %e, "role lookup failed");
            Err(
                AwsError::new("InternalFailure", "An internal error occurred")
                    .status(StatusCode::INTERNAL_SERVER_ERROR),
            )
        }
    }
}

/// AssumeRole.
pub async fn assume_role(c: &Call<'_>) -> Result<Reply, AwsError> {
    let (state, caller, peer) = (c.state, c.caller, c.peer);
    let r: AssumeRoleRequest = c.request()?;
    // both required by the request's checks
    let arn = r.role_arn.as_deref().unwrap_or_default();
    let session = r.role_session_name.as_deref().unwrap_or_default();
    let p = &caller.principal;
    let subject = Subject::new(state, p.clone(), caller.session.as_deref(), peer);
    let denied = || {
        access_denied(format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {arn}",
            subject.arn()
        ))
    };
    if p.kind == PrincipalKind::Root {
        return Err(access_denied(
            "Roles may not be assumed by root accounts.".into(),
        ));
    }
    let Some(role) = role_named(state, arn).await? else {
        return Err(denied());
    };
    let mut context = subject.context.clone();
    context.set("sts:RoleSessionName", session);
    if let Some(external) = r.external_id.as_deref() {
        context.set("sts:ExternalId", external);
    }
    let d = state
        .iam
        .authorize_assume_role(p, &subject.caller, &role, &context)
        .await
        .map_err(internal)?;
    if !d.allowed() {
        return Err(denied());
    }
    let chained = caller.session.is_some();
    let duration = r.duration_seconds.unwrap_or(ASSUME_ROLE_DEFAULT);
    if chained && duration > CHAINED_MAX {
        return Err(AwsError::new(
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        ));
    }
    if duration > role.max_session_duration {
        return Err(AwsError::new(
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    let now = crate::state::now_secs();
    let credentials = state
        .iam
        .issue_session(&role.principal, Some(session), duration, now)
        .map_err(internal)?;
    let assumed = berth_iam::authz::caller_of(&role.principal, Some(session));
    tracing::info!(role = %arn, session, by = %subject.arn(), "role assumed");
    c.reply(&AssumeRoleResult {
        credentials: credentials.into(),
        assumed_role_user: AssumedRoleUser {
            arn: assumed.arn,
            assumed_role_id: berth_iam::authz::user_id(&role.principal, Some(session)),
        },
    })
}
