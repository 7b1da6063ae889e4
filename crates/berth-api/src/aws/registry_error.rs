//! The registry core's errors as ECR's exceptions (also the admin API's, which runs the same
//! core operations).

use berth_registry::RegistryError;

use super::error::AwsError;

/// Map a core error to ECR's exceptions.
pub fn registry_error(e: RegistryError) -> AwsError {
    use RegistryError as R;
    let msg = e.to_string();
    match e {
        R::NameUnknown { .. } => AwsError::new("RepositoryNotFoundException", msg),
        R::RepositoryExists { .. } => AwsError::new("RepositoryAlreadyExistsException", msg),
        R::RepositoryNotEmpty { .. } => AwsError::new("RepositoryNotEmptyException", msg),
        R::TooManyTags => AwsError::new("TooManyTagsException", msg),
        R::TagImmutable { .. } => AwsError::new("ImageTagAlreadyExistsException", msg),
        R::LifecyclePolicyNotFound { .. } => AwsError::new("LifecyclePolicyNotFoundException", msg),
        R::LifecyclePreviewNotFound { .. } => {
            AwsError::new("LifecyclePolicyPreviewNotFoundException", msg)
        }
        R::LifecycleInvalid(_) => AwsError::new(
            "InvalidParameterException",
            format!(
                "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: '{msg}'"
            ),
        ),
        R::ImageNotFound { .. } => AwsError::new("ImageNotFoundException", msg),
        R::ScanNotFound { .. } => AwsError::new("ScanNotFoundException", msg),
        R::ScanLimitExceeded => AwsError::new("LimitExceededException", msg),
        R::UnsupportedImageType(_) => AwsError::new("UnsupportedImageTypeException", msg),
        R::BackfillInProgress { .. } => {
            AwsError::new("ReplicationBackfillInProgressException", msg)
        }
        R::BackfillNotFound { .. } => AwsError::new("ReplicationBackfillNotFoundException", msg),
        R::BackfillEnded { .. } => AwsError::new("ReplicationBackfillInvalidStatusException", msg),
        R::TemplateExists { .. } => AwsError::new("TemplateAlreadyExistsException", msg),
        R::TemplateNotFound { .. } => AwsError::new("TemplateNotFoundException", msg),
        R::CacheRuleExists { .. } => {
            AwsError::new("PullThroughCacheRuleAlreadyExistsException", msg)
        }
        R::CacheRuleNotFound { .. } => AwsError::new("PullThroughCacheRuleNotFoundException", msg),
        R::CacheRuleLimit => AwsError::new("LimitExceededException", msg),
        R::InsufficientStorage(_) => AwsError::server(msg),
        R::Upstream(_) => AwsError::new("UnableToGetUpstreamImageException", msg),
        R::Internal(m) => {
            tracing::error!(error = %m, "internal error");
            AwsError::server("An internal error occurred")
        }
        other => AwsError::new("InvalidParameterException", other.to_string()),
    }
}
