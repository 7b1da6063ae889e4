//! Errors of the AWS JSON protocols: status, `x-amzn-ErrorType` and `{"__type","message"}`.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};

use super::{AMZN_REQUEST_ID, JSON_1_1};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Further members the exception's shape has (e.g. `lastValidByteReceived`).
    pub fields: Vec<(&'static str, serde_json::Value)>,
}

/// The body of an error: `__type`, `message` and the exception's further members.
#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    #[serde(rename = "__type")]
    kind: &'a str,
    message: &'a str,
    #[serde(flatten)]
    fields: std::collections::BTreeMap<&'a str, &'a serde_json::Value>,
}

impl AwsError {
    /// A modelled exception of a service (HTTP 400, as every ECR exception but `ServerException`).
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        AwsError {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// Add a member of the exception's shape.
    pub fn with(mut self, name: &'static str, value: serde_json::Value) -> Self {
        self.fields.push((name, value));
        self
    }

    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn server(message: impl Into<String>) -> Self {
        AwsError::new("ServerException", message).status(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// `ValidationException` in the service framework's words, for one or more failed
    /// constraints ("Value 'x' at 'field' failed to satisfy constraint: Member must …").
    /// The framework's validation error (`code`) listing every failed constraint.
    pub fn validation(code: &'static str, problems: &[String]) -> Self {
        let n = problems.len();
        AwsError::new(
            code,
            format!(
                "{n} validation error{} detected: {}",
                if n == 1 { "" } else { "s" },
                problems.join("; ")
            ),
        )
    }

    pub fn serialization(message: impl Into<String>) -> Self {
        AwsError::new("SerializationException", message)
    }

    pub fn into_response_with(self, request_id: &str) -> Response {
        let body = ErrorBody {
            kind: self.code,
            message: &self.message,
            fields: self.fields.iter().map(|(k, v)| (*k, v)).collect(),
        };
        let body = serde_json::to_string(&body).unwrap_or_default();
        let mut res = (self.status, body).into_response();
        let h = res.headers_mut();
        h.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(JSON_1_1),
        );
        h.insert("x-amzn-errortype", HeaderValue::from_static(self.code));
        if let Ok(v) = HeaderValue::from_str(request_id) {
            h.insert(AMZN_REQUEST_ID, v);
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn the_error_body_carries_the_exceptions_further_members() {
        let e = AwsError::new("InvalidLayerPartException", "out of order")
            .with("lastValidByteReceived", serde_json::json!(9));
        let res = e.into_response_with("req-1");
        assert_eq!(
            res.headers()["x-amzn-errortype"],
            "InvalidLayerPartException"
        );
        let body = res.into_body().collect().await.unwrap().to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"__type": "InvalidLayerPartException", "message": "out of order", "lastValidByteReceived": 9})
        );
    }
}
