//! What every ECR handler receives ([`Ctx`]) and the inputs most of them read: the registry and
//! repository an operation addresses. A leaf of `ecr`: it imports nothing of the handlers.

use berth_oci::RepositoryName;

use super::operations::Operation;
use crate::authz::Subject;
use crate::aws::{AwsCaller, AwsError};
use crate::state::AppState;

/// What every operation handler receives.
pub struct Ctx<'a> {
    pub state: &'a AppState,
    pub caller: &'a AwsCaller,
    /// The caller as policies see it (for listings that show only what it may see).
    pub subject: &'a Subject,
    pub operation: Operation,
    /// The host the request was sent to (for URLs handed back).
    pub host: &'a str,
}

impl Ctx<'_> {
    pub fn account(&self) -> &str {
        &self.caller.principal.account_id
    }

    pub fn region(&self) -> &str {
        &self.state.region
    }

    pub fn repository_arn(&self, account: &str, name: &str) -> String {
        crate::authz::repository_arn(self.state, account, name)
    }

    pub fn registry_host(&self, account: &str) -> String {
        format!("{account}.dkr.ecr.{}.{}", self.region(), self.state.domain)
    }

    /// The registry an operation addresses: `registryId` when given (checked as 12 digits by
    /// the request), else the caller's own. Another account's registry is reached through its
    /// policies (see `authorize`).
    pub fn registry(&self, registry_id: &Option<String>) -> String {
        registry_id
            .clone()
            .unwrap_or_else(|| self.account().to_string())
    }

    /// The registry and repository a checked request addresses.
    pub fn target(
        &self,
        registry_id: &Option<String>,
        repository_name: &Option<String>,
    ) -> Result<(String, RepositoryName), AwsError> {
        Ok((self.registry(registry_id), repository(repository_name)?))
    }
}

/// The repository a checked request names.
pub fn repository(name: &Option<String>) -> Result<RepositoryName, AwsError> {
    // a missing, short, long or mistyped name was refused by the request's checks
    name.as_deref()
        .unwrap_or_default()
        .parse::<RepositoryName>()
        .map_err(|_| AwsError::serialization("repositoryName must be a repository name"))
}
