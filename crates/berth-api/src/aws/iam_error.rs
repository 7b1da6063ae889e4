//! The identity layer's errors as IAM's (the IAM API and the admin API share the codes).

use berth_iam::admin::AdminError;
use http::StatusCode;

use super::error::AwsError;

/// IAM's error code and status for `e` (the admin API shares the codes).
pub fn iam_error(e: AdminError) -> AwsError {
    use AdminError as A;
    let msg = e.to_string();
    let conflict = |code| AwsError::new(code, msg.clone()).status(StatusCode::CONFLICT);
    match e {
        A::NoSuchAccount(_)
        | A::NoSuchUser(_)
        | A::NoSuchKey(_)
        | A::NoSuchPolicy(_)
        | A::NoSuchEntity(_) => AwsError::new("NoSuchEntity", msg).status(StatusCode::NOT_FOUND),
        A::AccountExists(_) | A::UserExists(_) | A::EntityExists(_) => {
            conflict("EntityAlreadyExists")
        }
        A::KeyLimit | A::Limit(_) => conflict("LimitExceeded"),
        A::DeleteConflict | A::Conflict(_) => conflict("DeleteConflict"),
        A::MalformedPolicy(_) => AwsError::new("MalformedPolicyDocument", msg),
        A::InvalidAccountId(_) | A::InvalidUserName | A::Invalid(_) => {
            AwsError::new("ValidationError", msg)
        }
        A::Secret(_) | A::Meta(_) => {
            tracing::error!(error = %msg, "IAM request failed");
            AwsError::new("ServiceFailure", "An internal error occurred")
                .status(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}
