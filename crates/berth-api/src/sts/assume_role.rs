//! AssumeRole: a role's temporary credentials, checked against its trust policy (and, across
//! accounts or for the caller's account as principal, the caller's own policies).

use berth_iam::authz::role_arn;
use berth_iam::session::{MAX_DURATION, MIN_DURATION};
use berth_meta::PrincipalKind;
use http::StatusCode;

use super::call::{access_denied, credentials_xml, internal, Call};
use crate::authz::Subject;
use crate::aws::AwsError;
use crate::query::element;

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

/// AssumeRole.
pub async fn assume_role(c: &Call<'_>) -> Result<String, AwsError> {
    let (state, caller, peer, params) = (c.state, c.caller, c.peer, c.params);
    let arn = params.required("RoleArn")?;
    let session = params.required("RoleSessionName")?;
    if !(2..=64).contains(&session.len())
        || !session
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
    {
        return Err(AwsError::new(
            "ValidationError",
            format!("1 validation error detected: Value '{session}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"),
        ));
    }
    let duration = params.integer("DurationSeconds", MIN_DURATION, MAX_DURATION)?;
    for unsupported in [
        "Policy",
        "PolicyArns.member.1",
        "Tags.member.1.Key",
        "SerialNumber",
    ] {
        if params.get(unsupported).is_some() {
            return Err(AwsError::new(
                "ValidationError",
                format!(
                    "Berth does not support the AssumeRole parameter {} yet",
                    unsupported.split('.').next().unwrap_or(unsupported)
                ),
            ));
        }
    }
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
    let Some((account, name)) = role_of(arn) else {
        return Err(denied());
    };
    let role = match state.iam.role(account, name).await {
        Ok(r) if role_arn(&r.principal) == arn => r,
        Ok(_) | Err(berth_iam::admin::AdminError::NoSuchEntity(_)) => return Err(denied()),
        Err(e) => {
            tracing::error!(error = %e, "role lookup failed");
            return Err(
                AwsError::new("InternalFailure", "An internal error occurred")
                    .status(StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
    };
    let mut context = subject.context.clone();
    context.set("sts:RoleSessionName", session);
    if let Some(external) = params.get("ExternalId") {
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
    let duration = duration.unwrap_or(ASSUME_ROLE_DEFAULT);
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
    let c = state
        .iam
        .issue_session(&role.principal, Some(session), duration, now)
        .map_err(internal)?;
    let assumed = berth_iam::authz::caller_of(&role.principal, Some(session));
    tracing::info!(role = %arn, session, by = %subject.arn(), "role assumed");
    Ok(format!(
        "{}<AssumedRoleUser>{}{}</AssumedRoleUser>",
        credentials_xml(&c),
        element("Arn", &assumed.arn),
        element(
            "AssumedRoleId",
            &berth_iam::authz::user_id(&role.principal, Some(session))
        ),
    ))
}
