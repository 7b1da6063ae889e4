//! Alpine's installed packages: `lib/apk/db/installed` (`P:` name, `V:` version, `o:` origin,
//! `A:` architecture).

use super::{field, paragraphs, Package, PackageKind};
use crate::fs::Filesystem;

const DB: &str = "lib/apk/db/installed";

pub fn wanted(path: &str) -> bool {
    path == DB
}

pub fn packages(fs: &Filesystem) -> Vec<Package> {
    let Some(bytes) = fs.read(DB) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(bytes);
    paragraphs(&text)
        .filter_map(|p| {
            let name = field(&p, "P")?;
            let version = field(&p, "V")?;
            let source = field(&p, "o").unwrap_or(name);
            Some(Package {
                kind: PackageKind::Apk,
                name: name.to_string(),
                version: version.to_string(),
                source: source.to_string(),
                source_version: version.to_string(),
                arch: field(&p, "A").map(str::to_string),
                location: DB.to_string(),
            })
        })
        .collect()
}
