//! The inline and attached policies of users, groups and roles (Put/Get/List/Delete…Policy,
//! Attach/Detach/ListAttached…Policies).

use super::call::Call;
use super::xml::{page, url_encode};
use crate::aws::{iam_error as error, AwsError};
use crate::query::element;

/// PutUserPolicy, PutGroupPolicy, PutRolePolicy.
async fn entity_put_policy(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let (e, _) = c.entity().await?;
    let name = c.required("PolicyName")?;
    let doc = c.required("PolicyDocument")?;
    iam.put_inline_policy(&a, e, name, doc)
        .await
        .map_err(error)?;
    Ok(String::new())
}

/// PutUserPolicy.
pub async fn put_user_policy(c: &Call<'_>) -> Result<String, AwsError> {
    entity_put_policy(c).await
}

/// PutGroupPolicy.
pub async fn put_group_policy(c: &Call<'_>) -> Result<String, AwsError> {
    entity_put_policy(c).await
}

/// PutRolePolicy.
pub async fn put_role_policy(c: &Call<'_>) -> Result<String, AwsError> {
    entity_put_policy(c).await
}

/// GetUserPolicy, GetGroupPolicy, GetRolePolicy.
async fn entity_get_policy(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let (e, kind) = c.entity().await?;
    let name = c.required("PolicyName")?;
    let doc = iam.inline_policy(&a, e, name).await.map_err(error)?;
    let owner = match kind {
        "user" => "UserName",
        "group" => "GroupName",
        _ => "RoleName",
    };
    Ok(format!(
        "{}{}{}",
        element(owner, c.required(owner)?),
        element("PolicyName", name),
        element("PolicyDocument", &url_encode(&doc))
    ))
}

/// GetUserPolicy.
pub async fn get_user_policy(c: &Call<'_>) -> Result<String, AwsError> {
    entity_get_policy(c).await
}

/// GetGroupPolicy.
pub async fn get_group_policy(c: &Call<'_>) -> Result<String, AwsError> {
    entity_get_policy(c).await
}

/// GetRolePolicy.
pub async fn get_role_policy(c: &Call<'_>) -> Result<String, AwsError> {
    entity_get_policy(c).await
}

/// ListUserPolicies, ListGroupPolicies, ListRolePolicies.
async fn entity_list_policies(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let (e, _) = c.entity().await?;
    let names = iam.inline_policy_names(&a, e).await.map_err(error)?;
    page(
        c.params,
        "PolicyNames",
        names,
        |n| n.clone(),
        |n| crate::query::escape(n),
    )
}

/// ListUserPolicies.
pub async fn list_user_policies(c: &Call<'_>) -> Result<String, AwsError> {
    entity_list_policies(c).await
}

/// ListGroupPolicies.
pub async fn list_group_policies(c: &Call<'_>) -> Result<String, AwsError> {
    entity_list_policies(c).await
}

/// ListRolePolicies.
pub async fn list_role_policies(c: &Call<'_>) -> Result<String, AwsError> {
    entity_list_policies(c).await
}

/// DeleteUserPolicy, DeleteGroupPolicy, DeleteRolePolicy.
async fn entity_delete_policy(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let (e, _) = c.entity().await?;
    let name = c.required("PolicyName")?;
    iam.delete_inline_policy(&a, e, name).await.map_err(error)?;
    Ok(String::new())
}

/// DeleteUserPolicy.
pub async fn delete_user_policy(c: &Call<'_>) -> Result<String, AwsError> {
    entity_delete_policy(c).await
}

/// DeleteGroupPolicy.
pub async fn delete_group_policy(c: &Call<'_>) -> Result<String, AwsError> {
    entity_delete_policy(c).await
}

/// DeleteRolePolicy.
pub async fn delete_role_policy(c: &Call<'_>) -> Result<String, AwsError> {
    entity_delete_policy(c).await
}

/// AttachUserPolicy, AttachGroupPolicy, AttachRolePolicy.
async fn entity_attach_policy(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let (e, _) = c.entity().await?;
    let arn = c.required("PolicyArn")?;
    iam.attach_policy(&a, e, arn).await.map_err(error)?;
    Ok(String::new())
}

/// AttachUserPolicy.
pub async fn attach_user_policy(c: &Call<'_>) -> Result<String, AwsError> {
    entity_attach_policy(c).await
}

/// AttachGroupPolicy.
pub async fn attach_group_policy(c: &Call<'_>) -> Result<String, AwsError> {
    entity_attach_policy(c).await
}

/// AttachRolePolicy.
pub async fn attach_role_policy(c: &Call<'_>) -> Result<String, AwsError> {
    entity_attach_policy(c).await
}

/// DetachUserPolicy, DetachGroupPolicy, DetachRolePolicy.
async fn entity_detach_policy(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let (e, _) = c.entity().await?;
    let arn = c.required("PolicyArn")?;
    iam.detach_policy(&a, e, arn).await.map_err(error)?;
    Ok(String::new())
}

/// DetachUserPolicy.
pub async fn detach_user_policy(c: &Call<'_>) -> Result<String, AwsError> {
    entity_detach_policy(c).await
}

/// DetachGroupPolicy.
pub async fn detach_group_policy(c: &Call<'_>) -> Result<String, AwsError> {
    entity_detach_policy(c).await
}

/// DetachRolePolicy.
pub async fn detach_role_policy(c: &Call<'_>) -> Result<String, AwsError> {
    entity_detach_policy(c).await
}

/// ListAttachedUserPolicies, ListAttachedGroupPolicies, ListAttachedRolePolicies.
async fn entity_list_attached_policies(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let (e, _) = c.entity().await?;
    let attached = iam.attached_policies(&a, e).await.map_err(error)?;
    page(
        c.params,
        "AttachedPolicies",
        attached,
        |(_, arn)| arn.clone(),
        |(name, arn)| {
            format!(
                "{}{}",
                element("PolicyName", name),
                element("PolicyArn", arn)
            )
        },
    )
}

/// ListAttachedUserPolicies.
pub async fn list_attached_user_policies(c: &Call<'_>) -> Result<String, AwsError> {
    entity_list_attached_policies(c).await
}

/// ListAttachedGroupPolicies.
pub async fn list_attached_group_policies(c: &Call<'_>) -> Result<String, AwsError> {
    entity_list_attached_policies(c).await
}

/// ListAttachedRolePolicies.
pub async fn list_attached_role_policies(c: &Call<'_>) -> Result<String, AwsError> {
    entity_list_attached_policies(c).await
}
