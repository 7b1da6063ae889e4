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
        unscanned: Vec::new(),
    };
    let mut ids: Vec<String> = findings(&db, &inventory)
        .into_iter()
        .map(|f| f.id.to_string())
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

#[test]
fn rustsec_notices_are_informational_and_withdrawn_records_ignored() {
    let db = load("osv/crates");
    let mut packages = Vec::new();
    let mut withdrawn = Vec::new();
    for entry in std::fs::read_dir(shared("osv/crates")).unwrap() {
        let a = parse_osv(&std::fs::read(entry.unwrap().path()).unwrap()).unwrap();
        let name = a.affected[0].package.as_ref().unwrap().name.clone();
        if a.withdrawn.is_some() {
            withdrawn.push(a.id.clone());
        }
        // "0.0.0-0" is every version: 0.0.1 is in every range that starts there
        packages.push(package(PackageKind::Cargo, &name, "0.0.1"));
    }
    let inventory = Inventory {
        distro: None,
        packages,
        unscanned: Vec::new(),
    };
    let found = findings(&db, &inventory);
    assert!(!withdrawn.is_empty());
    assert!(found
        .iter()
        .all(|f| !withdrawn.iter().any(|w| **w == *f.id)));
    let unmaintained = found
        .iter()
        .find(|f| &*f.id == "RUSTSEC-2024-0320")
        .expect("an unmaintained notice");
    assert_eq!(
        unmaintained.severity,
        berth_scan::severity::Severity::Informational
    );
    assert_eq!(unmaintained.informational.as_deref(), Some("unmaintained"));
}

#[test]
fn debian_oval_matches_by_source_package_and_release() {
    let file =
        std::fs::File::open(shared("debian-oval/oval-definitions-bookworm.xml.bz2")).unwrap();
    let advisories = berth_scan::vulndb::oval::read(file).unwrap();
    assert!(advisories.len() > 20_000, "{} advisories", advisories.len());
    let mut db = Database::default();
    db.add("debian-oval", advisories);
    // the file is of July 2023: 3.0.9-1 fixed the last five openssl CVEs it lists
    let mut libssl = package(PackageKind::Dpkg, "libssl3", "3.0.8-1+b1");
    libssl.source = "openssl".into();
    libssl.source_version = "3.0.8-1".into();
    let inventory = Inventory {
        distro: Some(berth_scan::inventory::Distro {
            id: "debian".into(),
            version: "12".into(),
            codename: Some("bookworm".into()),
        }),
        packages: vec![libssl],
        unscanned: Vec::new(),
    };
    let found = findings(&db, &inventory);
    assert_eq!(found.len(), 5, "{found:?}");
    assert!(found
        .iter()
        .all(|f| &*f.package == "libssl3" && &*f.ecosystem == "Debian:12"));
    assert!(found
        .iter()
        .all(|f| f.fixed_in.as_deref() == Some("0:3.0.9-1")));
    // every finding's fix is above the installed version
    for f in &found {
        let fixed = f.fixed_in.as_deref().unwrap();
        assert_eq!(
            berth_scan::Scheme::Dpkg.compare("3.0.8-1", fixed),
            std::cmp::Ordering::Less,
            "{} fixed in {fixed}",
            f.name
        );
    }
}

#[test]
fn every_shared_file_is_told_apart_by_its_kind() {
    use berth_scan::vulndb::import::{read_file, SourceKind};
    let secdb = std::fs::read(shared("alpine-secdb/v3.20/main.json")).unwrap();
    assert_eq!(
        read_file("main.json", &secdb).unwrap().kind,
        SourceKind::AlpineSecdb
    );
    let yaml = std::fs::read(shared("osv/pypi/PYSEC-2018-28.yaml")).unwrap();
    let r = read_file("PYSEC-2018-28.yaml", &yaml).unwrap();
    assert_eq!((r.kind, r.advisories.len()), (SourceKind::Osv, 1));
    // an all.zip of the Go records
    let mut zipped = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut zipped);
        for entry in std::fs::read_dir(shared("osv/go")).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            w.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut w, &std::fs::read(&path).unwrap()).unwrap();
        }
        w.finish().unwrap();
    }
    let r = read_file("all.zip", zipped.get_ref()).unwrap();
    assert_eq!((r.kind, r.advisories.len()), (SourceKind::Osv, 43));
    assert!(read_file("notes.txt", b"hello").is_err());
}

#[test]
fn pypi_ranges_unsorted_last_affected_and_withdrawn() {
    let db = load("osv/pypi");
    let ids = |name: &str, version: &str| {
        let inventory = Inventory {
            distro: None,
            packages: vec![package(PackageKind::Python, name, version)],
            unscanned: Vec::new(),
        };
        let mut ids: Vec<(String, Option<String>)> = findings(&db, &inventory)
            .into_iter()
            .map(|f| (f.id.to_string(), f.fixed_in.map(|x| x.to_string())))
            .collect();
        ids.sort();
        ids
    };
    let fix = |id: &str, v: &str| (id.to_string(), Some(v.to_string()));
    // events listed out of order: the 1.26 line is fixed in 1.26.17 and 1.26.18
    assert_eq!(
        ids("urllib3", "1.26.16"),
        [
            fix("PYSEC-2023-192", "1.26.17"),
            fix("PYSEC-2023-212", "1.26.18")
        ]
    );
    assert_eq!(
        ids("urllib3", "2.0.5"),
        [
            fix("PYSEC-2023-192", "2.0.6"),
            fix("PYSEC-2023-212", "2.0.7")
        ]
    );
    // last_affected is affected; the next version is not
    assert_eq!(
        ids("py", "1.11.0"),
        [("PYSEC-2022-42969".to_string(), None)]
    );
    assert!(ids("py", "1.11.1").is_empty());
    // withdrawn
    assert!(ids("aiohttp", "3.8.0").is_empty());
    // names as PyPI compares them; a pre-release fix below the installed version
    assert_eq!(
        ids("PyYAML", "5.3"),
        [fix("PYSEC-2020-96", "5.3.1"), fix("PYSEC-2021-142", "5.4")]
    );
}

#[test]
fn almalinux_binary_packages_by_evr_with_a_finding_per_cve() {
    let db = load("osv/almalinux");
    let distro = berth_scan::inventory::Distro {
        id: "almalinux".into(),
        version: "9.0".into(),
        codename: None,
    };
    let inventory = Inventory {
        distro: Some(distro),
        packages: vec![
            // epoch 1 below the fix 1:3.0.1-43.el9_0 (and 1:3.0.7-28.el9_4, 1:3.5.5-4.el9_8)
            package(PackageKind::Rpm, "openssl-libs", "1:3.0.1-41.el9_0"),
            // fixed exactly
            package(PackageKind::Rpm, "zlib", "1.2.11-32.el9_0"),
            // no epoch installed is epoch 0, below the fix's epoch 2
            package(PackageKind::Rpm, "tar", "1.35-1.el9"),
            // a later epoch is not affected however low its version
            package(PackageKind::Rpm, "less", "1:1-1.el9"),
        ],
        unscanned: Vec::new(),
    };
    let got: Vec<(String, String, Option<String>)> = findings(&db, &inventory)
        .into_iter()
        .map(|f| {
            let fixed = f.fixed_in.map(|x| x.to_string());
            (f.name.to_string(), f.package.to_string(), fixed)
        })
        .collect();
    let want =
        |cve: &str, p: &str, fix: &str| (cve.to_string(), p.to_string(), Some(fix.to_string()));
    let mut expected = vec![
        want("CVE-2022-3602", "openssl-libs", "1:3.0.1-43.el9_0"),
        want("CVE-2022-3786", "openssl-libs", "1:3.0.1-43.el9_0"),
        want("CVE-2024-6119", "openssl-libs", "1:3.0.7-28.el9_4"),
        want("CVE-2025-45582", "tar", "2:1.34-9.el9_7"),
    ];
    // ALSA-2026:25239 fixes 15 CVEs at once
    let record = std::fs::read(shared("osv/almalinux/ALSA-2026-25239.json")).unwrap();
    let record: serde_json::Value = serde_json::from_slice(&record).unwrap();
    let related = record["related"].as_array().unwrap();
    assert_eq!(related.len(), 15);
    for cve in related {
        expected.push(want(
            cve.as_str().unwrap(),
            "openssl-libs",
            "1:3.5.5-4.el9_8",
        ));
    }
    expected.sort();
    assert_eq!(got, expected);
}

#[test]
fn cvss_v4_vectors_are_scored() {
    let db = load("osv/crates");
    let inventory = Inventory {
        distro: None,
        packages: vec![package(PackageKind::Cargo, "tar", "0.4.44")],
        unscanned: Vec::new(),
    };
    let found = findings(&db, &inventory);
    let v4: Vec<_> = found
        .iter()
        .filter(|f| &*f.id == "RUSTSEC-2026-0067" || &*f.id == "RUSTSEC-2026-0068")
        .collect();
    assert_eq!(v4.len(), 2, "{found:?}");
    for f in v4 {
        let c = f.cvss.as_ref().expect("a CVSS v4 score");
        assert_eq!(c.version(), "4.0");
        assert!(c.score > 0.0 && c.score <= 10.0);
        assert_eq!(
            f.severity,
            berth_scan::severity::Severity::of_score(c.score)
        );
    }
}
