//! The AWS protocols on `POST /`: SigV4 authentication, then dispatch by the signing service of
//! the credential scope (`ecr` now; `iam`, `sts` and `ecr-public` plug in beside it).

pub mod error;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use berth_iam::sigv4::{self, SigV4Error};
use berth_iam::AuthError;
use berth_meta::Principal;
use http::request::Parts;
use http::{HeaderValue, Request, StatusCode};

pub use error::AwsError;

use crate::AppState;

pub const JSON_1_1: &str = "application/x-amz-json-1.1";
pub const AMZN_REQUEST_ID: http::HeaderName = http::HeaderName::from_static("x-amzn-requestid");
/// Largest request body: an `UploadLayerPart` of 20 MiB, base64 in JSON, with room to spare.
pub const MAX_BODY: usize = 32 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route("/", post(handle))
}

/// An authenticated AWS API caller.
#[derive(Debug, Clone)]
pub struct AwsCaller {
    pub principal: Principal,
    pub access_key_id: String,
    /// Region and service of the credential scope.
    pub region: String,
    pub service: String,
    /// The session name when the credentials are a role session's (AssumeRole).
    pub session: Option<String>,
    /// When temporary credentials expire (epoch seconds); `None` for access keys.
    pub expires_at: Option<i64>,
}

async fn handle(State(state): State<AppState>, req: Request<Body>) -> Response {
    let request_id = req
        .headers()
        .get(crate::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let peer = crate::authz::peer_ip(req.extensions());
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return AwsError::new(
                "SerializationException",
                format!("The request body could not be read or is larger than {MAX_BODY} bytes"),
            )
            .status(StatusCode::PAYLOAD_TOO_LARGE)
            .into_response_with(&request_id)
        }
    };
    // STS and IAM speak the Query protocol: their errors, authentication's included, are XML
    let query_ns = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| sigv4::parse_authorization(v).ok())
        .and_then(|a| match a.service.as_str() {
            "sts" => Some(crate::sts::NS),
            "iam" => Some(crate::iam::NS),
            _ => None,
        });
    let caller = match authenticate(&state, &parts, &body).await {
        Ok(c) => c,
        Err(e) => {
            return match query_ns {
                Some(ns) => crate::query::error_response(ns, e, &request_id),
                None => e.into_response_with(&request_id),
            }
        }
    };
    let result = match caller.service.as_str() {
        "ecr" => {
            let host = parts
                .headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .or_else(|| parts.uri.authority().map(|a| a.as_str()))
                .unwrap_or("localhost");
            crate::ecr::dispatch(&state, &caller, peer, host, &parts.headers, &body).await
        }
        "sts" | "iam" => {
            let (ns, result) = if caller.service == "sts" {
                (
                    crate::sts::NS,
                    crate::sts::dispatch(&state, &caller, peer, &body).await,
                )
            } else {
                (
                    crate::iam::NS,
                    crate::iam::dispatch(&state, &caller, peer, &body).await,
                )
            };
            return match result {
                Ok((action, xml)) => crate::query::respond(ns, &action, &xml, &request_id),
                Err(e) => {
                    tracing::info!(code = e.code, message = %e.message, "AWS API request refused");
                    crate::query::error_response(ns, e, &request_id)
                }
            };
        }
        crate::admin::SIGNING_SERVICE => {
            let target = parts
                .headers
                .get("x-amz-target")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            match target.strip_prefix(crate::admin::TARGET_PREFIX) {
                Some(op) => {
                    let caller = crate::admin::AdminCaller::Principal {
                        principal: &caller.principal,
                        home_account: &state.home_account,
                    };
                    let gc = crate::admin::GcDefaults {
                        grace: state.gc_grace,
                        upload_ttl: state.upload_ttl,
                    };
                    crate::admin::execute(&state.iam, &state.registry, &gc, caller, op, &body)
                        .await
                }
                None => Err(AwsError::new(
                    "UnknownOperationException",
                    format!("Unknown operation target '{target}' for the berth service"),
                )),
            }
        }
        other => Err(AwsError::new(
            "UnknownOperationException",
            format!("Berth does not serve the AWS service '{other}' (requests are routed by the SigV4 credential scope's service)"),
        )),
    };
    match result {
        Ok(value) => {
            let mut res = (StatusCode::OK, value.to_string()).into_response();
            let h = res.headers_mut();
            h.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static(JSON_1_1),
            );
            if let Ok(v) = HeaderValue::from_str(&request_id) {
                h.insert(AMZN_REQUEST_ID, v);
            }
            res
        }
        Err(e) => {
            if e.status.is_server_error() {
                tracing::error!(code = e.code, message = %e.message, "AWS API request failed");
            } else {
                tracing::info!(code = e.code, message = %e.message, "AWS API request refused");
            }
            e.into_response_with(&request_id)
        }
    }
}

fn sig_error(e: SigV4Error) -> AwsError {
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

/// Verify the request's SigV4 signature and find its principal.
async fn authenticate(
    state: &AppState,
    parts: &Parts,
    body: &Bytes,
) -> Result<AwsCaller, AwsError> {
    let header = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| sig_error(SigV4Error::Missing))?;
    let auth = sigv4::parse_authorization(header).map_err(sig_error)?;
    let mut headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
        .collect();
    // HTTP/2 carries the host as :authority, which the URI holds
    let authority = parts.uri.authority().map(|a| a.as_str().to_string());
    if !parts.headers.contains_key(http::header::HOST) {
        if let Some(a) = authority.as_deref() {
            headers.push(("host", a));
        }
    }
    let payload_hash = match parts
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
    {
        Some(h) if h != "UNSIGNED-PAYLOAD" => h.to_string(),
        _ => sigv4::sha256_hex(body),
    };
    let req = sigv4::Request {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &headers,
        payload_hash: &payload_hash,
    };
    let (amz_date, time) = sigv4::request_time(&req, &auth).map_err(sig_error)?;
    sigv4::check_skew(&amz_date, time, crate::now_secs()).map_err(sig_error)?;
    let token = parts
        .headers
        .get("x-amz-security-token")
        .and_then(|v| v.to_str().ok());
    let found = match token {
        // temporary credentials (GetSessionToken, AssumeRole) carry their own secret, sealed
        Some(t) => state
            .iam
            .session_secret(t, &auth.access_key_id, crate::now_secs())
            .await
            .map(|s| (s.principal, s.secret, s.name, Some(s.expires_at))),
        None => state
            .iam
            .secret_for(&auth.access_key_id)
            .await
            .map(|(p, secret)| (p, secret, None, None)),
    };
    let (principal, secret, session, expires_at) = match found {
        Ok(found) => found,
        Err(AuthError::UnknownKey | AuthError::Inactive | AuthError::TokenInvalid) => {
            tracing::info!(access_key_id = %auth.access_key_id, "unknown or inactive access key, or invalid session token");
            return Err(AwsError::new(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
            .status(StatusCode::FORBIDDEN));
        }
        Err(AuthError::TokenExpired) => {
            return Err(AwsError::new(
                "ExpiredTokenException",
                "The security token included in the request is expired",
            )
            .status(StatusCode::FORBIDDEN));
        }
        Err(e) => {
            tracing::error!(error = %e, "credential lookup failed");
            return Err(
                AwsError::new("InternalFailure", "An internal error occurred")
                    .status(StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
    };
    sigv4::verify(&req, &auth, &amz_date, &secret).map_err(sig_error)?;
    Ok(AwsCaller {
        principal,
        access_key_id: auth.access_key_id,
        region: auth.region,
        service: auth.service,
        session,
        expires_at,
    })
}
