//! Roles: CreateRole, GetRole, ListRoles, DeleteRole, UpdateAssumeRolePolicy.

use berth_meta::Role;

use super::call::Call;
use super::xml::{entity_arn, page, path_prefix_ok, role_xml};
use crate::aws::{iam_error as error, AwsError};

/// CreateRole.
pub async fn create_role(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let path = c.params.get("Path").unwrap_or("/");
    let name = c.required("RoleName")?;
    let trust = c.required("AssumeRolePolicyDocument")?;
    let max = c.params.integer("MaxSessionDuration", 3600, 43_200)?;
    c.authorize(&entity_arn(&a, "role", path, name)).await?;
    let r = iam
        .create_role(&a, name, path, trust, max, c.params.get("Description"))
        .await
        .map_err(error)?;
    Ok(format!("<Role>{}</Role>", role_xml(&r)))
}

/// GetRole.
pub async fn get_role(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let name = c.required("RoleName")?;
    c.authorize(&c.arn_of("role", name, "/").await?).await?;
    let r = iam.role(&a, name).await.map_err(error)?;
    Ok(format!("<Role>{}</Role>", role_xml(&r)))
}

/// ListRoles.
pub async fn list_roles(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    c.authorize("*").await?;
    let roles: Vec<Role> = iam
        .roles(&a)
        .await
        .map_err(error)?
        .into_iter()
        .filter(|r| path_prefix_ok(c.params, &r.principal.path))
        .collect();
    page(
        c.params,
        "Roles",
        roles,
        |r| r.principal.name.clone(),
        role_xml,
    )
}

/// DeleteRole.
pub async fn delete_role(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let name = c.required("RoleName")?;
    c.authorize(&c.arn_of("role", name, "/").await?).await?;
    iam.delete_role(&a, name).await.map_err(error)?;
    Ok(String::new())
}

/// UpdateAssumeRolePolicy.
pub async fn update_assume_role_policy(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let name = c.required("RoleName")?;
    let doc = c.required("PolicyDocument")?;
    c.authorize(&c.arn_of("role", name, "/").await?).await?;
    iam.update_assume_role_policy(&a, name, doc)
        .await
        .map_err(error)?;
    Ok(String::new())
}
