//! Vulnerability data, read from its sources into one model (OSV's) and indexed by package:
//! OSV records (JSON), Alpine's secdb. Records are kept per source and id; a record read again
//! replaces the one before unless it is older (`modified`).

pub mod alpine;
pub mod import;
pub mod index;
pub mod model;
pub mod oval;
pub mod text;

use std::borrow::Cow;
use std::collections::HashMap;

pub use index::{Entry, PackageEntries, Position};
pub use model::{Advisory, Affected, Event, Range, RangeKind};
pub use text::{Name, Text};

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
fn canonical_name<'a>(ecosystem: &str, name: &'a str) -> Cow<'a, str> {
    if ecosystem == "PyPI" {
        Cow::Owned(crate::inventory::python::canonical(name))
    } else {
        Cow::Borrowed(name)
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

/// Every advisory loaded, and an index from ecosystem and package name to the entries that
/// name it, compiled for matching.
#[derive(Debug, Clone, Default)]
pub struct Database {
    advisories: Vec<Advisory>,
    /// (source, id) → position in `advisories`.
    ids: HashMap<(String, String), usize>,
    /// The text of each advisory, as findings share it.
    texts: Vec<Text>,
    /// ecosystem → name → the entries naming the package.
    index: HashMap<String, foldhash::HashMap<String, PackageEntries>>,
}

impl Database {
    /// Add the advisories of `source` (`osv`, `alpine-secdb`…). Returns how many were new or
    /// replaced an older record.
    pub fn add(&mut self, source: &str, advisories: impl IntoIterator<Item = Advisory>) -> usize {
        self.add_all([(source, advisories)])
    }

    /// Add the advisories of several sources, indexing once at the end.
    pub fn add_all<S: AsRef<str>, A: IntoIterator<Item = Advisory>>(
        &mut self,
        sources: impl IntoIterator<Item = (S, A)>,
    ) -> usize {
        let mut changed = 0;
        for (source, advisories) in sources {
            changed += self.insert(source.as_ref(), advisories);
        }
        self.reindex();
        changed
    }

    fn insert(&mut self, source: &str, advisories: impl IntoIterator<Item = Advisory>) -> usize {
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
        changed
    }

    fn reindex(&mut self) {
        self.texts = text::texts(&self.advisories);
        self.index.clear();
        for (i, a) in self.advisories.iter().enumerate() {
            for (j, affected) in a.affected.iter().enumerate() {
                if let Some(p) = &affected.package {
                    self.index
                        .entry(p.ecosystem.clone())
                        .or_default()
                        .entry(canonical_name(&p.ecosystem, &p.name).into_owned())
                        .or_insert_with(|| {
                            PackageEntries::new(crate::version::scheme_of(&p.ecosystem))
                        })
                        .push(i, j);
                }
            }
        }
        let advisories = &self.advisories;
        for package in self.index.values_mut().flat_map(|p| p.values_mut()) {
            package.compile(|i, j| &advisories[i].affected[j]);
        }
    }

    pub fn len(&self) -> usize {
        self.advisories.len()
    }

    pub fn is_empty(&self) -> bool {
        self.advisories.is_empty()
    }

    /// The affected entries naming a package of an ecosystem.
    pub fn package(&self, ecosystem: &str, name: &str) -> Option<&PackageEntries> {
        self.index
            .get(ecosystem)?
            .get(canonical_name(ecosystem, name).as_ref())
    }

    /// Every indexed package: its ecosystem, name and entries.
    pub fn packages(&self) -> impl Iterator<Item = (&str, &str, &PackageEntries)> {
        self.index
            .iter()
            .flat_map(|(e, names)| names.iter().map(move |(n, p)| (e.as_str(), n.as_str(), p)))
    }

    /// The advisory and affected entry an index entry stands for, and the advisory's text.
    pub fn entry(&self, e: &Entry) -> (&Advisory, &Affected, &Text) {
        let a = &self.advisories[e.advisory];
        (a, &a.affected[e.affected], &self.texts[e.advisory])
    }
}
