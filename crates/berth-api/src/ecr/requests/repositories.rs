//! Requests of CreateRepository, DescribeRepositories, DeleteRepository, PutImageTagMutability,
//! PutImageScanningConfiguration and the resource-tag operations.

use berth_meta::{EncryptionType, TagMutability};
use serde::Deserialize;

use super::{check_registry_id, check_target};
use crate::aws::{AwsError, Checks, Request};

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
