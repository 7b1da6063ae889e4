//! Whether a version is in an affected entry: OSV's range evaluation, by the ranks of the
//! compiled index or, where a range was not compiled, by comparing strings.

use std::cmp::Ordering;

use crate::version::Scheme;
use crate::vulndb::{Affected, Entry, Event, Position, RangeKind};

/// OSV's evaluation of a range's events (in version order): `introduced` `0` lowest; `fixed`
/// and `last_affected` end an affected stretch; versions at or above a `limit` are outside.
/// `cmp(i)` orders the installed version against event `i`'s. Returns whether the version is
/// in the range, and the fix that ends the stretch it is in.
fn evaluate(events: &[Event], cmp: impl Fn(usize) -> Ordering) -> (bool, Option<&str>) {
    let mut limits = events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.limit.is_some())
        .peekable();
    if limits.peek().is_some() && !limits.any(|(i, _)| cmp(i) == Ordering::Less) {
        return (false, None);
    }
    let mut affected = false;
    let mut fix = None;
    for (n, e) in events.iter().enumerate() {
        if let Some(i) = &e.introduced {
            if i == "0" || cmp(n) != Ordering::Less {
                affected = true;
                fix = None;
            }
        } else if let Some(f) = &e.fixed {
            if cmp(n) != Ordering::Less {
                affected = false;
            } else if affected && fix.is_none() {
                fix = Some(f.as_str());
            }
        } else if e.last_affected.is_some() && cmp(n) == Ordering::Greater {
            affected = false;
        }
    }
    (affected, fix.filter(|_| affected))
}

/// Whether an affected entry (its ranges' events in version order) names `version` (an
/// explicit version, or a range), and its fix. `at`: the version's position among the
/// package's versions and the entry's ranks, when the package was compiled (else strings are
/// compared).
pub(super) fn affects<'d>(
    scheme: Scheme,
    version: &str,
    a: &'d Affected,
    at: Option<(Position, &Entry)>,
) -> Option<Option<&'d str>> {
    let listed = match at {
        Some((at, compiled)) => compiled.lists(at),
        None => a
            .versions
            .iter()
            .any(|v| scheme.compare(version, v) == Ordering::Equal),
    };
    let mut hit: Option<Option<&str>> = None;
    for (n, r) in a.ranges.iter().enumerate() {
        let scheme = match r.kind {
            RangeKind::Git => continue,
            RangeKind::Semver => Scheme::Semver,
            RangeKind::Ecosystem => scheme,
        };
        let ranked = at.and_then(|(at, compiled)| Some((at, compiled.ranks(n)?)));
        let (yes, fix) = match ranked {
            Some((at, ranks)) => evaluate(&r.events, |i| at.cmp(&Position::at(ranks[i]))),
            None => evaluate(&r.events, |i| {
                scheme.compare(version, r.events[i].version())
            }),
        };
        if yes {
            // the lowest fix of the ranges it is in
            hit = Some(lowest_fix(scheme, hit.flatten(), fix));
        }
    }
    // a listed version is affected even outside the ranges (the ranges give its fix)
    match hit {
        Some(h) => Some(h),
        None if listed => Some(None),
        None => None,
    }
}

/// The lower of two fixes (a fix, rather than none).
pub(super) fn lowest_fix<'d>(
    scheme: Scheme,
    a: Option<&'d str>,
    b: Option<&'d str>,
) -> Option<&'d str> {
    match (a, b) {
        (Some(x), Some(y)) if scheme.compare(y, x) == Ordering::Less => Some(y),
        (Some(x), _) => Some(x),
        (None, y) => y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::scheme_of;
    use crate::vulndb::import::read_file;
    use crate::vulndb::{Advisory, Database};
    use std::path::{Path, PathBuf};

    /// Compiled (ranks) and plain (strings) evaluation agree for `version` on every entry of
    /// the package, and every entry that applies is among the candidates. Returns how many
    /// entries apply.
    fn agree(db: &Database, ecosystem: &str, name: &str, version: &str) -> usize {
        let scheme = scheme_of(ecosystem).unwrap();
        let package = db.package(ecosystem, name).unwrap();
        let at = package.position(version);
        let candidates: Vec<_> = package
            .candidates(at)
            .iter()
            .map(|e| (e.advisory, e.affected))
            .collect();
        let mut applying = 0;
        for e in package.candidates(None) {
            let (_, entry, _) = db.entry(e);
            let by_text = affects(scheme, version, entry, None);
            let by_rank = affects(scheme, version, entry, at.map(|at| (at, e)));
            assert_eq!(by_text, by_rank, "{ecosystem} {name} {version}: {entry:?}");
            if by_text.is_some() {
                applying += 1;
                assert!(
                    candidates.contains(&(e.advisory, e.affected)),
                    "{ecosystem} {name} {version}: not a candidate: {entry:?}"
                );
            }
        }
        applying
    }

    fn osv(json: &str) -> Advisory {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn ranks_agree_with_strings_on_every_kind_of_range() {
        let mut db = Database::default();
        db.add(
            "osv",
            [
                // two stretches, the second open; a listed version outside them
                osv(
                    r#"{"id":"A","affected":[{"package":{"ecosystem":"PyPI","name":"Pkg_A"},
                "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0"},
                {"introduced":"2.0rc1"},{"last_affected":"2.5"},{"introduced":"3.0"}]}],
                "versions":["1.5"]}]}"#,
                ),
                // a limit; events out of order; a SEMVER range under PyPI (strings)
                osv(
                    r#"{"id":"B","affected":[{"package":{"ecosystem":"PyPI","name":"pkg-a"},
                "ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"1.2.post1"},
                {"introduced":"1.1"},{"limit":"1.3"}]},
                {"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.9.0"}]}]}]}"#,
                ),
                // compare-equal spellings of one version
                osv(
                    r#"{"id":"C","affected":[{"package":{"ecosystem":"PyPI","name":"pkg-a"},
                "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1.0"},
                {"fixed":"1.0.0.1"}]}],"versions":["1.0.0"]}]}"#,
                ),
                osv(
                    r#"{"id":"D","affected":[{"package":{"ecosystem":"Go","name":"m"},
                "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.3"},
                {"introduced":"1.3.0-rc.1"},{"fixed":"1.3.1"}]},
                {"type":"GIT","repo":"r","events":[{"introduced":"abc"}]}]}]}"#,
                ),
            ],
        );
        let probes = [
            "0",
            "0.1",
            "0.9.0",
            "1.0",
            "1.0.0",
            "1.0.0.1",
            "1.1",
            "1.2",
            "1.2.post1",
            "1.3",
            "1.5",
            "2.0a1",
            "2.0rc1",
            "2.0",
            "2.5",
            "2.5.1",
            "3.0",
            "9",
            "not a version",
        ];
        let mut applying = 0;
        for v in probes {
            applying += agree(&db, "PyPI", "pkg-a", v);
        }
        for v in [
            "v0.1.0",
            "1.2.3",
            "1.3.0-rc.0",
            "1.3.0-rc.1",
            "1.3.0",
            "1.3.1",
            "2.0.0",
        ] {
            applying += agree(&db, "Go", "m", v);
        }
        assert!(applying > 15, "{applying}");
    }

    #[test]
    fn entries_that_end_below_a_version_are_not_candidates() {
        let mut db = Database::default();
        db.add(
            "osv",
            [
                osv(
                    r#"{"id":"OLD","affected":[{"package":{"ecosystem":"Go","name":"m"},
                "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]}]}"#,
                ),
                osv(
                    r#"{"id":"OPEN","affected":[{"package":{"ecosystem":"Go","name":"m"},
                "ranges":[{"type":"SEMVER","events":[{"introduced":"0.5.0"}]}]}]}"#,
                ),
            ],
        );
        let package = db.package("Go", "m").unwrap();
        let ids = |v: &str| -> Vec<&str> {
            package
                .candidates(package.position(v))
                .iter()
                .map(|e| db.entry(e).0.id.as_str())
                .collect()
        };
        assert_eq!(ids("2.0.0"), ["OPEN"]);
        assert_eq!(ids("0.1.0"), ["OPEN", "OLD"]);
    }

    fn shared_data() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndata")
    }

    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                files(&p, out);
            } else {
                out.push(p);
            }
        }
    }

    /// Every package of the shared data, at every version its entries name (a sample of the
    /// largest) and around them: the index answers as the strings do.
    #[test]
    fn ranks_agree_with_strings_on_the_shared_data() {
        let mut paths = Vec::new();
        for dir in ["osv", "alpine-secdb", "debian-oval"] {
            files(&shared_data().join(dir), &mut paths);
        }
        let mut sources = Vec::new();
        for path in &paths {
            let name = path.display().to_string();
            if let Ok(r) = read_file(&name, &std::fs::read(path).unwrap()) {
                sources.push((name, r.advisories));
            }
        }
        let mut db = Database::default();
        db.add_all(sources);
        let mut checked = 0;
        for (ecosystem, name, package) in db.packages() {
            if scheme_of(ecosystem).is_none() {
                continue;
            }
            let versions = package.versions();
            let step = (versions.len() / 4).max(1);
            let probes = versions.iter().step_by(step).flat_map(|v| {
                [
                    v.clone(),
                    format!("{v}~"),
                    format!("{v}.1"),
                    format!("{v}-0"),
                ]
            });
            for v in probes.chain(["0".to_string(), "999999".to_string()]) {
                agree(&db, ecosystem, name, &v);
                checked += 1;
            }
        }
        assert!(checked > 10_000, "{checked}");
    }
}
