//! CreateSecret, GetSecretValue, PutSecretValue, DescribeSecret, ListSecrets, DeleteSecret.

use std::collections::BTreeMap;

use base64::Engine;
use berth_iam::secrets_manager::{new_secret_arn, NewSecret, SecretInfo, SecretValue};
use berth_meta::{SecretVersion, StoredSecret};
use serde::Serialize;
use serde_json::Value;

use super::requests::{
    CreateSecretRequest, DeleteSecretRequest, GetSecretValueRequest, ListSecretsRequest,
    PutSecretValueRequest, SecretIdRequest, TagIn,
};
use super::{secrets_error, Ctx};
use crate::aws::{next_token, read_token, reply, AwsError, Epoch, Input};

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;

/// The value a request carries (checked by the request: one of the two, valid base64).
fn value_of(string: Option<String>, binary: Option<String>) -> Option<SecretValue> {
    match (string, binary) {
        (Some(s), _) => Some(SecretValue::String(s)),
        (None, Some(b)) => B64.decode(b).ok().map(SecretValue::Binary),
        (None, None) => None,
    }
}

/// A version ID: the request's token, else a new UUID (as the SDKs make one).
fn version_id(token: Option<String>) -> String {
    token.unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

fn tags_of(s: &StoredSecret) -> Vec<TagIn> {
    serde_json::from_str(&s.tags).unwrap_or_default()
}

fn stages(versions: &[SecretVersion]) -> BTreeMap<String, Vec<String>> {
    versions
        .iter()
        .filter_map(|v| Some((v.version_id.clone(), vec![v.stage.clone()?])))
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Created<'a> {
    #[serde(rename = "ARN")]
    arn: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_id: Option<&'a str>,
}

pub async fn create_secret(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: CreateSecretRequest = inp.request()?;
    let name = req.name.unwrap_or_default();
    let arn = new_secret_arn(&ctx.state.region, ctx.account(), &name);
    ctx.authorize(&arn).await?;
    let value = value_of(req.secret_string, req.secret_binary);
    let new = NewSecret {
        version_id: version_id(req.client_request_token),
        tags: serde_json::to_string(&req.tags).unwrap_or_else(|_| "[]".into()),
        name,
        description: req.description,
        kms_key_id: req.kms_key_id,
        value,
    };
    let secret = ctx
        .state
        .iam
        .create_secret(ctx.account(), &arn, &new)
        .await
        .map_err(secrets_error)?;
    reply(Created {
        arn: &secret.arn,
        name: &secret.name,
        version_id: new.value.as_ref().map(|_| new.version_id.as_str()),
    })
}

/// Look a secret up for an operation: authorised on its ARN (or on what the ID names, when
/// there is none), then found.
async fn found(ctx: &Ctx<'_>, id: &str) -> Result<SecretInfo, AwsError> {
    let iam = &ctx.state.iam;
    match iam.describe_secret(ctx.account(), id).await {
        Ok(info) => {
            ctx.authorize(&info.secret.arn).await?;
            Ok(info)
        }
        Err(e) => {
            ctx.authorize(&ctx.arn_of(id)).await?;
            Err(secrets_error(e))
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ValueOut<'a> {
    #[serde(rename = "ARN")]
    arn: &'a str,
    name: &'a str,
    version_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_string: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_binary: Option<String>,
    version_stages: Vec<&'a str>,
    created_date: Epoch,
}

pub async fn get_secret_value(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: GetSecretValueRequest = inp.request()?;
    let id = req.secret_id.unwrap_or_default();
    found(ctx, &id).await?;
    let read = ctx
        .state
        .iam
        .get_secret_value(
            ctx.account(),
            &id,
            req.version_id.as_deref(),
            req.version_stage.as_deref(),
        )
        .await
        .map_err(secrets_error)?;
    let (string, binary) = match &read.value {
        SecretValue::String(s) => (Some(s.as_str()), None),
        SecretValue::Binary(b) => (None, Some(B64.encode(b))),
    };
    reply(ValueOut {
        arn: &read.secret.arn,
        name: &read.secret.name,
        version_id: &read.version.version_id,
        secret_string: string,
        secret_binary: binary,
        version_stages: read.version.stage.as_deref().into_iter().collect(),
        created_date: Epoch(read.version.created_at),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PutOut<'a> {
    #[serde(rename = "ARN")]
    arn: &'a str,
    name: &'a str,
    version_id: &'a str,
    version_stages: Vec<&'a str>,
}

pub async fn put_secret_value(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: PutSecretValueRequest = inp.request()?;
    let id = req.secret_id.unwrap_or_default();
    found(ctx, &id).await?;
    let value = value_of(req.secret_string, req.secret_binary).ok_or_else(|| {
        AwsError::new(
            "InvalidRequestException",
            "You must provide either SecretString or SecretBinary.",
        )
    })?;
    let (secret, version) = ctx
        .state
        .iam
        .put_secret_value(
            ctx.account(),
            &id,
            &version_id(req.client_request_token),
            &value,
        )
        .await
        .map_err(secrets_error)?;
    reply(PutOut {
        arn: &secret.arn,
        name: &secret.name,
        version_id: &version.version_id,
        version_stages: version.stage.as_deref().into_iter().collect(),
    })
}

/// DescribeSecret's answer, and each entry of ListSecrets'.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Described {
    #[serde(rename = "ARN")]
    arn: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kms_key_id: Option<String>,
    rotation_enabled: bool,
    last_changed_date: Epoch,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_accessed_date: Option<Epoch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted_date: Option<Epoch>,
    tags: Vec<TagIn>,
    /// `VersionIdsToStages` in DescribeSecret, `SecretVersionsToStages` in ListSecrets.
    #[serde(flatten)]
    stages: BTreeMap<&'static str, BTreeMap<String, Vec<String>>>,
    created_date: Epoch,
}

fn described(info: SecretInfo, stages_member: &'static str) -> Described {
    let s = info.secret;
    Described {
        tags: tags_of(&s),
        stages: BTreeMap::from([(stages_member, stages(&info.versions))]),
        arn: s.arn,
        name: s.name,
        description: s.description,
        kms_key_id: s.kms_key_id,
        rotation_enabled: false,
        last_changed_date: Epoch(s.changed_at),
        // AWS gives the day of the last access
        last_accessed_date: s.accessed_at.map(|t| Epoch(t - t.rem_euclid(86_400_000))),
        deleted_date: s.deleted_at.map(Epoch),
        created_date: Epoch(s.created_at),
    }
}

pub async fn describe_secret(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: SecretIdRequest = inp.request()?;
    let info = found(ctx, req.secret_id.as_deref().unwrap_or_default()).await?;
    reply(described(info, "VersionIdsToStages"))
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Listed {
    secret_list: Vec<Described>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// Whether a secret passes ListSecrets' filters (each a prefix match on any of its values).
fn passes(s: &StoredSecret, filters: &[super::requests::Filter]) -> bool {
    let tags = tags_of(s);
    filters.iter().all(|f| {
        f.values.iter().any(|v| {
            let (negate, v) = match v.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, v.as_str()),
            };
            let description = s.description.as_deref().unwrap_or("");
            let hit = match f.key.as_deref().unwrap_or("all") {
                "name" => s.name.starts_with(v),
                "description" => description.to_lowercase().starts_with(&v.to_lowercase()),
                "tag-key" => tags.iter().any(|t| t.key.starts_with(v)),
                "tag-value" => tags.iter().any(|t| t.value.starts_with(v)),
                "primary-region" | "owning-service" => false,
                _ => {
                    s.name.starts_with(v)
                        || description.starts_with(v)
                        || tags
                            .iter()
                            .any(|t| t.key.starts_with(v) || t.value.starts_with(v))
                }
            };
            hit != negate
        })
    })
}

/// An account has few secrets: a listing reads them all, then filters, sorts and pages.
const LIST_ALL: u32 = 10_000;

pub async fn list_secrets(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: ListSecretsRequest = inp.request()?;
    ctx.authorize("*").await?;
    let mut all: Vec<SecretInfo> = ctx
        .state
        .iam
        .list_secrets(ctx.account(), req.include_planned_deletion, None, LIST_ALL)
        .await
        .map_err(secrets_error)?
        .into_iter()
        .filter(|i| passes(&i.secret, &req.filters))
        .collect();
    let key = |i: &SecretInfo| -> (i64, String) {
        let s = &i.secret;
        let t = match req.sort_by.as_deref() {
            Some("created-date") => s.created_at,
            Some("last-accessed-date") => s.accessed_at.unwrap_or(0),
            Some("last-changed-date") => s.changed_at,
            _ => 0,
        };
        (t, s.name.clone())
    };
    all.sort_by_key(key);
    if req.sort_order.as_deref() != Some("asc") && req.sort_by.is_some() {
        all.reverse();
    }
    let start = match &req.next_token {
        Some(t) => read_token("ListSecrets", t)?
            .parse::<usize>()
            .map_err(|_| {
                AwsError::new(
                    "InvalidNextTokenException",
                    "The NextToken value is invalid.",
                )
            })?,
        None => 0,
    };
    let limit = req.max_results.unwrap_or(100) as usize;
    let end = (start + limit).min(all.len());
    let more = end < all.len();
    let page: Vec<Described> = all
        .into_iter()
        .skip(start)
        .take(end.saturating_sub(start))
        .map(|i| described(i, "SecretVersionsToStages"))
        .collect();
    reply(Listed {
        secret_list: page,
        next_token: more.then(|| next_token("ListSecrets", &end.to_string())),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Deleted<'a> {
    #[serde(rename = "ARN")]
    arn: &'a str,
    name: &'a str,
    deletion_date: Epoch,
}

pub async fn delete_secret(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: DeleteSecretRequest = inp.request()?;
    let id = req.secret_id.unwrap_or_default();
    found(ctx, &id).await?;
    let (secret, at) = ctx
        .state
        .iam
        .delete_secret(
            ctx.account(),
            &id,
            req.recovery_window_in_days,
            req.force_delete_without_recovery,
        )
        .await
        .map_err(secrets_error)?;
    reply(Deleted {
        arn: &secret.arn,
        name: &secret.name,
        deletion_date: Epoch(at),
    })
}
