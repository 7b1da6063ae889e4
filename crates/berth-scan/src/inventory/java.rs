//! Java: the Maven artifacts (`group:artifact`) that the image's archives name in their
//! `pom.properties`, nested archives included.

use super::{Package, PackageKind};
use crate::binary::Binary;
use crate::fs::Filesystem;

pub fn packages(fs: &Filesystem) -> Vec<Package> {
    let mut out = Vec::new();
    for (path, binary) in fs.binaries() {
        if let Binary::Jar(artifacts) = binary {
            for a in artifacts {
                let location = format!("{path}!/{}", a.path);
                out.push(Package::language(
                    PackageKind::Java,
                    &a.name,
                    &a.version,
                    &location,
                ));
            }
        }
    }
    out
}
