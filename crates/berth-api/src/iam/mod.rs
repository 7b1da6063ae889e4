//! The IAM Query API (`Action=…&Version=2010-05-08`, XML responses, SigV4 service `iam`) on the
//! caller's own account: users and access keys, groups and membership, roles with trust
//! policies, customer managed policies, and the inline and attached policies of users, groups
//! and roles. `operations` lists every action of the model; one file per family handles them.
//!
//! Every action is authorised as `iam:<Action>` on the entity it addresses (its ARN; `*` for
//! listings), by the caller's identity policies: an account's root may do everything, an IAM user
//! or role session what its policies allow.

mod access_keys;
mod call;
mod entity_policies;
mod groups;
mod managed_policies;
pub mod operations;
mod requests;
mod roles;
mod shapes;
mod users;

use crate::authz::Subject;
use crate::aws::{AwsCaller, AwsError};
use crate::query::{Form, Reply};
use crate::state::AppState;
use call::Call;
use operations::iam_operations;
pub use operations::Operation;

pub const NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// Run one IAM action for `caller`: the action's name and its answer.
pub async fn dispatch(
    state: &AppState,
    caller: &AwsCaller,
    peer: Option<std::net::IpAddr>,
    body: &[u8],
) -> Result<(&'static str, Reply), AwsError> {
    let form = Form::parse(body);
    let op = form.operation("2010-05-08", Operation::parse)?;
    if !op.built() {
        return Err(operations::not_built(op));
    }
    let subject = Subject::new(
        state,
        caller.principal.clone(),
        caller.session.as_deref(),
        peer,
    );
    let call = Call {
        state,
        subject: &subject,
        action: op,
        form: &form,
    };
    let result = run(op, &call).await?;
    Ok((op.name(), result))
}

iam_operations! {
    dispatch Operation;
    fn run(op, c: &Call<'_>) -> Result<Reply, AwsError>;
    call (c);
    not_built => Err(operations::not_built(op));
}
