//! GetCallerIdentity, and GetSessionToken for temporary credentials of the caller itself.

use berth_iam::session::{DEFAULT_DURATION, MAX_DURATION, MIN_DURATION};

use super::call::{access_denied, credentials_xml, internal, Call};
use crate::aws::AwsError;
use crate::query::element;

/// GetCallerIdentity.
pub async fn get_caller_identity(c: &Call<'_>) -> Result<String, AwsError> {
    let p = &c.caller.principal;
    let who = berth_iam::authz::caller_of(p, c.caller.session.as_deref());
    let user_id = berth_iam::authz::user_id(p, c.caller.session.as_deref());
    Ok(format!(
        "{}{}{}",
        element("Arn", &who.arn),
        element("UserId", &user_id),
        element("Account", &p.account_id)
    ))
}

/// GetSessionToken.
pub async fn get_session_token(c: &Call<'_>) -> Result<String, AwsError> {
    let duration = c
        .params
        .integer("DurationSeconds", MIN_DURATION, MAX_DURATION)?
        .unwrap_or(DEFAULT_DURATION);
    if c.caller.expires_at.is_some() {
        return Err(access_denied(
            "Cannot call GetSessionToken with session credentials".into(),
        ));
    }
    let now = crate::state::now_secs();
    let creds = c
        .state
        .iam
        .issue_session(&c.caller.principal, None, duration, now)
        .map_err(internal)?;
    Ok(credentials_xml(&creds))
}
