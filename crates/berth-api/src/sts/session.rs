//! GetCallerIdentity, and GetSessionToken for temporary credentials of the caller itself.

use berth_iam::session::{DEFAULT_DURATION, MAX_DURATION, MIN_DURATION};
use serde::{Deserialize, Serialize};

use super::call::{access_denied, internal, Call, Credentials};
use crate::aws::{AwsError, Checks, Request};
use crate::query::Reply;

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetCallerIdentityResult {
    arn: String,
    user_id: String,
    account: String,
}

/// GetCallerIdentity.
pub async fn get_caller_identity(c: &Call<'_>) -> Result<Reply, AwsError> {
    let p = &c.caller.principal;
    let session = c.caller.session.as_deref();
    c.reply(&GetCallerIdentityResult {
        arn: berth_iam::authz::caller_of(p, session).arn,
        user_id: berth_iam::authz::user_id(p, session),
        account: p.account_id.clone(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetSessionTokenRequest {
    duration_seconds: Option<i64>,
}

impl Request for GetSessionTokenRequest {
    fn check(&self, c: &mut Checks) {
        c.range(
            "durationSeconds",
            self.duration_seconds,
            MIN_DURATION,
            MAX_DURATION,
        );
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetSessionTokenResult {
    credentials: Credentials,
}

/// GetSessionToken.
pub async fn get_session_token(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: GetSessionTokenRequest = c.request()?;
    if c.caller.expires_at.is_some() {
        return Err(access_denied(
            "Cannot call GetSessionToken with session credentials".into(),
        ));
    }
    let now = crate::state::now_secs();
    let duration = r.duration_seconds.unwrap_or(DEFAULT_DURATION);
    let creds = c
        .state
        .iam
        .issue_session(&c.caller.principal, None, duration, now)
        .map_err(internal)?;
    c.reply(&GetSessionTokenResult {
        credentials: creds.into(),
    })
}
