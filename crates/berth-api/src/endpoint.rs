//! `POST /`: the AWS protocols. The caller's key is found (SigV4), the body read within what its
//! operation may carry, the signature checked, then the request goes to the service named by
//! the credential scope's signing service (`ecr`, `iam`, `sts`, and `berth` for the admin API).

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use berth_iam::sigv4;
use http::{HeaderValue, Request, StatusCode};

use crate::aws::{auth, AwsError, AMZN_REQUEST_ID, JSON_1_1, SMALL_BODY};
use crate::state::AppState;

/// Read a request body of at most `limit` bytes; a longer one (declared or sent) is refused
/// before it is read or parsed.
/// ImportVulnerabilityData's body: a file of up to 192 MiB, in base64.
const VULNERABILITY_DATA_BODY: usize = 256 << 20;

async fn read_body(headers: &http::HeaderMap, body: Body, limit: usize) -> Result<Bytes, AwsError> {
    let too_large = || {
        AwsError::new(
            "SerializationException",
            format!("The request body is larger than the {limit} bytes this operation accepts"),
        )
        .status(StatusCode::PAYLOAD_TOO_LARGE)
    };
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let length_limit = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if length_limit {
            too_large()
        } else {
            AwsError::serialization(format!("The request body could not be read: {e}"))
        }
    })
}

pub fn router() -> Router<AppState> {
    Router::new().route("/", post(handle))
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
    let refuse = |e: AwsError| match query_ns {
        Some(ns) => crate::query::error_response(ns, e, &request_id),
        None => e.into_response_with(&request_id),
    };
    // the key is found before the body is read, and the body is bounded by what the operation
    // may carry before it is read or parsed
    // the headers as SigV4 sees them, listed once for both steps
    let headers = auth::header_pairs(&parts);
    let pending = match auth::identify(
        &state.iam,
        &state.region,
        &parts,
        &headers,
        crate::state::now_secs(),
    )
    .await
    {
        Ok(p) => p,
        Err(e) => return refuse(e),
    };
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // the ECR operation, read once: its body limit applies before the body is read
    let ecr_op = crate::ecr::operation(target);
    let limit = match (&ecr_op, pending.service()) {
        (Ok(op), "ecr") => op.body_limit(),
        // vulnerability data files (an osv-scanner all.zip, Debian's OVAL), in base64
        (_, crate::admin::SIGNING_SERVICE)
            if target.strip_prefix(crate::admin::TARGET_PREFIX)
                == Some("ImportVulnerabilityData") =>
        {
            VULNERABILITY_DATA_BODY
        }
        _ => SMALL_BODY,
    };
    let body = match read_body(&parts.headers, body, limit).await {
        Ok(b) => b,
        Err(e) => return refuse(e),
    };
    let caller = match pending.verify(&parts, &headers, &body) {
        Ok(c) => c,
        Err(e) => return refuse(e),
    };
    let result = match caller.service.as_str() {
        "ecr" => {
            let host = parts
                .headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .or_else(|| parts.uri.authority().map(|a| a.as_str()))
                .unwrap_or("localhost");
            match ecr_op {
                Ok(op) => crate::ecr::dispatch(&state, &caller, peer, host, op, &body).await,
                Err(e) => Err(e),
            }
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
                Ok((action, reply)) => crate::query::respond(ns, action, reply, &request_id),
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
        "secretsmanager" => {
            let target = parts
                .headers
                .get("x-amz-target")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            crate::secretsmanager::dispatch(&state, &caller, peer, target, &body).await
        }
        "ecr-public" => {
            let target = parts
                .headers
                .get("x-amz-target")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            crate::ecr_public::handle(target).await
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
