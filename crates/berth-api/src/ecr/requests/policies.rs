//! Requests of the repository and registry policy operations.

use serde::Deserialize;

use super::check_target;
use crate::aws::{Checks, Request};

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
