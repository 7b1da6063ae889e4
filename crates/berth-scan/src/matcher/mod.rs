//! Matching an inventory against the vulnerability data: OS packages by their source package
//! and version, under their release's ecosystem (`Alpine:v3.11`), each range evaluated by
//! OSV's algorithm with the ecosystem's version order. Withdrawn advisories are ignored.

use std::rc::Rc;
use std::sync::Arc;

use foldhash::HashMap;
use foldhash::HashMapExt;
use serde::{Deserialize, Serialize};

use crate::inventory::{Inventory, Package};
use crate::severity::{self, Cvss, Severity};
use crate::version::Scheme;
use crate::vulndb::{Advisory, Affected, Database, Name, Text};

mod range;

use range::{affects, lowest_fix};

pub use crate::version::scheme_of;

/// One vulnerability of one package. Its text is shared (an image may have tens of thousands
/// of findings, most repeating an advisory's or a package's text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The advisory's id in its source.
    pub id: Arc<str>,
    /// The CVE it is about, else its id: the finding's name, as ECR names findings.
    pub name: Arc<str>,
    pub package: Arc<str>,
    pub version: Arc<str>,
    /// The source package matched, and its ecosystem.
    pub source: Arc<str>,
    pub ecosystem: Arc<str>,
    /// The lowest version above the installed one that fixes it, if any.
    pub fixed_in: Option<Arc<str>>,
    pub severity: Severity,
    /// The CVSS v3 vector and base score, where the advisory gives one.
    pub cvss: Option<Arc<Cvss>>,
    /// For notices (RustSec's `unmaintained`, `unsound`): which kind.
    pub informational: Option<Arc<str>>,
    pub summary: Option<Arc<str>>,
    pub references: Arc<[String]>,
}

/// What every finding of one affected entry shares, whichever version matched it.
struct Shared<'d> {
    text: &'d Text,
    /// The names of its findings (a CVE each, else the advisory's id).
    names: &'d [Name],
    severity: Severity,
    cvss: Option<Arc<Cvss>>,
    informational: Option<Arc<str>>,
}

impl<'d> Shared<'d> {
    /// `os`: a distribution's package, whose advisory may fix several CVEs (ALSA-2022:7288):
    /// a finding each, as ECR names findings by CVE; a language advisory is one vulnerability
    /// under its CVE.
    fn of(advisory: &Advisory, entry: &Affected, text: &'d Text, os: bool) -> Shared<'d> {
        let names = match text.cves.first() {
            Some(_) if os => &text.cves[..],
            Some(_) => &text.cves[..1],
            None => std::slice::from_ref(&text.id),
        };
        Shared {
            text,
            names,
            severity: severity::severity(advisory, entry),
            cvss: severity::cvss(advisory, entry).map(Arc::new),
            informational: severity::informational(advisory, entry).map(Arc::from),
        }
    }
}

/// An entry that applies to one version, and the fix for it.
struct Hit<'d> {
    shared: Rc<Shared<'d>>,
    fixed_in: Option<Arc<str>>,
}

/// What one scan's matches share, each made once: the entries' [`Shared`] parts (by
/// `(advisory, affected)` position), and the fixed versions' text.
#[derive(Default)]
struct Made<'d> {
    shared: HashMap<(usize, usize), Rc<Shared<'d>>>,
    fixes: HashMap<&'d str, Arc<str>>,
}

/// The advisories of `name` at `version` under `ecosystem`.
fn hits<'d>(
    db: &'d Database,
    (ecosystem, name, version): (&str, &str, &str),
    scheme: Scheme,
    os: bool,
    made: &mut Made<'d>,
) -> Vec<Hit<'d>> {
    let Some(package) = db.package(ecosystem, name) else {
        return Vec::new();
    };
    let at = package.position(version);
    let mut out: Vec<(usize, Option<&str>, Rc<Shared<'d>>)> = Vec::new();
    for e in package.candidates(at) {
        let (advisory, entry, text) = db.entry(e);
        if advisory.withdrawn.is_some() {
            continue;
        }
        let Some(fixed_in) = affects(scheme, version, entry, at.map(|at| (at, e))) else {
            continue;
        };
        let shared = made
            .shared
            .entry((e.advisory, e.affected))
            .or_insert_with(|| Rc::new(Shared::of(advisory, entry, text, os)))
            .clone();
        out.push((e.advisory, fixed_in, shared));
    }
    // an advisory with several entries for the package (a distribution's OVAL test per
    // stream) is one hit, with the lowest fix
    out.sort_by_key(|h| h.0);
    out.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0;
        if same {
            earlier.1 = lowest_fix(scheme, earlier.1, later.1);
        }
        same
    });
    out.into_iter()
        .map(|(_, fixed_in, shared)| Hit {
            shared,
            fixed_in: fixed_in.map(|f| made.fixes.entry(f).or_insert_with(|| Arc::from(f)).clone()),
        })
        .collect()
}

/// What a package is matched as: OS packages by their source under the release, language
/// packages by their name; `None` when Berth cannot match it (no release, an unknown order).
fn match_key<'i>(os: Option<&'i str>, p: &'i Package) -> Option<(&'i str, &'i str, &'i str)> {
    let key = match p.kind.ecosystem() {
        Some(e) => (e, p.name.as_str(), p.version.as_str()),
        None => (os?, p.source.as_str(), p.source_version.as_str()),
    };
    scheme_of(key.0).map(|_| key)
}

/// The hits of every matched (ecosystem, name, version), each evaluated once: the binary
/// packages of one source share its advisories.
fn hits_of<'d, 'i>(
    db: &'d Database,
    inventory: &'i Inventory,
    keys: &[Option<(&'i str, &'i str, &'i str)>],
) -> HashMap<(&'i str, &'i str, &'i str), Vec<Hit<'d>>> {
    let mut cache = HashMap::with_capacity(inventory.packages.len());
    let mut made = Made::default();
    for (p, key) in inventory.packages.iter().zip(keys) {
        let Some(key) = *key else { continue };
        let Some(scheme) = scheme_of(key.0) else {
            continue;
        };
        let distro_package = p.kind.ecosystem().is_none();
        cache
            .entry(key)
            .or_insert_with(|| hits(db, key, scheme, distro_package, &mut made));
    }
    cache
}

/// A package's text as its findings share it: made once, for a package with findings.
struct PackageText {
    name: Arc<str>,
    version: Arc<str>,
    source: Arc<str>,
    ecosystem: Arc<str>,
}

/// One finding before it is made: sorted and deduplicated in this form (the ones that remain
/// are then made).
struct Match<'d, 'h> {
    /// Its order: the ranks of its name, its package's name, its advisory's id; then its
    /// package's position in the inventory.
    order: (u32, u32, u32, usize),
    name: &'d Name,
    hit: &'h Hit<'d>,
}

impl Match<'_, '_> {
    fn finding(&self, text: &PackageText) -> Finding {
        let s = &*self.hit.shared;
        Finding {
            id: s.text.id.text.clone(),
            name: self.name.text.clone(),
            package: text.name.clone(),
            version: text.version.clone(),
            source: text.source.clone(),
            ecosystem: text.ecosystem.clone(),
            fixed_in: self.hit.fixed_in.clone(),
            severity: s.severity,
            cvss: s.cvss.clone(),
            informational: s.informational.clone(),
            summary: s.text.summary.clone(),
            references: s.text.references.clone(),
        }
    }
}

/// Each package's rank among the names of the packages that have findings (equal names, equal
/// ranks), so that findings sort by number.
fn name_ranks(inventory: &Inventory, texts: &[Option<PackageText>]) -> Vec<u32> {
    let mut named: Vec<(&str, usize)> = texts
        .iter()
        .enumerate()
        .filter(|(_, t)| t.is_some())
        .map(|(n, _)| (inventory.packages[n].name.as_str(), n))
        .collect();
    named.sort_unstable();
    let mut ranks = vec![0; texts.len()];
    let mut rank = 0u32;
    for (i, (name, n)) in named.iter().enumerate() {
        if i > 0 && named[i - 1].0 != *name {
            rank += 1;
        }
        ranks[*n] = rank;
    }
    ranks
}

/// Every finding of an inventory, sorted by name and package, without duplicates (of one
/// package name at several versions, the first in the inventory is kept).
pub fn findings(db: &Database, inventory: &Inventory) -> Vec<Finding> {
    let os = inventory.distro.as_ref().and_then(|d| d.ecosystem());
    let keys: Vec<_> = inventory
        .packages
        .iter()
        .map(|p| match_key(os.as_deref(), p))
        .collect();
    let cache = hits_of(db, inventory, &keys);
    // a package's match key and hits, when it has any
    let hits_of_package = |n: usize| {
        let key = keys[n]?;
        let hits = cache.get(&key).filter(|h| !h.is_empty())?;
        Some((key, hits))
    };
    let texts: Vec<Option<PackageText>> = inventory
        .packages
        .iter()
        .enumerate()
        .map(|(n, p)| {
            let (key, _) = hits_of_package(n)?;
            Some(PackageText {
                name: Arc::from(p.name.as_str()),
                version: Arc::from(p.version.as_str()),
                source: Arc::from(key.1),
                ecosystem: Arc::from(key.0),
            })
        })
        .collect();
    let packages = name_ranks(inventory, &texts);
    let mut matches = Vec::new();
    for (n, rank) in packages.iter().enumerate() {
        let Some((_, hits)) = hits_of_package(n) else {
            continue;
        };
        for hit in hits {
            let id = hit.shared.text.id.rank;
            matches.extend(hit.shared.names.iter().map(|name| Match {
                order: (name.rank, *rank, id, n),
                name,
                hit,
            }));
        }
    }
    matches.sort_unstable_by_key(|m| m.order);
    matches.dedup_by_key(|m| (m.order.0, m.order.1));
    matches
        .iter()
        .filter_map(|m| Some(m.finding(texts[m.order.3].as_ref()?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn osv(json: &str) -> Advisory {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn an_advisory_with_an_entry_per_stream_is_one_finding_with_the_lowest_fix() {
        let mut db = Database::default();
        db.add(
            "oval",
            [osv(r#"{"id":"CVE-2022-47184","affected":[
                {"package":{"ecosystem":"Debian:12","name":"trafficserver"},
                 "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},
                 {"fixed":"9.2.0+ds-2+deb12u1"}]}]},
                {"package":{"ecosystem":"Debian:12","name":"trafficserver"},
                 "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},
                 {"fixed":"9.2.0+ds-1~deb12u1"}]}]}]}"#)],
        );
        let inventory = |version: &str| {
            let mut p = Package::language(
                crate::inventory::PackageKind::Dpkg,
                "trafficserver",
                version,
                "var/lib/dpkg/status",
            );
            p.source_version = version.to_string();
            Inventory {
                distro: Some(crate::inventory::Distro {
                    id: "debian".into(),
                    version: "12".into(),
                    codename: None,
                }),
                packages: vec![p],
                unscanned: Vec::new(),
            }
        };
        let found = findings(&db, &inventory("9.0.0-1"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].fixed_in.as_deref(), Some("9.2.0+ds-1~deb12u1"));
        // between the two fixes: only the later stream's entry applies
        let found = findings(&db, &inventory("9.2.0+ds-1~deb12u1"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].fixed_in.as_deref(), Some("9.2.0+ds-2+deb12u1"));
    }
}
