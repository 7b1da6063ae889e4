//! Secrets Manager (AWS JSON 1.1, `X-Amz-Target: secretsmanager.<Operation>`, SigV4 service
//! `secretsmanager`): the operations the pull-through cache's upstream credentials need,
//! authorised by the caller's identity policies on the secret's ARN.

mod operations;
mod requests;
mod secrets;

use berth_iam::secrets_manager::SecretsError;
use http::StatusCode;
use serde_json::Value;

use crate::authz::Subject;
use crate::aws::{AwsCaller, AwsError, Input};
use crate::state::AppState;
use operations::secrets_operations;
pub use operations::Operation;

pub const TARGET_PREFIX: &str = "secretsmanager.";

/// What every handler receives.
pub struct Ctx<'a> {
    pub state: &'a AppState,
    pub subject: &'a Subject,
    pub operation: Operation,
}

impl Ctx<'_> {
    /// Secrets are the caller's own account's.
    pub fn account(&self) -> &str {
        &self.subject.principal.account_id
    }

    /// The ARN `id` stands for when no secret has it (to authorise against): itself when it is
    /// an ARN, else the ARN of a secret of that name, without its suffix.
    pub fn arn_of(&self, id: &str) -> String {
        if id.starts_with("arn:") {
            id.to_string()
        } else {
            format!(
                "arn:aws:secretsmanager:{}:{}:secret:{id}",
                self.state.region,
                self.account()
            )
        }
    }

    /// Refuse unless the caller's policies allow `secretsmanager:<Operation>` on `resource`.
    pub async fn authorize(&self, resource: &str) -> Result<(), AwsError> {
        let action = format!("secretsmanager:{}", self.operation.name());
        self.subject
            .require_identity(self.state, &action, resource, "InternalServiceError", |m| {
                AwsError::new("AccessDeniedException", m)
            })
            .await
    }
}

/// Secrets Manager's error for what went wrong.
pub fn secrets_error(e: SecretsError) -> AwsError {
    let code = match &e {
        SecretsError::NotFound | SecretsError::NoValue(_) => "ResourceNotFoundException",
        SecretsError::Exists(_) | SecretsError::VersionExists => "ResourceExistsException",
        SecretsError::MarkedForDeletion => "InvalidRequestException",
        SecretsError::InvalidParameter(_) | SecretsError::NotALogin(_) => {
            "InvalidParameterException"
        }
        SecretsError::Decryption => "DecryptionFailure",
        SecretsError::Meta(err) => {
            tracing::error!(error = %err, "secrets store");
            return AwsError::new("InternalServiceError", "An internal error occurred")
                .status(StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    AwsError::new(code, e.to_string())
}

pub async fn dispatch(
    state: &AppState,
    caller: &AwsCaller,
    peer: Option<std::net::IpAddr>,
    target: &str,
    body: &[u8],
) -> Result<Value, AwsError> {
    let op = target
        .strip_prefix(TARGET_PREFIX)
        .and_then(Operation::parse)
        .ok_or_else(|| {
            AwsError::new(
                "UnknownOperationException",
                format!("Unknown operation target '{target}' for the Secrets Manager service"),
            )
        })?;
    if !op.built() {
        return Err(operations::not_built(op));
    }
    let inp = Input::parse(body)?;
    let subject = Subject::new(
        state,
        caller.principal.clone(),
        caller.session.as_deref(),
        peer,
    );
    let ctx = Ctx {
        state,
        subject: &subject,
        operation: op,
    };
    run(op, &ctx, inp).await
}

secrets_operations! {
    dispatch Operation;
    fn run(op, ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError>;
    call (ctx, inp);
    not_built => Err(operations::not_built(op));
}
