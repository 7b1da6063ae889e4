//! Vulnerability data, read from its sources into one model (OSV's) and indexed by package:
//! OSV records (JSON), Alpine's secdb. Records are kept per source and id; a record read again
//! replaces the one before unless it is older (`modified`).

pub mod alpine;
pub mod import;
pub mod model;
pub mod oval;

use std::collections::HashMap;

pub use model::{Advisory, Affected, Event, Range, RangeKind};

/// A record that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("not an OSV record in JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("not an OSV record in YAML: {0}")]
    Yaml(#[from] serde_yaml::Error),
}

/// An OSV record, in JSON or (when it does not start with `{`) YAML.
pub fn parse_osv(bytes: &[u8]) -> Result<Advisory, RecordError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        Ok(serde_json::from_slice(bytes)?)
    } else {
        Ok(serde_yaml::from_slice(bytes)?)
    }
}

/// A package's name as its ecosystem compares names (PyPI's are case- and
/// separator-insensitive).
fn canonical_name(ecosystem: &str, name: &str) -> String {
    if ecosystem == "PyPI" {
        crate::inventory::python::canonical(name)
    } else {
        name.to_string()
    }
}

/// Put every range of an advisory in its ecosystem's version order, once, so that matching
/// never sorts.
fn sort_ranges(a: &mut Advisory) {
    for affected in &mut a.affected {
        let scheme = affected
            .package
            .as_ref()
            .and_then(|p| crate::version::scheme_of(&p.ecosystem));
        for r in &mut affected.ranges {
            match (r.kind, scheme) {
                (RangeKind::Semver, _) => r.sort_events(crate::version::Scheme::Semver),
                (RangeKind::Ecosystem, Some(s)) => r.sort_events(s),
                _ => {}
            }
        }
    }
}

/// Every advisory loaded, and an index from (ecosystem, package name) to the entries that
/// name it.
#[derive(Debug, Clone, Default)]
pub struct Database {
    advisories: Vec<Advisory>,
    /// (source, id) → position in `advisories`.
    ids: HashMap<(String, String), usize>,
    /// (ecosystem, name) → (advisory, affected entry).
    index: HashMap<(String, String), Vec<(usize, usize)>>,
}

impl Database {
    /// Add the advisories of `source` (`osv`, `alpine-secdb`…). Returns how many were new or
    /// replaced an older record.
    pub fn add(&mut self, source: &str, advisories: impl IntoIterator<Item = Advisory>) -> usize {
        let mut changed = 0;
        for mut a in advisories {
            sort_ranges(&mut a);
            let key = (source.to_string(), a.id.clone());
            match self.ids.get(&key) {
                Some(&i) => {
                    let old = &self.advisories[i];
                    if old.modified.is_some() && a.modified < old.modified {
                        continue;
                    }
                    self.advisories[i] = a;
                }
                None => {
                    self.ids.insert(key, self.advisories.len());
                    self.advisories.push(a);
                }
            }
            changed += 1;
        }
        self.reindex();
        changed
    }

    fn reindex(&mut self) {
        self.index.clear();
        for (i, a) in self.advisories.iter().enumerate() {
            for (j, affected) in a.affected.iter().enumerate() {
                if let Some(p) = &affected.package {
                    self.index
                        .entry((p.ecosystem.clone(), canonical_name(&p.ecosystem, &p.name)))
                        .or_default()
                        .push((i, j));
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.advisories.len()
    }

    pub fn is_empty(&self) -> bool {
        self.advisories.is_empty()
    }

    /// The affected entries naming a package of an ecosystem.
    pub fn entries(
        &self,
        ecosystem: &str,
        name: &str,
    ) -> impl Iterator<Item = (&Advisory, &Affected)> {
        self.index
            .get(&(ecosystem.to_string(), canonical_name(ecosystem, name)))
            .into_iter()
            .flatten()
            .map(|&(i, j)| (&self.advisories[i], &self.advisories[i].affected[j]))
    }
}
