//! cargo-auditable's dependency list: the `.dep-v0` section of a Rust binary holds the
//! zlib-compressed JSON of the crates compiled into it (`{"packages": [{"name", "version",
//! "source", "kind", "root"}, …]}`). The crates from crates.io that are part of the binary at
//! run time are what advisories name; the root package, local and git crates, and build-time
//! dependencies are not.

use std::io::Read;

use serde::Deserialize;

/// Bytes of JSON read at most (cargo-auditable's own limit is 8 MiB).
const MAX_JSON: u64 = 8 << 20;

#[derive(Deserialize)]
struct VersionInfo {
    packages: Vec<Crate>,
}

#[derive(Deserialize)]
struct Crate {
    name: String,
    version: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    root: bool,
}

/// (crate, version) of the crates.io crates a binary was built with.
pub fn parse(compressed: &[u8]) -> Option<Vec<(String, String)>> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_JSON)
        .read_to_end(&mut json)
        .ok()?;
    let info: VersionInfo = serde_json::from_slice(&json).ok()?;
    Some(
        info.packages
            .into_iter()
            .filter(|c| !c.root && c.source == "crates.io" && c.kind.as_deref() != Some("build"))
            .map(|c| (c.name, c.version))
            .collect(),
    )
}
