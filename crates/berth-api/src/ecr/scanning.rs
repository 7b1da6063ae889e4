//! Image scanning: StartImageScan, DescribeImageScanFindings, Get/PutRegistryScanningConfiguration,
//! BatchGetRepositoryScanningConfiguration (PutImageScanningConfiguration is with the
//! repositories). Scans run in the registry's worker; these only ask for them and read them.

use berth_meta::ScanStatus;
use berth_oci::RepositoryName;
use berth_registry::scanning::config::{
    RegistryScanning, RepositoryFilter, ScanFrequency, ScanType, ScanningRule,
};
use berth_registry::RegistryError;
use berth_scan::severity::Severity;
use berth_scan::Finding;
use serde_json::Value;

use super::ctx::{repository, Ctx};
use super::image_ids::{image_id, one_image};
use super::requests::{
    BatchGetRepositoryScanningConfigurationRequest, ImageScanRequest, NoMembers,
    PutRegistryScanningConfigurationRequest,
};
use super::scan_shapes::{
    BatchGetRepositoryScanningConfigurationResponse, CvssScore, DescribeImageScanFindingsResponse,
    EnhancedImageScanFinding, GetRegistryScanningConfigurationResponse, ImageScanFinding,
    ImageScanFindings, PackageVulnerabilityDetails, PutRegistryScanningConfigurationResponse,
    RegistryScanningConfiguration, RepositoryFilter as FilterOut, RepositoryScanningConfiguration,
    RepositoryScanningConfigurationFailure, StartImageScanResponse, VulnerablePackage,
};
use super::shapes::{ImageDetail as ImageDetailOut, ImageScanFindingsSummary, ImageScanStatus};
use crate::aws::registry_error as core_error;
use crate::aws::{next_token, read_token, reply, AwsError, Epoch, Input};

/// DescribeImages' `imageScanStatus` and `imageScanFindingsSummary` of the images scanned.
pub(super) async fn annotate(
    ctx: &Ctx<'_>,
    account: &str,
    name: &RepositoryName,
    details: &mut [ImageDetailOut<'_>],
) -> Result<(), AwsError> {
    if details.is_empty() {
        return Ok(());
    }
    let scans = ctx
        .state
        .registry
        .image_scans(account, name)
        .await
        .map_err(core_error)?;
    for d in details.iter_mut() {
        let Some(scan) = scans.iter().find(|s| s.digest == d.image_digest) else {
            continue;
        };
        d.image_scan_status = Some(ImageScanStatus::of(scan));
        if scan.status == ScanStatus::Complete {
            #[derive(serde::Deserialize)]
            struct Rated {
                severity: Severity,
            }
            let rated: Vec<Rated> =
                serde_json::from_str(scan.findings.as_deref().unwrap_or("[]")).unwrap_or_default();
            let mut counts = std::collections::BTreeMap::new();
            for r in rated {
                *counts.entry(r.severity.as_str().to_string()).or_insert(0) += 1;
            }
            d.image_scan_findings_summary = Some(ImageScanFindingsSummary {
                image_scan_completed_at: scan.completed_at.map(Epoch),
                vulnerability_source_updated_at: scan.data_updated_at.map(Epoch),
                finding_severity_counts: counts,
            });
        }
    }
    Ok(())
}

fn tag_of(raw: &Value) -> Option<&str> {
    raw.get("imageTag").and_then(Value::as_str)
}

pub async fn start_image_scan(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: ImageScanRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let raw = req.image_id.unwrap_or_default();
    let image = one_image(ctx, &account, &name, &raw).await?;
    let artifact = image
        .config_media_type
        .as_deref()
        .is_some_and(|c| !berth_oci::media_types::IMAGE_CONFIGS.contains(&c));
    if artifact {
        return Err(AwsError::new(
            "UnsupportedImageTypeException",
            "The image type is not supported",
        ));
    }
    let scan = ctx
        .state
        .registry
        .start_image_scan(&account, &name, &image.digest, true)
        .await
        .map_err(core_error)?;
    reply(StartImageScanResponse {
        registry_id: &account,
        repository_name: name.as_str(),
        image_id: image_id(&image.digest, tag_of(&raw)),
        image_scan_status: ImageScanStatus::of(&scan),
    })
}

/// Severities from the most to the least severe, as findings are listed.
fn rank(s: Severity) -> u8 {
    match s {
        Severity::Critical => 0,
        Severity::High => 1,
        Severity::Medium => 2,
        Severity::Low => 3,
        Severity::Informational => 4,
        Severity::Undefined => 5,
    }
}

fn enhanced(
    account: &str,
    arn_base: &str,
    completed: i64,
    f: &Finding,
) -> EnhancedImageScanFinding {
    let package_manager = match f.ecosystem.split(':').next().unwrap_or("") {
        "Alpine" => "OS",
        "Debian" | "Ubuntu" => "OS",
        "Go" => "GOBINARY",
        "crates.io" => "CARGO",
        "PyPI" => "PYTHONPKG",
        "npm" => "NODEPKG",
        "Maven" => "JAR",
        _ => "OS",
    };
    EnhancedImageScanFinding {
        aws_account_id: account.to_string(),
        description: f.summary.as_deref().map(str::to_string),
        finding_arn: format!("{arn_base}/{}/{}", f.id, f.package),
        first_observed_at: Epoch(completed),
        last_observed_at: Epoch(completed),
        updated_at: Epoch(completed),
        package_vulnerability_details: PackageVulnerabilityDetails {
            vulnerability_id: f.name.to_string(),
            source: f.ecosystem.to_string(),
            source_url: f.references.first().cloned(),
            vendor_severity: f.severity.as_str(),
            cvss: f
                .cvss
                .iter()
                .map(|c| CvssScore {
                    base_score: c.score,
                    scoring_vector: c.vector.clone(),
                    source: "OSV",
                    version: c.version().to_string(),
                })
                .collect(),
            reference_urls: f.references.to_vec(),
            related_vulnerabilities: if f.id != f.name {
                vec![f.id.to_string()]
            } else {
                Vec::new()
            },
            vulnerable_packages: vec![VulnerablePackage {
                name: f.package.to_string(),
                version: f.version.to_string(),
                fixed_in_version: f.fixed_in.as_deref().map(str::to_string),
                package_manager: package_manager.to_string(),
                source_layer_hash: None,
            }],
        },
        score: f.cvss.as_ref().map(|c| c.score),
        severity: f.severity.as_str(),
        status: "ACTIVE",
        title: format!("{} - {}", f.name, f.package),
        kind: "PACKAGE_VULNERABILITY",
        fix_available: if f.fixed_in.is_some() { "YES" } else { "NO" },
    }
}

pub async fn describe_image_scan_findings(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: ImageScanRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let raw = req.image_id.unwrap_or_default();
    let image = one_image(ctx, &account, &name, &raw).await?;
    let registry = &ctx.state.registry;
    let scan = registry
        .image_scan(&account, &name, &image.digest)
        .await
        .map_err(core_error)?
        .ok_or_else(|| {
            core_error(RegistryError::ScanNotFound {
                digest: image.digest.to_string(),
                repository: name.to_string(),
                account: account.clone(),
            })
        })?;
    let respond = |findings, next_token| {
        reply(DescribeImageScanFindingsResponse {
            registry_id: &account,
            repository_name: name.as_str(),
            image_id: image_id(&image.digest, tag_of(&raw)),
            image_scan_status: ImageScanStatus::of(&scan),
            image_scan_findings: findings,
            next_token,
        })
    };
    if scan.status != ScanStatus::Complete {
        return respond(None, None);
    }
    let mut all: Vec<Finding> = serde_json::from_str(scan.findings.as_deref().unwrap_or("[]"))
        .map_err(|e| AwsError::server(format!("stored findings: {e}")))?;
    all.sort_by(|a, b| {
        (rank(a.severity), &a.name, &a.package).cmp(&(rank(b.severity), &b.name, &b.package))
    });
    let mut counts = std::collections::BTreeMap::new();
    for f in &all {
        *counts.entry(f.severity.as_str()).or_insert(0u64) += 1;
    }
    let start: usize = match req.next_token {
        Some(t) => read_token("DescribeImageScanFindings", &t)?
            .parse()
            .map_err(|_| {
                AwsError::new(
                    "InvalidParameterException",
                    "Invalid parameter at 'nextToken'",
                )
            })?,
        None => 0,
    };
    let max = req.max_results.unwrap_or(100) as usize;
    let page: Vec<&Finding> = all.iter().skip(start).take(max).collect();
    let next = (start + page.len() < all.len()).then(|| {
        next_token(
            "DescribeImageScanFindings",
            &(start + page.len()).to_string(),
        )
    });
    let scan_type = registry
        .registry_scanning(&account)
        .await
        .map_err(core_error)?
        .scan_type;
    let completed = scan.completed_at.unwrap_or(scan.requested_at);
    let (findings, enhanced_findings) = match scan_type {
        ScanType::Basic => (
            Some(page.iter().map(|f| ImageScanFinding::of(f)).collect()),
            None,
        ),
        ScanType::Enhanced => {
            let arn = format!("arn:aws:inspector2:{}:{account}:finding", ctx.region());
            (
                None,
                Some(
                    page.iter()
                        .map(|f| enhanced(&account, &arn, completed, f))
                        .collect(),
                ),
            )
        }
    };
    respond(
        Some(ImageScanFindings {
            image_scan_completed_at: scan.completed_at.map(Epoch),
            vulnerability_source_updated_at: scan.data_updated_at.map(Epoch),
            finding_severity_counts: counts,
            findings,
            enhanced_findings,
        }),
        next,
    )
}

pub async fn get_registry_scanning_configuration(
    ctx: &Ctx<'_>,
    inp: Input,
) -> Result<Value, AwsError> {
    let _: NoMembers = inp.request()?;
    let account = ctx.account();
    let c = ctx
        .state
        .registry
        .registry_scanning(account)
        .await
        .map_err(core_error)?;
    reply(GetRegistryScanningConfigurationResponse {
        registry_id: account,
        scanning_configuration: RegistryScanningConfiguration::of(&c),
    })
}

pub async fn put_registry_scanning_configuration(
    ctx: &Ctx<'_>,
    inp: Input,
) -> Result<Value, AwsError> {
    let req: PutRegistryScanningConfigurationRequest = inp.request()?;
    // both checked against their enumerations by the request
    let scan_type = req
        .scan_type
        .as_deref()
        .and_then(ScanType::parse)
        .unwrap_or_default();
    let rules = req
        .rules
        .unwrap_or_default()
        .into_iter()
        .map(|r| ScanningRule {
            scan_frequency: r
                .scan_frequency
                .as_deref()
                .and_then(ScanFrequency::parse)
                .unwrap_or(ScanFrequency::Manual),
            repository_filters: r
                .repository_filters
                .unwrap_or_default()
                .into_iter()
                .map(|f| RepositoryFilter {
                    filter: f.filter.unwrap_or_default(),
                    filter_type: f.filter_type.unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    let c = RegistryScanning { scan_type, rules };
    ctx.state
        .registry
        .put_registry_scanning(ctx.account(), &c)
        .await
        .map_err(core_error)?;
    reply(PutRegistryScanningConfigurationResponse {
        registry_scanning_configuration: RegistryScanningConfiguration::of(&c),
    })
}

pub async fn batch_get_repository_scanning_configuration(
    ctx: &Ctx<'_>,
    inp: Input,
) -> Result<Value, AwsError> {
    let req: BatchGetRepositoryScanningConfigurationRequest = inp.request()?;
    let account = ctx.account().to_string();
    let registry = &ctx.state.registry;
    let config = registry
        .registry_scanning(&account)
        .await
        .map_err(core_error)?;
    let names = req.repository_names.unwrap_or_default();
    let mut found = Vec::new();
    let mut failures = Vec::new();
    for raw in &names {
        let name = repository(&Some(raw.clone()))?;
        match registry.repository(&account, &name).await {
            Ok(repo) => {
                let by_rules = config.frequency(raw);
                let frequency = match (by_rules, repo.scan_on_push) {
                    (Some(f), _) => f.as_str(),
                    (None, true) => "SCAN_ON_PUSH",
                    (None, false) => "MANUAL",
                };
                let applied = config
                    .rules
                    .iter()
                    .filter(|r| Some(r.scan_frequency) == by_rules && r.applies_to(raw))
                    .flat_map(|r| &r.repository_filters)
                    .map(|f| FilterOut {
                        filter: &f.filter,
                        filter_type: &f.filter_type,
                    })
                    .collect();
                found.push(RepositoryScanningConfiguration {
                    repository_arn: ctx.repository_arn(&account, raw),
                    repository_name: raw,
                    scan_on_push: repo.scan_on_push || by_rules.is_some(),
                    scan_frequency: frequency,
                    applied_scan_filters: applied,
                });
            }
            Err(RegistryError::NameUnknown { .. }) => {
                failures.push(RepositoryScanningConfigurationFailure {
                    repository_name: raw,
                    failure_code: "REPOSITORY_NOT_FOUND",
                    failure_reason: "REPOSITORY_NOT_FOUND".into(),
                })
            }
            Err(e) => return Err(core_error(e)),
        }
    }
    reply(BatchGetRepositoryScanningConfigurationResponse {
        scanning_configurations: found,
        failures,
    })
}
