//! STS (AWS Query protocol, XML responses): GetCallerIdentity, and GetSessionToken for temporary
//! credentials that the other services accept with `X-Amz-Security-Token`.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};

use crate::aws::{AwsCaller, AwsError, AMZN_REQUEST_ID};
use crate::AppState;
use berth_iam::session::{DEFAULT_DURATION, MAX_DURATION, MIN_DURATION};

const NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

use crate::authz::iso8601;

/// Run the action; the result element's XML on success.
pub async fn dispatch(
    state: &AppState,
    caller: &AwsCaller,
    body: &[u8],
) -> Result<String, AwsError> {
    let params: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let action = get("Action").unwrap_or("");
    let p = &caller.principal;
    match action {
        "GetCallerIdentity" => {
            let arn = crate::oci::principal_arn(p);
            let user_id = if p.kind == "root" {
                p.account_id.clone()
            } else {
                p.unique_id.clone()
            };
            Ok(format!(
                "<GetCallerIdentityResult><Arn>{}</Arn><UserId>{}</UserId><Account>{}</Account></GetCallerIdentityResult>",
                escape(&arn),
                escape(&user_id),
                escape(&p.account_id)
            ))
        }
        "GetSessionToken" => {
            let duration = match get("DurationSeconds") {
                None => DEFAULT_DURATION,
                Some(v) => match v.parse::<i64>() {
                    Ok(d) if (MIN_DURATION..=MAX_DURATION).contains(&d) => d,
                    _ => {
                        return Err(AwsError::new(
                            "ValidationError",
                            format!("1 validation error detected: Value '{v}' at 'durationSeconds' failed to satisfy constraint: Member must have value between {MIN_DURATION} and {MAX_DURATION}"),
                        ))
                    }
                },
            };
            if caller.access_key_id.starts_with("ASIA") {
                return Err(AwsError::new(
                    "AccessDenied",
                    "Cannot call GetSessionToken with session credentials",
                )
                .status(StatusCode::FORBIDDEN));
            }
            let now = crate::now_secs();
            let c = state.iam.issue_session(p, duration, now).map_err(|e| {
                tracing::error!(error = %e, "issuing session credentials failed");
                AwsError::new("InternalFailure", "An internal error occurred")
                    .status(StatusCode::INTERNAL_SERVER_ERROR)
            })?;
            Ok(format!(
                "<GetSessionTokenResult><Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials></GetSessionTokenResult>",
                c.access_key_id,
                escape(&c.secret_access_key),
                c.session_token,
                iso8601(c.expires_at)
            ))
        }
        "" => Err(AwsError::new("MissingAction", "Missing Action")),
        other => Err(AwsError::new(
            "InvalidAction",
            format!(
                "Could not find operation {} for version 2011-06-15",
                escape(other)
            ),
        )),
    }
}

fn xml_response(status: StatusCode, body: String, request_id: &str) -> Response {
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml"),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert(AMZN_REQUEST_ID, v);
    }
    res
}

/// A successful action: `<{Action}Response>` around the result and the request ID.
pub fn respond(result: String, request_id: &str) -> Response {
    // the result element is `<XResult>`: the response element is `<XResponse>`
    let action = result
        .strip_prefix('<')
        .and_then(|r| r.split_once("Result>"))
        .map(|(a, _)| a.to_string())
        .unwrap_or_default();
    xml_response(
        StatusCode::OK,
        format!(
            "<{action}Response xmlns=\"{NS}\">{result}<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
            escape(request_id)
        ),
        request_id,
    )
}

/// An error in the Query protocol's XML.
pub fn error_response(e: AwsError, request_id: &str) -> Response {
    let kind = if e.status.is_server_error() {
        "Receiver"
    } else {
        "Sender"
    };
    xml_response(
        e.status,
        format!(
            "<ErrorResponse xmlns=\"{NS}\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
            escape(e.code),
            escape(&e.message),
            escape(request_id)
        ),
        request_id,
    )
}
