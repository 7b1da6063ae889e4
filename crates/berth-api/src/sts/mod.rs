//! STS (AWS Query protocol, XML responses): GetCallerIdentity; GetSessionToken for temporary
//! credentials; AssumeRole for a role's temporary credentials, checked against its trust policy.
//! Both kinds of credentials are accepted by the other services with `X-Amz-Security-Token`.
//! `operations` lists every action of the model.

mod assume_role;
mod call;
pub mod operations;
mod session;

use crate::aws::{AwsCaller, AwsError};
use crate::query::{Form, Reply};
use crate::state::AppState;
use call::Call;
use operations::sts_operations;
pub use operations::Operation;

pub const NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// Run the action: its name and its answer.
pub async fn dispatch(
    state: &AppState,
    caller: &AwsCaller,
    peer: Option<std::net::IpAddr>,
    body: &[u8],
) -> Result<(&'static str, Reply), AwsError> {
    let form = Form::parse(body);
    let op = form.operation("2011-06-15", Operation::parse)?;
    let call = Call {
        state,
        caller,
        peer,
        action: op,
        form: &form,
    };
    let result = run(op, &call).await?;
    Ok((op.name(), result))
}

sts_operations! {
    dispatch Operation;
    fn run(op, c: &Call<'_>) -> Result<Reply, AwsError>;
    call (c);
    not_built => Err(operations::not_built(op));
}
