//! Matching an inventory against the vulnerability data: OS packages by their source package
//! and version, under their release's ecosystem (`Alpine:v3.11`), each range evaluated by
//! OSV's algorithm with the ecosystem's version order. Withdrawn advisories are ignored.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::inventory::Inventory;
use crate::severity::{self, Cvss, Severity};
use crate::version::Scheme;
use crate::vulndb::{Advisory, Affected, Database, Event, Range, RangeKind};

pub use crate::version::scheme_of;

/// One vulnerability of one package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The advisory's id in its source.
    pub id: String,
    /// The CVE it is about, else its id: the finding's name, as ECR names findings.
    pub name: String,
    pub package: String,
    pub version: String,
    /// The source package matched, and its ecosystem.
    pub source: String,
    pub ecosystem: String,
    /// The lowest version above the installed one that fixes it, if any.
    pub fixed_in: Option<String>,
    pub severity: Severity,
    /// The CVSS v3 vector and base score, where the advisory gives one.
    pub cvss: Option<Cvss>,
    /// For notices (RustSec's `unmaintained`, `unsound`): which kind.
    pub informational: Option<String>,
    /// Shared by every finding of the advisory (an image may have thousands of findings).
    pub summary: Option<Arc<str>>,
    pub references: Arc<[String]>,
}

/// Whether `version` is in `range` (OSV's evaluation: events in version order, `introduced`
/// `0` lowest; `fixed` and `last_affected` end an affected stretch; versions at or above a
/// `limit` are outside), and the fix that ends the stretch it is in.
pub fn in_range(scheme: Scheme, version: &str, range: &Range) -> (bool, Option<String>) {
    let mut sorted = range.clone();
    sorted.sort_events(scheme);
    evaluate(scheme, version, &sorted.events)
}

/// [`in_range`] of events already in version order (as [`Database`] keeps them).
fn evaluate(scheme: Scheme, version: &str, events: &[Event]) -> (bool, Option<String>) {
    let cmp = |other: &str| scheme.compare(version, other);
    let mut limits = events.iter().filter_map(|e| e.limit.as_deref()).peekable();
    if limits.peek().is_some() && !limits.any(|l| cmp(l) == Ordering::Less) {
        return (false, None);
    }
    let mut affected = false;
    let mut fix = None;
    for e in events {
        if let Some(i) = &e.introduced {
            if i == "0" || cmp(i) != Ordering::Less {
                affected = true;
                fix = None;
            }
        } else if let Some(f) = &e.fixed {
            if cmp(f) != Ordering::Less {
                affected = false;
            } else if affected && fix.is_none() {
                fix = Some(f.clone());
            }
        } else if let Some(l) = &e.last_affected {
            if cmp(l) == Ordering::Greater {
                affected = false;
            }
        }
    }
    (affected, fix.filter(|_| affected))
}

/// Whether an affected entry of the [`Database`] (its ranges' events in version order) names
/// `version` (an explicit version, or a range), and its fix.
fn affects(scheme: Scheme, version: &str, a: &Affected) -> Option<Option<String>> {
    let listed = a
        .versions
        .iter()
        .any(|v| scheme.compare(version, v) == Ordering::Equal);
    let mut hit: Option<Option<String>> = None;
    for r in &a.ranges {
        let scheme = match r.kind {
            RangeKind::Git => continue,
            RangeKind::Semver => Scheme::Semver,
            RangeKind::Ecosystem => scheme,
        };
        let (yes, fix) = evaluate(scheme, version, &r.events);
        if yes {
            // the lowest fix of the ranges it is in
            let lowest = match (hit.flatten(), fix) {
                (Some(x), Some(y)) if scheme.compare(&y, &x) == Ordering::Less => Some(y),
                (Some(x), _) => Some(x),
                (None, y) => y,
            };
            hit = Some(lowest);
        }
    }
    // a listed version is affected even outside the ranges (the ranges give its fix)
    match hit {
        Some(h) => Some(h),
        None if listed => Some(None),
        None => None,
    }
}

/// What an advisory's affected entry says of one version: the finding's parts that do not
/// depend on which package of the source was installed.
struct Hit<'d> {
    advisory: &'d Advisory,
    /// The names of its findings (a CVE each, else the advisory's id).
    names: Vec<&'d str>,
    fixed_in: Option<String>,
    severity: Severity,
    cvss: Option<Cvss>,
    informational: Option<String>,
    summary: Option<Arc<str>>,
    references: Arc<[String]>,
}

/// The advisories of `name` at `version` under `ecosystem`. `os`: a distribution's package,
/// whose advisory may fix several CVEs (ALSA-2022:7288): a finding each, as ECR names findings
/// by CVE; a language advisory is one vulnerability under its CVE.
fn hits<'d>(
    db: &'d Database,
    ecosystem: &str,
    scheme: Scheme,
    name: &str,
    version: &str,
    os: bool,
) -> Vec<Hit<'d>> {
    let mut out = Vec::new();
    for (advisory, entry) in db.entries(ecosystem, name) {
        if advisory.withdrawn.is_some() {
            continue;
        }
        let Some(fixed_in) = affects(scheme, version, entry) else {
            continue;
        };
        let names: Vec<&str> = match advisory.cve() {
            Some(_) if os => advisory.cves().collect(),
            Some(cve) => vec![cve],
            None => vec![advisory.id.as_str()],
        };
        out.push(Hit {
            advisory,
            names,
            fixed_in,
            severity: severity::severity(advisory, entry),
            cvss: severity::cvss(advisory, entry),
            informational: severity::informational(advisory, entry),
            summary: advisory
                .summary
                .as_deref()
                .or(advisory.details.as_deref())
                .map(Arc::from),
            references: advisory.references.iter().map(|r| r.url.clone()).collect(),
        });
    }
    out
}

/// Every finding of an inventory, sorted by name and package, without duplicates.
pub fn findings(db: &Database, inventory: &Inventory) -> Vec<Finding> {
    let mut out = Vec::new();
    let os = inventory.distro.as_ref().and_then(|d| d.ecosystem());
    // the binary packages of one source share its advisories: each (source, version) once
    let mut cache: HashMap<(&str, &str, &str), Vec<Hit<'_>>> = HashMap::new();
    for p in &inventory.packages {
        // OS packages by their source under the release; language packages by their name
        let (ecosystem, name, version) = match p.kind.ecosystem() {
            Some(e) => (e, p.name.as_str(), p.version.as_str()),
            None => match &os {
                Some(e) => (e.as_str(), p.source.as_str(), p.source_version.as_str()),
                None => continue,
            },
        };
        let Some(scheme) = scheme_of(ecosystem) else {
            continue;
        };
        let found = cache.entry((ecosystem, name, version)).or_insert_with(|| {
            hits(
                db,
                ecosystem,
                scheme,
                name,
                version,
                p.kind.ecosystem().is_none(),
            )
        });
        for hit in found.iter() {
            let a = hit.advisory;
            for finding_name in &hit.names {
                out.push(Finding {
                    id: a.id.clone(),
                    name: finding_name.to_string(),
                    package: p.name.clone(),
                    version: p.version.clone(),
                    source: name.to_string(),
                    ecosystem: ecosystem.to_string(),
                    fixed_in: hit.fixed_in.clone(),
                    severity: hit.severity,
                    cvss: hit.cvss.clone(),
                    informational: hit.informational.clone(),
                    summary: hit.summary.clone(),
                    references: hit.references.clone(),
                });
            }
        }
    }
    out.sort_unstable_by(|a, b| (&a.name, &a.package, &a.id).cmp(&(&b.name, &b.package, &b.id)));
    out.dedup_by(|a, b| a.name == b.name && a.package == b.package);
    out
}
