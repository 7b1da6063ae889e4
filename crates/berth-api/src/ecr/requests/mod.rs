//! ECR's requests: one struct per operation, its members as botocore's service model names them,
//! and the model's constraints in the order ECR checks them, one file per family of operations.
//! A leaf of `ecr`: the handlers read these through
//! [`Input::request`](crate::aws::Input::request).

use berth_oci::RepositoryName;
use serde::Deserialize;

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
pub(super) fn check_target(
    c: &mut Checks,
    registry_id: &Option<String>,
    repository_name: &Option<String>,
) {
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

mod cache_rules;
mod images;
mod layers;
mod lifecycle;
mod policies;
mod registry;
mod replication;
mod replication_status;
mod repositories;
mod scanning;
mod templates;

pub use cache_rules::*;
pub use images::*;
pub use layers::*;
pub use lifecycle::*;
pub use policies::*;
pub use registry::*;
pub use replication::*;
pub use replication_status::*;
pub use repositories::*;
pub use scanning::*;
pub use templates::*;
