//! Rust crates: those of a `Cargo.lock` (each `[[package]]` with a registry `source`: workspace
//! members and path dependencies are not published crates), and those cargo-auditable recorded
//! in a binary.

use super::{Package, PackageKind};
use crate::binary::Binary;
use crate::fs::Filesystem;

pub fn wanted(path: &str) -> bool {
    path == "Cargo.lock" || path.ends_with("/Cargo.lock")
}

/// `key = "value"` of a TOML line.
fn value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(key)?.trim_start().strip_prefix('=')?;
    Some(rest.trim().trim_matches('"'))
}

pub fn parse(text: &str, location: &str) -> Vec<Package> {
    let mut out = Vec::new();
    for block in text.split("[[package]]").skip(1) {
        let (mut name, mut version, mut registry) = (None, None, false);
        for line in block.lines().map(str::trim) {
            if line.starts_with('[') {
                break;
            }
            if let Some(v) = value(line, "name") {
                name = Some(v);
            } else if let Some(v) = value(line, "version") {
                version = Some(v);
            } else if let Some(v) = value(line, "source") {
                registry = v.starts_with("registry+") || v.starts_with("sparse+");
            }
        }
        if let (Some(n), Some(v), true) = (name, version, registry) {
            out.push(Package::language(PackageKind::Cargo, n, v, location));
        }
    }
    out
}

pub fn packages(fs: &Filesystem) -> Vec<Package> {
    let mut out: Vec<Package> = fs
        .files(wanted)
        .flat_map(|(path, bytes)| parse(&String::from_utf8_lossy(bytes), path))
        .collect();
    for (path, binary) in fs.binaries() {
        if let Binary::Rust(crates) = binary {
            out.extend(
                crates
                    .iter()
                    .map(|(n, v)| Package::language(PackageKind::Cargo, n, v, path)),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_packages_only() {
        let lock = "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"smallvec\"\nversion = \"0.6.10\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"x\"\n";
        let p = parse(lock, "Cargo.lock");
        assert_eq!(p.len(), 1);
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str()),
            ("smallvec", "0.6.10")
        );
    }
}
