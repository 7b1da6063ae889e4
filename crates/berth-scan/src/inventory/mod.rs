//! What an image has installed: its distribution and release, and its packages, read from the
//! package databases of the image's filesystem.

mod apk;
mod cargo;
mod dpkg;
mod golang;
mod java;
mod npm;
mod os_release;
pub mod python;
pub mod rpm;

use serde::{Deserialize, Serialize};

use crate::fs::Filesystem;
use crate::layer::Want;
pub use os_release::Distro;

/// Where a package was found, which decides how its versions order and which advisories
/// apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageKind {
    Apk,
    Dpkg,
    Rpm,
    /// A Go module (or `stdlib`) in a Go binary's build information.
    Go,
    /// A Rust crate (cargo-auditable data, `Cargo.lock`).
    Cargo,
    Python,
    Npm,
    /// A Maven artifact (`group:artifact`) in a jar.
    Java,
}

impl PackageKind {
    /// The OSV ecosystem of a language package (OS packages take their release's).
    pub fn ecosystem(self) -> Option<&'static str> {
        match self {
            PackageKind::Apk | PackageKind::Dpkg | PackageKind::Rpm => None,
            PackageKind::Go => Some("Go"),
            PackageKind::Cargo => Some("crates.io"),
            PackageKind::Python => Some("PyPI"),
            PackageKind::Npm => Some("npm"),
            PackageKind::Java => Some("Maven"),
        }
    }
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub kind: PackageKind,
    /// The binary package's name (`libssl1.1`).
    pub name: String,
    pub version: String,
    /// The source package it was built from (apk origin, dpkg `Source:`), which advisories
    /// name; the package's own name when it has none.
    pub source: String,
    /// The source package's version (dpkg `Source: name (version)`), else the package's.
    pub source_version: String,
    pub arch: Option<String>,
    /// The database it was read from.
    pub location: String,
}

impl Package {
    /// A language package: its own name and version are what advisories name.
    pub fn language(kind: PackageKind, name: &str, version: &str, location: &str) -> Package {
        Package {
            kind,
            name: name.to_string(),
            version: version.to_string(),
            source: name.to_string(),
            source_version: version.to_string(),
            arch: None,
            location: location.to_string(),
        }
    }
}

/// An image's distribution and packages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    pub distro: Option<Distro>,
    pub packages: Vec<Package>,
    /// Package databases that are there but could not be read (`rpm BDB (var/lib/rpm/Packages)`):
    /// a scan reports them as not scanned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unscanned: Vec<String>,
}

/// What a scan keeps of each path of a layer.
pub fn wanted(path: &str) -> Want {
    if wants_bytes(path) {
        Want::Bytes
    } else if rpm::noted(path) {
        Want::Presence
    } else {
        Want::No
    }
}

fn wants_bytes(path: &str) -> bool {
    os_release::wanted(path)
        || apk::wanted(path)
        || dpkg::wanted(path)
        || python::wanted(path)
        || npm::wanted(path)
        || cargo::wanted(path)
        || rpm::wanted(path)
}

/// Read the inventory of an image's filesystem.
pub fn inventory(fs: &Filesystem) -> Inventory {
    let mut unscanned = Vec::new();
    let mut packages = apk::packages(fs);
    packages.extend(dpkg::packages(fs));
    packages.extend(rpm::packages(fs, &mut unscanned));
    packages.extend(python::packages(fs));
    packages.extend(npm::packages(fs));
    packages.extend(cargo::packages(fs));
    packages.extend(golang::packages(fs));
    packages.extend(java::packages(fs));
    Inventory {
        distro: os_release::distro(fs),
        packages,
        unscanned,
    }
}

/// The paragraphs of a `Key: value` database (apk's `installed`, dpkg's `status`): blank
/// lines separate them; dpkg's continuation lines (starting with a space) are skipped.
pub(crate) fn paragraphs(text: &str) -> impl Iterator<Item = Vec<(&str, &str)>> {
    text.split("\n\n").filter_map(|block| {
        let fields: Vec<(&str, &str)> = block
            .lines()
            .filter(|l| !l.starts_with([' ', '\t']))
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim(), v.trim()))
            .collect();
        (!fields.is_empty()).then_some(fields)
    })
}

/// The first value of `key` in a paragraph.
pub(crate) fn field<'a>(p: &[(&'a str, &'a str)], key: &str) -> Option<&'a str> {
    p.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}
