//! The vulnerability data model: OSV's schema (<https://ossf.github.io/osv-schema/>), which
//! every source is read into. Only what matching and the findings need is typed; the rest of a
//! record is ignored.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::version::Scheme;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<SeverityScore>,
    #[serde(default)]
    pub affected: Vec<Affected>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeverityScore {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    #[serde(rename = "type", default)]
    pub kind: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<PackageRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<SeverityScore>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem_specific: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackageRef {
    pub ecosystem: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// A range's kind: versions ordered by SemVer, by the ecosystem's own order, or commits (which
/// a scan of installed versions cannot evaluate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RangeKind {
    #[serde(rename = "SEMVER")]
    Semver,
    #[serde(rename = "ECOSYSTEM")]
    Ecosystem,
    #[serde(rename = "GIT")]
    Git,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: RangeKind,
    #[serde(default)]
    pub events: Vec<Event>,
}

impl Range {
    /// Put the events in version order under `scheme` (`introduced: 0` first), as OSV's
    /// evaluation reads them; most are written in order already.
    pub fn sort_events(&mut self, scheme: Scheme) {
        let order = |a: &Event, b: &Event| {
            let (ka, kb) = (a.version(), b.version());
            match (
                ka == "0" && a.introduced.is_some(),
                kb == "0" && b.introduced.is_some(),
            ) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                (false, false) => scheme.compare(ka, kb),
            }
        };
        if !self
            .events
            .is_sorted_by(|a, b| order(a, b) != Ordering::Greater)
        {
            // an order that is not total leaves them as the sort left them
            crate::version::sort_versions(&mut self.events, order);
        }
    }
}

impl Event {
    /// The version the event names.
    pub fn version(&self) -> &str {
        self.introduced
            .as_deref()
            .or(self.fixed.as_deref())
            .or(self.last_affected.as_deref())
            .or(self.limit.as_deref())
            .unwrap_or("0")
    }
}

/// One event of a range: exactly one member is set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Event {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}

impl Affected {
    /// A package of an ecosystem affected from the start until `fixed` (how distribution
    /// trackers state it: Alpine's secfixes, Debian's OVAL).
    pub fn fixed_in(ecosystem: &str, name: &str, fixed: &str) -> Affected {
        Affected {
            package: Some(PackageRef {
                ecosystem: ecosystem.to_string(),
                name: name.to_string(),
                purl: None,
            }),
            ranges: vec![Range {
                kind: RangeKind::Ecosystem,
                events: vec![
                    Event {
                        introduced: Some("0".into()),
                        ..Event::default()
                    },
                    Event {
                        fixed: Some(fixed.to_string()),
                        ..Event::default()
                    },
                ],
            }],
            versions: Vec::new(),
            severity: Vec::new(),
            database_specific: None,
            ecosystem_specific: None,
        }
    }
}

impl Advisory {
    /// An advisory known only by its id (the distribution trackers' records).
    pub fn named(id: &str) -> Advisory {
        Advisory {
            id: id.to_string(),
            modified: None,
            withdrawn: None,
            aliases: Vec::new(),
            related: Vec::new(),
            summary: None,
            details: None,
            severity: Vec::new(),
            affected: Vec::new(),
            references: Vec::new(),
            database_specific: None,
        }
    }

    /// The CVE this advisory is about, if it names one (its id, an alias, or a related id).
    pub fn cve(&self) -> Option<&str> {
        self.cves().next()
    }

    /// Every CVE the advisory names (its id, aliases, related ids), each once.
    pub fn cves(&self) -> impl Iterator<Item = &str> {
        let all = std::iter::once(&self.id)
            .chain(&self.aliases)
            .chain(&self.related)
            .map(String::as_str);
        all.clone()
            .enumerate()
            .filter(|(_, i)| i.starts_with("CVE-"))
            .filter(move |(n, i)| !all.clone().take(*n).any(|j| j == *i))
            .map(|(_, i)| i)
    }
}
