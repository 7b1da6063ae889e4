//! The ECR API (AWS JSON 1.1, `X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.<Operation>`).
//!
//! One module per operation family: `auth` (GetAuthorizationToken), `repositories`
//! (Create/Describe/DeleteRepository, tag mutability, scanning configuration), `resource_tags`
//! (Tag/Untag/ListTagsForResource), `registry` (DescribeRegistry, account settings), `images`
//! (PutImage, BatchGetImage, ListImages, DescribeImages, BatchDeleteImage), `referrers`
//! (ListImageReferrers), `layers` (the layer upload operations), `policies` (repository and
//! registry policies), `lifecycle` (lifecycle policies and previews), `templates` (repository
//! creation templates). Every handler validates
//! its input against the service model's constraints, calls the registry core and answers an
//! output shape of `shapes`.

mod auth;
mod authorize;
mod backfills;
mod cache_rules;
mod ctx;
mod image_ids;
mod images;
mod layers;
mod lifecycle;
pub mod operations;
mod policies;
mod referrers;
mod registry;
mod replication;
mod repositories;
mod requests;
mod resource_tags;
mod scan_shapes;
mod scanning;
mod shapes;
mod templates;

use serde_json::Value;

use crate::authz::Subject;
use crate::aws::{AwsCaller, AwsError, Input};
use crate::state::AppState;
use authorize::authorize;
pub use ctx::Ctx;
use operations::ecr_operations;
pub use operations::Operation;

pub const TARGET_PREFIX: &str = "AmazonEC2ContainerRegistry_V20150921.";

/// The operation an `X-Amz-Target` names, or ECR's error for one it does not.
pub fn operation(target: &str) -> Result<Operation, AwsError> {
    let Some(op) = target.strip_prefix(TARGET_PREFIX) else {
        return Err(AwsError::new(
            "UnknownOperationException",
            format!("Unknown operation target '{target}' for the ECR service"),
        ));
    };
    Operation::parse(op).ok_or_else(|| {
        AwsError::new(
            "UnknownOperationException",
            format!("Unknown operation '{op}'"),
        )
    })
}

pub async fn dispatch(
    state: &AppState,
    caller: &AwsCaller,
    peer: Option<std::net::IpAddr>,
    host: &str,
    operation: Operation,
    body: &[u8],
) -> Result<Value, AwsError> {
    if !operation.built() {
        return Err(operations::not_built(operation));
    }
    let inp = Input::parse(body)?;
    let subject = Subject::new(
        state,
        caller.principal.clone(),
        caller.session.as_deref(),
        peer,
    );
    authorize(state, &subject, caller, operation, inp.raw()).await?;
    let ctx = Ctx {
        state,
        caller,
        subject: &subject,
        operation,
        host,
    };
    run(operation, &ctx, inp).await
}

ecr_operations! {
    dispatch Operation;
    fn run(op, ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError>;
    call (ctx, inp);
    not_built => Err(operations::not_built(op));
}
