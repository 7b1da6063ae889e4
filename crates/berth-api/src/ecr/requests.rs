//! ECR's requests: one struct per operation, its members as botocore's service model names them,
//! and the model's constraints in the order ECR checks them. A leaf of `ecr`: the handlers read
//! these through [`Input::request`](crate::aws::Input::request).

use berth_meta::{EncryptionType, TagMutability};
use berth_oci::RepositoryName;
use serde::Deserialize;
use serde_json::Value;

use super::image_ids::check_ids;
use crate::aws::{AwsError, Checks, Request};

/// ECR's repository-name pattern, as its messages quote it.
pub const REPOSITORY_NAME_PATTERN: &str =
    "(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*";

/// `registryId`: 12 digits when given (the caller's registry otherwise).
pub fn check_registry_id(c: &mut Checks, v: Option<&str>) {
    if v.is_some_and(|id| id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit())) {
        c.fail(AwsError::new(
            "InvalidParameterException",
            "Invalid parameter at 'registryId' failed to satisfy constraint: 'must satisfy regular expression '[0-9]{12}''",
        ));
    }
}

/// A required repository name (2..256 characters, ECR's pattern).
pub fn check_repository_name(c: &mut Checks, field: &str, v: Option<&str>) {
    c.required_length(field, v, 2, 256);
    let Some(name) = v.filter(|n| (2..=256).contains(&n.chars().count())) else {
        return; // reported by the length check
    };
    if name.parse::<RepositoryName>().is_err() {
        c.fail(AwsError::new(
            "InvalidParameterException",
            format!("Invalid parameter at '{field}' failed to satisfy constraint: 'must satisfy regular expression '{REPOSITORY_NAME_PATTERN}''"),
        ));
    }
}

/// `registryId` and `repositoryName`, the members of every operation on one repository.
fn check_target(c: &mut Checks, registry_id: &Option<String>, repository_name: &Option<String>) {
    check_registry_id(c, registry_id.as_deref());
    check_repository_name(c, "repositoryName", repository_name.as_deref());
}

/// Requests with no members but the repository's (InitiateLayerUpload, Get/DeleteRepositoryPolicy,
/// Get/DeleteLifecyclePolicy).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
}

impl Request for RepositoryRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
    }
}

/// Requests with no members (DescribeRegistry, GetRegistryPolicy, DeleteRegistryPolicy).
#[derive(Debug, Deserialize)]
pub struct NoMembers {}

impl Request for NoMembers {
    fn check(&self, _: &mut Checks) {}
}

// ---- repositories ----

/// `Tag`, as a request gives it.
#[derive(Debug, Deserialize)]
pub struct TagIn {
    #[serde(rename = "Key")]
    pub key: Option<String>,
    #[serde(rename = "Value")]
    pub value: Option<String>,
}

/// Resource tags with ECR's limits (each failure ends the request).
fn check_tags(c: &mut Checks, tags: Option<&[TagIn]>) {
    let tags = tags.unwrap_or_default();
    for t in tags {
        let (Some(key), Some(value)) = (&t.key, &t.value) else {
            return c.fail(AwsError::new(
                "InvalidTagParameterException",
                "Each tag must have a Key and a Value",
            ));
        };
        if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
            return c.fail(AwsError::new(
                "InvalidTagParameterException",
                "Tag keys must be 1 to 128 characters and tag values at most 256 characters",
            ));
        }
        if key.starts_with("aws:") {
            return c.fail(AwsError::new(
                "InvalidTagParameterException",
                "Tag keys may not begin with the reserved prefix 'aws:'",
            ));
        }
    }
    if tags.len() > berth_registry::MAX_REPOSITORY_TAGS {
        c.fail(AwsError::new(
            "TooManyTagsException",
            "Exceeded the maximum number of tags (50) for a repository",
        ));
    }
}

/// The checked tags as pairs.
pub fn tag_pairs(tags: &Option<Vec<TagIn>>) -> Vec<(String, String)> {
    tags.iter()
        .flatten()
        .filter_map(|t| Some((t.key.clone()?, t.value.clone()?)))
        .collect()
}

/// `ImageTagMutabilityExclusionFilter`, as a request gives it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterIn {
    pub filter_type: Option<String>,
    pub filter: Option<String>,
}

/// `imageTagMutability` and its exclusion filters, as ECR checks them together.
pub struct Mutability<'a> {
    pub image_tag_mutability: &'a Option<String>,
    pub image_tag_mutability_exclusion_filters: &'a Option<Vec<FilterIn>>,
}

impl Mutability<'_> {
    fn check(&self, c: &mut Checks, required: bool) {
        let given = self.image_tag_mutability.as_deref();
        if required {
            c.required("imageTagMutability", given);
        }
        let names = TagMutability::names();
        c.one_of("imageTagMutability", given, &names);
        let filters = self.image_tag_mutability_exclusion_filters.as_deref();
        c.count("imageTagMutabilityExclusionFilters", filters, 1, 5);
        for (i, f) in filters.unwrap_or_default().iter().enumerate() {
            let at = format!("imageTagMutabilityExclusionFilters.{}.member", i + 1);
            let kind = f.filter_type.as_deref();
            c.required(&format!("{at}.filterType"), kind);
            if kind.is_some_and(|k| !k.is_empty() && k != "WILDCARD") {
                c.problem(format!("Value '{}' at '{at}.filterType' failed to satisfy constraint: Member must satisfy enum value set: [WILDCARD]", kind.unwrap_or_default()));
            }
            let filter = f.filter.as_deref();
            c.required_length(&format!("{at}.filter"), filter, 1, 128);
            if let Some(filter) = filter.filter(|f| {
                !f.is_empty()
                    && !f.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'*' | b'-')
                    })
            }) {
                c.problem(format!("Value '{filter}' at '{at}.filter' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9a-zA-Z._*-]{{1,128}}"));
            }
        }
        let valid = match given {
            Some(v) => v.parse::<TagMutability>().ok(),
            None => Some(TagMutability::Mutable),
        };
        let m = valid.unwrap_or(TagMutability::Mutable);
        let with_exclusion = valid.is_some_and(TagMutability::with_exclusion);
        let none = filters.is_none_or(|f| f.is_empty());
        if with_exclusion && none {
            c.fail(AwsError::new(
                "InvalidParameterException",
                format!("Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'imageTagMutabilityExclusionFilters must be specified when imageTagMutability is {m}'"),
            ));
        }
        if valid.is_some() && !with_exclusion && !none {
            c.fail(AwsError::new(
                "InvalidParameterException",
                format!("Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'imageTagMutabilityExclusionFilters can only be specified when imageTagMutability is IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION, not {m}'"),
            ));
        }
    }

    /// The checked mode (ECR's default when absent) and filters.
    pub fn value(&self) -> (TagMutability, Vec<String>) {
        let m = self
            .image_tag_mutability
            .as_deref()
            .and_then(|v| v.parse().ok())
            .unwrap_or(TagMutability::Mutable);
        let filters = self
            .image_tag_mutability_exclusion_filters
            .iter()
            .flatten()
            .filter_map(|f| f.filter.clone())
            .collect();
        (m, filters)
    }
}

/// `ImageScanningConfiguration`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanningIn {
    pub scan_on_push: Option<bool>,
}

/// `EncryptionConfiguration`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncryptionIn {
    pub encryption_type: Option<String>,
    pub kms_key: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRepositoryRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub tags: Option<Vec<TagIn>>,
    pub image_tag_mutability: Option<String>,
    pub image_tag_mutability_exclusion_filters: Option<Vec<FilterIn>>,
    pub image_scanning_configuration: Option<ScanningIn>,
    pub encryption_configuration: Option<EncryptionIn>,
}

impl Request for CreateRepositoryRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        check_tags(c, self.tags.as_deref());
        self.mutability().check(c, false);
        if let Some(e) = &self.encryption_configuration {
            let t = e.encryption_type.as_deref();
            c.required("encryptionConfiguration.encryptionType", t);
            if let Some(t) = t.filter(|t| !t.is_empty() && t.parse::<EncryptionType>().is_err()) {
                c.problem(format!("Value '{t}' at 'encryptionConfiguration.encryptionType' failed to satisfy constraint: Member must satisfy enum value set: [{}]", EncryptionType::names().join(", ")));
            }
            c.length(
                "encryptionConfiguration.kmsKey",
                e.kms_key.as_deref(),
                1,
                2048,
            );
            if self.encryption().0 == EncryptionType::Aes256 && e.kms_key.is_some() {
                c.fail(AwsError::new(
                    "InvalidParameterException",
                    "Invalid parameter at 'encryptionConfiguration' failed to satisfy constraint: 'kmsKey can only be specified when encryptionType is KMS or KMS_DSSE'",
                ));
            }
        }
    }
}

impl CreateRepositoryRequest {
    pub fn mutability(&self) -> Mutability<'_> {
        Mutability {
            image_tag_mutability: &self.image_tag_mutability,
            image_tag_mutability_exclusion_filters: &self.image_tag_mutability_exclusion_filters,
        }
    }

    /// The encryption type (AES256 unless given) and KMS key.
    pub fn encryption(&self) -> (EncryptionType, Option<String>) {
        match &self.encryption_configuration {
            Some(e) => (
                e.encryption_type
                    .as_deref()
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(EncryptionType::Aes256),
                e.kms_key.clone(),
            ),
            None => (EncryptionType::Aes256, None),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeRepositoriesRequest {
    pub registry_id: Option<String>,
    pub repository_names: Option<Vec<String>>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
}

impl Request for DescribeRepositoriesRequest {
    fn check(&self, c: &mut Checks) {
        check_registry_id(c, self.registry_id.as_deref());
        c.strings(
            "repositoryNames",
            self.repository_names.as_deref(),
            (1, 100),
            (2, 256),
        );
        c.range("maxResults", self.max_results, 1, 1000);
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteRepositoryRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub force: Option<bool>,
}

impl Request for DeleteRepositoryRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutImageTagMutabilityRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub image_tag_mutability: Option<String>,
    pub image_tag_mutability_exclusion_filters: Option<Vec<FilterIn>>,
}

impl PutImageTagMutabilityRequest {
    pub fn mutability(&self) -> Mutability<'_> {
        Mutability {
            image_tag_mutability: &self.image_tag_mutability,
            image_tag_mutability_exclusion_filters: &self.image_tag_mutability_exclusion_filters,
        }
    }
}

impl Request for PutImageTagMutabilityRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        self.mutability().check(c, true);
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutImageScanningConfigurationRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub image_scanning_configuration: Option<ScanningIn>,
}

impl Request for PutImageScanningConfigurationRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.required(
            "imageScanningConfiguration",
            self.image_scanning_configuration.as_ref(),
        );
    }
}

// ---- resource tags ----

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagResourceRequest {
    pub resource_arn: Option<String>,
    pub tags: Option<Vec<TagIn>>,
}

impl Request for TagResourceRequest {
    fn check(&self, c: &mut Checks) {
        c.required("resourceArn", self.resource_arn.as_ref());
        c.required("tags", self.tags.as_ref());
        check_tags(c, self.tags.as_deref());
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UntagResourceRequest {
    pub resource_arn: Option<String>,
    pub tag_keys: Option<Vec<String>>,
}

impl Request for UntagResourceRequest {
    fn check(&self, c: &mut Checks) {
        c.required("resourceArn", self.resource_arn.as_ref());
        c.strings("tagKeys", self.tag_keys.as_deref(), (0, 200), (1, 128));
        c.required("tagKeys", self.tag_keys.as_ref());
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTagsForResourceRequest {
    pub resource_arn: Option<String>,
}

impl Request for ListTagsForResourceRequest {
    fn check(&self, c: &mut Checks) {
        c.required("resourceArn", self.resource_arn.as_ref());
    }
}

// ---- images ----

/// `ListImagesFilter` / `DescribeImagesFilter`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageFilter {
    pub tag_status: Option<String>,
    pub image_status: Option<String>,
}

impl ImageFilter {
    fn check(filter: Option<&ImageFilter>, c: &mut Checks) {
        if let Some(f) = filter {
            c.one_of(
                "filter.tagStatus",
                f.tag_status.as_deref(),
                &["TAGGED", "UNTAGGED", "ANY"],
            );
            c.one_of(
                "filter.imageStatus",
                f.image_status.as_deref(),
                &["ACTIVE", "ARCHIVED", "ACTIVATING", "ANY"],
            );
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutImageRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub image_manifest: Option<String>,
    pub image_manifest_media_type: Option<String>,
    pub image_tag: Option<String>,
    pub image_digest: Option<String>,
}

impl Request for PutImageRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.required_length(
            "imageManifest",
            self.image_manifest.as_deref(),
            1,
            4_194_304,
        );
        c.length("imageTag", self.image_tag.as_deref(), 1, 300);
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetImageRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub image_ids: Option<Vec<Value>>,
    pub accepted_media_types: Option<Vec<String>>,
}

impl Request for BatchGetImageRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.required("imageIds", self.image_ids.as_ref());
        check_ids(c, "imageIds", self.image_ids.as_deref(), 1);
        c.strings(
            "acceptedMediaTypes",
            self.accepted_media_types.as_deref(),
            (1, 100),
            (0, usize::MAX),
        );
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListImagesRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
    pub filter: Option<ImageFilter>,
}

impl Request for ListImagesRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.range("maxResults", self.max_results, 1, 1000);
        ImageFilter::check(self.filter.as_ref(), c);
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeImagesRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub image_ids: Option<Vec<Value>>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
    pub filter: Option<ImageFilter>,
}

impl Request for DescribeImagesRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        check_ids(c, "imageIds", self.image_ids.as_deref(), 1);
        c.range("maxResults", self.max_results, 1, 1000);
        ImageFilter::check(self.filter.as_ref(), c);
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchDeleteImageRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub image_ids: Option<Vec<Value>>,
}

impl Request for BatchDeleteImageRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.required("imageIds", self.image_ids.as_ref());
        check_ids(c, "imageIds", self.image_ids.as_deref(), 1);
    }
}

/// `SubjectIdentifier`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubjectIn {
    pub image_digest: Option<String>,
}

/// `ListImageReferrersFilter`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferrersFilter {
    pub artifact_types: Option<Vec<String>>,
    pub artifact_status: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListImageReferrersRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub subject_id: Option<SubjectIn>,
    pub filter: Option<ReferrersFilter>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
}

impl Request for ListImageReferrersRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        match &self.subject_id {
            Some(s) => c.required("subjectId.imageDigest", s.image_digest.as_ref()),
            None => c.required::<SubjectIn>("subjectId", None),
        }
        if let Some(f) = &self.filter {
            c.strings(
                "filter.artifactTypes",
                f.artifact_types.as_deref(),
                (0, 5),
                (0, usize::MAX),
            );
            c.one_of(
                "filter.artifactStatus",
                f.artifact_status.as_deref(),
                &["ACTIVE", "ARCHIVED", "ACTIVATING", "ANY"],
            );
        }
        c.range("maxResults", self.max_results, 1, 50);
    }
}

// ---- layers ----

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchCheckLayerAvailabilityRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub layer_digests: Option<Vec<String>>,
}

impl Request for BatchCheckLayerAvailabilityRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.required("layerDigests", self.layer_digests.as_ref());
        c.strings(
            "layerDigests",
            self.layer_digests.as_deref(),
            (1, 100),
            (0, usize::MAX),
        );
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadLayerPartRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub upload_id: Option<String>,
    pub part_first_byte: Option<i64>,
    pub part_last_byte: Option<i64>,
    pub layer_part_blob: Option<String>,
}

impl Request for UploadLayerPartRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.required("uploadId", self.upload_id.as_ref());
        c.range("partFirstByte", self.part_first_byte, 0, i64::MAX);
        c.range("partLastByte", self.part_last_byte, 0, i64::MAX);
        c.required("partFirstByte", self.part_first_byte.as_ref());
        c.required("partLastByte", self.part_last_byte.as_ref());
        c.required("layerPartBlob", self.layer_part_blob.as_ref());
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteLayerUploadRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub upload_id: Option<String>,
    pub layer_digests: Option<Vec<String>>,
}

impl Request for CompleteLayerUploadRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.required("uploadId", self.upload_id.as_ref());
        c.required("layerDigests", self.layer_digests.as_ref());
        c.strings(
            "layerDigests",
            self.layer_digests.as_deref(),
            (1, 100),
            (0, usize::MAX),
        );
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetDownloadUrlForLayerRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub layer_digest: Option<String>,
}

impl Request for GetDownloadUrlForLayerRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.required("layerDigest", self.layer_digest.as_ref());
    }
}

// ---- policies ----

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetRepositoryPolicyRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub policy_text: Option<String>,
    pub force: Option<bool>,
}

impl Request for SetRepositoryPolicyRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.required_length(
            "policyText",
            self.policy_text.as_deref(),
            0,
            berth_iam::resource_policy::MAX_POLICY_TEXT,
        );
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutRegistryPolicyRequest {
    pub policy_text: Option<String>,
}

impl Request for PutRegistryPolicyRequest {
    fn check(&self, c: &mut Checks) {
        c.required_length(
            "policyText",
            self.policy_text.as_deref(),
            0,
            berth_iam::resource_policy::MAX_POLICY_TEXT,
        );
    }
}

// ---- lifecycle ----

/// ECR's bounds on `lifecyclePolicyText`.
const MIN_LIFECYCLE_TEXT: usize = 100;
const MAX_LIFECYCLE_TEXT: usize = 30_720;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutLifecyclePolicyRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub lifecycle_policy_text: Option<String>,
}

impl Request for PutLifecyclePolicyRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.required_length(
            "lifecyclePolicyText",
            self.lifecycle_policy_text.as_deref(),
            MIN_LIFECYCLE_TEXT,
            MAX_LIFECYCLE_TEXT,
        );
    }
}

/// Without a text, the preview evaluates the repository's policy.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartLifecyclePolicyPreviewRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub lifecycle_policy_text: Option<String>,
}

impl Request for StartLifecyclePolicyPreviewRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.length(
            "lifecyclePolicyText",
            self.lifecycle_policy_text.as_deref(),
            MIN_LIFECYCLE_TEXT,
            MAX_LIFECYCLE_TEXT,
        );
    }
}

/// `LifecyclePolicyPreviewFilter`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewFilter {
    pub tag_status: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetLifecyclePolicyPreviewRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub image_ids: Option<Vec<Value>>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
    pub filter: Option<PreviewFilter>,
}

impl Request for GetLifecyclePolicyPreviewRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.count("imageIds", self.image_ids.as_deref(), 1, 100);
        c.range("maxResults", self.max_results, 1, 100);
        if let Some(f) = &self.filter {
            c.one_of(
                "filter.tagStatus",
                f.tag_status.as_deref(),
                &["TAGGED", "UNTAGGED", "ANY"],
            );
        }
    }
}

// ---- registry and authorization ----

#[derive(Debug, Deserialize)]
pub struct GetAccountSettingRequest {
    pub name: Option<String>,
}

impl Request for GetAccountSettingRequest {
    fn check(&self, c: &mut Checks) {
        c.required_length("name", self.name.as_deref(), 1, 64);
    }
}

#[derive(Debug, Deserialize)]
pub struct AccountSettingRequest {
    pub name: Option<String>,
    pub value: Option<String>,
}

impl Request for AccountSettingRequest {
    fn check(&self, c: &mut Checks) {
        c.required_length("name", self.name.as_deref(), 1, 64);
        c.required_length("value", self.value.as_deref(), 1, 64);
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetAuthorizationTokenRequest {
    pub registry_ids: Option<Vec<String>>,
}

impl Request for GetAuthorizationTokenRequest {
    fn check(&self, c: &mut Checks) {
        c.strings(
            "registryIds",
            self.registry_ids.as_deref(),
            (1, 10),
            (0, usize::MAX),
        );
    }
}
