//! Every operation of the ECR service model (2015-09-21), and the handler of each one Berth
//! serves. The rest answer `UnknownOperationException` naming the operation.

use serde_json::Value;

use super::ctx::Ctx;
use crate::aws::AwsError;
use crate::aws::Input;

crate::operations! {
    /// An operation of ECR.
    pub enum Operation;
    dispatch(op, ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError>;
    call (ctx, inp);
    not_built => Err(not_built(op));
    BatchCheckLayerAvailability => super::layers::batch_check_layer_availability,
    BatchDeleteImage => super::images::batch_delete_image,
    BatchGetImage => super::images::batch_get_image,
    BatchGetRepositoryScanningConfiguration => not_built,
    CompleteLayerUpload => super::layers::complete_layer_upload,
    CreatePullThroughCacheRule => not_built,
    CreateRepository => super::repositories::create_repository,
    CreateRepositoryCreationTemplate => not_built,
    DeleteLifecyclePolicy => super::lifecycle::delete_lifecycle_policy,
    DeletePullThroughCacheRule => not_built,
    DeleteRegistryPolicy => super::policies::delete_registry_policy,
    DeleteRepository => super::repositories::delete_repository,
    DeleteRepositoryCreationTemplate => not_built,
    DeleteRepositoryPolicy => super::policies::delete_repository_policy,
    DeleteSigningConfiguration => not_built,
    DeregisterPullTimeUpdateExclusion => not_built,
    DescribeImageReplicationStatus => not_built,
    DescribeImageScanFindings => not_built,
    DescribeImageSigningStatus => not_built,
    DescribeImages => super::images::describe_images,
    DescribePullThroughCacheRules => not_built,
    DescribeRegistry => super::registry::describe_registry,
    DescribeReplicationBackfillResults => not_built,
    DescribeRepositories => super::repositories::describe_repositories,
    DescribeRepositoryCreationTemplates => not_built,
    GetAccountSetting => super::registry::get_account_setting,
    GetAuthorizationToken => super::auth::get_authorization_token,
    GetDownloadUrlForLayer => super::layers::get_download_url_for_layer,
    GetLifecyclePolicy => super::lifecycle::get_lifecycle_policy,
    GetLifecyclePolicyPreview => super::lifecycle::get_lifecycle_policy_preview,
    GetRegistryPolicy => super::policies::get_registry_policy,
    GetRegistryScanningConfiguration => not_built,
    GetRepositoryPolicy => super::policies::get_repository_policy,
    GetSigningConfiguration => not_built,
    InitiateLayerUpload => super::layers::initiate_layer_upload,
    ListImageReferrers => super::images::list_image_referrers,
    ListImages => super::images::list_images,
    ListPullTimeUpdateExclusions => not_built,
    ListReplicationBackfills => not_built,
    ListTagsForResource => super::resource_tags::list_tags_for_resource,
    PutAccountSetting => super::registry::put_account_setting,
    PutImage => super::images::put_image,
    PutImageScanningConfiguration => super::repositories::put_image_scanning_configuration,
    PutImageTagMutability => super::repositories::put_image_tag_mutability,
    PutLifecyclePolicy => super::lifecycle::put_lifecycle_policy,
    PutRegistryPolicy => super::policies::put_registry_policy,
    PutRegistryScanningConfiguration => not_built,
    PutReplicationConfiguration => not_built,
    PutSigningConfiguration => not_built,
    RegisterPullTimeUpdateExclusion => not_built,
    SetRepositoryPolicy => super::policies::set_repository_policy,
    StartImageScan => not_built,
    StartLifecyclePolicyPreview => super::lifecycle::start_lifecycle_policy_preview,
    StartReplicationBackfill => not_built,
    StopReplicationBackfill => not_built,
    TagResource => super::resource_tags::tag_resource,
    UntagResource => super::resource_tags::untag_resource,
    UpdateImageStorageClass => not_built,
    UpdatePullThroughCacheRule => not_built,
    UpdateRepositoryCreationTemplate => not_built,
    UploadLayerPart => super::layers::upload_layer_part,
    ValidatePullThroughCacheRule => not_built,
}

/// The answer of an operation of the model that Berth does not serve yet.
pub fn not_built(op: Operation) -> AwsError {
    AwsError::new(
        "UnknownOperationException",
        format!(
            "Berth does not implement the ECR operation {} yet",
            op.name()
        ),
    )
}

impl Operation {
    /// The largest request body the operation may carry: a layer part of 20 MiB as base64 in
    /// JSON, a 4 MiB manifest as a JSON string, and 256 KiB for the rest (ECR's batches of 100
    /// image IDs and its policy documents fit many times over).
    pub fn body_limit(self) -> usize {
        match self {
            Operation::UploadLayerPart => 32 * 1024 * 1024,
            Operation::PutImage => 12 * 1024 * 1024,
            _ => crate::aws::SMALL_BODY,
        }
    }
}
