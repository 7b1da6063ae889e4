//! The text of every advisory as its findings share it, made once when the data is indexed:
//! an image may have tens of thousands of findings, most repeating an advisory's id, CVE,
//! summary and references. Ids and CVEs also carry their rank in byte order among all of the
//! database's, so that findings sort by number rather than by text.

use std::sync::Arc;

use super::model::Advisory;

/// An advisory's id or one of its CVEs.
#[derive(Debug, Clone)]
pub struct Name {
    pub text: Arc<str>,
    /// Its position among every id and CVE of the database, in byte order (equal texts, equal
    /// ranks).
    pub rank: u32,
}

/// What the findings of one advisory share.
#[derive(Debug, Clone)]
pub struct Text {
    pub id: Name,
    /// Every CVE the advisory names ([`Advisory::cves`]), in that order.
    pub cves: Vec<Name>,
    /// Its summary, else its details.
    pub summary: Option<Arc<str>>,
    pub references: Arc<[String]>,
}

/// The text of each advisory, in the same order.
pub fn texts(advisories: &[Advisory]) -> Vec<Text> {
    let mut all: Vec<&str> = advisories
        .iter()
        .flat_map(|a| std::iter::once(a.id.as_str()).chain(a.cves()))
        .collect();
    all.sort_unstable();
    all.dedup();
    let name = |text: &str| Name {
        text: Arc::from(text),
        rank: u32::try_from(all.partition_point(|s| *s < text)).unwrap_or(u32::MAX),
    };
    advisories
        .iter()
        .map(|a| Text {
            id: name(&a.id),
            cves: a.cves().map(name).collect(),
            summary: a.summary.as_deref().or(a.details.as_deref()).map(Arc::from),
            references: a.references.iter().map(|r| r.url.clone()).collect(),
        })
        .collect()
}
