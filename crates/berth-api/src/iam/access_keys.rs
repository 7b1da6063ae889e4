//! Access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey, on
//! `UserName` or the caller's own user (or root).

use berth_iam::admin::AdminError;
use berth_meta::{AccessKeyInfo, PrincipalKind};

use super::call::{required, Call};
use super::requests::AccessKeyRequest;
use super::shapes::{date, AccessKey, AccessKeyMetadata, AccessKeyResult, KeyStatus, Page};
use crate::aws::{iam_error as error, AwsError};
use crate::query::Reply;

/// The keys of the user a request addresses, authorised: the user's name (`None`: the
/// root), the name the responses show (none for the root), and its keys.
struct Keys {
    user: Option<String>,
    shown: Option<String>,
    keys: Vec<AccessKeyInfo>,
}

async fn keys_of(c: &Call<'_>, r: &AccessKeyRequest) -> Result<Keys, AwsError> {
    let user = c.user_name(r.user_name.as_deref())?;
    c.authorize(&c.user_arn(user.as_deref()).await).await?;
    let (owner, keys) = c
        .iam()
        .access_keys(c.account(), user.as_deref())
        .await
        .map_err(error)?;
    let shown = (owner.kind != PrincipalKind::Root).then_some(owner.name);
    Ok(Keys { user, shown, keys })
}

/// The key a request names, which must be this user's.
fn key_of_user<'r>(keys: &Keys, r: &'r AccessKeyRequest) -> Result<&'r str, AwsError> {
    let id = required("accessKeyId", r.access_key_id.as_deref())?;
    if keys.keys.iter().any(|k| k.access_key_id == id) {
        Ok(id)
    } else {
        Err(error(AdminError::NoSuchKey(id.to_string())))
    }
}

/// CreateAccessKey.
pub async fn create_access_key(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: AccessKeyRequest = c.request()?;
    let keys = keys_of(c, &r).await?;
    let k = c
        .iam()
        .create_access_key(c.account(), keys.user.as_deref())
        .await
        .map_err(error)?;
    c.reply(&AccessKeyResult {
        access_key: AccessKey {
            user_name: keys.shown,
            access_key_id: k.access_key_id,
            status: KeyStatus::Active,
            secret_access_key: k.secret_access_key,
            create_date: date(k.created_at),
        },
    })
}

/// ListAccessKeys.
pub async fn list_access_keys(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: AccessKeyRequest = c.request()?;
    let keys = keys_of(c, &r).await?;
    let shown = keys.shown.as_deref();
    let page = Page::of(
        "AccessKeyMetadata",
        keys.keys,
        r.marker.as_deref(),
        r.max_items,
        |k| &k.access_key_id,
    );
    c.reply(&page.map(|k| AccessKeyMetadata::of(shown, &k)))
}

/// UpdateAccessKey.
pub async fn update_access_key(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: AccessKeyRequest = c.request()?;
    let keys = keys_of(c, &r).await?;
    let id = required("accessKeyId", r.access_key_id.as_deref())?;
    let status = required("status", r.status)?;
    key_of_user(&keys, &r)?;
    c.iam()
        .set_access_key_status(c.account(), id, status == KeyStatus::Active)
        .await
        .map_err(error)?;
    Ok(Reply::empty())
}

/// DeleteAccessKey.
pub async fn delete_access_key(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: AccessKeyRequest = c.request()?;
    let keys = keys_of(c, &r).await?;
    let id = key_of_user(&keys, &r)?;
    c.iam()
        .delete_access_key(c.account(), id)
        .await
        .map_err(error)?;
    Ok(Reply::empty())
}
