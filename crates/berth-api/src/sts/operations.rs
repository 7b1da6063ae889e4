//! Every action of the STS service model (2011-06-15), and the handler of each one Berth serves.

use super::call::Call;
use crate::aws::AwsError;

crate::operations! {
    /// An action of STS.
    pub enum Operation;
    dispatch(op, c: &Call<'_>) -> Result<String, AwsError>;
    call (c);
    not_built => Err(not_built(op));
    AssumeRole => super::assume_role::assume_role,
    AssumeRoleWithSAML => not_built,
    AssumeRoleWithWebIdentity => not_built,
    AssumeRoot => not_built,
    DecodeAuthorizationMessage => not_built,
    GetAccessKeyInfo => not_built,
    GetCallerIdentity => super::session::get_caller_identity,
    GetDelegatedAccessToken => not_built,
    GetFederationToken => not_built,
    GetSessionToken => super::session::get_session_token,
    GetWebIdentityToken => not_built,
}

/// The answer of an action of the model that Berth does not serve yet.
pub fn not_built(op: Operation) -> AwsError {
    AwsError::new(
        "InvalidAction",
        format!("Berth does not implement the STS action {} yet", op.name()),
    )
}
