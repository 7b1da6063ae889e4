//! Version ordering per ecosystem, each by its own algorithm: dpkg (Debian, Ubuntu), apk
//! (Alpine), RPM EVR (Red Hat family), SemVer (Go, crates.io, npm; lenient as OSV's tooling is),
//! PEP 440 (PyPI), and Maven's. Each is checked against its ecosystem's vector file in
//! `../shared/vulndata/versions`.

mod apk;
mod dpkg;
mod maven;
mod numeric;
mod pep440;
mod rpm;
mod semver;

use std::cmp::Ordering;

/// How an ecosystem orders its versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Dpkg,
    Apk,
    Rpm,
    Semver,
    Pep440,
    Maven,
}

impl Scheme {
    /// The order of `a` and `b` under this scheme. Every string is a version of every scheme
    /// (as the ecosystems' own tools compare what they are given); malformed parts order by the
    /// scheme's fallback rules.
    pub fn compare(self, a: &str, b: &str) -> Ordering {
        match self {
            Scheme::Dpkg => dpkg::compare(a, b),
            Scheme::Apk => apk::compare(a, b),
            Scheme::Rpm => rpm::compare(a, b),
            Scheme::Semver => semver::compare(a, b),
            Scheme::Pep440 => pep440::compare(a, b),
            Scheme::Maven => maven::compare(a, b),
        }
    }
}

/// Sort `items` by `order`, a version order that may not be total over odd strings (where the
/// standard sort is allowed to panic: caught, leaving the items in some order). Returns whether
/// the sort completed.
pub fn sort_versions<T>(items: &mut [T], order: impl FnMut(&T, &T) -> Ordering) -> bool {
    let mut order = order;
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| items.sort_by(&mut order))).is_ok()
}

/// The version order of an OSV ecosystem (`Debian:12`, `PyPI`, …), if Berth knows it.
pub fn scheme_of(ecosystem: &str) -> Option<Scheme> {
    let base = ecosystem.split(':').next().unwrap_or(ecosystem);
    match base {
        "Alpine" => Some(Scheme::Apk),
        "Debian" | "Ubuntu" => Some(Scheme::Dpkg),
        "AlmaLinux" | "Rocky Linux" | "Red Hat" | "openSUSE" | "SUSE" | "Mageia" => {
            Some(Scheme::Rpm)
        }
        "Go" | "crates.io" | "npm" | "Hex" | "Pub" => Some(Scheme::Semver),
        "PyPI" => Some(Scheme::Pep440),
        "Maven" => Some(Scheme::Maven),
        _ => None,
    }
}

#[cfg(test)]
mod sorting {
    use super::*;

    #[test]
    fn an_order_that_is_not_total_does_not_panic_and_loses_nothing() {
        let mut items: Vec<u32> = (0..500).rev().collect();
        assert!(sort_versions(&mut items, |a, b| a.cmp(b)));
        assert!(items.is_sorted());
        // "everything is less than everything": the standard sort may panic on it
        let _ = sort_versions(&mut items, |_, _| Ordering::Less);
        items.sort_unstable();
        assert_eq!(items, (0..500).collect::<Vec<_>>());
    }
}

#[cfg(test)]
mod vectors {
    use super::*;
    use std::path::PathBuf;

    /// `../shared/vulndata/versions/<file>` from the workspace root.
    fn vector_file(name: &str) -> String {
        let root =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndata/versions");
        let path = root.join(name);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (the shared test data)", path.display()))
    }

    /// Every comparison of the file holds, in both directions.
    fn check(scheme: Scheme, name: &str) {
        let text = vector_file(name);
        let mut checked = 0;
        let mut wrong = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
                continue;
            }
            let parts: Vec<&str> = line.split_whitespace().collect();
            let [a, op, b] = parts.as_slice() else {
                panic!("{name}: unreadable line {line:?}");
            };
            let want = match *op {
                "<" => Ordering::Less,
                "=" => Ordering::Equal,
                ">" => Ordering::Greater,
                _ => panic!("{name}: unknown operator in {line:?}"),
            };
            if scheme.compare(a, b) != want || scheme.compare(b, a) != want.reverse() {
                wrong.push(line.to_string());
            }
            checked += 1;
        }
        assert!(checked > 50, "{name}: only {checked} comparisons");
        assert!(
            wrong.is_empty(),
            "{name}: {} of {checked} wrong, first: {:?}",
            wrong.len(),
            &wrong[..wrong.len().min(10)]
        );
    }

    #[test]
    fn dpkg_vectors() {
        check(Scheme::Dpkg, "debian-versions-generated.txt");
    }

    #[test]
    fn apk_vectors() {
        check(Scheme::Apk, "alpine-versions-generated.txt");
    }

    #[test]
    fn rpm_vectors() {
        check(Scheme::Rpm, "redhat-versions.txt");
    }

    #[test]
    fn pep440_vectors() {
        check(Scheme::Pep440, "pypi-versions-generated.txt");
    }

    #[test]
    fn semver_vectors() {
        check(Scheme::Semver, "semver-versions.txt");
    }
}
