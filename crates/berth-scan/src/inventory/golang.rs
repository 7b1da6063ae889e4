//! Go binaries: the toolchain as the `stdlib` module, the main module and its dependencies,
//! from the build information the layer reader kept.

use super::{Package, PackageKind};
use crate::binary::{go, Binary};
use crate::fs::Filesystem;

fn package(name: &str, version: &str, location: &str) -> Package {
    Package::language(PackageKind::Go, name, version, location)
}

pub fn packages(fs: &Filesystem) -> Vec<Package> {
    let mut out = Vec::new();
    for (path, binary) in fs.binaries() {
        let Binary::Go(info) = binary else { continue };
        let Some(build) = go::parse(info) else {
            continue;
        };
        if let Some(v) = &build.stdlib {
            out.push(package("stdlib", v, path));
        }
        for (module, version) in &build.modules {
            out.push(package(module, version, path));
        }
    }
    out
}
