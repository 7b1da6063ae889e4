//! Time as the AWS protocols carry it.

use serde_json::{json, Value};

/// Epoch seconds (with milliseconds) as a JSON number, as AWS's JSON protocols send timestamps.
pub fn epoch(millis: i64) -> Value {
    json!(millis as f64 / 1000.0)
}
