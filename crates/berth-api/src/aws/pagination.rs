//! Opaque `nextToken`s of the AWS JSON listings.

use base64::Engine;

use super::error::AwsError;

/// Opaque pagination tokens: base64url of the operation and the last key returned.
pub fn next_token(op: &str, after: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{op}\n{after}"))
}

pub fn read_token(op: &str, token: &str) -> Result<String, AwsError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            let (o, after) = s.split_once('\n')?;
            (o == op).then(|| after.to_string())
        })
        .ok_or_else(|| {
            AwsError::new(
                "InvalidParameterException",
                "Invalid parameter at 'nextToken' failed to satisfy constraint: 'must be a valid pagination token'",
            )
        })
}
