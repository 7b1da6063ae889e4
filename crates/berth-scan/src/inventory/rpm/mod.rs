//! Red Hat-family installed packages from rpm's database: `rpmdb.sqlite` (rpm 4.16 and later,
//! in `usr/lib/sysimage/rpm` or `var/lib/rpm`), each row a package header. The older Berkeley DB
//! `Packages` and SUSE's `Packages.db` are not read: an image that has one instead is reported as
//! not scanned for rpm packages, never silently passed over. Advisories of these distributions
//! (AlmaLinux, Rocky) name binary packages, so a package is its own source; its version is the
//! EVR (`epoch:version-release`, the epoch only when the header has one).

mod header;
pub mod sqlite;

use super::{Package, PackageKind};
use crate::fs::Filesystem;
use header::Header;

const SQLITE: [&str; 2] = [
    "usr/lib/sysimage/rpm/rpmdb.sqlite",
    "var/lib/rpm/rpmdb.sqlite",
];
/// Databases a scan only notes: Berkeley DB, and SUSE's NDB.
const UNREAD: [(&str, &str); 3] = [
    ("var/lib/rpm/Packages", "rpm BDB"),
    ("usr/lib/sysimage/rpm/Packages", "rpm BDB"),
    ("var/lib/rpm/Packages.db", "rpm NDB"),
];

pub fn wanted(path: &str) -> bool {
    SQLITE.contains(&path)
}

/// Paths kept only to know they are there.
pub fn noted(path: &str) -> bool {
    UNREAD.iter().any(|(p, _)| *p == path)
}

/// The installed packages, and what could not be read (`not scanned: …`).
pub fn packages(fs: &Filesystem, unscanned: &mut Vec<String>) -> Vec<Package> {
    if let Some((path, bytes)) = SQLITE.iter().find_map(|p| Some((*p, fs.read(p)?))) {
        return match parse(bytes, path) {
            Ok(packages) => packages,
            Err(why) => {
                unscanned.push(format!("rpm database {path} ({why})"));
                Vec::new()
            }
        };
    }
    for (path, what) in UNREAD {
        if fs.exists(path) {
            unscanned.push(format!("{what} ({path})"));
        }
    }
    Vec::new()
}

/// The packages of an `rpmdb.sqlite` file.
pub fn parse(file: &[u8], location: &str) -> Result<Vec<Package>, String> {
    let db = sqlite::Database::open(file).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for row in db.rows("Packages").map_err(|e| e.to_string())? {
        // (hnum, blob)
        let Some(blob) = row.get(1).and_then(sqlite::Value::bytes) else {
            continue;
        };
        let h = Header::parse(blob).map_err(|e| e.to_string())?;
        if let Some(p) = package(&h, location) {
            out.push(p);
        }
    }
    Ok(out)
}

fn package(h: &Header<'_>, location: &str) -> Option<Package> {
    let name = h.string(header::NAME)?;
    // the keys rpm imported are headers too
    if name == "gpg-pubkey" {
        return None;
    }
    let version = h.string(header::VERSION)?;
    let release = h.string(header::RELEASE)?;
    let evr = match h.int32(header::EPOCH) {
        Some(e) => format!("{e}:{version}-{release}"),
        None => format!("{version}-{release}"),
    };
    Some(Package {
        kind: PackageKind::Rpm,
        name: name.to_string(),
        version: evr.clone(),
        source: name.to_string(),
        source_version: evr,
        arch: h.string(header::ARCH).map(str::to_string),
        location: location.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::header::{tests::blob, ARCH, EPOCH, NAME, RELEASE, VERSION};
    use super::*;

    /// An rpmdb.sqlite as rpm lays it out, made by Python's sqlite3 (SQLite itself) from
    /// these header blobs.
    fn rpmdb(test: &str, blobs: &[Vec<u8>]) -> Vec<u8> {
        let dir = std::env::temp_dir().join(format!("berth-rpmdb-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (i, b) in blobs.iter().enumerate() {
            std::fs::write(dir.join(format!("{i:06}")), b).unwrap();
        }
        let script = r#"
import os, sqlite3, sys
d = sys.argv[1]
db = sqlite3.connect(os.path.join(d, "rpmdb.sqlite"))
db.execute("CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)")
db.execute("CREATE TABLE 'Name' (key TEXT NOT NULL, hnum INTEGER NOT NULL, idx INTEGER NOT NULL, FOREIGN KEY (hnum) REFERENCES 'Packages'(hnum))")
for f in sorted(os.listdir(d)):
    if f.isdigit():
        db.execute("INSERT INTO Packages (blob) VALUES (?)", (open(os.path.join(d, f), "rb").read(),))
db.execute("DELETE FROM Packages WHERE hnum = 3")
db.commit()
db.close()
"#;
        let ok = std::process::Command::new("python3")
            .args(["-c", script])
            .arg(&dir)
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let file = std::fs::read(dir.join("rpmdb.sqlite")).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        file
    }

    #[test]
    fn packages_of_an_rpmdb_across_pages_and_overflow() {
        let mut blobs = vec![
            blob(&[
                (NAME, "openssl-libs"),
                (EPOCH, "1"),
                (VERSION, "3.0.1"),
                (RELEASE, "41.el9_0"),
                (ARCH, "x86_64"),
            ]),
            blob(&[
                (NAME, "gpg-pubkey"),
                (VERSION, "b86b3716"),
                (RELEASE, "61e69f29"),
            ]),
            blob(&[(NAME, "deleted"), (VERSION, "1"), (RELEASE, "1")]),
        ];
        // enough packages for interior pages; every tenth one's header spills onto overflow pages
        for i in 0..1500 {
            let summary = "x".repeat(if i % 10 == 0 { 9000 } else { 100 });
            blobs.push(blob(&[
                (NAME, &format!("pkg{i}")),
                (VERSION, "1.0"),
                (RELEASE, &format!("{i}.el9")),
                (1004, &summary),
            ]));
        }
        let file = rpmdb("pages", &blobs);
        assert!(file.len() > 1 << 20);
        let packages = parse(&file, "var/lib/rpm/rpmdb.sqlite").unwrap();
        assert_eq!(packages.len(), 1501);
        let first = &packages[0];
        assert_eq!(
            (
                first.name.as_str(),
                first.version.as_str(),
                first.arch.as_deref()
            ),
            ("openssl-libs", "1:3.0.1-41.el9_0", Some("x86_64"))
        );
        assert_eq!(first.source, "openssl-libs");
        assert_eq!(packages[1500].version, "1.0-1499.el9");
        assert!(packages
            .iter()
            .all(|p| p.name != "gpg-pubkey" && p.name != "deleted"));
    }

    #[test]
    fn a_damaged_rpmdb_is_an_error() {
        let file = rpmdb(
            "damaged",
            &[blob(&[(NAME, "a"), (VERSION, "1"), (RELEASE, "1")])],
        );
        // the schema page only: the table's root page is gone
        let mut cut = file.clone();
        cut.truncate(4096);
        assert!(parse(&cut, "x").is_err());
        let mut bad = file.clone();
        bad[16] = 3; // page size
        assert!(parse(&bad, "x").is_err());
        assert!(parse(b"SQLite format 3\0", "x").is_err());
    }
}
