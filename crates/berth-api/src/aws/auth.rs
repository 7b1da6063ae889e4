//! SigV4 authentication of an AWS API request, in two steps so that a body is read only for a
//! caller whose key exists: [`identify`] reads the `Authorization` header, checks the scope's
//! region and the clock and finds the key; [`Pending::verify`] checks the signature over the
//! body once it is read (within the operation's limit).

use berth_iam::sigv4::{self, Authorization, SigV4Error};
use berth_iam::{AuthError, Iam};
use berth_meta::Principal;
use http::request::Parts;
use http::StatusCode;

use super::caller::AwsCaller;
use super::error::AwsError;

/// A caller whose key was found, before its signature is checked.
pub struct Pending {
    auth: Authorization,
    amz_date: String,
    principal: Principal,
    secret: String,
    session: Option<String>,
    expires_at: Option<i64>,
}

impl Pending {
    /// The signing service of the credential scope (which service the request is for).
    pub fn service(&self) -> &str {
        &self.auth.service
    }
}

pub fn sig_error(e: SigV4Error) -> AwsError {
    match e {
        SigV4Error::Missing => AwsError::new(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        )
        .status(StatusCode::FORBIDDEN),
        SigV4Error::Incomplete(m) => AwsError::new("IncompleteSignatureException", m),
        SigV4Error::Invalid(m) => {
            AwsError::new("InvalidSignatureException", m).status(StatusCode::FORBIDDEN)
        }
    }
}

/// Whether a request signed for `region` may be served by an installation in `home`: its own
/// region, and for the services AWS serves from `us-east-1` only or globally (IAM, STS's global
/// endpoint, ECR Public) also `us-east-1`, where the SDKs sign them.
fn region_served(service: &str, region: &str, home: &str) -> bool {
    region == home || (matches!(service, "iam" | "sts" | "ecr-public") && region == "us-east-1")
}

/// The request's headers as the verifier sees them (HTTP/2 carries the host as `:authority`).
pub fn header_pairs(parts: &Parts) -> Vec<(&str, &str)> {
    let mut headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
        .collect();
    if !parts.headers.contains_key(http::header::HOST) {
        if let Some(a) = parts.uri.authority() {
            headers.push(("host", a.as_str()));
        }
    }
    headers
}

fn sigv4_request<'a>(
    parts: &'a Parts,
    headers: &'a [(&'a str, &'a str)],
    payload_hash: &'a str,
) -> sigv4::Request<'a> {
    sigv4::Request {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers,
        payload_hash,
    }
}

/// Read the request's signature header, check its scope and time, and find its key. `headers`
/// are the request's, as [`header_pairs`] lists them.
pub async fn identify(
    iam: &Iam,
    home_region: &str,
    parts: &Parts,
    headers: &[(&str, &str)],
    now: i64,
) -> Result<Pending, AwsError> {
    let header = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| sig_error(SigV4Error::Missing))?;
    let auth = sigv4::parse_authorization(header).map_err(sig_error)?;
    if !region_served(&auth.service, &auth.region, home_region) {
        return Err(sig_error(SigV4Error::Invalid(format!(
            "Credential should be scoped to a valid region. Credential={}/{}",
            auth.access_key_id,
            auth.scope()
        ))));
    }
    let (amz_date, time) =
        sigv4::request_time(&sigv4_request(parts, headers, ""), &auth).map_err(sig_error)?;
    sigv4::check_skew(&amz_date, time, now).map_err(sig_error)?;
    let token = parts
        .headers
        .get("x-amz-security-token")
        .and_then(|v| v.to_str().ok());
    let found = match token {
        // temporary credentials (GetSessionToken, AssumeRole) carry their own secret, sealed
        Some(t) => iam
            .session_secret(t, &auth.access_key_id, now)
            .await
            .map(|s| (s.principal, s.secret, s.name, Some(s.expires_at))),
        None => iam
            .secret_for(&auth.access_key_id)
            .await
            .map(|(p, secret)| (p, secret, None, None)),
    };
    let (principal, secret, session, expires_at) = found.map_err(|e| key_error(e, &auth))?;
    Ok(Pending {
        auth,
        amz_date,
        principal,
        secret,
        session,
        expires_at,
    })
}

fn key_error(e: AuthError, auth: &Authorization) -> AwsError {
    match e {
        AuthError::UnknownKey | AuthError::Inactive | AuthError::TokenInvalid => {
            tracing::info!(access_key_id = %auth.access_key_id, "unknown or inactive access key, or invalid session token");
            AwsError::new(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
            .status(StatusCode::FORBIDDEN)
        }
        AuthError::TokenExpired => AwsError::new(
            "ExpiredTokenException",
            "The security token included in the request is expired",
        )
        .status(StatusCode::FORBIDDEN),
        e => {
            tracing::error!(error = %e, "credential lookup failed");
            AwsError::new("InternalFailure", "An internal error occurred")
                .status(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

impl Pending {
    /// Check the signature over the request and its body: the authenticated caller.
    pub fn verify(
        self,
        parts: &Parts,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<AwsCaller, AwsError> {
        let payload_hash = match parts
            .headers
            .get("x-amz-content-sha256")
            .and_then(|v| v.to_str().ok())
        {
            Some(h) if h != "UNSIGNED-PAYLOAD" => h.to_string(),
            _ => sigv4::sha256_hex(body),
        };
        let req = sigv4_request(parts, headers, &payload_hash);
        sigv4::verify(&req, &self.auth, &self.amz_date, &self.secret).map_err(sig_error)?;
        Ok(AwsCaller {
            principal: self.principal,
            access_key_id: self.auth.access_key_id,
            region: self.auth.region,
            service: self.auth.service,
            session: self.session,
            expires_at: self.expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::region_served;

    #[test]
    fn regions_served() {
        assert!(region_served("ecr", "eu-west-1", "eu-west-1"));
        assert!(!region_served("ecr", "us-east-1", "eu-west-1"));
        assert!(!region_served("ecr", "eu-west-1", "us-east-1"));
        assert!(region_served("iam", "us-east-1", "eu-west-1"));
        assert!(region_served("sts", "us-east-1", "eu-west-1"));
        assert!(!region_served("sts", "ap-south-1", "eu-west-1"));
    }
}
