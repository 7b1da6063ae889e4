//! Secrets Manager's secrets: values sealed under the master key, as Berth's other secrets are;
//! AWSCURRENT and AWSPREVIOUS versions; deletion after a recovery window. The pull-through cache
//! reads its upstream credentials from them.

use berth_meta::{MetaError, NewVersion, SecretVersion, StoredSecret, SECRET_CURRENT};

use crate::Iam;

/// The shortest and longest recovery window DeleteSecret takes, and its default, in days.
pub const RECOVERY_DAYS: std::ops::RangeInclusive<i64> = 7..=30;
const DEFAULT_RECOVERY_DAYS: i64 = 30;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// A secret's value: SecretString or SecretBinary.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretValue {
    String(String),
    Binary(Vec<u8>),
}

impl std::fmt::Debug for SecretValue {
    // never the value itself
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretValue::String(_) => f.write_str("SecretValue::String(…)"),
            SecretValue::Binary(_) => f.write_str("SecretValue::Binary(…)"),
        }
    }
}

/// Secrets Manager's errors, in its words.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("Secrets Manager can't find the specified secret.")]
    NotFound,
    #[error("Secrets Manager can't find the specified secret value for staging label: {0}")]
    NoValue(String),
    #[error("The operation failed because the secret {0} already exists.")]
    Exists(String),
    #[error("You can't perform this operation on the secret because it was marked for deletion.")]
    MarkedForDeletion,
    #[error("You can't modify an existing version, you can only create a new version.")]
    VersionExists,
    /// InvalidParameterException with this text.
    #[error("{0}")]
    InvalidParameter(String),
    #[error("Secrets Manager can't decrypt the protected secret text using the provided KMS key.")]
    Decryption,
    /// A pull-through cache's secret without `username` and `accessToken`.
    #[error("The secret {0} does not hold a JSON object with the keys username and accessToken.")]
    NotALogin(String),
    #[error(transparent)]
    Meta(#[from] MetaError),
}

/// The login a pull-through cache rule's secret holds: `{"username", "accessToken"}`.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpstreamLogin {
    pub username: String,
    pub access_token: String,
}

impl std::fmt::Debug for UpstreamLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamLogin")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// A secret with its versions.
#[derive(Debug, Clone)]
pub struct SecretInfo {
    pub secret: StoredSecret,
    pub versions: Vec<SecretVersion>,
}

/// A value read from a secret.
#[derive(Debug, Clone)]
pub struct ReadValue {
    pub secret: StoredSecret,
    pub version: SecretVersion,
    pub value: SecretValue,
}

/// What CreateSecret asks for.
#[derive(Debug, Clone)]
pub struct NewSecret {
    pub name: String,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    /// `[{"Key","Value"}]` as JSON.
    pub tags: String,
    pub value: Option<SecretValue>,
    pub version_id: String,
}

/// The ARN a new secret of `name` gets.
pub fn new_secret_arn(region: &str, account: &str, name: &str) -> String {
    format!(
        "arn:aws:secretsmanager:{region}:{account}:secret:{name}-{}",
        crate::keys::generate_secret_arn_suffix()
    )
}

impl Iam {
    fn seal_value(&self, value: &SecretValue) -> Result<NewVersionParts, SecretsError> {
        let (plain, is_binary) = match value {
            SecretValue::String(s) => (s.as_bytes(), false),
            SecretValue::Binary(b) => (b.as_slice(), true),
        };
        let sealed = self
            .master
            .seal(plain)
            .map_err(|_| SecretsError::Decryption)?;
        Ok(NewVersionParts { sealed, is_binary })
    }

    fn open_value(&self, v: &SecretVersion) -> Result<SecretValue, SecretsError> {
        let plain = self
            .master
            .open(&v.value_sealed)
            .map_err(|_| SecretsError::Decryption)?;
        if v.is_binary {
            Ok(SecretValue::Binary(plain))
        } else {
            String::from_utf8(plain)
                .map(SecretValue::String)
                .map_err(|_| SecretsError::Decryption)
        }
    }

    /// CreateSecret, as `arn` (see [`new_secret_arn`]).
    pub async fn create_secret(
        &self,
        account: &str,
        arn: &str,
        new: &NewSecret,
    ) -> Result<StoredSecret, SecretsError> {
        let now = berth_meta::now_millis();
        let secret = StoredSecret {
            arn: arn.to_string(),
            account_id: account.to_string(),
            name: new.name.clone(),
            description: new.description.clone(),
            kms_key_id: new.kms_key_id.clone(),
            tags: new.tags.clone(),
            created_at: now,
            changed_at: now,
            accessed_at: None,
            deleted_at: None,
        };
        let version = match &new.value {
            Some(v) => {
                let parts = self.seal_value(v)?;
                Some(NewVersion {
                    version_id: new.version_id.clone(),
                    is_binary: parts.is_binary,
                    value_sealed: parts.sealed,
                })
            }
            None => None,
        };
        self.meta.ensure_account(account).await?;
        match self.meta.create_secret(&secret, version.as_ref()).await {
            Ok(()) => Ok(secret),
            Err(MetaError::SecretExists) => Err(SecretsError::Exists(new.name.clone())),
            Err(e) => Err(e.into()),
        }
    }

    /// A secret of `account` by name or ARN, with its versions (a deleted one too).
    pub async fn describe_secret(
        &self,
        account: &str,
        id: &str,
    ) -> Result<SecretInfo, SecretsError> {
        let secret = self
            .meta
            .secret(account, id)
            .await?
            .filter(|s| s.deleted_at.is_none_or(|at| at > berth_meta::now_millis()))
            .ok_or(SecretsError::NotFound)?;
        let versions = self.meta.secret_versions(&secret.arn).await?;
        Ok(SecretInfo { secret, versions })
    }

    /// A live secret (not scheduled for deletion).
    async fn live_secret(&self, account: &str, id: &str) -> Result<SecretInfo, SecretsError> {
        let info = self.describe_secret(account, id).await?;
        if info.secret.deleted_at.is_some() {
            return Err(SecretsError::MarkedForDeletion);
        }
        Ok(info)
    }

    /// GetSecretValue: the version named by ID or stage (AWSCURRENT by default).
    pub async fn get_secret_value(
        &self,
        account: &str,
        id: &str,
        version_id: Option<&str>,
        stage: Option<&str>,
    ) -> Result<ReadValue, SecretsError> {
        let info = self.live_secret(account, id).await?;
        let want_stage = stage.unwrap_or(if version_id.is_some() {
            ""
        } else {
            SECRET_CURRENT
        });
        let version = info
            .versions
            .into_iter()
            .find(|v| {
                version_id.is_none_or(|id| v.version_id == id)
                    && (want_stage.is_empty() || v.stage.as_deref() == Some(want_stage))
            })
            .ok_or_else(|| SecretsError::NoValue(want_stage.to_string()))?;
        let value = self.open_value(&version)?;
        self.meta.secret_accessed(&info.secret.arn).await?;
        Ok(ReadValue {
            secret: info.secret,
            version,
            value,
        })
    }

    /// PutSecretValue: a new AWSCURRENT version. The same version ID with the same value again
    /// changes nothing (a retried request); with another value it is refused.
    pub async fn put_secret_value(
        &self,
        account: &str,
        id: &str,
        version_id: &str,
        value: &SecretValue,
    ) -> Result<(StoredSecret, SecretVersion), SecretsError> {
        let info = self.live_secret(account, id).await?;
        if let Some(existing) = info.versions.iter().find(|v| v.version_id == version_id) {
            return if &self.open_value(existing)? == value {
                Ok((info.secret, existing.clone()))
            } else {
                Err(SecretsError::VersionExists)
            };
        }
        let parts = self.seal_value(value)?;
        let new = NewVersion {
            version_id: version_id.to_string(),
            is_binary: parts.is_binary,
            value_sealed: parts.sealed,
        };
        match self.meta.put_secret_value(&info.secret.arn, &new).await {
            Ok(()) => {}
            Err(MetaError::SecretVersionExists) => return Err(SecretsError::VersionExists),
            Err(e) => return Err(e.into()),
        }
        let info = self.describe_secret(account, id).await?;
        let version = info
            .versions
            .into_iter()
            .find(|v| v.version_id == version_id)
            .ok_or(SecretsError::NotFound)?;
        Ok((info.secret, version))
    }

    /// ListSecrets: a page of an account's secrets by name.
    pub async fn list_secrets(
        &self,
        account: &str,
        include_deleted: bool,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<SecretInfo>, SecretsError> {
        let mut out = Vec::new();
        for secret in self
            .meta
            .list_secrets(account, include_deleted, after, limit)
            .await?
        {
            let versions = self.meta.secret_versions(&secret.arn).await?;
            out.push(SecretInfo { secret, versions });
        }
        Ok(out)
    }

    /// DeleteSecret: at once (`force`), or after a recovery window (7 to 30 days, 30 by
    /// default). The secret as it was, and its deletion date.
    pub async fn delete_secret(
        &self,
        account: &str,
        id: &str,
        window_days: Option<i64>,
        force: bool,
    ) -> Result<(StoredSecret, i64), SecretsError> {
        if force && window_days.is_some() {
            return Err(SecretsError::InvalidParameter(
                "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
                    .into(),
            ));
        }
        let days = window_days.unwrap_or(DEFAULT_RECOVERY_DAYS);
        if !force && !RECOVERY_DAYS.contains(&days) {
            return Err(SecretsError::InvalidParameter(
                "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).".into(),
            ));
        }
        let info = self.describe_secret(account, id).await?;
        let now = berth_meta::now_millis();
        if force {
            self.meta.delete_secret(&info.secret.arn).await?;
            return Ok((info.secret, now));
        }
        if let Some(at) = info.secret.deleted_at {
            // already scheduled: AWS answers with the date it has
            return Ok((info.secret, at));
        }
        let at = now + days * DAY_MS;
        self.meta
            .schedule_secret_deletion(&info.secret.arn, at)
            .await?;
        Ok((info.secret, at))
    }
}

impl Iam {
    /// The upstream login in secret `arn` of `account` (its current value), for the
    /// pull-through cache.
    pub async fn upstream_login(
        &self,
        account: &str,
        arn: &str,
    ) -> Result<UpstreamLogin, SecretsError> {
        let read = self.get_secret_value(account, arn, None, None).await?;
        let text = match &read.value {
            SecretValue::String(s) => s.as_str(),
            SecretValue::Binary(_) => "",
        };
        serde_json::from_str(text).map_err(|_| SecretsError::NotALogin(arn.to_string()))
    }
}

struct NewVersionParts {
    sealed: Vec<u8>,
    is_binary: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_end_in_six_characters_after_the_name() {
        let arn = new_secret_arn("us-east-1", "000000000000", "ecr-pullthroughcache/hub");
        let (head, suffix) = arn.rsplit_once('-').unwrap();
        assert_eq!(
            head,
            "arn:aws:secretsmanager:us-east-1:000000000000:secret:ecr-pullthroughcache/hub"
        );
        assert_eq!(suffix.len(), 6);
        assert!(suffix.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(
            arn,
            new_secret_arn("us-east-1", "000000000000", "ecr-pullthroughcache/hub")
        );
    }

    #[test]
    fn values_never_show_in_debug_output() {
        let v = SecretValue::String("hunter2".into());
        assert!(!format!("{v:?}").contains("hunter2"));
    }
}
