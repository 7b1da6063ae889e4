//! Python distributions: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, and `*.egg-info`
//! files (`Name:` and `Version:` headers). Names are PyPI's canonical form (PEP 503).

use super::{Package, PackageKind};
use crate::fs::Filesystem;

pub fn wanted(path: &str) -> bool {
    path.ends_with(".dist-info/METADATA")
        || path.ends_with(".egg-info/PKG-INFO")
        || path.ends_with(".egg-info")
}

/// PEP 503: lowercase, runs of `-`, `_`, `.` as one `-`.
pub fn canonical(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            dash = true;
            continue;
        }
        if dash && !out.is_empty() {
            out.push('-');
        }
        dash = false;
        out.extend(c.to_lowercase());
    }
    out
}

fn header<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        // the headers end at the first blank line (the description follows)
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .map(str::trim)
}

pub fn packages(fs: &Filesystem) -> Vec<Package> {
    fs.files(wanted)
        .filter_map(|(path, bytes)| {
            let text = String::from_utf8_lossy(bytes);
            let name = canonical(header(&text, "Name")?);
            let version = header(&text, "Version")?;
            Some(Package::language(PackageKind::Python, &name, version, path))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_canonical() {
        assert_eq!(canonical("Django_REST.framework"), "django-rest-framework");
        assert_eq!(
            header(
                "Metadata-Version: 2.1\nName: requests\nVersion: 2.19.0\n\nName: no",
                "Version"
            ),
            Some("2.19.0")
        );
    }
}
