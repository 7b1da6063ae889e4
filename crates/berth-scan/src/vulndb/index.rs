//! The entries that name one package, compiled for matching: every version their ranges and
//! lists name, sorted once in the ecosystem's order, and each event's rank in that list. A
//! query then compares its version with the package's versions a logarithmic number of times
//! (to find its [`Position`]), skips every entry whose ranges end below it (entries are kept
//! by their highest affected position), and evaluates the others by comparing ranks, not
//! strings.

use std::cmp::Ordering;

use super::model::{Affected, Event, RangeKind};
use crate::version::{sort_versions, Scheme};

/// Where a version falls among a package's sorted versions: equal to the one of rank `k`
/// (`2k + 1`) or between the ranks `k - 1` and `k` (`2k`). Comparing positions orders the
/// versions they stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position(u32);

impl Position {
    /// The position of the version of rank `rank`.
    pub fn at(rank: u32) -> Position {
        Position(rank.saturating_mul(2).saturating_add(1))
    }
}

/// One affected entry of the package: where it is in the database, and the ranks of its
/// events and listed versions.
#[derive(Debug, Clone)]
pub struct Entry {
    pub advisory: usize,
    pub affected: usize,
    /// Per range: each event's rank (an `introduced: 0` has none), or `None` when the range is
    /// not in the package's scheme (a SEMVER range of another ecosystem, a GIT range).
    ranks: Vec<Option<Vec<u32>>>,
    listed: Vec<u32>,
    /// No version above this position is affected.
    bound: Position,
}

impl Entry {
    /// The ranks of range `range`'s events, when it was compiled.
    pub fn ranks(&self, range: usize) -> Option<&[u32]> {
        self.ranks.get(range).and_then(|r| r.as_deref())
    }

    /// Whether the entry lists the version at `at` explicitly.
    pub fn lists(&self, at: Position) -> bool {
        self.listed.iter().any(|&r| Position::at(r) == at)
    }
}

/// The entries naming one package of one ecosystem.
#[derive(Debug, Clone, Default)]
pub struct PackageEntries {
    /// The ecosystem's order, when Berth knows it (else nothing is compiled).
    scheme: Option<Scheme>,
    /// Every version the entries name, sorted, compare-equal versions once.
    versions: Vec<String>,
    /// Whether the ranks are set: not when the scheme is unknown or not a total order over
    /// the versions named (odd strings).
    compiled: bool,
    entries: Vec<Entry>,
}

impl PackageEntries {
    pub fn new(scheme: Option<Scheme>) -> PackageEntries {
        PackageEntries {
            scheme,
            versions: Vec::new(),
            compiled: false,
            entries: Vec::new(),
        }
    }

    /// Add an entry (compiled by [`PackageEntries::compile`]).
    pub fn push(&mut self, advisory: usize, affected: usize) {
        self.entries.push(Entry {
            advisory,
            affected,
            ranks: Vec::new(),
            listed: Vec::new(),
            bound: Position(u32::MAX),
        });
    }

    /// Sort the versions the entries name and give every event its rank. `affected` finds an
    /// entry's data.
    pub fn compile<'a>(&mut self, affected: impl Fn(usize, usize) -> &'a Affected) {
        let Some(scheme) = self.scheme else {
            return;
        };
        let compiled = |range_kind: RangeKind| match range_kind {
            RangeKind::Ecosystem => true,
            RangeKind::Semver => scheme == Scheme::Semver,
            RangeKind::Git => false,
        };
        let mut versions: Vec<&str> = Vec::new();
        for e in &self.entries {
            let a = affected(e.advisory, e.affected);
            for r in a.ranges.iter().filter(|r| compiled(r.kind)) {
                versions.extend(r.events.iter().filter_map(ranked_version));
            }
            versions.extend(a.versions.iter().map(String::as_str));
        }
        let Some(sorted) = sort_distinct(scheme, versions) else {
            return;
        };
        let rank = |v: &str| {
            let k = sorted.partition_point(|s| scheme.compare(s, v) == Ordering::Less);
            u32::try_from(k).unwrap_or(u32::MAX)
        };
        for e in &mut self.entries {
            let a = affected(e.advisory, e.affected);
            e.ranks = a
                .ranges
                .iter()
                .map(|r| {
                    compiled(r.kind).then(|| {
                        r.events
                            .iter()
                            .map(|ev| ranked_version(ev).map_or(0, rank))
                            .collect()
                    })
                })
                .collect();
            e.listed = a.versions.iter().map(|v| rank(v)).collect();
            e.bound = bound(a, e);
        }
        self.entries.sort_by_key(|e| std::cmp::Reverse(e.bound));
        self.versions = sorted.into_iter().map(str::to_string).collect();
        self.compiled = true;
    }

    /// The versions the entries name, in order (empty when the package was not compiled).
    pub fn versions(&self) -> &[String] {
        &self.versions
    }

    /// The entries that may apply to a version at `at` (all of them when the package was not
    /// compiled).
    pub fn candidates(&self, at: Option<Position>) -> &[Entry] {
        match at {
            Some(at) => {
                let n = self.entries.partition_point(|e| e.bound >= at);
                &self.entries[..n]
            }
            None => &self.entries,
        }
    }

    /// Where `version` falls among the entries' versions; `None` when they were not compiled
    /// (the caller then compares strings).
    pub fn position(&self, version: &str) -> Option<Position> {
        let scheme = self.scheme.filter(|_| self.compiled)?;
        let k = self
            .versions
            .partition_point(|s| scheme.compare(s, version) == Ordering::Less);
        let equal = self
            .versions
            .get(k)
            .is_some_and(|s| scheme.compare(s, version) == Ordering::Equal);
        let k = u32::try_from(k).unwrap_or(u32::MAX);
        Some(if equal {
            Position::at(k)
        } else {
            Position(k.saturating_mul(2))
        })
    }
}

/// The highest position an entry may apply to (its ranks set): for a version above every event
/// of a range, each event's condition holds, so the range applies only if it ends open (its
/// last event an `introduced`, and no `limit`).
fn bound(a: &Affected, e: &Entry) -> Position {
    let mut highest = e.listed.iter().copied().max().map(Position::at);
    for (r, ranks) in a.ranges.iter().zip(&e.ranks) {
        if r.kind == RangeKind::Git {
            continue;
        }
        let Some(ranks) = ranks else {
            return Position(u32::MAX);
        };
        let last =
            r.events.iter().rev().find(|ev| {
                ev.introduced.is_some() || ev.fixed.is_some() || ev.last_affected.is_some()
            });
        let open = r.events.iter().all(|ev| ev.limit.is_none())
            && last.is_some_and(|ev| ev.introduced.is_some());
        if open {
            return Position(u32::MAX);
        }
        let top = r
            .events
            .iter()
            .zip(ranks)
            .filter(|(ev, _)| ranked_version(ev).is_some())
            .map(|(_, &k)| Position::at(k))
            .max();
        highest = highest.max(top);
    }
    highest.unwrap_or(Position(0))
}

/// The version an event names, unless it is the `introduced: 0` that opens every range.
fn ranked_version(e: &Event) -> Option<&str> {
    match e.introduced.as_deref() {
        Some("0") => None,
        _ => Some(e.version()),
    }
}

/// `versions` in `scheme`'s order, compare-equal ones once; `None` if the order is not total
/// over them (the package is then matched by comparing strings).
fn sort_distinct(scheme: Scheme, mut versions: Vec<&str>) -> Option<Vec<&str>> {
    versions.sort_unstable();
    versions.dedup();
    if !sort_versions(&mut versions, |a, b| scheme.compare(a, b)) {
        return None;
    }
    versions.dedup_by(|a, b| scheme.compare(a, b) == Ordering::Equal);
    // a non-total order can also sort without panicking: then ranks would mislead
    versions
        .windows(2)
        .all(|w| scheme.compare(w[0], w[1]) == Ordering::Less)
        .then_some(versions)
}
