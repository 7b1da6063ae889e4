//! Every action of the STS service model (2011-06-15), and the handler of each one Berth serves.

use crate::aws::AwsError;

/// Every operation of the service model and its handler (`not_built`: answers that it is
/// not built yet). Passed to [`crate::operations!`] twice: for the enum here, and for the
/// dispatch in the service's `mod.rs`, where the handler modules are.
macro_rules! sts_operations {
    ($($head:tt)*) => {
        crate::operations! {
            $($head)*
            AssumeRole => assume_role::assume_role,
            AssumeRoleWithSAML => not_built,
            AssumeRoleWithWebIdentity => not_built,
            AssumeRoot => not_built,
            DecodeAuthorizationMessage => not_built,
            GetAccessKeyInfo => not_built,
            GetCallerIdentity => session::get_caller_identity,
            GetDelegatedAccessToken => not_built,
            GetFederationToken => not_built,
            GetSessionToken => session::get_session_token,
            GetWebIdentityToken => not_built,
        }
    };
}
pub(crate) use sts_operations;

sts_operations! { enum Operation; }

/// The answer of an action of the model that Berth does not serve yet.
pub fn not_built(op: Operation) -> AwsError {
    AwsError::new(
        "InvalidAction",
        format!("Berth does not implement the STS action {} yet", op.name()),
    )
}
