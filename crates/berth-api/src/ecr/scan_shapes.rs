//! The output shapes of the scanning operations: scan status, BASIC findings (`findings`) and
//! Inspector-style ENHANCED findings (`enhancedFindings`), registry and repository scanning
//! configurations.

use std::collections::BTreeMap;

use berth_registry::scanning::config::RegistryScanning;
use berth_scan::Finding;
use serde::Serialize;

use super::shapes::{ImageIdentifier, ImageScanStatus};
use crate::aws::Epoch;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartImageScanResponse<'a> {
    pub registry_id: &'a str,
    pub repository_name: &'a str,
    pub image_id: ImageIdentifier,
    pub image_scan_status: ImageScanStatus,
}

#[derive(Debug, Serialize)]
pub struct Attribute {
    pub key: &'static str,
    pub value: String,
}

/// A BASIC finding.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageScanFinding {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    pub severity: &'static str,
    pub attributes: Vec<Attribute>,
}

/// The page where a finding's advisory is described.
fn uri(f: &Finding) -> Option<String> {
    if f.name.starts_with("CVE-") {
        return Some(format!("https://nvd.nist.gov/vuln/detail/{}", f.name));
    }
    f.references.first().cloned()
}

impl ImageScanFinding {
    pub fn of(f: &Finding) -> ImageScanFinding {
        let mut attributes = vec![
            Attribute {
                key: "package_version",
                value: f.version.to_string(),
            },
            Attribute {
                key: "package_name",
                value: f.package.to_string(),
            },
        ];
        if let Some(c) = &f.cvss {
            // ECR's keys for v3; the same shape for v4 (Berth's)
            let v4 = c.version().starts_with('4');
            attributes.push(Attribute {
                key: if v4 { "CVSS4_VECTOR" } else { "CVSS3_VECTOR" },
                value: c.vector.clone(),
            });
            attributes.push(Attribute {
                key: if v4 { "CVSS4_SCORE" } else { "CVSS3_SCORE" },
                value: c.score.to_string(),
            });
        }
        ImageScanFinding {
            name: f.name.to_string(),
            description: f.summary.as_deref().map(str::to_string),
            uri: uri(f),
            severity: f.severity.as_str(),
            attributes,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CvssScore {
    pub base_score: f64,
    pub scoring_vector: String,
    pub source: &'static str,
    pub version: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VulnerablePackage {
    pub name: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_in_version: Option<String>,
    pub package_manager: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_layer_hash: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageVulnerabilityDetails {
    pub vulnerability_id: String,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    pub vendor_severity: &'static str,
    pub cvss: Vec<CvssScore>,
    pub reference_urls: Vec<String>,
    pub related_vulnerabilities: Vec<String>,
    pub vulnerable_packages: Vec<VulnerablePackage>,
}

/// An ENHANCED finding, as Inspector-backed ECR answers it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnhancedImageScanFinding {
    pub aws_account_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub finding_arn: String,
    pub first_observed_at: Epoch,
    pub last_observed_at: Epoch,
    pub updated_at: Epoch,
    pub package_vulnerability_details: PackageVulnerabilityDetails,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    pub severity: &'static str,
    pub status: &'static str,
    pub title: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub fix_available: &'static str,
}

/// What one image's findings answer: severity counts over all, and one page.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageScanFindings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_scan_completed_at: Option<Epoch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vulnerability_source_updated_at: Option<Epoch>,
    pub finding_severity_counts: BTreeMap<&'static str, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<Vec<ImageScanFinding>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enhanced_findings: Option<Vec<EnhancedImageScanFinding>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeImageScanFindingsResponse<'a> {
    pub registry_id: &'a str,
    pub repository_name: &'a str,
    pub image_id: ImageIdentifier,
    pub image_scan_status: ImageScanStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_scan_findings: Option<ImageScanFindings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryFilter<'a> {
    pub filter: &'a str,
    pub filter_type: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanningRule<'a> {
    pub scan_frequency: &'static str,
    pub repository_filters: Vec<RepositoryFilter<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryScanningConfiguration<'a> {
    pub scan_type: &'static str,
    pub rules: Vec<ScanningRule<'a>>,
}

impl<'a> RegistryScanningConfiguration<'a> {
    pub fn of(c: &'a RegistryScanning) -> Self {
        RegistryScanningConfiguration {
            scan_type: c.scan_type.as_str(),
            rules: c
                .rules
                .iter()
                .map(|r| ScanningRule {
                    scan_frequency: r.scan_frequency.as_str(),
                    repository_filters: r
                        .repository_filters
                        .iter()
                        .map(|f| RepositoryFilter {
                            filter: &f.filter,
                            filter_type: &f.filter_type,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetRegistryScanningConfigurationResponse<'a> {
    pub registry_id: &'a str,
    pub scanning_configuration: RegistryScanningConfiguration<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PutRegistryScanningConfigurationResponse<'a> {
    pub registry_scanning_configuration: RegistryScanningConfiguration<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryScanningConfiguration<'a> {
    pub repository_arn: String,
    pub repository_name: &'a str,
    pub scan_on_push: bool,
    pub scan_frequency: &'static str,
    pub applied_scan_filters: Vec<RepositoryFilter<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryScanningConfigurationFailure<'a> {
    pub repository_name: &'a str,
    pub failure_code: &'static str,
    pub failure_reason: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetRepositoryScanningConfigurationResponse<'a> {
    pub scanning_configurations: Vec<RepositoryScanningConfiguration<'a>>,
    pub failures: Vec<RepositoryScanningConfigurationFailure<'a>>,
}
