//! Requests of the lifecycle policy operations and previews.

use serde::Deserialize;
use serde_json::Value;

use super::check_target;
use crate::aws::{Checks, Request};

/// ECR's bounds on `lifecyclePolicyText`.
const MIN_LIFECYCLE_TEXT: usize = 100;
const MAX_LIFECYCLE_TEXT: usize = 30_720;

/// StartLifecyclePolicyPreview's request (without a text, the preview evaluates the repository's
/// policy), and PutLifecyclePolicy's, where the text is required.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LifecyclePolicyRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub lifecycle_policy_text: Option<String>,
}

impl Request for LifecyclePolicyRequest {
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

#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct PutLifecyclePolicyRequest(pub LifecyclePolicyRequest);

impl Request for PutLifecyclePolicyRequest {
    fn check(&self, c: &mut Checks) {
        self.0.check(c);
        c.required("lifecyclePolicyText", self.0.lifecycle_policy_text.as_ref());
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
