//! The workloads, each run against one registry. Every request's status is checked: a workload
//! that gets an error fails the run instead of reporting a fast failure.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use hdrhistogram::Histogram;
use http::Method;
use rand::RngCore;
use sha2::{Digest as _, Sha256};

use crate::client::{empty, full, path_of, streamed, with_digest, Conn};
use crate::servers::Registry;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const FRAME: usize = 1024 * 1024;

pub fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

pub fn random_bytes(n: usize) -> Bytes {
    let mut v = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut v);
    Bytes::from(v)
}

/// Latency summary in milliseconds.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p99: f64,
    pub p999: f64,
    pub mean: f64,
}

pub fn histogram() -> Histogram<u64> {
    // microseconds, up to 100 s
    Histogram::new_with_bounds(1, 100_000_000, 3).expect("valid histogram bounds")
}

pub fn latency(h: &Histogram<u64>) -> Latency {
    let ms = |v: u64| v as f64 / 1000.0;
    Latency {
        p50: ms(h.value_at_quantile(0.50)),
        p99: ms(h.value_at_quantile(0.99)),
        p999: ms(h.value_at_quantile(0.999)),
        mean: h.mean() / 1000.0,
    }
}

async fn start_upload(c: &mut Conn, repo: &str) -> anyhow::Result<String> {
    let r = c
        .send(
            Method::POST,
            &format!("/v2/{repo}/blobs/uploads/"),
            &[],
            empty(),
            false,
        )
        .await?
        .expect(202, "start upload")?;
    r.header("location")
        .map(str::to_string)
        .context("no Location on the upload")
}

/// POST then one PUT carrying the whole blob.
pub async fn push_blob(c: &mut Conn, repo: &str, data: Bytes, digest: &str) -> anyhow::Result<()> {
    let loc = start_upload(c, repo).await?;
    let len = data.len().to_string();
    c.send(
        Method::PUT,
        &with_digest(&loc, digest),
        &[
            ("content-type", "application/octet-stream"),
            ("content-length", &len),
        ],
        streamed(data, FRAME),
        false,
    )
    .await?
    .expect(201, "PUT blob")?;
    Ok(())
}

/// POST, PATCH chunks of `chunk` bytes with Content-Range, then PUT.
pub async fn push_blob_chunked(
    c: &mut Conn,
    repo: &str,
    data: Bytes,
    digest: &str,
    chunk: usize,
) -> anyhow::Result<()> {
    let mut loc = start_upload(c, repo).await?;
    for start in (0..data.len()).step_by(chunk) {
        let end = (start + chunk).min(data.len());
        let range = format!("{start}-{}", end - 1);
        let len = (end - start).to_string();
        let r = c
            .send(
                Method::PATCH,
                &path_of(&loc),
                &[
                    ("content-type", "application/octet-stream"),
                    ("content-range", &range),
                    ("content-length", &len),
                ],
                streamed(data.slice(start..end), FRAME),
                false,
            )
            .await?
            .expect(202, "PATCH chunk")?;
        if let Some(l) = r.header("location") {
            loc = l.to_string();
        }
    }
    c.send(
        Method::PUT,
        &with_digest(&loc, digest),
        &[("content-length", "0")],
        empty(),
        false,
    )
    .await?
    .expect(201, "PUT after chunks")?;
    Ok(())
}

pub async fn put_manifest(
    c: &mut Conn,
    repo: &str,
    reference: &str,
    body: Bytes,
) -> anyhow::Result<()> {
    c.send(
        Method::PUT,
        &format!("/v2/{repo}/manifests/{reference}"),
        &[("content-type", OCI_MANIFEST)],
        full(body),
        false,
    )
    .await?
    .expect(201, "PUT manifest")?;
    Ok(())
}

pub fn manifest(config: &str, config_size: usize, layers: &[(String, usize)]) -> Bytes {
    let layers: Vec<serde_json::Value> = layers
        .iter()
        .map(|(d, s)| serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": s}))
        .collect();
    Bytes::from(
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": config_size},
            "layers": layers,
        })
        .to_string(),
    )
}

/// Push a minimal image (config only) under `tag`; returns the manifest's digest.
pub async fn small_image(
    c: &mut Conn,
    repo: &str,
    tag: &str,
    salt: &str,
) -> anyhow::Result<String> {
    let config = Bytes::from(format!(
        r#"{{"architecture":"amd64","os":"linux","salt":"{salt}"}}"#
    ));
    let cd = sha256(&config);
    push_blob(c, repo, config.clone(), &cd).await?;
    let m = manifest(&cd, config.len(), &[]);
    let md = sha256(&m);
    put_manifest(c, repo, tag, m).await?;
    Ok(md)
}

// ---------- 1 and 2: one large blob ----------

/// Push one blob in `bench/big`, in one PUT or in 10 MiB PATCH chunks: MiB/s.
pub async fn push_timed(reg: &Registry, data: &Bytes, chunked: bool) -> anyhow::Result<f64> {
    let mib = data.len() as f64 / (1024.0 * 1024.0);
    let digest = sha256(data);
    let mut c = reg.conn().await?;
    let t = Instant::now();
    if chunked {
        push_blob_chunked(&mut c, "bench/big", data.clone(), &digest, 10 * 1024 * 1024).await?;
    } else {
        push_blob(&mut c, "bench/big", data.clone(), &digest).await?;
    }
    Ok(mib / t.elapsed().as_secs_f64())
}

pub struct Pulls {
    pub pull_mibps: f64,
    pub pull8_mibps: f64,
}

/// Pull a pushed blob of `len` bytes: the median of three reads by one client, then eight
/// clients at once.
pub async fn pull_blob(reg: &Registry, digest: &str, len: usize) -> anyhow::Result<Pulls> {
    let mib = len as f64 / (1024.0 * 1024.0);
    let mut c = reg.conn().await?;
    let path = format!("/v2/bench/big/blobs/{digest}");
    // one warm-up read so both registries serve from the page cache
    c.send(Method::GET, &path, &[], empty(), false)
        .await?
        .expect(200, "GET blob")?;
    let mut pulls = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let r = c
            .send(Method::GET, &path, &[], empty(), false)
            .await?
            .expect(200, "GET blob")?;
        anyhow::ensure!(r.len == len as u64, "short blob read");
        pulls.push(mib / t.elapsed().as_secs_f64());
    }
    let pull = median(&pulls);

    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let mut c = reg.conn().await?;
        let path = path.clone();
        tasks.push(tokio::spawn(async move {
            c.send(Method::GET, &path, &[], empty(), false)
                .await?
                .expect(200, "GET blob")
        }));
    }
    for t in tasks {
        let r = t.await??;
        anyhow::ensure!(r.len == len as u64, "short blob read");
    }
    let pull8 = 8.0 * mib / t.elapsed().as_secs_f64();
    Ok(Pulls {
        pull_mibps: pull,
        pull8_mibps: pull8,
    })
}

/// The median of some figures (the upper one of an even count).
pub fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

// ---------- 3: manifest reads at 64 connections ----------

pub struct Reads {
    pub rps: f64,
    pub latency: Latency,
    pub peak_rss: u64,
}

/// Hammer `path` with `method` from `conns` connections for `secs`, sampling the server's RSS.
pub async fn manifest_reads(
    reg: &Registry,
    method: Method,
    path: &str,
    conns: usize,
    secs: f64,
) -> anyhow::Result<Reads> {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    let accept = Arc::new(OCI_MANIFEST.to_string());
    for _ in 0..conns {
        let mut c = reg.conn().await?;
        let (method, path, accept) = (method.clone(), path.to_string(), accept.clone());
        tasks.push(tokio::spawn(async move {
            let mut h = histogram();
            let mut n = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                let r = c
                    .send(
                        method.clone(),
                        &path,
                        &[("accept", accept.as_str())],
                        empty(),
                        false,
                    )
                    .await?;
                anyhow::ensure!(r.status == 200, "manifest read: {}", r.status);
                let _ = h.record(t.elapsed().as_micros() as u64);
                n += 1;
            }
            Ok::<_, anyhow::Error>((n, h))
        }));
    }
    let start = Instant::now();
    let mut peak = 0u64;
    while Instant::now() < deadline {
        peak = peak.max(reg.rss().unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut total = 0u64;
    let mut h = histogram();
    for t in tasks {
        let (n, th) = t.await??;
        total += n;
        h.add(th)?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    peak = peak.max(reg.rss().unwrap_or(0));
    Ok(Reads {
        rps: total as f64 / elapsed,
        latency: latency(&h),
        peak_rss: peak,
    })
}

// ---------- 4: many small images ----------

pub async fn small_images(reg: &Registry, images: usize, clients: usize) -> anyhow::Result<f64> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let mut c = reg.conn().await?;
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= images {
                    return Ok::<_, anyhow::Error>(());
                }
                let repo = format!("bench/images{}", i % 8);
                let layer = random_bytes(1024 + i % 3072);
                let ld = sha256(&layer);
                push_blob(&mut c, &repo, layer.clone(), &ld).await?;
                let config = Bytes::from(format!(
                    r#"{{"architecture":"amd64","os":"linux","image":{i}}}"#
                ));
                let cd = sha256(&config);
                push_blob(&mut c, &repo, config.clone(), &cd).await?;
                let m = manifest(&cd, config.len(), &[(ld, layer.len())]);
                put_manifest(&mut c, &repo, &format!("i{i}"), m).await?;
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(images as f64 / t.elapsed().as_secs_f64())
}

// ---------- 5 and 6: listings ----------

/// Create tags `t000000…` on one manifest until the repository holds `until`, starting at `from`.
pub async fn add_tags(
    reg: &Registry,
    repo: &str,
    manifest_body: Bytes,
    from: usize,
    until: usize,
    clients: usize,
) -> anyhow::Result<()> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(from));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let mut c = reg.conn().await?;
        let (next, body, repo) = (next.clone(), manifest_body.clone(), repo.to_string());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= until {
                    return Ok::<_, anyhow::Error>(());
                }
                put_manifest(&mut c, &repo, &format!("t{i:07}"), body.clone()).await?;
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

/// Walk a paginated listing (`n` per page, following `last`) `walks` times: latency per page,
/// items in one walk and pages in all.
pub async fn walk_pages(
    reg: &Registry,
    path: &str,
    key: &str,
    n: usize,
    walks: usize,
) -> anyhow::Result<(Latency, usize, usize)> {
    let mut c = reg.conn().await?;
    let mut h = histogram();
    let (mut items, mut pages) = (0usize, 0usize);
    for _ in 0..walks.max(1) {
        let mut last: Option<String> = None;
        items = 0;
        loop {
            let url = match &last {
                None => format!("{path}?n={n}"),
                Some(l) => format!("{path}?n={n}&last={l}"),
            };
            let t = Instant::now();
            let r = c.get(&url, &[]).await?.expect(200, "listing page")?;
            let _ = h.record(t.elapsed().as_micros() as u64);
            pages += 1;
            let v: serde_json::Value = serde_json::from_slice(&r.body)?;
            let page: Vec<String> = v[key]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            items += page.len();
            // a registry that ignores n returns everything at once
            if r.header("link").is_none() || page.is_empty() {
                break;
            }
            last = page.last().cloned();
        }
    }
    Ok((latency(&h), items, pages))
}

/// Create repositories `bench/r00000…` up to `until` (one small image each).
pub async fn add_repositories(
    reg: &Registry,
    from: usize,
    until: usize,
    clients: usize,
) -> anyhow::Result<()> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(from));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let mut c = reg.conn().await?;
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= until {
                    return Ok::<_, anyhow::Error>(());
                }
                small_image(&mut c, &format!("bench/r{i:06}"), "v1", "catalog").await?;
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}
