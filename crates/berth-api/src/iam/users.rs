//! IAM users: CreateUser, GetUser, ListUsers, DeleteUser.

use super::call::Call;
use super::xml::{entity_arn, page, path_prefix_ok, user_xml};
use crate::aws::{iam_error as error, AwsError};

/// CreateUser.
pub async fn create_user(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let path = c.params.get("Path").unwrap_or("/");
    let name = c.required("UserName")?;
    c.authorize(&entity_arn(&a, "user", path, name)).await?;
    let p = iam.create_user_at(&a, name, path).await.map_err(error)?;
    Ok(format!(
        "<User>{}</User>",
        user_xml(&p, berth_meta::now_millis())
    ))
}

/// GetUser.
pub async fn get_user(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let name = c.user_name()?;
    let resource = match &name {
        Some(n) => c.arn_of("user", n, "/").await?,
        None => format!("arn:aws:iam::{a}:root"),
    };
    c.authorize(&resource).await?;
    let (p, created) = iam.user(&a, name.as_deref()).await.map_err(error)?;
    Ok(format!("<User>{}</User>", user_xml(&p, created)))
}

/// ListUsers.
pub async fn list_users(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    c.authorize("*").await?;
    let users: Vec<_> = iam
        .users(&a)
        .await
        .map_err(error)?
        .into_iter()
        .filter(|(p, _)| path_prefix_ok(c.params, &p.path))
        .collect();
    page(
        c.params,
        "Users",
        users,
        |(p, _)| p.name.clone(),
        |(p, c)| user_xml(p, *c),
    )
}

/// DeleteUser.
pub async fn delete_user(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let name = c.required("UserName")?;
    c.authorize(&c.arn_of("user", name, "/").await?).await?;
    iam.delete_user(&a, name).await.map_err(error)?;
    Ok(String::new())
}
