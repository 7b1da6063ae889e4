//! DescribeRegistry, PutReplicationConfiguration, GetAccountSetting, PutAccountSetting.

use serde_json::Value;

use super::ctx::Ctx;
use super::requests::{
    AccountSettingRequest, GetAccountSettingRequest, NoMembers, PutReplicationConfigurationRequest,
};
use super::shapes::{
    AccountSettingResponse, DescribeRegistryResponse, PutReplicationConfigurationResponse,
};
use crate::aws::registry_error as core_error;
use crate::aws::{reply, AwsError, Input};

/// Account settings ECR knows, their allowed values and defaults.
const SETTINGS: &[(&str, &[&str], &str)] = &[
    (
        "BASIC_SCAN_TYPE_VERSION",
        &["AWS_NATIVE", "CLAIR"],
        "AWS_NATIVE",
    ),
    ("REGISTRY_POLICY_SCOPE", &["V1", "V2"], "V2"),
    ("BLOB_MOUNTING", &["ENABLED", "DISABLED"], "ENABLED"),
];

fn setting(
    name: &str,
) -> Result<&'static (&'static str, &'static [&'static str], &'static str), AwsError> {
    SETTINGS.iter().find(|(n, _, _)| *n == name).ok_or_else(|| {
        AwsError::new(
            "ValidationException",
            format!(
                "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must be one of [{}]",
                SETTINGS.iter().map(|s| s.0).collect::<Vec<_>>().join(", ")
            ),
        )
    })
}

pub async fn describe_registry(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let _: NoMembers = inp.request()?;
    let account = ctx.account();
    let replication_configuration = ctx
        .state
        .registry
        .replication_configuration(account)
        .await
        .map_err(core_error)?;
    reply(DescribeRegistryResponse {
        registry_id: account,
        replication_configuration,
    })
}

pub async fn put_replication_configuration(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: PutReplicationConfigurationRequest = inp.request()?;
    let replication_configuration = req.configuration();
    ctx.state
        .registry
        .put_replication_configuration(ctx.account(), &replication_configuration)
        .await
        .map_err(core_error)?;
    reply(PutReplicationConfigurationResponse {
        replication_configuration,
    })
}

pub async fn get_account_setting(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: GetAccountSettingRequest = inp.request()?;
    let name = req.name.unwrap_or_default();
    let (n, _, default) = setting(&name)?;
    let value = ctx
        .state
        .registry
        .account_setting(ctx.account(), n)
        .await
        .map_err(core_error)?
        .unwrap_or_else(|| default.to_string());
    reply(AccountSettingResponse { name: n, value })
}

pub async fn put_account_setting(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: AccountSettingRequest = inp.request()?;
    let (name, value) = (req.name.unwrap_or_default(), req.value.unwrap_or_default());
    let (n, allowed, _) = setting(&name)?;
    if !allowed.contains(&value.as_str()) {
        return Err(AwsError::new(
            "ValidationException",
            format!(
                "1 validation error detected: Value '{value}' at 'value' failed to satisfy constraint: Member must be one of [{}] for setting {n}",
                allowed.join(", ")
            ),
        ));
    }
    ctx.state
        .registry
        .put_account_setting(ctx.account(), n, &value)
        .await
        .map_err(core_error)?;
    // REGISTRY_POLICY_SCOPE decides when the registry policy applies
    ctx.state.iam.policies_changed();
    reply(AccountSettingResponse { name: n, value })
}
