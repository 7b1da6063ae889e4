//! The authenticated caller of an AWS API request.

use berth_meta::Principal;

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
