//! Debian's installed packages: `var/lib/dpkg/status`, and distroless images' one file per
//! package under `var/lib/dpkg/status.d/`. A package counts when its `Status` says installed;
//! `Source: name (version)` names the source package advisories are about.

use super::{field, paragraphs, Package, PackageKind};
use crate::fs::Filesystem;

const STATUS: &str = "var/lib/dpkg/status";
const STATUS_D: &str = "var/lib/dpkg/status.d/";

pub fn wanted(path: &str) -> bool {
    path == STATUS
        || path.strip_prefix(STATUS_D).is_some_and(|rest| {
            !rest.is_empty() && !rest.contains('/') && !rest.ends_with(".md5sums")
        })
}

pub fn packages(fs: &Filesystem) -> Vec<Package> {
    let mut out = Vec::new();
    for (path, bytes) in fs.files(wanted) {
        let text = String::from_utf8_lossy(bytes);
        for p in paragraphs(&text) {
            if let Some(pkg) = package(&p, path) {
                out.push(pkg);
            }
        }
    }
    out
}

fn package(p: &[(&str, &str)], location: &str) -> Option<Package> {
    let name = field(p, "Package")?;
    let version = field(p, "Version")?;
    // status.d files of distroless images have no Status: they list installed packages only
    if let Some(status) = field(p, "Status") {
        if !status.ends_with(" installed") || status.contains("not-installed") {
            return None;
        }
    }
    let (source, source_version) = match field(p, "Source") {
        Some(s) => match s.split_once('(') {
            Some((n, v)) => (n.trim(), v.trim_end_matches(')').trim()),
            None => (s.trim(), version),
        },
        None => (name, version),
    };
    Some(Package {
        kind: PackageKind::Dpkg,
        name: name.to_string(),
        version: version.to_string(),
        source: source.to_string(),
        source_version: source_version.to_string(),
        arch: field(p, "Architecture").map(str::to_string),
        location: location.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_packages_with_their_source() {
        let p = [
            ("Package", "libssl3"),
            ("Status", "install ok installed"),
            ("Source", "openssl (3.0.11-1~deb12u2)"),
            ("Version", "3.0.11-1~deb12u2+b1"),
        ];
        let pkg = package(&p, STATUS).unwrap();
        assert_eq!(
            (pkg.source.as_str(), pkg.source_version.as_str()),
            ("openssl", "3.0.11-1~deb12u2")
        );
        let removed = [
            ("Package", "x"),
            ("Status", "deinstall ok config-files"),
            ("Version", "1"),
        ];
        assert!(package(&removed, STATUS).is_none());
        assert!(
            wanted("var/lib/dpkg/status.d/base") && !wanted("var/lib/dpkg/status.d/base.md5sums")
        );
    }
}
