//! GetAuthorizationToken: a registry token for `docker login -u AWS`.

use serde_json::Value;

use super::ctx::Ctx;
use super::requests::GetAuthorizationTokenRequest;
use super::shapes::{AuthorizationData, GetAuthorizationTokenResponse};
use crate::aws::{reply, AwsError, Input};

pub async fn get_authorization_token(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let ids = inp.request::<GetAuthorizationTokenRequest>()?.registry_ids;
    let ids = ids.unwrap_or_else(|| vec![ctx.account().to_string()]);
    for id in &ids {
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AwsError::new(
                "InvalidParameterException",
                "Invalid parameter at 'registryIds' failed to satisfy constraint: 'must satisfy regular expression '[0-9]{12}''",
            ));
        }
    }
    let now = crate::state::now_secs();
    // The token authenticates its principal wherever it is used; access to another account's
    // registry is then decided per request, as with ECR. Temporary credentials' tokens expire
    // with them.
    let (token, expires_at) = ctx.state.iam.issue_token(
        &ctx.caller.principal,
        ctx.caller.session.as_deref(),
        ctx.caller.expires_at,
        now,
    );
    reply(GetAuthorizationTokenResponse {
        authorization_data: ids
            .iter()
            .map(|id| AuthorizationData {
                authorization_token: &token,
                expires_at,
                proxy_endpoint: format!("https://{}", ctx.registry_host(id)),
            })
            .collect(),
    })
}
