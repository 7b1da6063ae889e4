//! Groups and membership: Create/Get/List/DeleteGroup, AddUserToGroup, RemoveUserFromGroup,
//! ListGroupsForUser.

use berth_meta::Group;

use super::call::Call;
use super::operations::Operation;
use super::xml::{entity_arn, group_xml, page, path_prefix_ok, user_xml};
use crate::aws::{iam_error as error, AwsError};

/// CreateGroup.
pub async fn create_group(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let path = c.params.get("Path").unwrap_or("/");
    let name = c.required("GroupName")?;
    c.authorize(&entity_arn(&a, "group", path, name)).await?;
    let g = iam.create_group(&a, name, path).await.map_err(error)?;
    Ok(format!("<Group>{}</Group>", group_xml(&g)))
}

/// GetGroup.
pub async fn get_group(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let name = c.required("GroupName")?;
    c.authorize(&c.arn_of("group", name, "/").await?).await?;
    let g = iam.group(&a, name).await.map_err(error)?;
    let members = iam.group_members(&g).await.map_err(error)?;
    let users = page(
        c.params,
        "Users",
        members,
        |(p, _)| p.name.clone(),
        |(p, c)| user_xml(p, *c),
    )?;
    Ok(format!("<Group>{}</Group>{users}", group_xml(&g)))
}

/// ListGroups.
pub async fn list_groups(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    c.authorize("*").await?;
    let groups: Vec<Group> = iam
        .groups(&a)
        .await
        .map_err(error)?
        .into_iter()
        .filter(|g| path_prefix_ok(c.params, &g.path))
        .collect();
    page(c.params, "Groups", groups, |g| g.name.clone(), group_xml)
}

/// DeleteGroup.
pub async fn delete_group(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let name = c.required("GroupName")?;
    c.authorize(&c.arn_of("group", name, "/").await?).await?;
    iam.delete_group(&a, name).await.map_err(error)?;
    Ok(String::new())
}

/// AddUserToGroup, RemoveUserFromGroup.
async fn entity_add_to(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let group = c.required("GroupName")?;
    let user = c.required("UserName")?;
    c.authorize(&c.arn_of("group", group, "/").await?).await?;
    if c.action == Operation::AddUserToGroup {
        iam.add_user_to_group(&a, group, user).await
    } else {
        iam.remove_user_from_group(&a, group, user).await
    }
    .map_err(error)?;
    Ok(String::new())
}

/// AddUserToGroup.
pub async fn add_user_to_group(c: &Call<'_>) -> Result<String, AwsError> {
    entity_add_to(c).await
}

/// RemoveUserFromGroup.
pub async fn remove_user_from_group(c: &Call<'_>) -> Result<String, AwsError> {
    entity_add_to(c).await
}

/// ListGroupsForUser.
pub async fn list_groups_for_user(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let user = c.required("UserName")?;
    c.authorize(&c.arn_of("user", user, "/").await?).await?;
    let groups = iam.groups_for_user(&a, user).await.map_err(error)?;
    page(c.params, "Groups", groups, |g| g.name.clone(), group_xml)
}
