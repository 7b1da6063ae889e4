//! The requests of the Secrets Manager operations Berth serves, with the model's constraints.

use base64::Engine;
use serde::Deserialize;

use crate::aws::{AwsError, Checks, Request};

/// `{"Key","Value"}`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct TagIn {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value", default)]
    pub value: String,
}

fn check_value(c: &mut Checks, string: Option<&str>, binary: Option<&str>) {
    c.length("secretString", string, 1, 65536);
    c.length("secretBinary", binary, 1, 87384);
    if string.is_some() && binary.is_some() {
        c.fail(AwsError::new(
            "InvalidParameterException",
            "You can't specify both a binary secret value and a string secret value in the same secret.",
        ));
    }
    if let Some(b) = binary {
        if base64::engine::general_purpose::STANDARD.decode(b).is_err() {
            c.fail(AwsError::serialization(
                "Value for SecretBinary is not valid base64",
            ));
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateSecretRequest {
    pub name: Option<String>,
    pub client_request_token: Option<String>,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    pub secret_binary: Option<String>,
    pub secret_string: Option<String>,
    #[serde(default)]
    pub tags: Vec<TagIn>,
}

/// The characters a secret's name may have (AWS: letters, digits and `/_+=.@-`).
fn valid_name(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/_+=.@-".contains(&b))
}

impl Request for CreateSecretRequest {
    fn check(&self, c: &mut Checks) {
        c.required("name", self.name.as_ref());
        c.length("name", self.name.as_deref(), 1, 512);
        c.length(
            "clientRequestToken",
            self.client_request_token.as_deref(),
            32,
            64,
        );
        c.length("description", self.description.as_deref(), 0, 2048);
        c.length("kmsKeyId", self.kms_key_id.as_deref(), 0, 2048);
        check_value(
            c,
            self.secret_string.as_deref(),
            self.secret_binary.as_deref(),
        );
        if self.name.as_deref().is_some_and(|n| !valid_name(n)) {
            c.fail(AwsError::new(
                "InvalidParameterException",
                "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!",
            ));
        }
    }
}

/// A member that names a secret: `SecretId` (its name or ARN).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretIdRequest {
    pub secret_id: Option<String>,
}

impl Request for SecretIdRequest {
    fn check(&self, c: &mut Checks) {
        c.required("secretId", self.secret_id.as_ref());
        c.length("secretId", self.secret_id.as_deref(), 1, 2048);
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetSecretValueRequest {
    pub secret_id: Option<String>,
    pub version_id: Option<String>,
    pub version_stage: Option<String>,
}

impl Request for GetSecretValueRequest {
    fn check(&self, c: &mut Checks) {
        c.required("secretId", self.secret_id.as_ref());
        c.length("secretId", self.secret_id.as_deref(), 1, 2048);
        c.length("versionId", self.version_id.as_deref(), 32, 64);
        c.length("versionStage", self.version_stage.as_deref(), 1, 256);
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutSecretValueRequest {
    pub secret_id: Option<String>,
    pub client_request_token: Option<String>,
    pub secret_binary: Option<String>,
    pub secret_string: Option<String>,
    pub version_stages: Option<Vec<String>>,
}

impl Request for PutSecretValueRequest {
    fn check(&self, c: &mut Checks) {
        c.required("secretId", self.secret_id.as_ref());
        c.length("secretId", self.secret_id.as_deref(), 1, 2048);
        c.length(
            "clientRequestToken",
            self.client_request_token.as_deref(),
            32,
            64,
        );
        check_value(
            c,
            self.secret_string.as_deref(),
            self.secret_binary.as_deref(),
        );
        if self.secret_string.is_none() && self.secret_binary.is_none() {
            c.fail(AwsError::new(
                "InvalidRequestException",
                "You must provide either SecretString or SecretBinary.",
            ));
        }
        if self
            .version_stages
            .as_ref()
            .is_some_and(|s| s.iter().any(|s| s != berth_meta::SECRET_CURRENT))
        {
            c.fail(AwsError::new(
                "InvalidParameterException",
                "Berth keeps the AWSCURRENT and AWSPREVIOUS stages only: VersionStages may name AWSCURRENT alone.",
            ));
        }
    }
}

/// One of ListSecrets' filters.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Filter {
    pub key: Option<String>,
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecretsRequest {
    #[serde(default)]
    pub include_planned_deletion: bool,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
    #[serde(default)]
    pub filters: Vec<Filter>,
    pub sort_order: Option<String>,
    pub sort_by: Option<String>,
}

pub const FILTER_KEYS: &[&str] = &[
    "description",
    "name",
    "tag-key",
    "tag-value",
    "primary-region",
    "owning-service",
    "all",
];

impl Request for ListSecretsRequest {
    fn check(&self, c: &mut Checks) {
        c.range("maxResults", self.max_results, 1, 100);
        c.length("nextToken", self.next_token.as_deref(), 1, 4096);
        c.count("filters", Some(self.filters.as_slice()), 0, 10);
        for (i, f) in self.filters.iter().enumerate() {
            c.one_of(
                &format!("filters.{}.member.key", i + 1),
                f.key.as_deref(),
                FILTER_KEYS,
            );
        }
        c.one_of("sortOrder", self.sort_order.as_deref(), &["asc", "desc"]);
        c.one_of(
            "sortBy",
            self.sort_by.as_deref(),
            &[
                "created-date",
                "last-accessed-date",
                "last-changed-date",
                "name",
            ],
        );
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteSecretRequest {
    pub secret_id: Option<String>,
    pub recovery_window_in_days: Option<i64>,
    #[serde(default)]
    pub force_delete_without_recovery: bool,
}

impl Request for DeleteSecretRequest {
    fn check(&self, c: &mut Checks) {
        c.required("secretId", self.secret_id.as_ref());
        c.length("secretId", self.secret_id.as_deref(), 1, 2048);
    }
}
