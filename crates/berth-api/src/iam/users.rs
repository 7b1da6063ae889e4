//! IAM users: CreateUser, GetUser, ListUsers, DeleteUser.

use super::call::{required, Call};
use super::requests::{AccessKeyRequest, CreateUserRequest, EntityRequest, ListRequest};
use super::shapes::{entity_arn, EntityKind, Page, User, UserResult};
use crate::aws::{iam_error as error, AwsError};
use crate::query::Reply;

/// CreateUser.
pub async fn create_user(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: CreateUserRequest = c.request()?;
    let path = r.path.as_deref().unwrap_or("/");
    let name = required("userName", r.user_name.as_deref())?;
    let a = c.account();
    c.authorize(&entity_arn(a, EntityKind::User, path, name))
        .await?;
    let p = c.iam().create_user_at(a, name, path).await.map_err(error)?;
    c.reply(&UserResult {
        user: User::of(&p, berth_meta::now_millis()),
    })
}

/// GetUser.
pub async fn get_user(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: AccessKeyRequest = c.request()?;
    let name = c.user_name(r.user_name.as_deref())?;
    c.authorize(&c.user_arn(name.as_deref()).await).await?;
    let (p, created) = c
        .iam()
        .user(c.account(), name.as_deref())
        .await
        .map_err(error)?;
    c.reply(&UserResult {
        user: User::of(&p, created),
    })
}

/// ListUsers.
pub async fn list_users(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: ListRequest = c.request()?;
    c.authorize("*").await?;
    let users: Vec<_> = c
        .iam()
        .users(c.account())
        .await
        .map_err(error)?
        .into_iter()
        .filter(|(p, _)| r.shows(&p.path))
        .collect();
    let page = Page::of(
        "Users",
        users,
        r.marker.as_deref(),
        r.max_items,
        |(p, _)| &p.name,
    );
    c.reply(&page.map(|(p, created)| User::of(&p, created)))
}

/// DeleteUser.
pub async fn delete_user(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: EntityRequest = c.request()?;
    let name = required("userName", r.user_name.as_deref())?;
    c.authorize(&c.arn_of(EntityKind::User, name).await).await?;
    c.iam()
        .delete_user(c.account(), name)
        .await
        .map_err(error)?;
    Ok(Reply::empty())
}
