//! A Rust binary's cargo-auditable data: a `.dep-v0` section (zlib-compressed JSON, as
//! cargo-auditable writes it) added by binutils' objcopy to a real executable, read as the
//! layer streams past; crates.io crates at run time only.

use std::io::Write;
use std::process::Command;

use berth_scan::inventory::PackageKind;
use berth_scan::{inventory_of, Limits};

const DEPS: &str = r#"{"packages":[
 {"name":"app","version":"0.1.0","source":"local","root":true,"dependencies":[1,2,3]},
 {"name":"smallvec","version":"0.6.10","source":"crates.io"},
 {"name":"atty","version":"0.2.14","source":"crates.io","dependencies":[3]},
 {"name":"libc","version":"0.2.150","source":"crates.io"},
 {"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"},
 {"name":"vendored","version":"1.0.0","source":"git"}
]}"#;

fn auditable_binary() -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("berth-scan-rust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(DEPS.as_bytes()).unwrap();
    std::fs::write(dir.join("deps"), z.finish().unwrap()).unwrap();
    let out = Command::new("objcopy")
        .arg("--add-section")
        .arg(format!(".dep-v0={}", dir.join("deps").display()))
        .args(["/bin/true"])
        .arg(dir.join("app"))
        .output()
        .expect("objcopy (binutils)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(dir.join("app")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    bytes
}

fn layer(path: &str, data: &[u8]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o755);
    h.set_cksum();
    b.append_data(&mut h, path, data).unwrap();
    b.into_inner().unwrap()
}

#[test]
fn crates_recorded_by_cargo_auditable() {
    let binary = auditable_binary();
    let inv = inventory_of(
        [layer("usr/bin/app", &binary).as_slice()],
        &Limits::default(),
    )
    .unwrap();
    let mut crates: Vec<(&str, &str)> = inv
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Cargo && p.location == "usr/bin/app")
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect();
    crates.sort();
    assert_eq!(
        crates,
        [
            ("atty", "0.2.14"),
            ("libc", "0.2.150"),
            ("smallvec", "0.6.10")
        ]
    );
    // the same executable without the section has nothing to report
    let plain = std::fs::read("/bin/true").unwrap();
    let inv = inventory_of(
        [layer("usr/bin/true", &plain).as_slice()],
        &Limits::default(),
    )
    .unwrap();
    assert!(inv.packages.is_empty());
}
