//! What the STS handlers share: the request ([`Call`]), the credentials' XML and errors.

use http::StatusCode;

use berth_iam::session::SessionCredentials;

use crate::authz::iso8601;
use crate::aws::{AwsCaller, AwsError};
use crate::query::{element, Params};
use crate::state::AppState;

/// What every STS handler receives.
pub struct Call<'a> {
    pub state: &'a AppState,
    pub caller: &'a AwsCaller,
    pub peer: Option<std::net::IpAddr>,
    pub params: &'a Params,
}

pub(super) fn credentials_xml(c: &SessionCredentials) -> String {
    format!(
        "<Credentials>{}{}{}{}</Credentials>",
        element("AccessKeyId", &c.access_key_id),
        element("SecretAccessKey", &c.secret_access_key),
        element("SessionToken", &c.session_token),
        element("Expiration", &iso8601(c.expires_at))
    )
}

pub(super) fn internal(e: berth_iam::AuthError) -> AwsError {
    tracing::error!(error = %e, "STS request failed");
    AwsError::new("InternalFailure", "An internal error occurred")
        .status(StatusCode::INTERNAL_SERVER_ERROR)
}

pub(super) fn access_denied(message: String) -> AwsError {
    AwsError::new("AccessDenied", message).status(StatusCode::FORBIDDEN)
}
