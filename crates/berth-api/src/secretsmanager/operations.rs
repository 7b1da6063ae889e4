//! Every operation of the Secrets Manager service model (2017-10-17), and the handler of each
//! one Berth serves: what the pull-through cache's credentials need.

use crate::aws::AwsError;

/// Passed to [`crate::operations!`] twice, as ECR's list is.
macro_rules! secrets_operations {
    ($($head:tt)*) => {
        crate::operations! {
            $($head)*
            AssociateCrossAccountReplica => not_built,
            BatchGetSecretValue => not_built,
            CancelRotateSecret => not_built,
            CreateSecret => secrets::create_secret,
            DeleteResourcePolicy => not_built,
            DeleteSecret => secrets::delete_secret,
            DescribeSecret => secrets::describe_secret,
            DisassociateCrossAccountReplica => not_built,
            GetRandomPassword => not_built,
            GetResourcePolicy => not_built,
            GetSecretValue => secrets::get_secret_value,
            ListResourcePolicies => not_built,
            ListSecretVersionIds => not_built,
            ListSecrets => secrets::list_secrets,
            PutResourcePolicy => not_built,
            PutSecretValue => secrets::put_secret_value,
            RemoveRegionsFromReplication => not_built,
            ReplicateSecretToRegions => not_built,
            RestoreSecret => not_built,
            RotateSecret => not_built,
            StopReplicationToReplica => not_built,
            TagResource => not_built,
            UntagResource => not_built,
            UpdateSecret => not_built,
            UpdateSecretVersionStage => not_built,
            ValidateResourcePolicy => not_built,
        }
    };
}
pub(crate) use secrets_operations;

secrets_operations! { enum Operation; }

/// The answer of an operation of the model that Berth does not serve yet.
pub fn not_built(op: Operation) -> AwsError {
    AwsError::new(
        "UnsupportedOperationException",
        format!(
            "Berth does not implement the Secrets Manager operation {} yet",
            op.name()
        ),
    )
}
