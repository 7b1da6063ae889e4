//! The inline and attached policies of users, groups and roles (Put/Get/List/Delete…Policy,
//! Attach/Detach/ListAttached…Policies). Each action of the three kinds has its handler, named
//! after it; they share one implementation per family, given the kind.

use super::call::{required, Call};
use super::requests::EntityRequest;
use super::shapes::{AttachedPolicy, EntityKind, EntityPolicy, Page};
use crate::aws::{iam_error as error, AwsError};
use crate::query::Reply;

use EntityKind::{Group, Role, User};

/// Put{User,Group,Role}Policy.
async fn put_policy(c: &Call<'_>, kind: EntityKind) -> Result<Reply, AwsError> {
    let r: EntityRequest = c.request()?;
    let e = c.entity(kind, &r).await?;
    let name = required("policyName", r.policy_name.as_deref())?;
    let doc = required("policyDocument", r.policy_document.as_deref())?;
    c.iam()
        .put_inline_policy(c.account(), e, name, doc)
        .await
        .map_err(error)?;
    Ok(Reply::empty())
}

/// Get{User,Group,Role}Policy.
async fn get_policy(c: &Call<'_>, kind: EntityKind) -> Result<Reply, AwsError> {
    let r: EntityRequest = c.request()?;
    let e = c.entity(kind, &r).await?;
    let name = required("policyName", r.policy_name.as_deref())?;
    let doc = c
        .iam()
        .inline_policy(c.account(), e, name)
        .await
        .map_err(error)?;
    let owner = r.name(kind).unwrap_or_default();
    c.reply(&EntityPolicy::new(kind, owner, name, &doc))
}

/// List{User,Group,Role}Policies.
async fn list_policies(c: &Call<'_>, kind: EntityKind) -> Result<Reply, AwsError> {
    let r: EntityRequest = c.request()?;
    let e = c.entity(kind, &r).await?;
    let names = c
        .iam()
        .inline_policy_names(c.account(), e)
        .await
        .map_err(error)?;
    let page = Page::of(
        "PolicyNames",
        names,
        r.marker.as_deref(),
        r.max_items,
        |n| n,
    );
    c.reply(&page)
}

/// Delete{User,Group,Role}Policy.
async fn delete_policy(c: &Call<'_>, kind: EntityKind) -> Result<Reply, AwsError> {
    let r: EntityRequest = c.request()?;
    let e = c.entity(kind, &r).await?;
    let name = required("policyName", r.policy_name.as_deref())?;
    c.iam()
        .delete_inline_policy(c.account(), e, name)
        .await
        .map_err(error)?;
    Ok(Reply::empty())
}

/// Attach{User,Group,Role}Policy.
async fn attach_policy(c: &Call<'_>, kind: EntityKind) -> Result<Reply, AwsError> {
    let r: EntityRequest = c.request()?;
    let e = c.entity(kind, &r).await?;
    let arn = required("policyArn", r.policy_arn.as_deref())?;
    c.iam()
        .attach_policy(c.account(), e, arn)
        .await
        .map_err(error)?;
    Ok(Reply::empty())
}

/// Detach{User,Group,Role}Policy.
async fn detach_policy(c: &Call<'_>, kind: EntityKind) -> Result<Reply, AwsError> {
    let r: EntityRequest = c.request()?;
    let e = c.entity(kind, &r).await?;
    let arn = required("policyArn", r.policy_arn.as_deref())?;
    c.iam()
        .detach_policy(c.account(), e, arn)
        .await
        .map_err(error)?;
    Ok(Reply::empty())
}

/// ListAttached{User,Group,Role}Policies.
async fn list_attached_policies(c: &Call<'_>, kind: EntityKind) -> Result<Reply, AwsError> {
    let r: EntityRequest = c.request()?;
    let e = c.entity(kind, &r).await?;
    let attached = c
        .iam()
        .attached_policies(c.account(), e)
        .await
        .map_err(error)?;
    let page = Page::of(
        "AttachedPolicies",
        attached,
        r.marker.as_deref(),
        r.max_items,
        |(_, arn)| arn,
    );
    c.reply(&page.map(|(policy_name, policy_arn)| AttachedPolicy {
        policy_name,
        policy_arn,
    }))
}

/// One handler per action of the model, named after it, for each kind of entity.
macro_rules! per_kind {
    ($($family:ident: $user:ident, $group:ident, $role:ident;)*) => {
        $(
            pub async fn $user(c: &Call<'_>) -> Result<Reply, AwsError> {
                $family(c, User).await
            }
            pub async fn $group(c: &Call<'_>) -> Result<Reply, AwsError> {
                $family(c, Group).await
            }
            pub async fn $role(c: &Call<'_>) -> Result<Reply, AwsError> {
                $family(c, Role).await
            }
        )*
    };
}

per_kind! {
    put_policy: put_user_policy, put_group_policy, put_role_policy;
    get_policy: get_user_policy, get_group_policy, get_role_policy;
    list_policies: list_user_policies, list_group_policies, list_role_policies;
    delete_policy: delete_user_policy, delete_group_policy, delete_role_policy;
    attach_policy: attach_user_policy, attach_group_policy, attach_role_policy;
    detach_policy: detach_user_policy, detach_group_policy, detach_role_policy;
    list_attached_policies:
        list_attached_user_policies, list_attached_group_policies, list_attached_role_policies;
}
