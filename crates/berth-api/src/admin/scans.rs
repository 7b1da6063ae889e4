//! An image's SBOM and scan report, and attaching either to the image as an OCI referrer:
//! ExportSbom (`Format` cyclonedx or spdx) and ExportScanReport, each with `Attach`. Beyond
//! ECR, which exports SBOMs only through Inspector to S3.

use berth_oci::{Reference, RepositoryName};
use berth_scan::sbom::{self, Format, Subject};
use serde_json::{json, Value};

use super::ctx::{required, Ctx};
use crate::authz::iso8601;
use crate::aws::{registry_error, AwsError};

/// The scan report's media type (an artifact's `artifactType`).
pub const SCAN_REPORT_TYPE: &str = "application/vnd.berth.scan-report.v1+json";

fn image(c: &Ctx<'_>) -> Result<(RepositoryName, Reference), AwsError> {
    let repo = required(&c.params.repository, "repositoryName")?;
    let name = repo.parse::<RepositoryName>().map_err(|_| {
        AwsError::new(
            "ValidationError",
            format!("'{repo}' is not a repository name"),
        )
    })?;
    let reference = c.params.image_reference.as_deref().unwrap_or("latest");
    let reference = reference.parse::<Reference>().map_err(|_| {
        AwsError::new(
            "ValidationError",
            format!("'{reference}' is not a tag or digest"),
        )
    })?;
    Ok((name, reference))
}

/// Attach `document` when asked; the output, with the referrer's digest when attached.
async fn output(
    c: &Ctx<'_>,
    name: &RepositoryName,
    digest: &berth_oci::Digest,
    media_type: &str,
    document: Value,
    created: &str,
) -> Result<Value, AwsError> {
    let mut out = json!({
        "ImageDigest": digest.to_string(),
        "MediaType": media_type,
        "Document": document,
    });
    if c.params.attach {
        let bytes =
            serde_json::to_vec(&out["Document"]).map_err(|e| AwsError::server(e.to_string()))?;
        let referrer = c
            .registry
            .attach_document(&c.account, name, digest, media_type, bytes, created)
            .await
            .map_err(registry_error)?;
        out["ReferrerDigest"] = json!(referrer.to_string());
    }
    Ok(out)
}

/// ExportSbom: the packages of an image as CycloneDX 1.5 or SPDX 2.3 JSON.
pub async fn export_sbom(c: &Ctx<'_>) -> Result<Value, AwsError> {
    let (name, reference) = image(c)?;
    let format = c.params.format.as_deref().unwrap_or("cyclonedx");
    let format = Format::parse(format).ok_or_else(|| {
        AwsError::new(
            "ValidationError",
            format!("Format '{format}' is not one of cyclonedx, spdx"),
        )
    })?;
    let (digest, inventory) = c
        .registry
        .image_contents(&c.account, &name, &reference)
        .await
        .map_err(registry_error)?;
    let created = iso8601(berth_meta::now_millis() / 1000);
    let id = uuid::Uuid::new_v4().to_string();
    let title = format!("{name}:{reference}");
    let document = sbom::document(
        format,
        &inventory,
        &Subject {
            name: &title,
            digest: &digest.to_string(),
            created: &created,
            id: &id,
            tool: "berth",
            tool_version: env!("CARGO_PKG_VERSION"),
        },
    );
    output(c, &name, &digest, format.media_type(), document, &created).await
}

/// ExportScanReport: an image's last scan (status, the data it used, every finding).
pub async fn export_scan_report(c: &Ctx<'_>) -> Result<Value, AwsError> {
    let (name, reference) = image(c)?;
    let digest = c
        .registry
        .manifest(&c.account, &name, &reference, false)
        .await
        .map_err(registry_error)?
        .digest;
    let scan = c
        .registry
        .image_scan(&c.account, &name, &digest)
        .await
        .map_err(registry_error)?
        .ok_or_else(|| {
            registry_error(berth_registry::RegistryError::ScanNotFound {
                digest: digest.to_string(),
                repository: name.to_string(),
                account: c.account.clone(),
            })
        })?;
    let findings: Value = match &scan.findings {
        Some(f) => serde_json::from_str(f).map_err(|e| AwsError::server(e.to_string()))?,
        None => json!([]),
    };
    let created = iso8601(berth_meta::now_millis() / 1000);
    let document = json!({
        "repositoryName": name.to_string(),
        "imageDigest": digest.to_string(),
        "imageScanStatus": {"status": scan.status.to_string(), "description": scan.description},
        "imageScanCompletedAt": scan.completed_at.map(|t| iso8601(t / 1000)),
        "vulnerabilitySourceUpdatedAt": scan.data_updated_at.map(|t| iso8601(t / 1000)),
        "findings": findings,
    });
    output(c, &name, &digest, SCAN_REPORT_TYPE, document, &created).await
}
