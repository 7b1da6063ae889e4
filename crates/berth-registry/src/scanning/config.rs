//! An account's registry scanning configuration (PutRegistryScanningConfiguration): BASIC or
//! ENHANCED, and rules that say which repositories are scanned on push or continuously
//! (rescanned when the vulnerability data changes), by wildcard filters on their names.

use serde::{Deserialize, Serialize};

use crate::wildcard::wildcard_match;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ScanType {
    #[default]
    #[serde(rename = "BASIC")]
    Basic,
    #[serde(rename = "ENHANCED")]
    Enhanced,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScanFrequency {
    #[serde(rename = "SCAN_ON_PUSH")]
    ScanOnPush,
    #[serde(rename = "CONTINUOUS_SCAN")]
    Continuous,
    #[serde(rename = "MANUAL")]
    Manual,
}

impl ScanType {
    /// ECR's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ScanType::Basic => "BASIC",
            ScanType::Enhanced => "ENHANCED",
        }
    }

    pub fn parse(s: &str) -> Option<ScanType> {
        [ScanType::Basic, ScanType::Enhanced]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

impl ScanFrequency {
    /// ECR's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ScanFrequency::ScanOnPush => "SCAN_ON_PUSH",
            ScanFrequency::Continuous => "CONTINUOUS_SCAN",
            ScanFrequency::Manual => "MANUAL",
        }
    }

    pub fn parse(s: &str) -> Option<ScanFrequency> {
        [
            ScanFrequency::ScanOnPush,
            ScanFrequency::Continuous,
            ScanFrequency::Manual,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryFilter {
    pub filter: String,
    #[serde(rename = "filterType")]
    pub filter_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanningRule {
    #[serde(rename = "scanFrequency")]
    pub scan_frequency: ScanFrequency,
    #[serde(rename = "repositoryFilters")]
    pub repository_filters: Vec<RepositoryFilter>,
}

impl ScanningRule {
    pub fn applies_to(&self, repository: &str) -> bool {
        self.repository_filters
            .iter()
            .any(|f| wildcard_match(f.filter.as_bytes(), repository.as_bytes()))
    }
}

/// An account's configuration; the default is BASIC without rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistryScanning {
    pub scan_type: ScanType,
    pub rules: Vec<ScanningRule>,
}

impl RegistryScanning {
    /// The frequency the rules give a repository (continuous scanning includes scan on push).
    pub fn frequency(&self, repository: &str) -> Option<ScanFrequency> {
        let applying = |f: ScanFrequency| {
            self.rules
                .iter()
                .any(|r| r.scan_frequency == f && r.applies_to(repository))
        };
        [ScanFrequency::Continuous, ScanFrequency::ScanOnPush]
            .into_iter()
            .find(|f| applying(*f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_apply_by_wildcard() {
        let c = RegistryScanning {
            scan_type: ScanType::Basic,
            rules: vec![
                ScanningRule {
                    scan_frequency: ScanFrequency::ScanOnPush,
                    repository_filters: vec![RepositoryFilter {
                        filter: "*".into(),
                        filter_type: "WILDCARD".into(),
                    }],
                },
                ScanningRule {
                    scan_frequency: ScanFrequency::Continuous,
                    repository_filters: vec![RepositoryFilter {
                        filter: "prod/*".into(),
                        filter_type: "WILDCARD".into(),
                    }],
                },
            ],
        };
        assert_eq!(c.frequency("prod/api"), Some(ScanFrequency::Continuous));
        assert_eq!(c.frequency("dev/api"), Some(ScanFrequency::ScanOnPush));
        assert_eq!(RegistryScanning::default().frequency("x"), None);
    }
}
