//! The scanner's layer reader and package-database parsers on arbitrary input: the bytes as a
//! layer (gzip, zstd or tar), as a Java archive, an executable and an rpm database, and, so that the parsers see input past the tar structure, the
//! bytes cut at NUL into the contents of the files a scan reads. Neither may panic, and both
//! stay within the scan's limits.

#![no_main]

use libfuzzer_sys::fuzz_target;

const PATHS: [&str; 10] = [
    "etc/os-release",
    "lib/apk/db/installed",
    "var/lib/dpkg/status",
    "var/lib/dpkg/status.d/base",
    "usr/lib/python3/site-packages/x-1.0.dist-info/METADATA",
    "app/node_modules/x/package.json",
    "app/package-lock.json",
    "src/Cargo.lock",
    "var/lib/rpm/rpmdb.sqlite",
    "opt/app/app.jar",
];

fn layer_of(data: &[u8]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, content) in PATHS.iter().zip(data.split(|b| *b == 0)) {
        let mut h = tar::Header::new_gnu();
        h.set_size(content.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        let _ = b.append_data(&mut h, path, content);
    }
    b.into_inner().unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let limits = berth_scan::Limits {
        file_bytes: 1 << 20,
        kept_bytes: 4 << 20,
        entries: 10_000,
        layer_bytes: 64 << 20,
    };
    let _ = berth_scan::inventory_of([data], &limits);
    // the readers of files as they stream past, and rpm's database, on the bytes themselves
    let _ = berth_scan::binary::jar::read(data);
    let _ = berth_scan::binary::sniff(&mut &data[..]);
    let _ = berth_scan::inventory::rpm::parse(data, "x");
    let layer = layer_of(data);
    if let Ok(inv) = berth_scan::inventory_of([layer.as_slice()], &limits) {
        let db = berth_scan::vulndb::Database::default();
        let _ = berth_scan::matcher::findings(&db, &inv);
    }
    for scheme in [
        berth_scan::Scheme::Dpkg,
        berth_scan::Scheme::Apk,
        berth_scan::Scheme::Rpm,
        berth_scan::Scheme::Semver,
        berth_scan::Scheme::Pep440,
        berth_scan::Scheme::Maven,
    ] {
        if let Some(at) = data.iter().position(|b| *b == b' ') {
            let a = String::from_utf8_lossy(&data[..at]);
            let b = String::from_utf8_lossy(&data[at + 1..]);
            // an order: antisymmetric
            assert_eq!(scheme.compare(&a, &b), scheme.compare(&b, &a).reverse());
        }
    }
});
