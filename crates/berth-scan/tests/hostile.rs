//! Hostile and corrupt layers: each ends the read with a clear error within its bounds, and
//! nothing is ever written (paths that climb out of the root only name paths of the image).

use std::io::Write;

use berth_scan::error::ScanError;
use berth_scan::{inventory_of, Limits};

fn tar(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, path, data.as_slice()).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn a_gzip_bomb_stops_at_the_decompressed_limit() {
    // 24 MiB of zeros in one file: a few tens of KiB compressed
    let layer = gzip(&tar(&[("big", vec![0u8; 24 << 20])]));
    assert!(layer.len() < 1 << 20);
    let limits = Limits {
        layer_bytes: 4 << 20,
        ..Limits::default()
    };
    match inventory_of([layer.as_slice()], &limits) {
        Err(ScanError::Limit { what, .. }) => assert_eq!(what, "the decompressed layer"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn too_many_entries_and_a_huge_package_database_are_refused() {
    let many: Vec<(String, Vec<u8>)> = (0..200).map(|i| (format!("f{i}"), Vec::new())).collect();
    let refs: Vec<(&str, Vec<u8>)> = many.iter().map(|(p, d)| (p.as_str(), d.clone())).collect();
    let limits = Limits {
        entries: 100,
        ..Limits::default()
    };
    assert!(matches!(
        inventory_of([tar(&refs).as_slice()], &limits),
        Err(ScanError::Limit {
            what: "the number of entries",
            ..
        })
    ));
    let huge = tar(&[("lib/apk/db/installed", vec![b'x'; 2 << 20])]);
    let limits = Limits {
        file_bytes: 1 << 20,
        ..Limits::default()
    };
    assert!(matches!(
        inventory_of([huge.as_slice()], &limits),
        Err(ScanError::Limit { .. })
    ));
}

#[test]
fn corrupt_archives_are_errors_not_guesses() {
    // a gzip stream cut short
    let layer = gzip(&tar(&[(
        "etc/os-release",
        b"ID=alpine\nVERSION_ID=3.11.5\n".to_vec(),
    )]));
    let cut = &layer[..layer.len() / 2];
    assert!(matches!(
        inventory_of([cut], &Limits::default()),
        Err(ScanError::Archive { .. })
    ));
    // a header whose checksum is wrong
    let mut bad = tar(&[("etc/os-release", b"ID=alpine\n".to_vec())]);
    bad[148] ^= 0x55;
    assert!(matches!(
        inventory_of([bad.as_slice()], &Limits::default()),
        Err(ScanError::Archive { .. })
    ));
}

#[test]
fn paths_climbing_out_of_the_root_name_paths_of_the_image() {
    // the tar crate's builder refuses such names: written into the header by hand
    let data = b"ID=alpine\nVERSION_ID=3.20.1\n";
    let mut h = tar::Header::new_gnu();
    let name = b"../../../etc/os-release";
    h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name);
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    let mut b = tar::Builder::new(Vec::new());
    b.append(&h, &data[..]).unwrap();
    let layer = b.into_inner().unwrap();
    let inv = inventory_of([layer.as_slice()], &Limits::default()).unwrap();
    assert_eq!(inv.distro.unwrap().version, "3.20.1");
}

#[test]
fn a_huge_long_name_is_refused_before_it_is_read() {
    // a GNU long-name header claiming 4 GiB, compressed to almost nothing
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::GNULongName);
    h.set_size(4 << 30);
    h.set_cksum();
    let mut bytes = h.as_bytes().to_vec();
    bytes.extend(vec![b'a'; 1 << 20]);
    let layer = gzip(&bytes);
    match inventory_of([layer.as_slice()], &Limits::default()) {
        Err(ScanError::Limit { what, .. }) => assert!(what.contains("extension header"), "{what}"),
        other => panic!("{other:?}"),
    }
}
