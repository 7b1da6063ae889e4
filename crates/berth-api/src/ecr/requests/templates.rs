//! Requests of Create/Update/Delete/DescribeRepositoryCreationTemplate(s).

use berth_registry::templates::{
    AppliedFor, EncryptionConfiguration, ExclusionFilter, ResourceTag, TemplateSettings,
};
use serde::Deserialize;

use super::repositories::{EncryptionIn, FilterIn, TagIn};
use crate::aws::{Checks, Request};

const APPLIED_FOR: &[&str] = &["REPLICATION", "PULL_THROUGH_CACHE", "CREATE_ON_PUSH"];
const MUTABILITY: &[&str] = &[
    "MUTABLE",
    "IMMUTABLE",
    "IMMUTABLE_WITH_EXCLUSION",
    "MUTABLE_WITH_EXCLUSION",
];

/// Create- and UpdateRepositoryCreationTemplate (an update changes the members it gives).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateRequest {
    pub prefix: Option<String>,
    pub description: Option<String>,
    pub encryption_configuration: Option<EncryptionIn>,
    pub resource_tags: Option<Vec<TagIn>>,
    pub image_tag_mutability: Option<String>,
    pub image_tag_mutability_exclusion_filters: Option<Vec<FilterIn>>,
    pub repository_policy: Option<String>,
    pub lifecycle_policy: Option<String>,
    pub applied_for: Option<Vec<String>>,
    pub custom_role_arn: Option<String>,
}

impl Request for TemplateRequest {
    fn check(&self, c: &mut Checks) {
        c.required_length("prefix", self.prefix.as_deref(), 1, 256);
        c.length("description", self.description.as_deref(), 0, 256);
        if let Some(e) = &self.encryption_configuration {
            c.required(
                "encryptionConfiguration.encryptionType",
                e.encryption_type.as_ref(),
            );
            c.one_of(
                "encryptionConfiguration.encryptionType",
                e.encryption_type.as_deref(),
                &["AES256", "KMS", "KMS_DSSE"],
            );
            c.length(
                "encryptionConfiguration.kmsKey",
                e.kms_key.as_deref(),
                0,
                2048,
            );
        }
        for (i, t) in self.resource_tags.iter().flatten().enumerate() {
            c.required(
                &format!("resourceTags.{}.member.Key", i + 1),
                t.key.as_ref(),
            );
            c.required(
                &format!("resourceTags.{}.member.Value", i + 1),
                t.value.as_ref(),
            );
        }
        c.one_of(
            "imageTagMutability",
            self.image_tag_mutability.as_deref(),
            MUTABILITY,
        );
        let filters = self.image_tag_mutability_exclusion_filters.as_deref();
        c.count("imageTagMutabilityExclusionFilters", filters, 1, 5);
        for (i, f) in filters.unwrap_or_default().iter().enumerate() {
            let at = format!("imageTagMutabilityExclusionFilters.{}.member", i + 1);
            c.required(&format!("{at}.filterType"), f.filter_type.as_ref());
            c.one_of(
                &format!("{at}.filterType"),
                f.filter_type.as_deref(),
                &["WILDCARD"],
            );
            c.required_length(&format!("{at}.filter"), f.filter.as_deref(), 1, 128);
        }
        c.length(
            "repositoryPolicy",
            self.repository_policy.as_deref(),
            0,
            10240,
        );
        c.length(
            "lifecyclePolicy",
            self.lifecycle_policy.as_deref(),
            0,
            30720,
        );
        for (i, a) in self.applied_for.iter().flatten().enumerate() {
            c.one_of(
                &format!("appliedFor.{}.member", i + 1),
                Some(a),
                APPLIED_FOR,
            );
        }
        c.length("customRoleArn", self.custom_role_arn.as_deref(), 0, 2048);
    }
}

impl TemplateRequest {
    /// Whether appliedFor was given (Create requires it).
    pub fn names_applied_for(&self) -> bool {
        self.applied_for.is_some()
    }

    /// `base` with the members this request gives (every member, for a new template).
    pub fn settings(&self, base: TemplateSettings) -> TemplateSettings {
        let mut s = base;
        if let Some(d) = &self.description {
            s.description = Some(d.clone()).filter(|d| !d.is_empty());
        }
        if let Some(e) = &self.encryption_configuration {
            s.encryption_configuration = Some(EncryptionConfiguration {
                encryption_type: e.encryption_type.clone().unwrap_or_default(),
                kms_key: e.kms_key.clone(),
            });
        }
        if let Some(tags) = &self.resource_tags {
            s.resource_tags = tags
                .iter()
                .map(|t| ResourceTag {
                    key: t.key.clone().unwrap_or_default(),
                    value: t.value.clone().unwrap_or_default(),
                })
                .collect();
        }
        if let Some(m) = &self.image_tag_mutability {
            s.image_tag_mutability = Some(m.clone());
            if self.image_tag_mutability_exclusion_filters.is_none() {
                s.image_tag_mutability_exclusion_filters.clear();
            }
        }
        if let Some(filters) = &self.image_tag_mutability_exclusion_filters {
            s.image_tag_mutability_exclusion_filters = filters
                .iter()
                .map(|f| ExclusionFilter {
                    filter_type: f.filter_type.clone().unwrap_or_default(),
                    filter: f.filter.clone().unwrap_or_default(),
                })
                .collect();
        }
        if let Some(p) = &self.repository_policy {
            s.repository_policy = Some(p.clone()).filter(|p| !p.is_empty());
        }
        if let Some(p) = &self.lifecycle_policy {
            s.lifecycle_policy = Some(p.clone()).filter(|p| !p.is_empty());
        }
        if let Some(list) = &self.applied_for {
            s.applied_for = Vec::new();
            for a in list {
                let a = match a.as_str() {
                    "REPLICATION" => AppliedFor::Replication,
                    "PULL_THROUGH_CACHE" => AppliedFor::PullThroughCache,
                    _ => AppliedFor::CreateOnPush,
                };
                if !s.applied_for.contains(&a) {
                    s.applied_for.push(a);
                }
            }
        }
        if let Some(r) = &self.custom_role_arn {
            s.custom_role_arn = Some(r.clone()).filter(|r| !r.is_empty());
        }
        s
    }
}

/// DeleteRepositoryCreationTemplate.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrefixRequest {
    pub prefix: Option<String>,
}

impl Request for PrefixRequest {
    fn check(&self, c: &mut Checks) {
        c.required_length("prefix", self.prefix.as_deref(), 1, 256);
    }
}

/// DescribeRepositoryCreationTemplates.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeTemplatesRequest {
    pub prefixes: Option<Vec<String>>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
}

impl Request for DescribeTemplatesRequest {
    fn check(&self, c: &mut Checks) {
        for (i, p) in self.prefixes.iter().flatten().enumerate() {
            c.length(&format!("prefixes.{}.member", i + 1), Some(p), 1, 256);
        }
        c.range("maxResults", self.max_results, 1, 1000);
    }
}
