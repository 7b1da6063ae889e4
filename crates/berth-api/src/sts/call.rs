//! What the STS handlers share: the request ([`Call`]), the output shapes and errors.

use http::StatusCode;
use serde::Serialize;

use berth_iam::session::SessionCredentials;

use super::operations::Operation;
use crate::authz::iso8601;
use crate::aws::{AwsCaller, AwsError, Request};
use crate::query::{Form, Reply};
use crate::state::AppState;

/// What every STS handler receives.
pub struct Call<'a> {
    pub state: &'a AppState,
    pub caller: &'a AwsCaller,
    pub peer: Option<std::net::IpAddr>,
    pub action: Operation,
    pub form: &'a Form,
}

impl Call<'_> {
    /// The action's request, typed and checked.
    pub fn request<R: Request>(&self) -> Result<R, AwsError> {
        self.form.request()
    }

    /// The action's output.
    pub fn reply(&self, out: &impl Serialize) -> Result<Reply, AwsError> {
        crate::query::reply(self.action.name(), out)
    }
}

/// Temporary credentials as STS answers them.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
}

impl From<SessionCredentials> for Credentials {
    fn from(c: SessionCredentials) -> Credentials {
        Credentials {
            expiration: iso8601(c.expires_at),
            access_key_id: c.access_key_id,
            secret_access_key: c.secret_access_key,
            session_token: c.session_token,
        }
    }
}

pub(super) fn internal(e: berth_iam::AuthError) -> AwsError {
    tracing::error!(error = %e, "STS request failed");
    AwsError::new("InternalFailure", "An internal error occurred")
        .status(StatusCode::INTERNAL_SERVER_ERROR)
}

pub(super) fn access_denied(message: String) -> AwsError {
    AwsError::new("AccessDenied", message).status(StatusCode::FORBIDDEN)
}
