//! Vulnerability data: ImportVulnerabilityData (one file: OSV JSON or YAML, an all.zip,
//! Alpine secdb JSON, Debian OVAL XML or .bz2; `Data` in base64) and DescribeVulnerabilityData
//! (every import, and when the data last changed). The installation's admin only: the data
//! serves every account.

use base64::Engine;
use serde::Serialize;
use serde_json::Value;

use super::ctx::Ctx;
use crate::aws::{registry_error, reply, AwsError, Epoch};

/// ImportVulnerabilityData: `Name` and `Data`.
pub async fn import_vulnerability_data(c: &Ctx<'_>) -> Result<Value, AwsError> {
    c.installation_only()?;
    let name = c.params.name.as_deref().unwrap_or("upload");
    let data = c.params.data.as_deref().ok_or_else(|| {
        AwsError::new(
            "ValidationError",
            "Data (the file's bytes, in base64) is required",
        )
    })?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|_| AwsError::new("ValidationError", "Data is not base64"))?;
    let summary = c
        .registry
        .import_vulnerability_data(name, &bytes)
        .await
        .map_err(|e| match e {
            berth_registry::RegistryError::VulnerabilityData(m) => {
                AwsError::new("InvalidParameterException", m)
            }
            other => registry_error(other),
        })?;
    reply(ImportOutput {
        name: &summary.name,
        kind: summary.kind,
        sha256: &summary.sha256,
        records: summary.records,
        changed: summary.changed,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ImportOutput<'a> {
    name: &'a str,
    kind: &'a str,
    sha256: &'a str,
    records: usize,
    changed: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ImportShape {
    name: String,
    kind: String,
    sha256: String,
    records: i64,
    imported_at: Epoch,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeOutput {
    advisories: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated_at: Option<Epoch>,
    /// Seconds since the data last changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    age_seconds: Option<i64>,
    imports: Vec<ImportShape>,
}

/// DescribeVulnerabilityData: what is loaded and how old it is.
pub async fn describe_vulnerability_data(c: &Ctx<'_>) -> Result<Value, AwsError> {
    c.installation_only()?;
    c.registry
        .refresh_vulnerability_data()
        .await
        .map_err(registry_error)?;
    let imports = c
        .registry
        .meta()
        .vuln_imports()
        .await
        .map_err(|e| registry_error(e.into()))?;
    let data = c.registry.scanner().data();
    let updated_at = imports.iter().map(|i| i.imported_at).max();
    reply(DescribeOutput {
        advisories: data.db.len(),
        updated_at: updated_at.map(Epoch),
        age_seconds: updated_at.map(|t| (berth_meta::now_millis() - t) / 1000),
        imports: imports
            .into_iter()
            .map(|i| ImportShape {
                name: i.name,
                kind: i.kind,
                sha256: i.sha256,
                records: i.records,
                imported_at: Epoch(i.imported_at),
            })
            .collect(),
    })
}
