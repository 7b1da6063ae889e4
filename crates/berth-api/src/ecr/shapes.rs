//! ECR's output shapes, as botocore's service model names their members. A leaf of `ecr`: the
//! handlers fill these and [`reply`](crate::aws::reply) serializes them.

use std::collections::BTreeMap;

use berth_meta::{EncryptionType, TagMutability};
use berth_registry::replication::config::ReplicationConfiguration;
use serde::Serialize;
use serde_json::Value;

use crate::aws::Epoch;

/// `ImageIdentifier`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIdentifier {
    pub image_digest: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_tag: Option<String>,
}

/// `Image`: a manifest with its bytes.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Image<'a> {
    pub registry_id: &'a str,
    pub repository_name: &'a str,
    pub image_id: ImageIdentifier,
    pub image_manifest: String,
    pub image_manifest_media_type: String,
}

/// `ImageFailure`: the identifier as the request gave it, and why it failed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageFailure {
    pub image_id: Value,
    pub failure_code: &'static str,
    pub failure_reason: String,
}

/// `ImageDetail`. Every image is `ACTIVE` in Berth (no archive storage class).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageDetail<'a> {
    pub registry_id: &'a str,
    pub repository_name: &'a str,
    pub image_digest: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub image_tags: Vec<String>,
    pub image_size_in_bytes: u64,
    pub image_pushed_at: Epoch,
    pub image_manifest_media_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_media_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_recorded_pull_time: Option<Epoch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_manifest_digest: Option<String>,
    pub image_status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_scan_status: Option<ImageScanStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_scan_findings_summary: Option<ImageScanFindingsSummary>,
}

/// `ImageScanFindingsSummary`: a completed scan's counts.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageScanFindingsSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_scan_completed_at: Option<Epoch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vulnerability_source_updated_at: Option<Epoch>,
    pub finding_severity_counts: std::collections::BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageScanStatus {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl ImageScanStatus {
    /// A stored scan's status as ECR answers it (a waiting scan is in progress).
    pub fn of(scan: &berth_meta::ImageScan) -> ImageScanStatus {
        let status = match scan.status {
            berth_meta::ScanStatus::Pending => berth_meta::ScanStatus::InProgress,
            s => s,
        };
        let description = match scan.status {
            berth_meta::ScanStatus::Pending | berth_meta::ScanStatus::InProgress => None,
            _ => scan.description.clone(),
        };
        ImageScanStatus {
            status: status.as_str(),
            description,
        }
    }
}

/// `ImageReferrer`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageReferrer<'a> {
    pub digest: String,
    pub media_type: &'a str,
    pub size: u64,
    pub artifact_status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<&'a BTreeMap<String, String>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PutImageResponse<'a> {
    pub image: Image<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetImageResponse<'a> {
    pub images: Vec<Image<'a>>,
    pub failures: Vec<ImageFailure>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListImagesResponse {
    pub image_ids: Vec<ImageIdentifier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeImagesResponse<'a> {
    pub image_details: Vec<ImageDetail<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchDeleteImageResponse {
    pub image_ids: Vec<ImageIdentifier>,
    pub failures: Vec<ImageFailure>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListImageReferrersResponse<'a> {
    pub referrers: Vec<ImageReferrer<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

// ---- layers ----

/// `Layer`: `layerSize` only when it is available.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Layer {
    pub layer_digest: String,
    pub layer_availability: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer_size: Option<u64>,
}

/// `LayerFailure`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerFailure {
    pub layer_digest: String,
    pub failure_code: &'static str,
    pub failure_reason: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchCheckLayerAvailabilityResponse {
    pub layers: Vec<Layer>,
    pub failures: Vec<LayerFailure>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InitiateLayerUploadResponse {
    pub upload_id: String,
    pub part_size: u64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadLayerPartResponse<'a> {
    pub registry_id: &'a str,
    pub repository_name: &'a str,
    pub upload_id: &'a str,
    pub last_byte_received: u64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteLayerUploadResponse<'a> {
    pub registry_id: &'a str,
    pub repository_name: &'a str,
    pub upload_id: &'a str,
    pub layer_digest: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetDownloadUrlForLayerResponse {
    pub download_url: String,
    pub layer_digest: String,
}

// ---- repositories ----

/// `ImageTagMutabilityExclusionFilter`: Berth's filters are all wildcards.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExclusionFilter<'a> {
    pub filter_type: &'static str,
    pub filter: &'a str,
}

impl<'a> ExclusionFilter<'a> {
    pub fn list(filters: &'a [String]) -> Vec<ExclusionFilter<'a>> {
        filters
            .iter()
            .map(|f| ExclusionFilter {
                filter_type: "WILDCARD",
                filter: f,
            })
            .collect()
    }
}

/// `ImageScanningConfiguration`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanningConfiguration {
    pub scan_on_push: bool,
}

/// `EncryptionConfiguration`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EncryptionConfiguration<'a> {
    pub encryption_type: EncryptionType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key: Option<&'a str>,
}

/// `Repository`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Repository<'a> {
    pub repository_arn: String,
    pub registry_id: &'a str,
    pub repository_name: &'a str,
    pub repository_uri: String,
    pub created_at: Epoch,
    pub image_tag_mutability: TagMutability,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub image_tag_mutability_exclusion_filters: Vec<ExclusionFilter<'a>>,
    pub image_scanning_configuration: ScanningConfiguration,
    pub encryption_configuration: EncryptionConfiguration<'a>,
}

/// The output of CreateRepository and DeleteRepository.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryResponse<'a> {
    pub repository: Repository<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeRepositoriesResponse<'a> {
    pub repositories: Vec<Repository<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PutImageTagMutabilityResponse<'a> {
    pub registry_id: &'a str,
    pub repository_name: &'a str,
    pub image_tag_mutability: TagMutability,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub image_tag_mutability_exclusion_filters: Vec<ExclusionFilter<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PutImageScanningConfigurationResponse<'a> {
    pub registry_id: &'a str,
    pub repository_name: &'a str,
    pub image_scanning_configuration: ScanningConfiguration,
}

// ---- policies ----

/// The output of Set/Get/DeleteRepositoryPolicy.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryPolicyResponse<'a> {
    pub registry_id: &'a str,
    pub repository_name: &'a str,
    pub policy_text: &'a str,
}

/// The output of Put/Get/DeleteRegistryPolicy.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryPolicyResponse<'a> {
    pub registry_id: &'a str,
    pub policy_text: &'a str,
}

// ---- lifecycle ----

/// The output of Put/Get/DeleteLifecyclePolicy, and the head of the previews' outputs.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LifecyclePolicyResponse<'a> {
    pub registry_id: &'a str,
    pub repository_name: &'a str,
    pub lifecycle_policy_text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_evaluated_at: Option<Epoch>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartLifecyclePolicyPreviewResponse<'a> {
    #[serde(flatten)]
    pub policy: LifecyclePolicyResponse<'a>,
    pub status: &'static str,
}

/// `LifecyclePolicyRuleAction`.
#[derive(Debug, Serialize)]
pub struct RuleAction {
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// `LifecyclePolicyPreviewResult`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewResult<'a> {
    pub image_tags: &'a [String],
    pub image_digest: &'a str,
    pub image_pushed_at: Epoch,
    pub action: RuleAction,
    pub applied_rule_priority: u64,
    pub storage_class: &'static str,
}

/// `LifecyclePolicyPreviewSummary`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewSummary {
    pub expiring_image_total_count: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetLifecyclePolicyPreviewResponse<'a> {
    #[serde(flatten)]
    pub policy: LifecyclePolicyResponse<'a>,
    pub status: &'a str,
    pub preview_results: Vec<PreviewResult<'a>>,
    pub summary: PreviewSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

// ---- registry, tags, auth ----

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeRegistryResponse<'a> {
    pub registry_id: &'a str,
    pub replication_configuration: ReplicationConfiguration,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PutReplicationConfigurationResponse {
    pub replication_configuration: ReplicationConfiguration,
}

/// The output of Get/PutAccountSetting.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSettingResponse<'a> {
    pub name: &'a str,
    pub value: String,
}

/// `Tag` (ECR spells its members with capitals).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag<'a> {
    pub key: &'a str,
    pub value: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTagsForResourceResponse<'a> {
    pub tags: Vec<Tag<'a>>,
}

/// `AuthorizationData`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationData<'a> {
    pub authorization_token: &'a str,
    /// Epoch seconds.
    pub expires_at: i64,
    pub proxy_endpoint: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetAuthorizationTokenResponse<'a> {
    pub authorization_data: Vec<AuthorizationData<'a>>,
}
