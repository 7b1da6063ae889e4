//! What every ECR handler receives ([`Ctx`]) and the inputs most of them read: the registry and
//! repository an operation addresses. A leaf of `ecr`: it imports nothing of the handlers.

use berth_oci::RepositoryName;

use super::operations::Operation;
use crate::authz::Subject;
use crate::aws::{AwsCaller, AwsError, Input};
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

    /// The registry an operation addresses: `registryId` when given (12 digits), else the
    /// caller's own. Another account's registry is reached through its policies (see `authorize`).
    pub fn registry_id(&self, inp: &mut Input) -> Result<String, AwsError> {
        let Some(id) = inp.string("registryId", 0, usize::MAX) else {
            return Ok(self.account().to_string());
        };
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AwsError::new(
                "InvalidParameterException",
                "Invalid parameter at 'registryId' failed to satisfy constraint: 'must satisfy regular expression '[0-9]{12}''",
            ));
        }
        // another account's registry was authorised by its policies in `dispatch`
        Ok(id)
    }
}

/// ECR's repository-name constraint message.
pub const REPOSITORY_NAME_PATTERN: &str =
    "(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*";

/// A required `repositoryName` (2..256, ECR's pattern).
pub fn repository_name(inp: &mut Input, field: &str) -> Result<Option<RepositoryName>, AwsError> {
    let name = inp.required_string(field, 2, 256);
    if name.is_empty() || name.chars().count() < 2 || name.chars().count() > 256 {
        return Ok(None); // reported by the length check
    }
    match name.parse::<RepositoryName>() {
        Ok(n) => Ok(Some(n)),
        Err(_) => Err(AwsError::new(
            "InvalidParameterException",
            format!("Invalid parameter at '{field}' failed to satisfy constraint: 'must satisfy regular expression '{REPOSITORY_NAME_PATTERN}''"),
        )),
    }
}

/// The registry and repository an operation addresses: `registryId` (the caller's by default) and
/// `repositoryName`.
pub fn target(
    ctx: &Ctx<'_>,
    inp: &mut Input,
) -> Result<(String, Option<RepositoryName>), AwsError> {
    let account = ctx.registry_id(inp)?;
    let name = repository_name(inp, "repositoryName")?;
    Ok((account, name))
}

/// The input's problems, if any, as the error; else the repository name it carried.
pub fn named(inp: Input, name: Option<RepositoryName>) -> Result<RepositoryName, AwsError> {
    inp.finish()?;
    // a missing, short, long or mistyped name was reported by `finish`
    name.ok_or_else(|| AwsError::serialization("repositoryName must be a string"))
}
