//! The OSV records of the shared test data: every one is read (JSON and YAML), and matching
//! Go's standard library 1.19.8 gives the 15 advisories `images/EXPECTED.md` lists.

use std::path::PathBuf;

use berth_scan::inventory::{Inventory, Package, PackageKind};
use berth_scan::matcher::findings;
use berth_scan::vulndb::{parse_osv, Database};

fn shared(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/vulndata")
        .join(path)
}

fn load(dir: &str) -> Database {
    let mut db = Database::default();
    let mut records = Vec::new();
    for entry in std::fs::read_dir(shared(dir)).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        records.push(parse_osv(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display())));
    }
    assert!(records.len() > 10, "{dir}: {} records", records.len());
    db.add("osv", records);
    db
}

fn package(kind: PackageKind, name: &str, version: &str) -> Package {
    Package {
        kind,
        name: name.into(),
        version: version.into(),
        source: name.into(),
        source_version: version.into(),
        arch: None,
        location: String::new(),
    }
}

#[test]
fn every_record_is_read() {
    for dir in ["osv/go", "osv/crates", "osv/pypi", "osv/almalinux"] {
        load(dir);
    }
}

#[test]
fn go_stdlib_1_19_8_has_the_expected_advisories() {
    let db = load("osv/go");
    let inventory = Inventory {
        distro: None,
        packages: vec![package(PackageKind::Go, "stdlib", "1.19.8")],
    };
    let mut ids: Vec<String> = findings(&db, &inventory)
        .into_iter()
        .map(|f| f.id)
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "GO-2023-1751",
            "GO-2023-1752",
            "GO-2023-1753",
            "GO-2023-1840",
            "GO-2023-1878",
            "GO-2023-1987",
            "GO-2023-2041",
            "GO-2023-2102",
            "GO-2023-2185",
            "GO-2023-2375",
            "GO-2023-2382",
            "GO-2024-2598",
            "GO-2024-2599",
            "GO-2024-2687",
            "GO-2024-2887",
        ]
    );
}
