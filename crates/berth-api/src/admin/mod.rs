//! Berth's administration API: accounts, IAM users and access keys, lifecycle runs, garbage
//! collection, fsck and usage, vulnerability data.
//!
//! On the server it is an AWS JSON 1.1 service (`X-Amz-Target: BerthAdmin_20261123.<Operation>`)
//! signed with SigV4 for the service `berth`; `berth admin` calls the same [`execute`] directly on
//! a data directory. Shapes follow IAM's (PascalCase members, `AccessKey`, `User`).
//!
//! Who may do what: the root of the installation's own account manages every account
//! (`AccountId` selects one, default its own) and alone creates and lists accounts and runs the
//! collector and fsck; the root of any other account manages its own users and keys; IAM users
//! may not call this API.

mod ctx;
mod identities;
mod maintenance;
pub mod operations;
mod scans;
mod vulndb;

use berth_iam::Iam;

use crate::aws::{AwsError, Input};
pub use ctx::{AdminCaller, GcDefaults};
use ctx::{Ctx, Params};
use operations::admin_operations;
pub use operations::Operation;

pub const TARGET_PREFIX: &str = "BerthAdmin_20261123.";
pub const SIGNING_SERVICE: &str = "berth";

/// Run one admin operation for `caller`.
pub async fn execute(
    iam: &Iam,
    registry: &berth_registry::Registry,
    gc: &GcDefaults,
    caller: AdminCaller<'_>,
    operation: &str,
    body: &[u8],
) -> Result<serde_json::Value, AwsError> {
    let Some(op) = Operation::parse(operation) else {
        return Err(AwsError::new(
            "UnknownOperationException",
            format!("Unknown operation '{operation}'"),
        ));
    };
    let params: Params = Input::parse(body)?.request()?;
    let ctx = Ctx::new(iam, registry, gc, caller, op, params)?;
    run(op, &ctx).await
}

admin_operations! {
    dispatch Operation;
    fn run(op, c: &Ctx<'_>) -> Result<serde_json::Value, AwsError>;
    call (c);
    not_built => Err(AwsError::new("UnknownOperationException", format!("Unknown operation '{}'", op.name())));
}
