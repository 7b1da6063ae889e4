//! The saved alpine:3.11 image of the shared test data, scanned against Alpine's secdb for
//! v3.11: exactly the findings `images/EXPECTED.md` lists.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::PathBuf;

use berth_scan::matcher::findings;
use berth_scan::vulndb::{alpine, Database};
use berth_scan::{inventory_of, Limits};

fn shared(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/vulndata")
        .join(path)
}

/// The layers of a `docker save` archive, in order.
fn saved_layers(path: &str) -> Vec<Vec<u8>> {
    let file = std::fs::File::open(shared(path)).expect("the shared test image");
    let mut outer = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut files = BTreeMap::new();
    for entry in outer.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        files.insert(name, bytes);
    }
    let manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    manifest[0]["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| files[l.as_str().unwrap()].clone())
        .collect()
}

/// The machine-readable table of EXPECTED.md: (origin, installed, fixed, CVE).
fn expected() -> BTreeSet<(String, String, String, String)> {
    let md = std::fs::read_to_string(shared("images/EXPECTED.md")).unwrap();
    let start = md.find("```tsv").unwrap() + "```tsv".len();
    let end = start + md[start..].find("```").unwrap();
    md[start..end]
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].into(), f[1].into(), f[2].into(), f[3].into())
        })
        .collect()
}

#[test]
fn alpine_311_gives_exactly_the_expected_findings() {
    let layers = saved_layers("images/alpine-311.tar.gz");
    let inventory = inventory_of(layers.iter().map(|l| l.as_slice()), &Limits::default()).unwrap();
    let distro = inventory.distro.clone().unwrap();
    assert_eq!(
        (distro.id.as_str(), distro.version.as_str()),
        ("alpine", "3.11.5")
    );
    assert_eq!(distro.ecosystem().as_deref(), Some("Alpine:v3.11"));
    assert_eq!(inventory.packages.len(), 14);
    let openssl: Vec<&str> = inventory
        .packages
        .iter()
        .filter(|p| p.source == "openssl")
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(openssl, ["libcrypto1.1", "libssl1.1"]);

    let mut db = Database::default();
    for repo in ["main", "community"] {
        let bytes = std::fs::read(shared(&format!("alpine-secdb/v3.11/{repo}.json"))).unwrap();
        db.add("alpine-secdb", alpine::parse(&bytes).unwrap());
    }
    let found = findings(&db, &inventory);
    let by_origin: BTreeSet<(String, String, String, String)> = found
        .iter()
        .map(|f| {
            (
                f.source.to_string(),
                inventory
                    .packages
                    .iter()
                    .find(|p| *p.name == *f.package)
                    .unwrap()
                    .source_version
                    .clone(),
                f.fixed_in.as_deref().unwrap_or_default().to_string(),
                f.name.to_string(),
            )
        })
        .collect();
    assert_eq!(by_origin, expected());
    // 45 (binary package, CVE) pairs; none of the listed non-findings
    assert_eq!(found.len(), 45);
    for not in [
        "CVE-2019-1551",
        "CVE-2019-14697",
        "CVE-2019-5747",
        "CVE-2021-42373",
    ] {
        assert!(found.iter().all(|f| &*f.name != not), "{not} reported");
    }
}
