//! The AWS Query protocol that IAM and STS speak: form-encoded parameters in, XML out.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};

use crate::aws::{AwsError, AMZN_REQUEST_ID};

/// XML text escaping.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// `<name>escaped value</name>`.
pub fn element(name: &str, value: &str) -> String {
    format!("<{name}>{}</{name}>", escape(value))
}

/// A request's parameters.
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(body: &[u8]) -> Params {
        Params(form_urlencoded::parse(body).into_owned().collect())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The request's `Action` as one of the service's operations (`parse`), with the Query
    /// protocol's errors for a missing action and one the service (`version`) does not have.
    pub fn operation<T>(
        &self,
        version: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<T, AwsError> {
        let action = self.action();
        if action.is_empty() {
            return Err(AwsError::new("MissingAction", "Missing Action"));
        }
        parse(action).ok_or_else(|| {
            AwsError::new(
                "InvalidAction",
                format!("Could not find operation {action} for version {version}"),
            )
        })
    }

    pub fn action(&self) -> &str {
        self.get("Action").unwrap_or("")
    }

    /// A required parameter, or Query's validation error naming it (`userName`).
    pub fn required(&self, name: &str) -> Result<&str, AwsError> {
        self.get(name).ok_or_else(|| {
            let mut member = name.to_string();
            if let Some(first) = member.get_mut(0..1) {
                first.make_ascii_lowercase();
            }
            AwsError::new(
                "ValidationError",
                format!("1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"),
            )
        })
    }

    /// An integer parameter within bounds.
    pub fn integer(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, AwsError> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let mut member = name.to_string();
        if let Some(first) = member.get_mut(0..1) {
            first.make_ascii_lowercase();
        }
        match v.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(AwsError::new(
                "ValidationError",
                format!("1 validation error detected: Value '{v}' at '{member}' failed to satisfy constraint: Member must have value between {min} and {max}"),
            )),
        }
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

/// A successful action: `<{Action}Response>` around the result (empty for actions without
/// output) and the request ID.
pub fn respond(ns: &str, action: &str, result: &str, request_id: &str) -> Response {
    let result = if result.is_empty() {
        String::new()
    } else {
        format!("<{action}Result>{result}</{action}Result>")
    };
    xml_response(
        StatusCode::OK,
        format!(
            "<{action}Response xmlns=\"{ns}\">{result}<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
            escape(request_id)
        ),
        request_id,
    )
}

/// An error in the Query protocol's XML.
pub fn error_response(ns: &str, e: AwsError, request_id: &str) -> Response {
    let kind = if e.status.is_server_error() {
        "Receiver"
    } else {
        "Sender"
    };
    xml_response(
        e.status,
        format!(
            "<ErrorResponse xmlns=\"{ns}\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
            escape(e.code),
            escape(&e.message),
            escape(request_id)
        ),
        request_id,
    )
}
