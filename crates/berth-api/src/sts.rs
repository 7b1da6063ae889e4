//! STS (AWS Query protocol, XML responses): GetCallerIdentity; GetSessionToken for temporary
//! credentials; AssumeRole for a role's temporary credentials, checked against its trust policy.
//! Both kinds of credentials are accepted by the other services with `X-Amz-Security-Token`.

use http::StatusCode;

use crate::authz::{iso8601, Subject};
use crate::aws::{AwsCaller, AwsError};
use crate::query::{element, Params};
use crate::state::AppState;
use berth_iam::authz::role_arn;
use berth_iam::session::{SessionCredentials, DEFAULT_DURATION, MAX_DURATION, MIN_DURATION};

pub const NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// AssumeRole's default session length, and the limit for role chaining.
const ASSUME_ROLE_DEFAULT: i64 = 3600;
const CHAINED_MAX: i64 = 3600;

fn credentials_xml(c: &SessionCredentials) -> String {
    format!(
        "<Credentials>{}{}{}{}</Credentials>",
        element("AccessKeyId", &c.access_key_id),
        element("SecretAccessKey", &c.secret_access_key),
        element("SessionToken", &c.session_token),
        element("Expiration", &iso8601(c.expires_at))
    )
}

fn internal(e: berth_iam::AuthError) -> AwsError {
    tracing::error!(error = %e, "STS request failed");
    AwsError::new("InternalFailure", "An internal error occurred")
        .status(StatusCode::INTERNAL_SERVER_ERROR)
}

fn access_denied(message: String) -> AwsError {
    AwsError::new("AccessDenied", message).status(StatusCode::FORBIDDEN)
}

/// Run the action: its name and its result element's content.
pub async fn dispatch(
    state: &AppState,
    caller: &AwsCaller,
    peer: Option<std::net::IpAddr>,
    body: &[u8],
) -> Result<(String, String), AwsError> {
    let params = Params::parse(body);
    let action = params.action().to_string();
    let p = &caller.principal;
    let result = match action.as_str() {
        "GetCallerIdentity" => {
            let who = berth_iam::authz::caller_of(p, caller.session.as_deref());
            let user_id = berth_iam::authz::user_id(p, caller.session.as_deref());
            format!(
                "{}{}{}",
                element("Arn", &who.arn),
                element("UserId", &user_id),
                element("Account", &p.account_id)
            )
        }
        "GetSessionToken" => {
            let duration = params
                .integer("DurationSeconds", MIN_DURATION, MAX_DURATION)?
                .unwrap_or(DEFAULT_DURATION);
            if caller.expires_at.is_some() {
                return Err(access_denied(
                    "Cannot call GetSessionToken with session credentials".into(),
                ));
            }
            let now = crate::state::now_secs();
            let c = state
                .iam
                .issue_session(p, None, duration, now)
                .map_err(internal)?;
            credentials_xml(&c)
        }
        "AssumeRole" => assume_role(state, caller, peer, &params).await?,
        "" => return Err(AwsError::new("MissingAction", "Missing Action")),
        other => {
            return Err(AwsError::new(
                "InvalidAction",
                format!("Could not find operation {other} for version 2011-06-15"),
            ))
        }
    };
    Ok((action, result))
}

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

async fn assume_role(
    state: &AppState,
    caller: &AwsCaller,
    peer: Option<std::net::IpAddr>,
    params: &Params,
) -> Result<String, AwsError> {
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
    if p.kind == "root" {
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
