//! Every operation of the ECR service model (2015-09-21), and the handler of each one Berth
//! serves. The rest answer `UnknownOperationException` naming the operation.

use crate::aws::AwsError;

/// Every operation of the service model and its handler (`not_built`: answers that it is
/// not built yet). Passed to [`crate::operations!`] twice: for the enum here, and for the
/// dispatch in the service's `mod.rs`, where the handler modules are.
macro_rules! ecr_operations {
    ($($head:tt)*) => {
        crate::operations! {
            $($head)*
            BatchCheckLayerAvailability => layers::batch_check_layer_availability,
            BatchDeleteImage => images::batch_delete_image,
            BatchGetImage => images::batch_get_image,
            BatchGetRepositoryScanningConfiguration => scanning::batch_get_repository_scanning_configuration,
            CompleteLayerUpload => layers::complete_layer_upload,
            CreatePullThroughCacheRule => cache_rules::create_pull_through_cache_rule,
            CreateRepository => repositories::create_repository,
            CreateRepositoryCreationTemplate => templates::create_repository_creation_template,
            DeleteLifecyclePolicy => lifecycle::delete_lifecycle_policy,
            DeletePullThroughCacheRule => cache_rules::delete_pull_through_cache_rule,
            DeleteRegistryPolicy => policies::delete_registry_policy,
            DeleteRepository => repositories::delete_repository,
            DeleteRepositoryCreationTemplate => templates::delete_repository_creation_template,
            DeleteRepositoryPolicy => policies::delete_repository_policy,
            DeleteSigningConfiguration => not_built,
            DeregisterPullTimeUpdateExclusion => not_built,
            DescribeImageReplicationStatus => replication::describe_image_replication_status,
            DescribeImageScanFindings => scanning::describe_image_scan_findings,
            DescribeImageSigningStatus => not_built,
            DescribeImages => images::describe_images,
            DescribePullThroughCacheRules => cache_rules::describe_pull_through_cache_rules,
            DescribeRegistry => registry::describe_registry,
            DescribeReplicationBackfillResults => backfills::describe_replication_backfill_results,
            DescribeRepositories => repositories::describe_repositories,
            DescribeRepositoryCreationTemplates => templates::describe_repository_creation_templates,
            GetAccountSetting => registry::get_account_setting,
            GetAuthorizationToken => auth::get_authorization_token,
            GetDownloadUrlForLayer => layers::get_download_url_for_layer,
            GetLifecyclePolicy => lifecycle::get_lifecycle_policy,
            GetLifecyclePolicyPreview => lifecycle::get_lifecycle_policy_preview,
            GetRegistryPolicy => policies::get_registry_policy,
            GetRegistryScanningConfiguration => scanning::get_registry_scanning_configuration,
            GetRepositoryPolicy => policies::get_repository_policy,
            GetSigningConfiguration => not_built,
            InitiateLayerUpload => layers::initiate_layer_upload,
            ListImageReferrers => referrers::list_image_referrers,
            ListImages => images::list_images,
            ListPullTimeUpdateExclusions => not_built,
            ListReplicationBackfills => backfills::list_replication_backfills,
            ListTagsForResource => resource_tags::list_tags_for_resource,
            PutAccountSetting => registry::put_account_setting,
            PutImage => images::put_image,
            PutImageScanningConfiguration => repositories::put_image_scanning_configuration,
            PutImageTagMutability => repositories::put_image_tag_mutability,
            PutLifecyclePolicy => lifecycle::put_lifecycle_policy,
            PutRegistryPolicy => policies::put_registry_policy,
            PutRegistryScanningConfiguration => scanning::put_registry_scanning_configuration,
            PutReplicationConfiguration => registry::put_replication_configuration,
            PutSigningConfiguration => not_built,
            RegisterPullTimeUpdateExclusion => not_built,
            SetRepositoryPolicy => policies::set_repository_policy,
            StartImageScan => scanning::start_image_scan,
            StartLifecyclePolicyPreview => lifecycle::start_lifecycle_policy_preview,
            StartReplicationBackfill => backfills::start_replication_backfill,
            StopReplicationBackfill => backfills::stop_replication_backfill,
            TagResource => resource_tags::tag_resource,
            UntagResource => resource_tags::untag_resource,
            UpdateImageStorageClass => not_built,
            UpdatePullThroughCacheRule => cache_rules::update_pull_through_cache_rule,
            UpdateRepositoryCreationTemplate => templates::update_repository_creation_template,
            UploadLayerPart => layers::upload_layer_part,
            ValidatePullThroughCacheRule => cache_rules::validate_pull_through_cache_rule,
        }
    };
}
pub(crate) use ecr_operations;

ecr_operations! { enum Operation; }

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
