//! The AWS Query protocol that IAM and STS speak: form-encoded parameters in ([`Form`]), XML
//! out. An action's output is a struct deriving `Serialize` with the model's member names
//! (`#[serde(rename_all = "PascalCase")]`); a list member is a [`Members`] (`<Users><member>…`).

pub mod form;

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};
use serde::Serialize;

use crate::aws::{AwsError, AMZN_REQUEST_ID};
pub use form::Form;

/// A list as the Query protocol writes it: each item in a `<member>` element.
#[derive(Debug, Serialize)]
pub struct Members<T> {
    pub member: Vec<T>,
}

impl<T> From<Vec<T>> for Members<T> {
    fn from(member: Vec<T>) -> Self {
        Members { member }
    }
}

/// An action's answer: its result element (`<{Action}Result>`), or nothing for actions without
/// output.
#[derive(Debug, Default)]
pub struct Reply(String);

impl Reply {
    /// The answer of an action without output.
    pub fn empty() -> Reply {
        Reply(String::new())
    }
}

/// The output shape `out` of `action` as its result element.
pub fn reply(action: &str, out: &impl Serialize) -> Result<Reply, AwsError> {
    xml(&format!("{action}Result"), out).map(Reply)
}

fn xml(root: &str, value: &impl Serialize) -> Result<String, AwsError> {
    quick_xml::se::to_string_with_root(root, value).map_err(|e| AwsError::server(e.to_string()))
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

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ResponseMetadata<'a> {
    request_id: &'a str,
}

/// A successful action: `<{Action}Response>` around the result and the request ID.
pub fn respond(ns: &str, action: &str, result: Reply, request_id: &str) -> Response {
    let metadata = match xml("ResponseMetadata", &ResponseMetadata { request_id }) {
        Ok(m) => m,
        Err(e) => return error_response(ns, e, request_id),
    };
    xml_response(
        StatusCode::OK,
        format!(
            "<{action}Response xmlns=\"{ns}\">{}{metadata}</{action}Response>",
            result.0
        ),
        request_id,
    )
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorResponse<'a> {
    #[serde(rename = "@xmlns")]
    xmlns: &'a str,
    error: ErrorDetail<'a>,
    request_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorDetail<'a> {
    #[serde(rename = "Type")]
    kind: &'a str,
    code: &'a str,
    message: &'a str,
}

/// An error in the Query protocol's XML.
pub fn error_response(ns: &str, e: AwsError, request_id: &str) -> Response {
    let kind = if e.status.is_server_error() {
        "Receiver"
    } else {
        "Sender"
    };
    let body = ErrorResponse {
        xmlns: ns,
        error: ErrorDetail {
            kind,
            code: e.code,
            message: &e.message,
        },
        request_id,
    };
    // an error that cannot be written is written without its message
    let xml = xml("ErrorResponse", &body).unwrap_or_else(|_| {
        format!(
            "<ErrorResponse xmlns=\"{ns}\"><Error><Type>{kind}</Type><Code>{}</Code></Error></ErrorResponse>",
            e.code
        )
    });
    xml_response(e.status, xml, request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        user: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        marker: Option<String>,
        users: Members<String>,
        is_truncated: bool,
    }

    #[test]
    fn outputs_are_written_as_the_query_protocol_writes_them() {
        let r = reply(
            "ListUsers",
            &Out {
                user: Some("a<&>'\"".into()),
                marker: None,
                users: vec!["x".to_string(), "y".to_string()].into(),
                is_truncated: false,
            },
        )
        .unwrap();
        assert_eq!(
            r.0,
            "<ListUsersResult><User>a&lt;&amp;&gt;'\"</User><Users><member>x</member><member>y</member></Users><IsTruncated>false</IsTruncated></ListUsersResult>"
        );
    }
}
