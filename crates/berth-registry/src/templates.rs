//! Repository creation templates: the settings of repositories that Berth creates on a user's
//! behalf (a replication's destination, a pull-through cache, a push to a repository that does
//! not exist), chosen by the longest prefix that matches the new repository's name (`ROOT`
//! matches every name).

use berth_meta::{EncryptionType, MetaError, NewRepository, Repository, TagMutability};
use serde::{Deserialize, Serialize};

use crate::lifecycle::policy::LifecyclePolicy;
use crate::{Registry, RegistryError, Result};

/// What a template is applied for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppliedFor {
    #[serde(rename = "REPLICATION")]
    Replication,
    #[serde(rename = "PULL_THROUGH_CACHE")]
    PullThroughCache,
    #[serde(rename = "CREATE_ON_PUSH")]
    CreateOnPush,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncryptionConfiguration {
    pub encryption_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key: Option<String>,
}

/// A resource tag (ECR spells its members with capitals).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceTag {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value")]
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExclusionFilter {
    pub filter_type: String,
    pub filter: String,
}

/// A template's settings, as CreateRepositoryCreationTemplate takes them (the prefix aside).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_configuration: Option<EncryptionConfiguration>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_tags: Vec<ResourceTag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_tag_mutability: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_tag_mutability_exclusion_filters: Vec<ExclusionFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_policy: Option<String>,
    #[serde(default)]
    pub applied_for: Vec<AppliedFor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_role_arn: Option<String>,
}

/// A stored template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub prefix: String,
    pub settings: TemplateSettings,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Why a template is refused: ECR's InvalidParameterException (or ValidationException for
/// the model's constraints), with these texts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("Invalid parameter at 'prefix' failed to satisfy constraint: 'must be ROOT or a repository name prefix'")]
    Prefix,
    #[error("Invalid parameter at 'appliedFor' failed to satisfy constraint: 'must name at least one of REPLICATION, PULL_THROUGH_CACHE, CREATE_ON_PUSH'")]
    AppliedFor,
    #[error("Invalid parameter at 'description' failed to satisfy constraint: 'Member must have length less than or equal to 256'")]
    Description,
    #[error("Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]'")]
    Mutability,
    #[error("Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: '{0}'")]
    ExclusionFilters(&'static str),
    #[error("Invalid parameter at 'encryptionConfiguration' failed to satisfy constraint: '{0}'")]
    Encryption(&'static str),
    #[error("Invalid parameter at 'resourceTags' failed to satisfy constraint: 'at most 50 tags, each key 1 to 128 characters and value at most 256'")]
    Tags,
    #[error("Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: {0}'")]
    Lifecycle(String),
}

/// ECR's `Prefix`: `ROOT`, or a repository name with an optional `/` at the end.
fn valid_prefix(p: &str) -> bool {
    if p == "ROOT" {
        return true;
    }
    let name = p.strip_suffix('/').unwrap_or(p);
    (1..=256).contains(&p.len()) && name.parse::<berth_oci::RepositoryName>().is_ok()
}

impl TemplateSettings {
    /// Check the settings as ECR does (the repository policy is checked by IAM, above this
    /// crate).
    pub fn validate(&self, prefix: &str) -> std::result::Result<(), TemplateError> {
        if !valid_prefix(prefix) {
            return Err(TemplateError::Prefix);
        }
        if self.applied_for.is_empty() {
            return Err(TemplateError::AppliedFor);
        }
        if self.description.as_ref().is_some_and(|d| d.len() > 256) {
            return Err(TemplateError::Description);
        }
        let mutability = self.mutability()?;
        let with_exclusion = matches!(
            mutability,
            TagMutability::ImmutableWithExclusion | TagMutability::MutableWithExclusion
        );
        let filters = &self.image_tag_mutability_exclusion_filters;
        if with_exclusion && !(1..=5).contains(&filters.len()) {
            return Err(TemplateError::ExclusionFilters(
                "1 to 5 filters with the *_WITH_EXCLUSION mutabilities",
            ));
        }
        if !with_exclusion && !filters.is_empty() {
            return Err(TemplateError::ExclusionFilters(
                "filters only with IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION",
            ));
        }
        let filter_ok = |f: &ExclusionFilter| {
            f.filter_type == "WILDCARD"
                && (1..=128).contains(&f.filter.len())
                && f.filter
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._*-".contains(&b))
        };
        if !filters.iter().all(filter_ok) {
            return Err(TemplateError::ExclusionFilters(
                "WILDCARD filters of 1 to 128 characters [0-9a-zA-Z._*-]",
            ));
        }
        self.encryption()?;
        let tag_ok = |t: &ResourceTag| (1..=128).contains(&t.key.len()) && t.value.len() <= 256;
        if self.resource_tags.len() > crate::repositories::MAX_REPOSITORY_TAGS
            || !self.resource_tags.iter().all(tag_ok)
        {
            return Err(TemplateError::Tags);
        }
        if let Some(text) = self.lifecycle_policy.as_deref().filter(|t| !t.is_empty()) {
            LifecyclePolicy::parse(text).map_err(|e| TemplateError::Lifecycle(e.to_string()))?;
        }
        Ok(())
    }

    fn mutability(&self) -> std::result::Result<TagMutability, TemplateError> {
        match self.image_tag_mutability.as_deref() {
            None => Ok(TagMutability::Mutable),
            Some(m) => m.parse().map_err(|()| TemplateError::Mutability),
        }
    }

    fn encryption(&self) -> std::result::Result<(EncryptionType, Option<String>), TemplateError> {
        let Some(e) = &self.encryption_configuration else {
            return Ok((EncryptionType::Aes256, None));
        };
        let kind: EncryptionType = e
            .encryption_type
            .parse()
            .map_err(|()| TemplateError::Encryption("encryptionType is AES256, KMS or KMS_DSSE"))?;
        if kind == EncryptionType::Aes256 && e.kms_key.as_deref().is_some_and(|k| !k.is_empty()) {
            return Err(TemplateError::Encryption(
                "a kmsKey only with KMS encryption",
            ));
        }
        Ok((kind, e.kms_key.clone().filter(|k| !k.is_empty())))
    }

    /// A repository of `account` named `name` with these settings.
    pub fn new_repository(&self, account: &str, name: &str) -> NewRepository {
        let mut new = NewRepository::with_defaults(account, name);
        if let Ok(m) = self.mutability() {
            new.tag_mutability = m;
        }
        new.mutability_filters = self
            .image_tag_mutability_exclusion_filters
            .iter()
            .map(|f| f.filter.clone())
            .collect();
        if let Ok((kind, key)) = self.encryption() {
            new.encryption_type = kind;
            new.kms_key = key;
        }
        new.tags = self
            .resource_tags
            .iter()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect();
        new
    }
}

impl Template {
    /// Whether the template's prefix covers `repository` (a namespace: `prod` covers
    /// `prod/app`, not `production`).
    pub fn covers(&self, repository: &str) -> bool {
        if self.prefix == "ROOT" {
            return true;
        }
        let prefix = self.prefix.trim_end_matches('/');
        repository
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// Of `templates`, the one that applies to a repository created `for_what`: the longest
/// prefix that covers the name, else `ROOT`.
pub fn choose<'t>(
    templates: &'t [Template],
    repository: &str,
    for_what: AppliedFor,
) -> Option<&'t Template> {
    templates
        .iter()
        .filter(|t| t.settings.applied_for.contains(&for_what) && t.covers(repository))
        .max_by_key(|t| {
            if t.prefix == "ROOT" {
                0
            } else {
                t.prefix.len() + 1
            }
        })
}

/// A stored template, or the error naming `prefix` for what the store refused.
fn stored(
    r: std::result::Result<berth_meta::CreationTemplate, MetaError>,
    prefix: &str,
) -> Result<Template> {
    let prefix = prefix.to_string();
    match r {
        Ok(t) => template_of(t),
        Err(MetaError::TemplateExists) => Err(RegistryError::TemplateExists { prefix }),
        Err(MetaError::TemplateNotFound) => Err(RegistryError::TemplateNotFound { prefix }),
        Err(e) => Err(e.into()),
    }
}

fn template_of(t: berth_meta::CreationTemplate) -> Result<Template> {
    let settings = serde_json::from_str(&t.template)
        .map_err(|e| RegistryError::Internal(format!("stored template {}: {e}", t.prefix)))?;
    Ok(Template {
        prefix: t.prefix,
        settings,
        created_at: t.created_at,
        updated_at: t.updated_at,
    })
}

/// A stored template's prefix: ECR keeps `prod/` as `prod`.
pub fn stored_prefix(prefix: &str) -> &str {
    if prefix == "ROOT" {
        prefix
    } else {
        prefix.trim_end_matches('/')
    }
}

impl Registry {
    /// Create repository `name` of `account` with the settings of the template that applies
    /// `for_what` (its repository and lifecycle policies too), else with ECR's defaults when
    /// `defaults` allows; `None` when neither. A repository created meanwhile by another push is
    /// returned as it is.
    pub(crate) async fn create_from_template(
        &self,
        account: &str,
        name: &str,
        for_what: AppliedFor,
        defaults: bool,
    ) -> Result<Option<Repository>> {
        let templates = self.creation_templates(account).await?;
        let chosen = choose(&templates, name, for_what);
        let new = match chosen {
            Some(t) => t.settings.new_repository(account, name),
            None if defaults => NewRepository::with_defaults(account, name),
            None => return Ok(None),
        };
        self.meta.ensure_account(account).await?;
        let repo = match self.meta.create_repository_with(&new).await {
            Ok(r) => r,
            // created meanwhile by another push: read it as the writer sees it
            Err(MetaError::RepositoryExists) => {
                return Ok(Some(self.meta.repository_or_create(account, name).await?))
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(t) = chosen {
            let s = &t.settings;
            if let Some(text) = &s.lifecycle_policy {
                self.meta
                    .set_lifecycle_policy(account, name, Some(text))
                    .await?;
            }
            if let Some(text) = &s.repository_policy {
                self.meta
                    .set_repository_policy(account, name, Some(text))
                    .await?;
                self.policies_changed();
            }
            tracing::info!(account, repository = name, template = %t.prefix, "repository created from a creation template");
        }
        Ok(Some(repo))
    }

    /// An account's templates, by prefix.
    pub async fn creation_templates(&self, account: &str) -> Result<Vec<Template>> {
        self.meta
            .creation_templates(account)
            .await?
            .into_iter()
            .map(template_of)
            .collect()
    }

    /// One of an account's templates, by prefix (`prod/` names `prod`).
    pub async fn creation_template(&self, account: &str, prefix: &str) -> Result<Template> {
        self.creation_templates(account)
            .await?
            .into_iter()
            .find(|t| t.prefix == stored_prefix(prefix))
            .ok_or_else(|| RegistryError::TemplateNotFound {
                prefix: prefix.to_string(),
            })
    }

    /// Store a new template (its settings validated by the caller).
    pub async fn create_creation_template(
        &self,
        account: &str,
        prefix: &str,
        settings: &TemplateSettings,
    ) -> Result<Template> {
        let text =
            serde_json::to_string(settings).map_err(|e| RegistryError::Internal(e.to_string()))?;
        let r = self
            .meta
            .create_creation_template(account, stored_prefix(prefix), &text)
            .await;
        stored(r, prefix)
    }

    /// Replace a template's settings.
    pub async fn update_creation_template(
        &self,
        account: &str,
        prefix: &str,
        settings: &TemplateSettings,
    ) -> Result<Template> {
        let text =
            serde_json::to_string(settings).map_err(|e| RegistryError::Internal(e.to_string()))?;
        let r = self
            .meta
            .update_creation_template(account, stored_prefix(prefix), &text)
            .await;
        stored(r, prefix)
    }

    /// Delete a template; it as it was.
    pub async fn delete_creation_template(&self, account: &str, prefix: &str) -> Result<Template> {
        let r = self
            .meta
            .delete_creation_template(account, stored_prefix(prefix))
            .await;
        stored(r, prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(prefix: &str, applied_for: &[AppliedFor]) -> Template {
        Template {
            prefix: prefix.to_string(),
            settings: TemplateSettings {
                applied_for: applied_for.to_vec(),
                ..TemplateSettings::default()
            },
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn the_longest_covering_prefix_wins_and_root_covers_the_rest() {
        use AppliedFor::*;
        let all = [
            template("ROOT", &[Replication, PullThroughCache]),
            template("prod", &[Replication]),
            template("prod/team", &[Replication]),
            template("dev", &[PullThroughCache]),
        ];
        let chosen = |name: &str, what| choose(&all, name, what).map(|t| t.prefix.as_str());
        assert_eq!(chosen("prod/team/app", Replication), Some("prod/team"));
        assert_eq!(chosen("prod/app", Replication), Some("prod"));
        assert_eq!(chosen("production", Replication), Some("ROOT"));
        assert_eq!(chosen("dev/app", Replication), Some("ROOT"));
        assert_eq!(chosen("dev/app", PullThroughCache), Some("dev"));
        assert_eq!(chosen("dev/app", CreateOnPush), None);
    }

    #[test]
    fn settings_are_validated_as_ecr_does() {
        let ok: TemplateSettings = serde_json::from_str(
            r#"{"appliedFor":["REPLICATION"],"imageTagMutability":"IMMUTABLE_WITH_EXCLUSION",
                "imageTagMutabilityExclusionFilters":[{"filterType":"WILDCARD","filter":"latest"}],
                "resourceTags":[{"Key":"team","Value":"a"}],
                "lifecyclePolicy":"{\"rules\":[{\"rulePriority\":1,\"selection\":{\"tagStatus\":\"untagged\",\"countType\":\"imageCountMoreThan\",\"countNumber\":5},\"action\":{\"type\":\"expire\"}}]}"}"#,
        )
        .unwrap();
        assert_eq!(ok.validate("prod/"), Ok(()));
        assert_eq!(ok.validate("ROOT"), Ok(()));
        assert_eq!(ok.validate("Prod"), Err(TemplateError::Prefix));
        let repo = ok.new_repository("111111111111", "prod/app");
        assert_eq!(repo.tag_mutability, TagMutability::ImmutableWithExclusion);
        assert_eq!(repo.mutability_filters, ["latest"]);
        assert_eq!(repo.tags, [("team".to_string(), "a".to_string())]);
        let none = TemplateSettings::default();
        assert_eq!(none.validate("prod"), Err(TemplateError::AppliedFor));
        let bad_lifecycle = TemplateSettings {
            applied_for: vec![AppliedFor::Replication],
            lifecycle_policy: Some("{}".into()),
            ..TemplateSettings::default()
        };
        assert!(matches!(
            bad_lifecycle.validate("prod"),
            Err(TemplateError::Lifecycle(_))
        ));
    }
}
