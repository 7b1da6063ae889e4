//! The scanning workload: what a scan costs, beside what a user would run for the same bytes.
//! - inventory throughput of a gzipped layer (berth_scan, as the server reads a layer) against
//!   `gzip -dc > /dev/null` of the same file, and the peak memory (VmHWM) of a process that
//!   does only that;
//! - matching 10,000 packages against every record of `../shared/vulndata`;
//! - against the running server: scan on push, from the manifest's PUT to COMPLETE, for a small
//!   image and for the large layer; and a rescan of the large image after a data import
//!   (StartImageScan: the stored inventory, no layer read again).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use serde_json::{json, Value};

use crate::client::Conn;
use crate::servers::{call, Registry};
use crate::workloads::{manifest, push_blob, put_manifest, sha256};
use berth_client::Client;

pub struct ScanFigures {
    pub layer_mib: f64,
    pub inventory_mibps: f64,
    pub gzip_mibps: f64,
    pub peak_rss_mib: f64,
    pub packages: usize,
    /// (ms, findings) of 10,000 packages none of which is affected, then all of them.
    pub matching: Vec<(f64, usize)>,
    pub advisories: usize,
    /// Indexing every advisory (as a server does at start and after an import).
    pub index_ms: f64,
    pub push_small_ms: f64,
    pub push_large_ms: f64,
    pub rescan_ms: f64,
}

/// A gzipped layer of about `size` bytes of text files (compressible as source and packages
/// are), a dpkg status among them.
pub fn write_layer(path: &Path, size: usize) -> anyhow::Result<()> {
    let file = std::fs::File::create(path)?;
    let gz =
        flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::new(6));
    let mut tar = tar::Builder::new(gz);
    let words: Vec<String> = (0..5000u64)
        .map(|i| format!("w{:x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40))
        .collect();
    let mut chunk = String::with_capacity(1 << 20);
    let mut i = 0usize;
    while chunk.len() < 1 << 20 {
        chunk.push_str(&words[(i * 7919) % words.len()]);
        chunk.push(if i.is_multiple_of(13) { '\n' } else { ' ' });
        i += 1;
    }
    let status = (0..2000)
        .map(|n| format!("Package: pkg{n}\nStatus: install ok installed\nVersion: 1.{n}-1\n\n"))
        .collect::<String>();
    let mut add = |name: &str, data: &[u8], mode: u32| -> anyhow::Result<()> {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_cksum();
        tar.append_data(&mut h, name, data)?;
        Ok(())
    };
    add(
        "etc/os-release",
        b"ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
        0o644,
    )?;
    add("var/lib/dpkg/status", status.as_bytes(), 0o644)?;
    let mut written = 0;
    let mut n = 0;
    while written < size {
        let body = format!("{n}\n{chunk}");
        add(&format!("usr/share/doc/f{n}.txt"), body.as_bytes(), 0o644)?;
        written += body.len();
        n += 1;
    }
    tar.into_inner()?.finish()?.flush()?;
    Ok(())
}

/// `berth-bench --inventory-of FILE`: the inventory of one layer in this process, then its
/// time and peak memory as JSON (run as a child so that VmHWM is the scan's alone).
pub fn inventory_child(path: &Path) -> anyhow::Result<()> {
    let t = Instant::now();
    let file = std::fs::File::open(path)?;
    let inv = berth_scan::inventory_of(
        [std::io::BufReader::new(file)],
        &berth_scan::Limits::default(),
    )?;
    let secs = t.elapsed().as_secs_f64();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    println!(
        "{}",
        json!({"secs": secs, "hwm_kib": hwm_kib, "packages": inv.packages.len()})
    );
    Ok(())
}

fn best_of(runs: usize, mut f: impl FnMut() -> anyhow::Result<f64>) -> anyhow::Result<f64> {
    let mut best = f64::MAX;
    for _ in 0..runs {
        best = best.min(f()?);
    }
    Ok(best)
}

/// Every file of the shared vulnerability data, in one database, and how long indexing it
/// took (ms; reading the files is not counted).
fn shared_data(dir: &Path) -> anyhow::Result<(berth_scan::vulndb::Database, f64)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    let mut sources = Vec::new();
    for f in files {
        let name = f.display().to_string();
        if !(name.contains("/osv/")
            || name.contains("alpine-secdb")
            || name.contains("debian-oval"))
        {
            continue;
        }
        let bytes = std::fs::read(&f)?;
        if let Ok(r) = berth_scan::vulndb::import::read_file(&name, &bytes) {
            sources.push((name, r.advisories));
        }
    }
    let mut db = berth_scan::vulndb::Database::default();
    let t = Instant::now();
    db.add_all(sources);
    Ok((db, t.elapsed().as_secs_f64() * 1000.0))
}

/// 10,000 packages of every kind the data names: Debian packages (matched under Debian 12 by
/// source; several binaries of each source, as in images) at `version`, and Go, crates and PyPI
/// packages.
fn ten_thousand_packages(db_dir: &Path, version: &str) -> anyhow::Result<berth_scan::Inventory> {
    use berth_scan::inventory::{Distro, Package, PackageKind};
    let oval = std::fs::read(db_dir.join("debian-oval/oval-definitions-bookworm.xml.bz2"))?;
    let records = berth_scan::vulndb::import::read_file("oval.xml.bz2", &oval)?;
    let mut names: Vec<String> = records
        .advisories
        .iter()
        .flat_map(|a| {
            a.affected
                .iter()
                .filter_map(|x| x.package.as_ref().map(|p| p.name.clone()))
        })
        .collect();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for (i, n) in names.iter().cycle().take(9_000).enumerate() {
        let mut p = Package::language(
            PackageKind::Dpkg,
            &format!("{n}-bin{i}"),
            version,
            "var/lib/dpkg/status",
        );
        p.source = n.clone();
        p.source_version = version.to_string();
        out.push(p);
    }
    for i in 0..1_000 {
        let (kind, name) = match i % 3 {
            0 => (PackageKind::Go, "stdlib"),
            1 => (PackageKind::Cargo, "smallvec"),
            _ => (PackageKind::Python, "urllib3"),
        };
        out.push(Package::language(kind, name, &format!("0.{i}.0"), "x"));
    }
    Ok(berth_scan::Inventory {
        distro: Some(Distro {
            id: "debian".into(),
            version: "12".into(),
            codename: Some("bookworm".into()),
        }),
        packages: out,
        unscanned: Vec::new(),
    })
}

const ECR: &str = "AmazonEC2ContainerRegistry_V20150921.";

/// Wait until the image's scan is no longer waiting or in progress.
async fn until_scanned(
    api: &Client,
    repo: &str,
    digest: &str,
    since: Instant,
) -> anyhow::Result<f64> {
    loop {
        let out = call(
            api,
            "ecr",
            &format!("{ECR}DescribeImageScanFindings"),
            &json!({"repositoryName": repo, "imageId": {"imageDigest": digest}}),
        )
        .await;
        if let Ok(v) = out {
            let s = v["imageScanStatus"]["status"].as_str().unwrap_or_default();
            if s != "IN_PROGRESS" && s != "PENDING" {
                anyhow::ensure!(s == "COMPLETE", "the scan ended {s}: {v}");
                return Ok(since.elapsed().as_secs_f64() * 1000.0);
            }
        }
        anyhow::ensure!(
            since.elapsed() < Duration::from_secs(600),
            "no scan result in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Push an image of these layers (gzipped tars): the time its manifest's PUT returned.
async fn push_image(
    c: &mut Conn,
    repo: &str,
    layers: &[Bytes],
) -> anyhow::Result<(String, Instant)> {
    let mut descs = Vec::new();
    let mut diff_ids = Vec::new();
    for l in layers {
        let d = sha256(l);
        push_blob(c, repo, l.clone(), &d).await?;
        descs.push((d, l.len()));
        let mut raw = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&l[..]), &mut raw)?;
        diff_ids.push(sha256(&raw));
    }
    let config = Bytes::from(
        json!({"architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids}})
        .to_string(),
    );
    let cd = sha256(&config);
    push_blob(c, repo, config.clone(), &cd).await?;
    let m = manifest(&cd, config.len(), &descs);
    let md = sha256(&m);
    put_manifest(c, repo, "latest", m).await?;
    Ok((md, Instant::now()))
}

pub async fn measure(
    b: &Registry,
    work: &Path,
    layer_bytes: usize,
    vulndata: &Path,
) -> anyhow::Result<ScanFigures> {
    let layer = work.join("scan-layer.tar.gz");
    write_layer(&layer, layer_bytes)?;
    let compressed = std::fs::metadata(&layer)?.len();
    let raw_mib = {
        let mut d = flate2::read::GzDecoder::new(std::fs::File::open(&layer)?);
        std::io::copy(&mut d, &mut std::io::sink())? as f64 / (1 << 20) as f64
    };
    // gzip -dc, the ceiling; and the inventory in a child process of its own
    let gzip_secs = best_of(3, || {
        let t = Instant::now();
        let ok = std::process::Command::new("gzip")
            .arg("-dc")
            .arg(&layer)
            .stdout(std::process::Stdio::null())
            .status()?
            .success();
        anyhow::ensure!(ok, "gzip -dc failed");
        Ok(t.elapsed().as_secs_f64())
    })?;
    let me = std::env::current_exe()?;
    let mut peak = 0f64;
    let mut packages = 0;
    let inv_secs = best_of(3, || {
        let out = std::process::Command::new(&me)
            .arg("--inventory-of")
            .arg(&layer)
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout)?;
        peak = peak.max(v["hwm_kib"].as_f64().unwrap_or(0.0) / 1024.0);
        packages = v["packages"].as_u64().unwrap_or(0) as usize;
        Ok(v["secs"].as_f64().unwrap_or(f64::MAX))
    })?;

    // matching
    let (db, index_ms) = shared_data(vulndata).context("reading ../shared/vulndata")?;
    // at versions no advisory applies to, and at versions every advisory of their source does
    let mut matching = Vec::new();
    for version in ["99:1.0-1", "0.1-1"] {
        let inv = ten_thousand_packages(vulndata, version)?;
        let mut found = 0;
        let ms = best_of(5, || {
            let t = Instant::now();
            found = berth_scan::matcher::findings(&db, &inv).len();
            Ok(t.elapsed().as_secs_f64() * 1000.0)
        })?;
        matching.push((ms, found));
    }

    // against the server: scan on push everywhere
    // /v2/ with Basic credentials; the APIs signed, on a connection of their own
    let mut c = b.conn().await?;
    let api = b.api("us-east-1")?;
    call(&api, "ecr", &format!("{ECR}PutRegistryScanningConfiguration"), &json!({
        "scanType": "BASIC",
        "rules": [{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}],
    })).await?;
    let small = {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let mut t = tar::Builder::new(&mut gz);
        let text = b"P:musl\nV:1.1.24-r2\no:musl\n\n";
        let mut h = tar::Header::new_gnu();
        h.set_size(text.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        t.append_data(&mut h, "lib/apk/db/installed", &text[..])?;
        t.into_inner()?;
        Bytes::from(gz.finish()?)
    };
    let (d, t) = push_image(&mut c, "bench/scan-small", &[small]).await?;
    let push_small_ms = until_scanned(&api, "bench/scan-small", &d, t).await?;
    let large = Bytes::from(std::fs::read(&layer)?);
    let (large_digest, t) = push_image(&mut c, "bench/scan-large", &[large]).await?;
    let push_large_ms = until_scanned(&api, "bench/scan-large", &large_digest, t).await?;
    // new data, then a rescan of the large image: its stored inventory
    let secdb = std::fs::read(vulndata.join("alpine-secdb/v3.11/main.json"))?;
    use base64::Engine;
    call(
        &api,
        "berth",
        "BerthAdmin_20261123.ImportVulnerabilityData",
        &json!({
            "Name": "main.json", "Data": base64::engine::general_purpose::STANDARD.encode(&secdb),
        }),
    )
    .await?;
    call(
        &api,
        "ecr",
        &format!("{ECR}StartImageScan"),
        &json!({
            "repositoryName": "bench/scan-large", "imageId": {"imageDigest": large_digest},
        }),
    )
    .await?;
    let rescan_ms = until_scanned(&api, "bench/scan-large", &large_digest, Instant::now()).await?;
    let _ = std::fs::remove_file(&layer);

    Ok(ScanFigures {
        layer_mib: compressed as f64 / (1 << 20) as f64,
        inventory_mibps: raw_mib / inv_secs,
        gzip_mibps: raw_mib / gzip_secs,
        peak_rss_mib: peak,
        packages,
        matching,
        index_ms,
        advisories: db.len(),
        push_small_ms,
        push_large_ms,
        rescan_ms,
    })
}

pub fn vulndata_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndata")
}
