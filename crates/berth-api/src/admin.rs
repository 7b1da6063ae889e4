//! Berth's identity administration API: accounts, IAM users and access keys.
//!
//! On the server it is an AWS JSON 1.1 service (`X-Amz-Target: BerthAdmin_20261123.<Operation>`)
//! signed with SigV4 for the service `berth`; `berth admin` calls the same [`execute`] directly on
//! a data directory. Shapes follow IAM's (PascalCase members, `AccessKey`, `User`).
//!
//! Who may do what, until identity policies arrive: the root of the installation's own account
//! manages every account (`AccountId` selects one, default its own) and alone creates and lists
//! accounts; the root of any other account manages its own users and keys; IAM users may not call
//! this API.

use berth_iam::admin::AdminError;
use berth_iam::directory::Entity;
use berth_iam::Iam;
use berth_meta::Principal;
use serde_json::{json, Value};

use crate::aws::AwsError;
use crate::aws::{epoch, Input};

pub const TARGET_PREFIX: &str = "BerthAdmin_20261123.";
pub const SIGNING_SERVICE: &str = "berth";

pub const OPERATIONS: &[&str] = &[
    "CreateAccount",
    "ListAccounts",
    "CreateUser",
    "ListUsers",
    "DeleteUser",
    "CreateAccessKey",
    "ListAccessKeys",
    "UpdateAccessKey",
    "DeleteAccessKey",
    "PutUserPolicy",
    "DeleteUserPolicy",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "RunLifecycle",
    "ListLifecycleEvents",
    "RunGc",
    "Fsck",
    "Usage",
];

/// The collector's settings when a `RunGc` request does not give them.
#[derive(Debug, Clone, Copy)]
pub struct GcDefaults {
    pub grace: std::time::Duration,
    pub upload_ttl: std::time::Duration,
}

/// Who calls: a principal, or the operator of the data directory (`berth admin --data-dir`),
/// who may do everything.
pub enum AdminCaller<'a> {
    Principal {
        principal: &'a Principal,
        home_account: &'a str,
    },
    Operator {
        home_account: &'a str,
    },
}

/// IAM's error for `e`, answered with 400 as every error of this JSON API but the server's.
fn error(e: AdminError) -> AwsError {
    let e = crate::aws::iam_error(e);
    if e.status.is_server_error() {
        AwsError::server("An internal error occurred")
    } else {
        e.status(http::StatusCode::BAD_REQUEST)
    }
}

fn arn(p: &Principal) -> String {
    berth_iam::authz::caller_of(p, None).arn
}

fn user_shape(p: &Principal, created: i64) -> Value {
    json!({
        "UserName": p.name,
        "UserId": p.unique_id,
        "Arn": arn(p),
        "Path": p.path,
        "CreateDate": epoch(created),
    })
}

/// Run one admin operation for `caller`.
pub async fn execute(
    iam: &Iam,
    registry: &berth_registry::Registry,
    gc: &GcDefaults,
    caller: AdminCaller<'_>,
    operation: &str,
    body: &[u8],
) -> Result<Value, AwsError> {
    if !OPERATIONS.contains(&operation) {
        return Err(AwsError::new(
            "UnknownOperationException",
            format!("Unknown operation '{operation}'"),
        ));
    }
    let mut inp = Input::parse(body)?;
    let account_arg = inp.string("AccountId", 12, 12);
    let user = inp.string("UserName", 1, 64);
    let key_id = inp.string("AccessKeyId", 16, 128);
    let status = inp.enumeration("Status", &["Active", "Inactive"]);
    let new_account = inp.string("NewAccountId", 12, 12);
    let policy_name = inp.string("PolicyName", 1, 128);
    let policy_document = inp.string("PolicyDocument", 1, 131_072);
    let policy_arn = inp.string("PolicyArn", 20, 2048);
    let repository = inp.string("RepositoryName", 2, 256);
    let max_results = inp.integer("MaxResults", 1, 10_000);
    let dry_run = inp.boolean("DryRun").unwrap_or(false);
    let grace = inp.integer("GraceSeconds", 0, i64::MAX);
    let upload_ttl = inp.integer("UploadTtlSeconds", 0, i64::MAX);
    let repair = inp.boolean("Repair").unwrap_or(false);
    let sizes_only = inp.boolean("SizesOnly").unwrap_or(false);
    let storage_price = inp.number("StoragePrice");
    let transfer_price = inp.number("TransferPrice");
    let table = inp.boolean("Table").unwrap_or(false);
    inp.finish()?;
    let home = match &caller {
        AdminCaller::Operator { home_account } | AdminCaller::Principal { home_account, .. } => {
            *home_account
        }
    };
    let own = match &caller {
        AdminCaller::Operator { home_account } => home_account.to_string(),
        AdminCaller::Principal { principal, .. } => principal.account_id.clone(),
    };
    let denied = || {
        let who = match &caller {
            AdminCaller::Principal { principal, .. } => arn(principal),
            AdminCaller::Operator { .. } => "operator".into(),
        };
        AwsError::new(
            "AccessDenied",
            format!("User: {who} is not authorized to perform: berth:{operation}"),
        )
        .status(http::StatusCode::FORBIDDEN)
    };
    // the installation's root (or the operator) manages every account; other roots their own
    let installation_admin = match &caller {
        AdminCaller::Operator { .. } => true,
        AdminCaller::Principal { principal, .. } => {
            principal.kind == "root" && principal.account_id == home
        }
    };
    if let AdminCaller::Principal { principal, .. } = &caller {
        if principal.kind != "root" {
            return Err(denied());
        }
    }
    let named_account = account_arg.is_some();
    let account = match account_arg {
        Some(a) if a != own && !installation_admin => return Err(denied()),
        Some(a) => a,
        None => own,
    };
    let required = |v: &Option<String>, field: &str| {
        v.clone().ok_or_else(|| {
            AwsError::new(
                "ValidationError",
                format!("1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"),
            )
        })
    };
    match operation {
        "CreateAccount" => {
            if !installation_admin {
                return Err(denied());
            }
            let k = iam
                .create_account(new_account.as_deref())
                .await
                .map_err(error)?;
            Ok(json!({
                "Account": { "AccountId": k.principal.account_id, "CreateDate": epoch(k.created_at) },
                "AccessKey": key_shape(&k),
            }))
        }
        "ListAccounts" => {
            if !installation_admin {
                return Err(denied());
            }
            let accounts = iam.accounts().await.map_err(error)?;
            Ok(json!({
                "Accounts": accounts.iter().map(|(id, at)| json!({ "AccountId": id, "CreateDate": epoch(*at) })).collect::<Vec<_>>()
            }))
        }
        "CreateUser" => {
            let name = required(&user, "UserName")?;
            let p = iam.create_user(&account, &name).await.map_err(error)?;
            Ok(json!({ "User": user_shape(&p, berth_meta::now_millis()) }))
        }
        "ListUsers" => {
            let users = iam.users(&account).await.map_err(error)?;
            Ok(json!({
                "Users": users.iter().map(|(p, at)| user_shape(p, *at)).collect::<Vec<_>>()
            }))
        }
        "DeleteUser" => {
            let name = required(&user, "UserName")?;
            iam.delete_user(&account, &name).await.map_err(error)?;
            Ok(json!({}))
        }
        "CreateAccessKey" => {
            let k = iam
                .create_access_key(&account, user.as_deref())
                .await
                .map_err(error)?;
            Ok(json!({ "AccessKey": key_shape(&k) }))
        }
        "ListAccessKeys" => {
            let (p, keys) = iam
                .access_keys(&account, user.as_deref())
                .await
                .map_err(error)?;
            Ok(json!({
                "AccessKeyMetadata": keys.iter().map(|k| json!({
                    "UserName": p.name,
                    "AccessKeyId": k.access_key_id,
                    "Status": if k.active { "Active" } else { "Inactive" },
                    "CreateDate": epoch(k.created_at),
                })).collect::<Vec<_>>()
            }))
        }
        "UpdateAccessKey" => {
            let id = required(&key_id, "AccessKeyId")?;
            let status = required(&status, "Status")?;
            iam.set_access_key_status(&account, &id, status == "Active")
                .await
                .map_err(error)?;
            Ok(json!({}))
        }
        "DeleteAccessKey" => {
            let id = required(&key_id, "AccessKeyId")?;
            iam.delete_access_key(&account, &id).await.map_err(error)?;
            Ok(json!({}))
        }
        "PutUserPolicy" => {
            let name = required(&user, "UserName")?;
            let pn = required(&policy_name, "PolicyName")?;
            let doc = required(&policy_document, "PolicyDocument")?;
            iam.put_inline_policy(&account, Entity::User(&name), &pn, &doc)
                .await
                .map_err(error)?;
            Ok(json!({}))
        }
        "DeleteUserPolicy" => {
            let name = required(&user, "UserName")?;
            let pn = required(&policy_name, "PolicyName")?;
            iam.delete_inline_policy(&account, Entity::User(&name), &pn)
                .await
                .map_err(error)?;
            Ok(json!({}))
        }
        "AttachUserPolicy" | "DetachUserPolicy" => {
            let name = required(&user, "UserName")?;
            let arn = required(&policy_arn, "PolicyArn")?;
            if operation == "AttachUserPolicy" {
                iam.attach_policy(&account, Entity::User(&name), &arn).await
            } else {
                iam.detach_policy(&account, Entity::User(&name), &arn).await
            }
            .map_err(error)?;
            Ok(json!({}))
        }
        "RunLifecycle" => {
            let actor = match &caller {
                AdminCaller::Principal { principal, .. } => arn(principal),
                AdminCaller::Operator { .. } => "operator".to_string(),
            };
            let reports = match &repository {
                Some(r) => {
                    let name = r.parse::<berth_oci::RepositoryName>().map_err(|_| {
                        AwsError::new("ValidationError", format!("'{r}' is not a repository name"))
                    })?;
                    vec![registry
                        .run_lifecycle(&account, &name, &actor)
                        .await
                        .map_err(crate::aws::registry_error)?]
                }
                None => registry
                    .run_all_lifecycle(Some(&account), &actor)
                    .await
                    .map_err(crate::aws::registry_error)?,
            };
            Ok(json!({
                "Runs": reports.iter().map(|r| json!({
                    "RepositoryName": r.repository,
                    "Expired": r.expired.iter().map(|p| json!({
                        "ImageDigest": p.digest,
                        "ImageTags": p.tags,
                        "ImagePushedAt": epoch(p.pushed_at),
                        "AppliedRulePriority": p.rule_priority,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>()
            }))
        }
        "ListLifecycleEvents" => {
            let events = registry
                .lifecycle_events(&account, repository.as_deref(), max_results.unwrap_or(1000))
                .await
                .map_err(crate::aws::registry_error)?;
            Ok(json!({
                "Events": events.iter().map(|e| json!({
                    "RepositoryName": e.repository,
                    "ImageDigest": e.digest,
                    "ImageTags": e.tags,
                    "AppliedRulePriority": e.rule_priority,
                    "Actor": e.actor,
                    "ExpiredAt": epoch(e.expired_at),
                })).collect::<Vec<_>>()
            }))
        }
        "RunGc" => {
            // the collector works on the whole store, across accounts
            if !installation_admin {
                return Err(denied());
            }
            let opts = berth_registry::gc::GcOptions {
                grace: seconds_or(grace, gc.grace),
                upload_ttl: seconds_or(upload_ttl, gc.upload_ttl),
                dry_run,
            };
            let report = registry
                .gc(opts)
                .await
                .map_err(crate::aws::registry_error)?;
            serde_json::to_value(&report).map_err(|e| AwsError::server(e.to_string()))
        }
        "Fsck" => {
            if !installation_admin {
                return Err(denied());
            }
            let opts = berth_registry::fsck::FsckOptions {
                verify_digests: !sizes_only,
                repair,
                grace: seconds_or(grace, gc.grace),
                upload_ttl: seconds_or(upload_ttl, gc.upload_ttl),
            };
            let report = registry
                .fsck(opts)
                .await
                .map_err(crate::aws::registry_error)?;
            serde_json::to_value(&report).map_err(|e| AwsError::server(e.to_string()))
        }
        "Usage" => {
            let defaults = berth_registry::usage::Prices::default();
            let prices = berth_registry::usage::Prices {
                storage_per_gib_month: storage_price.unwrap_or(defaults.storage_per_gib_month),
                transfer_per_gib: transfer_price.unwrap_or(defaults.transfer_per_gib),
            };
            // the installation's admin sees every account (and the store) unless it names one
            let scope = if installation_admin && !named_account {
                None
            } else {
                Some(account.as_str())
            };
            let report = registry
                .usage(scope, prices)
                .await
                .map_err(crate::aws::registry_error)?;
            if table {
                return Ok(json!(report.table()));
            }
            serde_json::to_value(&report).map_err(|e| AwsError::server(e.to_string()))
        }
        other => Err(AwsError::new(
            "UnknownOperationException",
            format!("Unknown operation '{other}'"),
        )),
    }
}

/// A duration given in (non-negative, validated) seconds, else the default.
fn seconds_or(given: Option<i64>, default: std::time::Duration) -> std::time::Duration {
    given
        .map(|s| std::time::Duration::from_secs(s.max(0) as u64))
        .unwrap_or(default)
}

fn key_shape(k: &berth_iam::admin::NewAccessKey) -> Value {
    json!({
        "UserName": k.principal.name,
        "AccessKeyId": k.access_key_id,
        "SecretAccessKey": k.secret_access_key,
        "Status": "Active",
        "CreateDate": epoch(k.created_at),
    })
}
