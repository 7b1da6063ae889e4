//! Accounts, IAM users, their access keys and policies.

use berth_iam::admin::NewAccessKey;
use berth_iam::directory::Entity;
use berth_meta::Principal;
use serde::Serialize;
use serde_json::Value;

use super::ctx::{arn, error, required, Ctx};
use crate::aws::{reply, AwsError, Empty, Epoch};

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AccountShape<'a> {
    account_id: &'a str,
    create_date: Epoch,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AccessKeyShape<'a> {
    user_name: &'a str,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    status: &'static str,
    create_date: Epoch,
}

impl<'a> From<&'a NewAccessKey> for AccessKeyShape<'a> {
    fn from(k: &'a NewAccessKey) -> Self {
        AccessKeyShape {
            user_name: &k.principal.name,
            access_key_id: &k.access_key_id,
            secret_access_key: &k.secret_access_key,
            status: "Active",
            create_date: Epoch(k.created_at),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct KeyMetadata<'a> {
    user_name: &'a str,
    access_key_id: &'a str,
    status: &'static str,
    create_date: Epoch,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct UserShape<'a> {
    user_name: &'a str,
    user_id: &'a str,
    arn: String,
    path: &'a str,
    create_date: Epoch,
}

impl<'a> UserShape<'a> {
    fn of(p: &'a Principal, created: i64) -> Self {
        UserShape {
            user_name: &p.name,
            user_id: &p.unique_id,
            arn: arn(p),
            path: &p.path,
            create_date: Epoch(created),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListAccountsOutput<'a> {
    accounts: Vec<AccountShape<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CreateUserOutput<'a> {
    user: UserShape<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListUsersOutput<'a> {
    users: Vec<UserShape<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CreateAccessKeyOutput<'a> {
    access_key: AccessKeyShape<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListAccessKeysOutput<'a> {
    access_key_metadata: Vec<KeyMetadata<'a>>,
}

/// CreateAccount: an account with its root principal and a first root access key.
pub async fn create_account(c: &Ctx<'_>) -> Result<Value, AwsError> {
    c.installation_only()?;
    let k = c
        .iam
        .create_account(c.params.new_account.as_deref())
        .await
        .map_err(error)?;
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out<'a> {
        account: AccountShape<'a>,
        access_key: AccessKeyShape<'a>,
    }
    reply(Out {
        account: AccountShape {
            account_id: &k.principal.account_id,
            create_date: Epoch(k.created_at),
        },
        access_key: (&k).into(),
    })
}

/// ListAccounts.
pub async fn list_accounts(c: &Ctx<'_>) -> Result<Value, AwsError> {
    c.installation_only()?;
    let accounts = c.iam.accounts().await.map_err(error)?;
    let shapes: Vec<AccountShape> = accounts
        .iter()
        .map(|(id, at)| AccountShape {
            account_id: id,
            create_date: Epoch(*at),
        })
        .collect();
    reply(ListAccountsOutput { accounts: shapes })
}

/// CreateUser.
pub async fn create_user(c: &Ctx<'_>) -> Result<Value, AwsError> {
    let name = required(&c.params.user, "UserName")?;
    let p = c.iam.create_user(&c.account, name).await.map_err(error)?;
    reply(CreateUserOutput {
        user: UserShape::of(&p, berth_meta::now_millis()),
    })
}

/// ListUsers.
pub async fn list_users(c: &Ctx<'_>) -> Result<Value, AwsError> {
    let users = c.iam.users(&c.account).await.map_err(error)?;
    let shapes: Vec<UserShape> = users.iter().map(|(p, at)| UserShape::of(p, *at)).collect();
    reply(ListUsersOutput { users: shapes })
}

/// DeleteUser.
pub async fn delete_user(c: &Ctx<'_>) -> Result<Value, AwsError> {
    let name = required(&c.params.user, "UserName")?;
    c.iam.delete_user(&c.account, name).await.map_err(error)?;
    reply(Empty {})
}

/// CreateAccessKey: for `UserName`, or the account's root without it.
pub async fn create_access_key(c: &Ctx<'_>) -> Result<Value, AwsError> {
    let k = c
        .iam
        .create_access_key(&c.account, c.params.user.as_deref())
        .await
        .map_err(error)?;
    reply(CreateAccessKeyOutput {
        access_key: AccessKeyShape::from(&k),
    })
}

/// ListAccessKeys.
pub async fn list_access_keys(c: &Ctx<'_>) -> Result<Value, AwsError> {
    let (p, keys) = c
        .iam
        .access_keys(&c.account, c.params.user.as_deref())
        .await
        .map_err(error)?;
    let shapes: Vec<KeyMetadata> = keys
        .iter()
        .map(|k| KeyMetadata {
            user_name: &p.name,
            access_key_id: &k.access_key_id,
            status: if k.active { "Active" } else { "Inactive" },
            create_date: Epoch(k.created_at),
        })
        .collect();
    reply(ListAccessKeysOutput {
        access_key_metadata: shapes,
    })
}

/// UpdateAccessKey.
pub async fn update_access_key(c: &Ctx<'_>) -> Result<Value, AwsError> {
    let id = required(&c.params.key_id, "AccessKeyId")?;
    let status = required(&c.params.status, "Status")?;
    c.iam
        .set_access_key_status(&c.account, id, status == "Active")
        .await
        .map_err(error)?;
    reply(Empty {})
}

/// DeleteAccessKey.
pub async fn delete_access_key(c: &Ctx<'_>) -> Result<Value, AwsError> {
    let id = required(&c.params.key_id, "AccessKeyId")?;
    c.iam
        .delete_access_key(&c.account, id)
        .await
        .map_err(error)?;
    reply(Empty {})
}

/// PutUserPolicy.
pub async fn put_user_policy(c: &Ctx<'_>) -> Result<Value, AwsError> {
    let name = required(&c.params.user, "UserName")?;
    let pn = required(&c.params.policy_name, "PolicyName")?;
    let doc = required(&c.params.policy_document, "PolicyDocument")?;
    c.iam
        .put_inline_policy(&c.account, Entity::User(name), pn, doc)
        .await
        .map_err(error)?;
    reply(Empty {})
}

/// DeleteUserPolicy.
pub async fn delete_user_policy(c: &Ctx<'_>) -> Result<Value, AwsError> {
    let name = required(&c.params.user, "UserName")?;
    let pn = required(&c.params.policy_name, "PolicyName")?;
    c.iam
        .delete_inline_policy(&c.account, Entity::User(name), pn)
        .await
        .map_err(error)?;
    reply(Empty {})
}

/// AttachUserPolicy.
pub async fn attach_user_policy(c: &Ctx<'_>) -> Result<Value, AwsError> {
    let name = required(&c.params.user, "UserName")?;
    let arn = required(&c.params.policy_arn, "PolicyArn")?;
    c.iam
        .attach_policy(&c.account, Entity::User(name), arn)
        .await
        .map_err(error)?;
    reply(Empty {})
}

/// DetachUserPolicy.
pub async fn detach_user_policy(c: &Ctx<'_>) -> Result<Value, AwsError> {
    let name = required(&c.params.user, "UserName")?;
    let arn = required(&c.params.policy_arn, "PolicyArn")?;
    c.iam
        .detach_policy(&c.account, Entity::User(name), arn)
        .await
        .map_err(error)?;
    reply(Empty {})
}
