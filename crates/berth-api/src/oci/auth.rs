//! Authentication of `/v2/` requests: HTTP Basic with an access key ID and its secret.

use base64::Engine;
use berth_iam::AuthError;
use berth_meta::Principal;
use http::HeaderMap;

use super::error::OciError;
use crate::state::AppState;

/// The authenticated caller and the registry (account) the request addresses.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The role session a registry token was issued to (AssumeRole), if any.
    pub session: Option<String>,
    pub account: String,
}

/// The `WWW-Authenticate` challenge, shaped as ECR's.
pub fn challenge(headers: &HeaderMap) -> String {
    let host = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
        })
        .unwrap_or("berth");
    format!("Basic realm=\"https://{host}/\",service=\"ecr.amazonaws.com\"")
}

/// The account a request addresses: `<12 digits>.dkr.ecr.…` hosts name it; otherwise it is the
/// caller's own.
fn addressed_account(headers: &HeaderMap) -> Option<&str> {
    let host = headers.get(http::header::HOST)?.to_str().ok()?;
    let (id, rest) = host.split_once('.')?;
    (id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) && rest.starts_with("dkr.ecr"))
        .then_some(id)
}

pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Caller, OciError> {
    let unauthorized = || OciError::unauthorized(&challenge(headers));
    let value = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unauthorized)?;
    let (scheme, encoded) = value.split_once(' ').ok_or_else(unauthorized)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(unauthorized());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(unauthorized)?;
    let (user, secret) = decoded.split_once(':').ok_or_else(unauthorized)?;
    let authenticated = if user == "AWS" {
        // a registry token from GetAuthorizationToken (`docker login -u AWS`)
        let now = crate::state::now_secs();
        state.iam.authenticate_token(secret, now).await
    } else {
        state
            .iam
            .authenticate_key(user, secret)
            .await
            .map(|p| (p, None))
    };
    let (principal, session) = match authenticated {
        Ok(p) => p,
        Err(e @ (AuthError::TokenExpired | AuthError::TokenInvalid)) => {
            // ECR answers both with the same text
            tracing::info!(reason = %e, "registry token refused");
            return Err(OciError::new(
                http::StatusCode::FORBIDDEN,
                "DENIED",
                "Your authorization token has expired. Reauthenticate and try again.",
            ));
        }
        Err(AuthError::Meta(e)) => {
            tracing::error!(error = %e, "credential lookup failed");
            return Err(OciError::new(
                http::StatusCode::INTERNAL_SERVER_ERROR,
                "UNKNOWN",
                "unknown error",
            ));
        }
        Err(e) => {
            tracing::info!(access_key_id = %user, reason = %e, "authentication refused");
            return Err(unauthorized());
        }
    };
    // another account's registry is reached through its policies (checked per request)
    let account = addressed_account(headers)
        .map(str::to_string)
        .unwrap_or_else(|| principal.account_id.clone());
    Ok(Caller {
        principal,
        session,
        account,
    })
}
