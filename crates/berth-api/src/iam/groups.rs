//! Groups and membership: Create/Get/List/DeleteGroup, AddUserToGroup, RemoveUserFromGroup,
//! ListGroupsForUser.

use berth_meta::Group as GroupRow;

use super::call::{required, Call};
use super::requests::{CreateGroupRequest, EntityRequest, ListRequest};
use super::shapes::{entity_arn, EntityKind, GetGroupResult, Group, GroupResult, Page, User};
use crate::aws::{iam_error as error, AwsError};
use crate::query::Reply;

/// CreateGroup.
pub async fn create_group(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: CreateGroupRequest = c.request()?;
    let path = r.path.as_deref().unwrap_or("/");
    let name = required("groupName", r.group_name.as_deref())?;
    let a = c.account();
    c.authorize(&entity_arn(a, EntityKind::Group, path, name))
        .await?;
    let g = c.iam().create_group(a, name, path).await.map_err(error)?;
    c.reply(&GroupResult { group: (&g).into() })
}

/// The group a request names, authorised.
async fn group_named<'r>(c: &Call<'_>, r: &'r EntityRequest) -> Result<&'r str, AwsError> {
    let name = required("groupName", r.group_name.as_deref())?;
    c.authorize(&c.arn_of(EntityKind::Group, name).await)
        .await?;
    Ok(name)
}

/// GetGroup.
pub async fn get_group(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: EntityRequest = c.request()?;
    let name = group_named(c, &r).await?;
    let g = c.iam().group(c.account(), name).await.map_err(error)?;
    let members = c.iam().group_members(&g).await.map_err(error)?;
    let page = Page::of(
        "Users",
        members,
        r.marker.as_deref(),
        r.max_items,
        |(p, _)| &p.name,
    )
    .map(|(p, created)| User::of(&p, created));
    c.reply(&GetGroupResult {
        group: (&g).into(),
        users: page.items.into(),
        is_truncated: page.is_truncated,
        marker: page.marker,
    })
}

/// A page of groups.
fn groups_page(
    c: &Call<'_>,
    groups: Vec<GroupRow>,
    marker: Option<&str>,
    max: Option<i64>,
) -> Result<Reply, AwsError> {
    let page = Page::of("Groups", groups, marker, max, |g| &g.name);
    c.reply(&page.map(|g| Group::from(&g)))
}

/// ListGroups.
pub async fn list_groups(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: ListRequest = c.request()?;
    c.authorize("*").await?;
    let groups: Vec<GroupRow> = c
        .iam()
        .groups(c.account())
        .await
        .map_err(error)?
        .into_iter()
        .filter(|g| r.shows(&g.path))
        .collect();
    groups_page(c, groups, r.marker.as_deref(), r.max_items)
}

/// DeleteGroup.
pub async fn delete_group(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: EntityRequest = c.request()?;
    let name = group_named(c, &r).await?;
    c.iam()
        .delete_group(c.account(), name)
        .await
        .map_err(error)?;
    Ok(Reply::empty())
}

/// AddUserToGroup (`join`) and RemoveUserFromGroup.
async fn change_membership(c: &Call<'_>, join: bool) -> Result<Reply, AwsError> {
    let r: EntityRequest = c.request()?;
    let group = required("groupName", r.group_name.as_deref())?;
    let user = required("userName", r.user_name.as_deref())?;
    group_named(c, &r).await?;
    let (iam, a) = (c.iam(), c.account());
    if join {
        iam.add_user_to_group(a, group, user).await
    } else {
        iam.remove_user_from_group(a, group, user).await
    }
    .map_err(error)?;
    Ok(Reply::empty())
}

/// AddUserToGroup.
pub async fn add_user_to_group(c: &Call<'_>) -> Result<Reply, AwsError> {
    change_membership(c, true).await
}

/// RemoveUserFromGroup.
pub async fn remove_user_from_group(c: &Call<'_>) -> Result<Reply, AwsError> {
    change_membership(c, false).await
}

/// ListGroupsForUser.
pub async fn list_groups_for_user(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: EntityRequest = c.request()?;
    let user = required("userName", r.user_name.as_deref())?;
    c.authorize(&c.arn_of(EntityKind::User, user).await).await?;
    let groups = c
        .iam()
        .groups_for_user(c.account(), user)
        .await
        .map_err(error)?;
    groups_page(c, groups, r.marker.as_deref(), r.max_items)
}
