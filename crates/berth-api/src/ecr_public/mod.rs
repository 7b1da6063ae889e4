//! ECR Public (AWS JSON 1.1, `X-Amz-Target: SpencerFrontendService.<Operation>`, SigV4 service
//! `ecr-public`). Its operation list is the model's; none is built yet, and each answers an error
//! that names it.

use serde_json::Value;

use crate::aws::AwsError;

pub const TARGET_PREFIX: &str = "SpencerFrontendService.";

crate::operations! {
    enum Operation;
    BatchCheckLayerAvailability => not_built,
    BatchDeleteImage => not_built,
    CompleteLayerUpload => not_built,
    CreateRepository => not_built,
    DeleteRepository => not_built,
    DeleteRepositoryPolicy => not_built,
    DescribeImageTags => not_built,
    DescribeImages => not_built,
    DescribeRegistries => not_built,
    DescribeRepositories => not_built,
    GetAuthorizationToken => not_built,
    GetRegistryCatalogData => not_built,
    GetRepositoryCatalogData => not_built,
    GetRepositoryPolicy => not_built,
    InitiateLayerUpload => not_built,
    ListTagsForResource => not_built,
    PutImage => not_built,
    PutRegistryCatalogData => not_built,
    PutRepositoryCatalogData => not_built,
    SetRepositoryPolicy => not_built,
    TagResource => not_built,
    UntagResource => not_built,
    UploadLayerPart => not_built,
}

/// The answer of an operation of the model that Berth does not serve yet.
pub fn not_built(op: Operation) -> AwsError {
    AwsError::new(
        "UnsupportedCommandException",
        format!(
            "Berth does not implement the ECR Public operation {} yet",
            op.name()
        ),
    )
}

/// Answer an ECR Public request by its `X-Amz-Target`.
pub async fn handle(target: &str) -> Result<Value, AwsError> {
    let op = target
        .strip_prefix(TARGET_PREFIX)
        .and_then(Operation::parse)
        .ok_or_else(|| {
            AwsError::new(
                "UnknownOperationException",
                format!("Unknown operation target '{target}' for the ECR Public service"),
            )
        })?;
    Err(not_built(op))
}
