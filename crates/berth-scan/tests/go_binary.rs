//! A Go binary built here by the machine's Go toolchain (Debian bookworm's go1.19.8), put in
//! a layer: its build information gives `stdlib` at the toolchain's version, which matches the
//! shared Go advisories; a whiteout in a later layer removes it.

use std::path::PathBuf;
use std::process::Command;

use berth_scan::inventory::PackageKind;
use berth_scan::{inventory_of, Limits};

fn go_binary() -> Option<(Vec<u8>, String)> {
    let go = match Command::new("go").arg("version").output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        _ => {
            assert!(
                std::env::var("CI").is_err(),
                "CI: the Go toolchain is required (golang-go)"
            );
            eprintln!("skipped: no Go toolchain");
            return None;
        }
    };
    // "go version go1.19.8 linux/amd64"
    let version = go.split_whitespace().nth(2)?.to_string();
    let dir = std::env::temp_dir().join(format!("berth-scan-go-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("go.mod"), "module example.com/hello\n\ngo 1.19\n").unwrap();
    std::fs::write(
        dir.join("main.go"),
        "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n",
    )
    .unwrap();
    let out = Command::new("go")
        .args(["build", "-o", "hello", "."])
        .current_dir(&dir)
        .env("GOFLAGS", "-mod=mod")
        .env("GOCACHE", dir.join("cache"))
        .env("GOPATH", dir.join("gopath"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(dir.join("hello")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    Some((bytes, version))
}

fn layer(files: &[(&str, &[u8], u32)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data, mode) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(*mode);
        h.set_cksum();
        b.append_data(&mut h, path, *data).unwrap();
    }
    b.into_inner().unwrap()
}

#[test]
fn a_go_binary_reports_its_toolchain_and_a_whiteout_removes_it() {
    let Some((binary, version)) = go_binary() else {
        return;
    };
    let lower = layer(&[("usr/local/bin/hello", &binary, 0o755)]);
    let inv = inventory_of([lower.as_slice()], &Limits::default()).unwrap();
    let stdlib: Vec<_> = inv
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Go && p.name == "stdlib")
        .collect();
    assert_eq!(stdlib.len(), 1, "{:?}", inv.packages);
    assert_eq!(format!("go{}", stdlib[0].version), version);
    assert_eq!(stdlib[0].location, "usr/local/bin/hello");

    if version == "go1.19.8" {
        let mut db = berth_scan::vulndb::Database::default();
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndata/osv/go");
        let records = std::fs::read_dir(dir).unwrap().map(|e| {
            berth_scan::vulndb::parse_osv(&std::fs::read(e.unwrap().path()).unwrap()).unwrap()
        });
        db.add("osv", records);
        let found = berth_scan::matcher::findings(&db, &inv);
        assert_eq!(found.len(), 15, "{found:?}");
    }

    let upper = layer(&[("usr/local/bin/.wh.hello", b"", 0o644)]);
    let inv = inventory_of([lower.as_slice(), upper.as_slice()], &Limits::default()).unwrap();
    assert!(inv.packages.is_empty(), "{:?}", inv.packages);
}
