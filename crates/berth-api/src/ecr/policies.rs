//! Repository policies (Set/Get/DeleteRepositoryPolicy) and the registry policy
//! (Put/Get/DeleteRegistryPolicy).

use berth_iam::resource_policy::ResourcePolicyError;
use berth_oci::RepositoryName;
use serde_json::Value;

use super::authorize::authorization_failed;
use super::ctx::Ctx;
use super::requests::{
    NoMembers, PutRegistryPolicyRequest, RepositoryRequest, SetRepositoryPolicyRequest,
};
use super::shapes::{RegistryPolicyResponse, RepositoryPolicyResponse};
use crate::aws::{reply, AwsError, Input};

/// ECR's constraint text when a policy would stop its own author from changing it again.
pub const LOCK_OUT: &str = "The repository policy would prevent you from setting a repository policy on this repository again; set force to apply it anyway";

fn error(e: ResourcePolicyError, account: &str, name: Option<&RepositoryName>) -> AwsError {
    let repo = name.map(|n| n.as_str()).unwrap_or_default();
    match e {
        ResourcePolicyError::RepositoryNotFound => AwsError::new(
            "RepositoryNotFoundException",
            format!("The repository with name '{repo}' does not exist in the registry with id '{account}'"),
        ),
        ResourcePolicyError::PolicyNotFound if name.is_some() => AwsError::new(
            "RepositoryPolicyNotFoundException",
            format!("Repository policy does not exist for the repository with name '{repo}' in the registry with id '{account}'"),
        ),
        ResourcePolicyError::PolicyNotFound => AwsError::new(
            "RegistryPolicyNotFoundException",
            format!("Registry policy does not exist in the registry with id '{account}'"),
        ),
        ResourcePolicyError::Invalid(constraint) => invalid(constraint),
        ResourcePolicyError::Meta(m) => {
            tracing::error!(error = %m, "policy storage failed");
            AwsError::server("An internal error occurred")
        }
    }
}

fn invalid(constraint: &str) -> AwsError {
    AwsError::new(
        "InvalidParameterException",
        format!("Invalid parameter at 'PolicyText' failed to satisfy constraint: '{constraint}'"),
    )
}

fn shape<'a>(
    account: &'a str,
    name: &'a RepositoryName,
    text: &'a str,
) -> RepositoryPolicyResponse<'a> {
    RepositoryPolicyResponse {
        registry_id: account,
        repository_name: name.as_str(),
        policy_text: text,
    }
}

pub async fn set_repository_policy(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: SetRepositoryPolicyRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let text = req.policy_text.unwrap_or_default();
    let force = req.force.unwrap_or(false);
    let iam = &ctx.state.iam;
    // the repository first, as ECR answers RepositoryNotFound before judging the policy
    match iam.repository_policy_text(&account, name.as_str()).await {
        Ok(_) | Err(ResourcePolicyError::PolicyNotFound) => {}
        Err(e) => return Err(error(e, &account, Some(&name))),
    }
    let policy = iam
        .validate_repository_policy(&text)
        .await
        .map_err(|e| error(e, &account, Some(&name)))?;
    if !force {
        // lock-out protection: the caller must still be allowed to change the policy after it
        let d = ctx
            .subject
            .decide_full(
                ctx.state,
                "ecr:SetRepositoryPolicy",
                &account,
                Some(name.as_str()),
                &ctx.subject.context,
                Some(&policy),
            )
            .await
            .map_err(authorization_failed)?;
        if !d.allowed() {
            return Err(invalid(LOCK_OUT));
        }
    }
    iam.set_repository_policy(&account, name.as_str(), &text)
        .await
        .map_err(|e| error(e, &account, Some(&name)))?;
    reply(shape(&account, &name, &text))
}

pub async fn get_repository_policy(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: RepositoryRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let text = ctx
        .state
        .iam
        .repository_policy_text(&account, name.as_str())
        .await
        .map_err(|e| error(e, &account, Some(&name)))?;
    reply(shape(&account, &name, &text))
}

pub async fn delete_repository_policy(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: RepositoryRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let text = ctx
        .state
        .iam
        .delete_repository_policy(&account, name.as_str())
        .await
        .map_err(|e| error(e, &account, Some(&name)))?;
    reply(shape(&account, &name, &text))
}

pub async fn put_registry_policy(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: PutRegistryPolicyRequest = inp.request()?;
    let text = req.policy_text.unwrap_or_default();
    let account = ctx.account();
    let iam = &ctx.state.iam;
    iam.validate_registry_policy(account, &text)
        .await
        .map_err(|e| error(e, account, None))?;
    iam.put_registry_policy(account, &text)
        .await
        .map_err(|e| error(e, account, None))?;
    reply(RegistryPolicyResponse {
        registry_id: account,
        policy_text: &text,
    })
}

pub async fn get_registry_policy(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let _: NoMembers = inp.request()?;
    let account = ctx.account();
    let text = ctx
        .state
        .iam
        .registry_policy_text(account)
        .await
        .map_err(|e| error(e, account, None))?;
    reply(RegistryPolicyResponse {
        registry_id: account,
        policy_text: &text,
    })
}

pub async fn delete_registry_policy(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let _: NoMembers = inp.request()?;
    let account = ctx.account();
    let text = ctx
        .state
        .iam
        .delete_registry_policy(account)
        .await
        .map_err(|e| error(e, account, None))?;
    reply(RegistryPolicyResponse {
        registry_id: account,
        policy_text: &text,
    })
}
