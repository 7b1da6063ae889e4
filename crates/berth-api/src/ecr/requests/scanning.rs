//! Requests of StartImageScan, DescribeImageScanFindings, Put/GetRegistryScanningConfiguration
//! and BatchGetRepositoryScanningConfiguration.

use serde::Deserialize;
use serde_json::Value;

use super::{check_repository_name, check_target};
use crate::aws::{Checks, Request};
use crate::ecr::image_ids::check_ids;

/// StartImageScan and DescribeImageScanFindings: one image of a repository.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageScanRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub image_id: Option<Value>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
}

impl Request for ImageScanRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.required("imageId", self.image_id.as_ref());
        if let Some(id) = &self.image_id {
            check_ids(c, "imageId", Some(std::slice::from_ref(id)), 1);
        }
        c.range("maxResults", self.max_results, 1, 1000);
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryFilterIn {
    pub filter: Option<String>,
    pub filter_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanningRuleIn {
    pub scan_frequency: Option<String>,
    pub repository_filters: Option<Vec<RepositoryFilterIn>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutRegistryScanningConfigurationRequest {
    pub scan_type: Option<String>,
    pub rules: Option<Vec<ScanningRuleIn>>,
}

impl Request for PutRegistryScanningConfigurationRequest {
    fn check(&self, c: &mut Checks) {
        c.one_of(
            "scanType",
            self.scan_type.as_deref(),
            &["BASIC", "ENHANCED"],
        );
        c.count("rules", self.rules.as_deref(), 0, 2);
        for (i, r) in self.rules.iter().flatten().enumerate() {
            let at = format!("rules.{}.member", i + 1);
            c.required(&format!("{at}.scanFrequency"), r.scan_frequency.as_ref());
            c.one_of(
                &format!("{at}.scanFrequency"),
                r.scan_frequency.as_deref(),
                &["SCAN_ON_PUSH", "CONTINUOUS_SCAN", "MANUAL"],
            );
            c.required(
                &format!("{at}.repositoryFilters"),
                r.repository_filters.as_ref(),
            );
            c.count(
                &format!("{at}.repositoryFilters"),
                r.repository_filters.as_deref(),
                0,
                100,
            );
            for (j, f) in r.repository_filters.iter().flatten().enumerate() {
                let fat = format!("{at}.repositoryFilters.{}.member", j + 1);
                c.required_length(&format!("{fat}.filter"), f.filter.as_deref(), 1, 256);
                c.required(&format!("{fat}.filterType"), f.filter_type.as_ref());
                c.one_of(
                    &format!("{fat}.filterType"),
                    f.filter_type.as_deref(),
                    &["WILDCARD"],
                );
            }
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetRepositoryScanningConfigurationRequest {
    pub repository_names: Option<Vec<String>>,
}

impl Request for BatchGetRepositoryScanningConfigurationRequest {
    fn check(&self, c: &mut Checks) {
        c.required("repositoryNames", self.repository_names.as_ref());
        c.count("repositoryNames", self.repository_names.as_deref(), 1, 25);
        for (i, n) in self.repository_names.iter().flatten().enumerate() {
            check_repository_name(c, &format!("repositoryNames.{}.member", i + 1), Some(n));
        }
    }
}
