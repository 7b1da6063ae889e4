//! An operation's answer in the AWS JSON protocols: its output shape, serialized.

use serde::Serialize;
use serde_json::Value;

use super::error::AwsError;

/// The output shape `out` as the response body's JSON.
pub fn reply(out: impl Serialize) -> Result<Value, AwsError> {
    serde_json::to_value(out).map_err(|e| AwsError::server(e.to_string()))
}

/// The output of operations that answer nothing but success: `{}`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Empty {}
