//! Access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey, on
//! `UserName` or the caller's own user (or root).

use berth_iam::admin::AdminError;
use berth_meta::AccessKeyInfo;
use berth_meta::PrincipalKind;

use super::call::Call;
use super::xml::{date, page};
use crate::aws::{iam_error as error, AwsError};
use crate::query::element;

/// The user the request addresses (`None`: the root), authorised, with its keys, and the
/// `UserName` element the responses carry (none for the root).
async fn keys_of(c: &Call<'_>) -> Result<(Option<String>, String, Vec<AccessKeyInfo>), AwsError> {
    let a = c.account();
    let user = c.user_name()?;
    let resource = match &user {
        Some(n) => c.arn_of("user", n, "/").await?,
        None => format!("arn:aws:iam::{a}:root"),
    };
    c.authorize(&resource).await?;
    let (owner, keys) = c
        .iam()
        .access_keys(a, user.as_deref())
        .await
        .map_err(error)?;
    let user_el = if owner.kind == PrincipalKind::Root {
        String::new()
    } else {
        element("UserName", &owner.name)
    };
    Ok((user, user_el, keys))
}

/// A named key must be this user's.
fn key_of_user(keys: &[AccessKeyInfo], id: &str) -> Result<(), AwsError> {
    if keys.iter().any(|k| k.access_key_id == id) {
        Ok(())
    } else {
        Err(error(AdminError::NoSuchKey(id.to_string())))
    }
}

/// CreateAccessKey.
pub async fn create_access_key(c: &Call<'_>) -> Result<String, AwsError> {
    let (user, user_el, _) = keys_of(c).await?;
    let k = c
        .iam()
        .create_access_key(c.account(), user.as_deref())
        .await
        .map_err(error)?;
    Ok(format!(
        "<AccessKey>{user_el}{}{}{}{}</AccessKey>",
        element("AccessKeyId", &k.access_key_id),
        element("Status", "Active"),
        element("SecretAccessKey", &k.secret_access_key),
        element("CreateDate", &date(k.created_at))
    ))
}

/// ListAccessKeys.
pub async fn list_access_keys(c: &Call<'_>) -> Result<String, AwsError> {
    let (_, user_el, keys) = keys_of(c).await?;
    let list = page(
        c.params,
        "AccessKeyMetadata",
        keys,
        |k| k.access_key_id.clone(),
        |k| {
            format!(
                "{user_el}{}{}{}",
                element("AccessKeyId", &k.access_key_id),
                element("Status", if k.active { "Active" } else { "Inactive" }),
                element("CreateDate", &date(k.created_at))
            )
        },
    )?;
    Ok(format!("{list}{user_el}"))
}

/// UpdateAccessKey.
pub async fn update_access_key(c: &Call<'_>) -> Result<String, AwsError> {
    let (_, _, keys) = keys_of(c).await?;
    let id = c.required("AccessKeyId")?;
    let active = match c.required("Status")? {
        "Active" => true,
        "Inactive" => false,
        other => {
            return Err(AwsError::new(
                "ValidationError",
                format!("1 validation error detected: Value '{other}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"),
            ))
        }
    };
    key_of_user(&keys, id)?;
    c.iam()
        .set_access_key_status(c.account(), id, active)
        .await
        .map_err(error)?;
    Ok(String::new())
}

/// DeleteAccessKey.
pub async fn delete_access_key(c: &Call<'_>) -> Result<String, AwsError> {
    let (_, _, keys) = keys_of(c).await?;
    let id = c.required("AccessKeyId")?;
    key_of_user(&keys, id)?;
    c.iam()
        .delete_access_key(c.account(), id)
        .await
        .map_err(error)?;
    Ok(String::new())
}
