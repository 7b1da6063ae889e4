//! Requests of PutReplicationConfiguration (DescribeRegistry has no members).

use berth_registry::replication::config::{
    DeleteReplication, ReplicationConfiguration, ReplicationDestination, ReplicationRule,
    RepositoryFilter,
};
use serde::Deserialize;

use super::repositories::FilterIn;
use crate::aws::{Checks, Request};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DestinationIn {
    pub region: Option<String>,
    pub registry_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DeleteReplicationIn {
    pub enabled: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleIn {
    pub destinations: Option<Vec<DestinationIn>>,
    pub repository_filters: Option<Vec<FilterIn>>,
    pub delete_replication: Option<DeleteReplicationIn>,
}

#[derive(Debug, Deserialize)]
pub struct ConfigurationIn {
    pub rules: Option<Vec<RuleIn>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutReplicationConfigurationRequest {
    pub replication_configuration: Option<ConfigurationIn>,
}

/// The model's `ReplicationDestination` constraints.
pub fn check_destination(c: &mut Checks, at: &str, d: &DestinationIn) {
    c.required_length(&format!("{at}.region"), d.region.as_deref(), 2, 25);
    c.required(&format!("{at}.registryId"), d.registry_id.as_ref());
    if let Some(id) = d.registry_id.as_deref() {
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            c.problem(format!(
                "Value '{id}' at '{at}.registryId' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9]{{12}}"
            ));
        }
    }
}

impl Request for PutReplicationConfigurationRequest {
    fn check(&self, c: &mut Checks) {
        c.required(
            "replicationConfiguration",
            self.replication_configuration.as_ref(),
        );
        let Some(config) = &self.replication_configuration else {
            return;
        };
        c.required("replicationConfiguration.rules", config.rules.as_ref());
        c.count(
            "replicationConfiguration.rules",
            config.rules.as_deref(),
            0,
            25,
        );
        for (i, rule) in config.rules.iter().flatten().enumerate() {
            let at = format!("replicationConfiguration.rules.{}.member", i + 1);
            c.required(&format!("{at}.destinations"), rule.destinations.as_ref());
            c.count(
                &format!("{at}.destinations"),
                rule.destinations.as_deref(),
                0,
                100,
            );
            for (j, d) in rule.destinations.iter().flatten().enumerate() {
                check_destination(c, &format!("{at}.destinations.{}.member", j + 1), d);
            }
            c.count(
                &format!("{at}.repositoryFilters"),
                rule.repository_filters.as_deref(),
                1,
                100,
            );
            for (j, f) in rule.repository_filters.iter().flatten().enumerate() {
                let at = format!("{at}.repositoryFilters.{}.member", j + 1);
                c.required_length(&format!("{at}.filter"), f.filter.as_deref(), 2, 256);
                c.required(&format!("{at}.filterType"), f.filter_type.as_ref());
                c.one_of(
                    &format!("{at}.filterType"),
                    f.filter_type.as_deref(),
                    &["PREFIX_MATCH"],
                );
            }
            if let Some(d) = &rule.delete_replication {
                c.required(
                    &format!("{at}.deleteReplication.enabled"),
                    d.enabled.as_ref(),
                );
            }
        }
    }
}

impl PutReplicationConfigurationRequest {
    /// The configuration (members checked present).
    pub fn configuration(&self) -> ReplicationConfiguration {
        let rules = self
            .replication_configuration
            .iter()
            .flat_map(|c| c.rules.iter().flatten())
            .map(|r| ReplicationRule {
                destinations: r
                    .destinations
                    .iter()
                    .flatten()
                    .map(|d| ReplicationDestination {
                        region: d.region.clone().unwrap_or_default(),
                        registry_id: d.registry_id.clone().unwrap_or_default(),
                    })
                    .collect(),
                repository_filters: r
                    .repository_filters
                    .iter()
                    .flatten()
                    .map(|f| RepositoryFilter {
                        filter: f.filter.clone().unwrap_or_default(),
                        filter_type: f.filter_type.clone().unwrap_or_default(),
                    })
                    .collect(),
                delete_replication: r.delete_replication.as_ref().map(|d| DeleteReplication {
                    enabled: d.enabled.unwrap_or(false),
                }),
            })
            .collect();
        ReplicationConfiguration { rules }
    }
}

/// `ReplicationBackfillId`: a UUID.
fn check_backfill_id(c: &mut Checks, v: Option<&str>) {
    c.required("replicationBackfillId", v);
    if let Some(id) = v.filter(|id| uuid::Uuid::parse_str(id).is_err() || id.len() != 36) {
        c.problem(format!(
            "Value '{id}' at 'replicationBackfillId' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-fA-F]{{8}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{12}}"
        ));
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartReplicationBackfillRequest {
    pub registry_id: Option<String>,
    pub destination: Option<DestinationIn>,
}

impl Request for StartReplicationBackfillRequest {
    fn check(&self, c: &mut Checks) {
        super::check_registry_id(c, self.registry_id.as_deref());
        c.required("destination", self.destination.as_ref());
        if let Some(d) = &self.destination {
            check_destination(c, "destination", d);
        }
    }
}

/// StopReplicationBackfill.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackfillRequest {
    pub registry_id: Option<String>,
    pub replication_backfill_id: Option<String>,
}

impl Request for BackfillRequest {
    fn check(&self, c: &mut Checks) {
        super::check_registry_id(c, self.registry_id.as_deref());
        check_backfill_id(c, self.replication_backfill_id.as_deref());
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListReplicationBackfillsRequest {
    pub registry_id: Option<String>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
}

impl Request for ListReplicationBackfillsRequest {
    fn check(&self, c: &mut Checks) {
        super::check_registry_id(c, self.registry_id.as_deref());
        c.range("maxResults", self.max_results, 1, 50);
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackfillResultsRequest {
    pub registry_id: Option<String>,
    pub replication_backfill_id: Option<String>,
    pub result_status_filter: Option<String>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
}

impl Request for BackfillResultsRequest {
    fn check(&self, c: &mut Checks) {
        super::check_registry_id(c, self.registry_id.as_deref());
        check_backfill_id(c, self.replication_backfill_id.as_deref());
        c.one_of(
            "resultStatusFilter",
            self.result_status_filter.as_deref(),
            &["COMPLETE", "FAILED"],
        );
        c.range("maxResults", self.max_results, 1, 1000);
    }
}
