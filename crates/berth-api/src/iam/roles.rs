//! Roles: CreateRole, GetRole, ListRoles, DeleteRole, UpdateAssumeRolePolicy.

use berth_meta::Role as RoleRow;

use super::call::{required, Call};
use super::requests::{CreateRoleRequest, EntityRequest, ListRequest};
use super::shapes::{entity_arn, EntityKind, Page, Role, RoleResult};
use crate::aws::{iam_error as error, AwsError};
use crate::query::Reply;

/// CreateRole.
pub async fn create_role(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: CreateRoleRequest = c.request()?;
    let path = r.path.as_deref().unwrap_or("/");
    let name = required("roleName", r.role_name.as_deref())?;
    let trust = required(
        "assumeRolePolicyDocument",
        r.assume_role_policy_document.as_deref(),
    )?;
    let a = c.account();
    c.authorize(&entity_arn(a, EntityKind::Role, path, name))
        .await?;
    let role = c
        .iam()
        .create_role(
            a,
            name,
            path,
            trust,
            r.max_session_duration,
            r.description.as_deref(),
        )
        .await
        .map_err(error)?;
    c.reply(&RoleResult {
        role: (&role).into(),
    })
}

/// The role a request names, authorised.
async fn role_named<'r>(c: &Call<'_>, r: &'r EntityRequest) -> Result<&'r str, AwsError> {
    let name = required("roleName", r.role_name.as_deref())?;
    c.authorize(&c.arn_of(EntityKind::Role, name).await).await?;
    Ok(name)
}

/// GetRole.
pub async fn get_role(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: EntityRequest = c.request()?;
    let name = role_named(c, &r).await?;
    let role = c.iam().role(c.account(), name).await.map_err(error)?;
    c.reply(&RoleResult {
        role: (&role).into(),
    })
}

/// ListRoles.
pub async fn list_roles(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: ListRequest = c.request()?;
    c.authorize("*").await?;
    let roles: Vec<RoleRow> = c
        .iam()
        .roles(c.account())
        .await
        .map_err(error)?
        .into_iter()
        .filter(|role| r.shows(&role.principal.path))
        .collect();
    let page = Page::of("Roles", roles, r.marker.as_deref(), r.max_items, |role| {
        &role.principal.name
    });
    c.reply(&page.map(|role| Role::from(&role)))
}

/// DeleteRole.
pub async fn delete_role(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: EntityRequest = c.request()?;
    let name = role_named(c, &r).await?;
    c.iam()
        .delete_role(c.account(), name)
        .await
        .map_err(error)?;
    Ok(Reply::empty())
}

/// UpdateAssumeRolePolicy.
pub async fn update_assume_role_policy(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: EntityRequest = c.request()?;
    let name = required("roleName", r.role_name.as_deref())?;
    let doc = required("policyDocument", r.policy_document.as_deref())?;
    role_named(c, &r).await?;
    c.iam()
        .update_assume_role_policy(c.account(), name, doc)
        .await
        .map_err(error)?;
    Ok(Reply::empty())
}
