//! Create/Update/Delete/DescribeRepositoryCreationTemplate(s): the settings of repositories
//! Berth creates on a user's behalf (replication, pull-through cache, create on push).

use berth_registry::templates::{stored_prefix, Template, TemplateSettings};
use serde::Serialize;
use serde_json::Value;

use super::ctx::Ctx;
use super::requests::{DescribeTemplatesRequest, PrefixRequest, TemplateRequest};
use crate::aws::registry_error as core_error;
use crate::aws::{next_token, read_token, reply, AwsError, Epoch, Input};

/// `RepositoryCreationTemplate`: the stored settings, with ECR's defaults where none were set.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TemplateOut {
    prefix: String,
    #[serde(flatten)]
    settings: TemplateSettings,
    created_at: Epoch,
    updated_at: Epoch,
}

impl TemplateOut {
    fn of(t: Template) -> TemplateOut {
        let mut settings = t.settings;
        settings
            .image_tag_mutability
            .get_or_insert_with(|| "MUTABLE".to_string());
        settings.encryption_configuration.get_or_insert_with(|| {
            berth_registry::templates::EncryptionConfiguration {
                encryption_type: "AES256".to_string(),
                kms_key: None,
            }
        });
        TemplateOut {
            prefix: t.prefix,
            settings,
            created_at: Epoch(t.created_at),
            updated_at: Epoch(t.updated_at),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TemplateResponse<'a> {
    registry_id: &'a str,
    repository_creation_template: TemplateOut,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DescribeTemplatesResponse<'a> {
    registry_id: &'a str,
    repository_creation_templates: Vec<TemplateOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

fn invalid(msg: impl Into<String>) -> AwsError {
    AwsError::new("InvalidParameterException", msg)
}

/// Validate settings as ECR does: the registry's checks, then the repository policy by IAM.
async fn validate(ctx: &Ctx<'_>, prefix: &str, s: &TemplateSettings) -> Result<(), AwsError> {
    s.validate(prefix).map_err(|e| invalid(e.to_string()))?;
    if let Some(text) = &s.repository_policy {
        ctx.state
            .iam
            .validate_repository_policy(text)
            .await
            .map_err(|_| {
                invalid("Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'")
            })?;
    }
    Ok(())
}

pub async fn create_repository_creation_template(
    ctx: &Ctx<'_>,
    inp: Input,
) -> Result<Value, AwsError> {
    let req: TemplateRequest = inp.request()?;
    if !req.names_applied_for() {
        return Err(AwsError::validation(
            "ValidationException",
            &[
                "Value null at 'appliedFor' failed to satisfy constraint: Member must not be null"
                    .to_string(),
            ],
        ));
    }
    let prefix = req.prefix.clone().unwrap_or_default();
    let settings = req.settings(TemplateSettings::default());
    validate(ctx, &prefix, &settings).await?;
    let account = ctx.account();
    let t = ctx
        .state
        .registry
        .create_creation_template(account, &prefix, &settings)
        .await
        .map_err(core_error)?;
    reply(TemplateResponse {
        registry_id: account,
        repository_creation_template: TemplateOut::of(t),
    })
}

pub async fn update_repository_creation_template(
    ctx: &Ctx<'_>,
    inp: Input,
) -> Result<Value, AwsError> {
    let req: TemplateRequest = inp.request()?;
    let prefix = req.prefix.clone().unwrap_or_default();
    let account = ctx.account();
    let registry = &ctx.state.registry;
    let current = registry
        .creation_template(account, &prefix)
        .await
        .map_err(core_error)?;
    let settings = req.settings(current.settings);
    validate(ctx, &prefix, &settings).await?;
    let t = registry
        .update_creation_template(account, &prefix, &settings)
        .await
        .map_err(core_error)?;
    reply(TemplateResponse {
        registry_id: account,
        repository_creation_template: TemplateOut::of(t),
    })
}

pub async fn delete_repository_creation_template(
    ctx: &Ctx<'_>,
    inp: Input,
) -> Result<Value, AwsError> {
    let req: PrefixRequest = inp.request()?;
    let account = ctx.account();
    let t = ctx
        .state
        .registry
        .delete_creation_template(account, req.prefix.as_deref().unwrap_or_default())
        .await
        .map_err(core_error)?;
    reply(TemplateResponse {
        registry_id: account,
        repository_creation_template: TemplateOut::of(t),
    })
}

pub async fn describe_repository_creation_templates(
    ctx: &Ctx<'_>,
    inp: Input,
) -> Result<Value, AwsError> {
    const OP: &str = "DescribeRepositoryCreationTemplates";
    let req: DescribeTemplatesRequest = inp.request()?;
    let account = ctx.account();
    let wanted: Option<Vec<&str>> = req
        .prefixes
        .as_ref()
        .map(|ps| ps.iter().map(|p| stored_prefix(p)).collect());
    let after = req
        .next_token
        .as_deref()
        .map(|t| read_token(OP, t))
        .transpose()?;
    let max = req.max_results.unwrap_or(100) as usize;
    let all: Vec<Template> = ctx
        .state
        .registry
        .creation_templates(account)
        .await
        .map_err(core_error)?
        .into_iter()
        .filter(|t| {
            wanted
                .as_ref()
                .is_none_or(|w| w.contains(&t.prefix.as_str()))
        })
        .filter(|t| after.as_ref().is_none_or(|a| t.prefix > *a))
        .collect();
    let more = all.len() > max;
    let page: Vec<Template> = all.into_iter().take(max).collect();
    let next = more
        .then(|| page.last().map(|t| next_token(OP, &t.prefix)))
        .flatten();
    reply(DescribeTemplatesResponse {
        registry_id: account,
        repository_creation_templates: page.into_iter().map(TemplateOut::of).collect(),
        next_token: next,
    })
}
