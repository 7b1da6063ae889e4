//! `berth-bench`: Berth and the CNCF reference registry (Distribution 2.8, Debian's
//! `docker-registry`) side by side on loopback, with this crate's own load generator. Prints a
//! Markdown table and writes every figure as JSON. `bench/run` is the entry point that installs
//! what is needed and builds Berth first.

mod ceilings;
mod client;
mod pull_through;
mod replication;
mod scanning;
mod servers;
mod workloads;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use bytes::{Bytes, BytesMut};
use clap::Parser;
use http::Method;
use serde_json::json;

use servers::Registry;
use workloads::*;

#[derive(Parser)]
#[command(about = "Berth and the reference registry, side by side")]
struct Args {
    /// A short run (smaller blob, fewer images, tags and repositories; under two minutes).
    #[arg(long)]
    quick: bool,
    #[arg(long, default_value = "target/release/berth")]
    berth_bin: PathBuf,
    #[arg(long, default_value = "docker-registry")]
    reference_bin: PathBuf,
    /// Directory for the JSON results.
    #[arg(long, default_value = "bench/results")]
    out: PathBuf,
    /// Extra arguments for `berth serve` (repeatable), e.g. `--berth-arg=--fsync=false`.
    #[arg(long = "berth-arg", allow_hyphen_values = true)]
    berth_args: Vec<String>,
    /// Run only these workloads (for profiling): blob, reads, images, tags, catalog, scan,
    /// replication, cache.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Print Berth's PID and wait this many seconds before the workloads (to attach a profiler).
    #[arg(long, default_value_t = 0)]
    attach_wait: u64,
    /// (Internal: the scanning workload's child) the inventory of one layer file, as JSON.
    #[arg(long, hide = true, value_name = "FILE")]
    inventory_of: Option<PathBuf>,
}

/// Pushes of the large blob per registry and way (one PUT, chunks); the median is reported.
const PUSH_ROUNDS: u64 = 3;

/// The large-blob figures of one registry.
struct BlobFigures {
    push_mibps: f64,
    push_chunked_mibps: f64,
    pull_mibps: f64,
    pull8_mibps: f64,
}

struct Sizes {
    blob: usize,
    read_secs: f64,
    images: usize,
    tags: usize,
    repos: usize,
}

/// One line of the table: which way is better decides the ratio.
#[derive(serde::Serialize)]
struct Row {
    workload: String,
    unit: &'static str,
    berth: f64,
    reference: f64,
    higher_is_better: bool,
}

impl Row {
    fn new(
        workload: impl Into<String>,
        unit: &'static str,
        berth: f64,
        reference: f64,
        higher_is_better: bool,
    ) -> Row {
        Row {
            workload: workload.into(),
            unit,
            berth,
            reference,
            higher_is_better,
        }
    }

    /// How many times better Berth is (> 1 means Berth leads).
    fn advantage(&self) -> f64 {
        if self.higher_is_better {
            self.berth / self.reference
        } else {
            self.reference / self.berth
        }
    }
}

fn fmt(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Run `f` on both registries, Berth first on even rounds and the reference first on odd ones.
macro_rules! both {
    ($round:expr, $b:expr, $r:expr, |$reg:ident| $body:expr) => {{
        if $round % 2 == 0 {
            let x = {
                let $reg = &$b;
                $body
            }
            .await
            .with_context(|| format!("{}", $b.name))?;
            let y = {
                let $reg = &$r;
                $body
            }
            .await
            .with_context(|| format!("{}", $r.name))?;
            (x, y)
        } else {
            let y = {
                let $reg = &$r;
                $body
            }
            .await
            .with_context(|| format!("{}", $r.name))?;
            let x = {
                let $reg = &$b;
                $body
            }
            .await
            .with_context(|| format!("{}", $b.name))?;
            (x, y)
        }
    }};
}

fn machine() -> serde_json::Value {
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().map(str::to_string))
        .unwrap_or_default();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    json!({
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu": cpu,
        "memory": mem,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(layer) = &args.inventory_of {
        return scanning::inventory_child(layer);
    }
    let sizes = if args.quick {
        Sizes {
            blob: 128 << 20,
            read_secs: 2.0,
            images: 300,
            tags: 3_000,
            repos: 1_000,
        }
    } else {
        Sizes {
            blob: 1 << 30,
            read_secs: 10.0,
            images: 5_000,
            tags: 100_000,
            repos: 10_000,
        }
    };
    let work = std::env::temp_dir().join(format!("berth-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    // On a worker thread, like every task it spawns: `block_on`'s own thread is woken from a
    // worker for each read it waits on: one HTTP response read there measured 10-25% slower than
    // on a worker.
    let w = work.clone();
    // a panic in the workloads is reported like an error, after the work directory is removed
    let result = match tokio::spawn(async move { run(&args, &sizes, &w).await }).await {
        Ok(r) => r,
        Err(e) => Err(anyhow::Error::new(e).context("the workloads stopped")),
    };
    let _ = std::fs::remove_dir_all(&work);
    result
}

async fn run(args: &Args, sizes: &Sizes, work: &std::path::Path) -> anyhow::Result<()> {
    eprintln!("measuring the machine's ceilings");
    let ceilings = ceilings::measure(work, sizes.blob.min(1 << 30)).await?;

    eprintln!("starting Berth and the reference registry");
    let b = servers::start_berth(&args.berth_bin, work, &args.berth_args).await?;
    let r = servers::start_reference(&args.reference_bin, work).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = (b.rss().unwrap_or(0), r.rss().unwrap_or(0));
    if args.attach_wait > 0 {
        eprintln!(
            "berth pid {}; waiting {} s",
            b.pid().unwrap_or(0),
            args.attach_wait
        );
        tokio::time::sleep(Duration::from_secs(args.attach_wait)).await;
    }
    let want = |w: &str| args.only.is_empty() || args.only.iter().any(|o| o == w);
    let mut push_mibps = None;
    let mut pull_mibps = None;
    let mut peak = (0u64, 0u64);
    let mut rows = Vec::new();
    let mut raw = serde_json::Map::new();

    // 1, 2: one large blob
    if want("blob") {
        eprintln!("workloads 1-2: a {} MiB blob", sizes.blob >> 20);
        let data = random_bytes(sizes.blob);
        // Each push is of a blob of its own (the same bytes but for the first eight), pushed to
        // both registries in alternation; the median of PUSH_ROUNDS is reported.
        let variant = |i: u64| {
            let mut m = BytesMut::from(&data[..]);
            m[..8].copy_from_slice(&i.to_be_bytes());
            m.freeze()
        };
        let (mut bp, mut rp, mut bc, mut rc) = (vec![], vec![], vec![], vec![]);
        // the first blob pushed is the one pulled
        let mut pulled = None;
        for round in 0..PUSH_ROUNDS {
            let blob = variant(2 * round);
            let (x, y) = both!(round, b, r, |reg| push_timed(reg, &blob, false));
            bp.push(x);
            rp.push(y);
            pulled.get_or_insert(blob);
            let blob = variant(2 * round + 1);
            let (x, y) = both!(round + 1, b, r, |reg| push_timed(reg, &blob, true));
            bc.push(x);
            rc.push(y);
        }
        let pulled = pulled.context("no push round")?;
        let digest = sha256(&pulled);
        drop(data);
        let (bl, rl) = both!(0, b, r, |reg| pull_blob(reg, &digest, pulled.len()));
        drop(pulled);
        let bb = BlobFigures {
            push_mibps: median(&bp),
            push_chunked_mibps: median(&bc),
            pull_mibps: bl.pull_mibps,
            pull8_mibps: bl.pull8_mibps,
        };
        let rb = BlobFigures {
            push_mibps: median(&rp),
            push_chunked_mibps: median(&rc),
            pull_mibps: rl.pull_mibps,
            pull8_mibps: rl.pull8_mibps,
        };
        raw.insert(
            "push_rounds".into(),
            json!({ "berth_put": bp, "reference_put": rp, "berth_chunked": bc, "reference_chunked": rc }),
        );
        let mib = sizes.blob >> 20;
        rows.push(Row::new(
            format!("push {mib} MiB blob, one PUT (MiB/s)"),
            "MiB/s",
            bb.push_mibps,
            rb.push_mibps,
            true,
        ));
        rows.push(Row::new(
            format!("push {mib} MiB blob, 10 MiB PATCH chunks (MiB/s)"),
            "MiB/s",
            bb.push_chunked_mibps,
            rb.push_chunked_mibps,
            true,
        ));
        rows.push(Row::new(
            format!("pull {mib} MiB blob (MiB/s)"),
            "MiB/s",
            bb.pull_mibps,
            rb.pull_mibps,
            true,
        ));
        rows.push(Row::new(
            format!("pull {mib} MiB blob, 8 concurrent pullers (MiB/s total)"),
            "MiB/s",
            bb.pull8_mibps,
            rb.pull8_mibps,
            true,
        ));

        push_mibps = Some(bb.push_mibps);
        pull_mibps = Some(bb.pull_mibps);
    }
    // 3: manifest reads
    if want("reads") {
        eprintln!("workload 3: manifest GET by tag and HEAD by digest, 64 connections");
        let mut cb = b.conn().await?;
        let mut cr = r.conn().await?;
        let db = small_image(&mut cb, "bench/small", "latest", "reads").await?;
        let dr = small_image(&mut cr, "bench/small", "latest", "reads").await?;
        let secs = sizes.read_secs;
        let (gb, gr) = both!(1, b, r, |reg| manifest_reads(
            reg,
            Method::GET,
            "/v2/bench/small/manifests/latest",
            64,
            secs
        ));
        let (hb, hr) = both!(2, b, r, |reg| {
            let d = if reg.name == "berth" { &db } else { &dr };
            manifest_reads(
                reg,
                Method::HEAD,
                &format!("/v2/bench/small/manifests/{d}"),
                64,
                secs,
            )
        });
        rows.push(Row::new(
            "manifest GET by tag, 64 conns (req/s)",
            "req/s",
            gb.rps,
            gr.rps,
            true,
        ));
        rows.push(Row::new(
            "manifest GET by tag p50 (ms)",
            "ms",
            gb.latency.p50,
            gr.latency.p50,
            false,
        ));
        rows.push(Row::new(
            "manifest GET by tag p99 (ms)",
            "ms",
            gb.latency.p99,
            gr.latency.p99,
            false,
        ));
        rows.push(Row::new(
            "manifest GET by tag p999 (ms)",
            "ms",
            gb.latency.p999,
            gr.latency.p999,
            false,
        ));
        rows.push(Row::new(
            "manifest HEAD by digest, 64 conns (req/s)",
            "req/s",
            hb.rps,
            hr.rps,
            true,
        ));
        rows.push(Row::new(
            "manifest HEAD by digest p99 (ms)",
            "ms",
            hb.latency.p99,
            hr.latency.p99,
            false,
        ));
        raw.insert(
            "manifest_get".into(),
            json!({"berth": gb.latency, "reference": gr.latency}),
        );
        raw.insert(
            "manifest_head".into(),
            json!({"berth": hb.latency, "reference": hr.latency}),
        );

        peak = (gb.peak_rss.max(hb.peak_rss), gr.peak_rss.max(hr.peak_rss));
    }
    // 4: small images
    if want("images") {
        eprintln!("workload 4: {} small images, 32 clients", sizes.images);
        let n = sizes.images;
        let (ib, ir) = both!(3, b, r, |reg| small_images(reg, n, 32));
        rows.push(Row::new(
            format!("push {n} small images, 32 clients (images/s)"),
            "images/s",
            ib,
            ir,
            true,
        ));
    }
    // 5: tags pages as the repository grows
    if want("tags") {
        eprintln!("workload 5: tags list up to {} tags", sizes.tags);
        let mut cb = b.conn().await?;
        let mut cr = r.conn().await?;
        small_image(&mut cb, "bench/tags", "base", "tags").await?;
        small_image(&mut cr, "bench/tags", "base", "tags").await?;
        let mb = cb
            .get("/v2/bench/tags/manifests/base", &[("accept", OCI_MANIFEST)])
            .await?
            .expect(200, "base manifest")?
            .body;
        let mr = cr
            .get("/v2/bench/tags/manifests/base", &[("accept", OCI_MANIFEST)])
            .await?
            .expect(200, "base manifest")?
            .body;
        let body_for = |reg: &Registry| -> Bytes {
            if reg.name == "berth" {
                mb.clone()
            } else {
                mr.clone()
            }
        };
        let tags = sizes.tags;
        both!(4, b, r, |reg| add_tags(
            reg,
            "bench/tags",
            body_for(reg),
            0,
            999,
            32
        ));
        // one page: walked 20 times, for as many samples as the large repository's walk has
        // pages (a single request measured mostly noise)
        let (t1b, t1r) = both!(5, b, r, |reg| walk_pages(
            reg,
            "/v2/bench/tags/tags/list",
            "tags",
            1000,
            20
        ));
        both!(6, b, r, |reg| add_tags(
            reg,
            "bench/tags",
            body_for(reg),
            999,
            tags - 1,
            32
        ));
        let (tnb, tnr) = both!(7, b, r, |reg| walk_pages(
            reg,
            "/v2/bench/tags/tags/list",
            "tags",
            1000,
            1
        ));
        anyhow::ensure!(
            tnb.1 == tags && tnr.1 == tags,
            "tag counts: berth {} reference {}",
            tnb.1,
            tnr.1
        );
        rows.push(Row::new(
            "tags page of 1,000, repo of 1,000 tags (ms)",
            "ms",
            t1b.0.mean,
            t1r.0.mean,
            false,
        ));
        rows.push(Row::new(
            format!("tags page of 1,000, repo of {tags} tags, mean (ms)"),
            "ms",
            tnb.0.mean,
            tnr.0.mean,
            false,
        ));
        rows.push(Row::new(
            format!("tags page of 1,000, repo of {tags} tags, p99 (ms)"),
            "ms",
            tnb.0.p99,
            tnr.0.p99,
            false,
        ));
        raw.insert(
            "tags_pages".into(),
            json!({"berth": tnb.2, "reference": tnr.2}),
        );
    }
    // 6: catalog
    if want("catalog") {
        eprintln!("workload 6: _catalog over {} repositories", sizes.repos);
        let repos = sizes.repos;
        both!(8, b, r, |reg| add_repositories(reg, 0, repos, 32));
        let (cb_, cr_) = both!(9, b, r, |reg| walk_pages(
            reg,
            "/v2/_catalog",
            "repositories",
            1000,
            3
        ));
        rows.push(Row::new(
            format!("_catalog page of 1,000 over {} repos, mean (ms)", cb_.1),
            "ms",
            cb_.0.mean,
            cr_.0.mean,
            false,
        ));
        rows.push(Row::new(
            format!("_catalog page of 1,000 over {} repos, p99 (ms)", cb_.1),
            "ms",
            cb_.0.p99,
            cr_.0.p99,
            false,
        ));
        raw.insert(
            "catalog_pages".into(),
            json!({"berth": cb_.2, "reference": cr_.2}),
        );
    }
    // 7: memory and start-up
    let mb_ = 1024.0 * 1024.0;
    rows.push(Row::new(
        "resident memory idle (MiB)",
        "MiB",
        idle.0 as f64 / mb_,
        idle.1 as f64 / mb_,
        false,
    ));
    if want("reads") {
        rows.push(Row::new(
            "resident memory, peak of workload 3 (MiB)",
            "MiB",
            peak.0 as f64 / mb_,
            peak.1 as f64 / mb_,
            false,
        ));
    }
    // scanning: Berth alone (the reference registry does not scan), beside `gzip -dc`
    let mut scan = None;
    if want("scan") {
        let size = if args.quick { 64 << 20 } else { 500 << 20 };
        eprintln!(
            "scanning: a {} MiB layer, matching, scan on push",
            size >> 20
        );
        let f = scanning::measure(&b, work, size, &scanning::vulndata_dir()).await?;
        raw.insert(
            "scanning".into(),
            json!({
                "layer_compressed_mib": f.layer_mib,
                "inventory_mibps": f.inventory_mibps,
                "gzip_dc_mibps": f.gzip_mibps,
                "inventory_peak_rss_mib": f.peak_rss_mib,
                "inventory_packages": f.packages,
                "match_10k_packages_ms": f.matching,
                "advisories": f.advisories,
                "index_advisories_ms": f.index_ms,
                "scan_on_push_small_ms": f.push_small_ms,
                "scan_on_push_large_ms": f.push_large_ms,
                "rescan_after_import_ms": f.rescan_ms,
            }),
        );
        scan = Some((size, f));
    }
    // replication: Berth alone (two installations of its own), beside skopeo copy
    let mut replication = None;
    if want("replication") {
        let size = if args.quick { 64 << 20 } else { 1 << 30 };
        eprintln!(
            "replication: a {} MiB image between two installations, lag of 50 pushes",
            size >> 20
        );
        let f = replication::measure(&args.berth_bin, work, size).await?;
        raw.insert(
            "replication".into(),
            json!({
                "image_mib": f.size_mib,
                "replicate_s": f.replicate_secs,
                "skopeo_copy_s": f.skopeo_secs,
                "lag_p50_ms": f.lag_p50_ms,
                "lag_p99_ms": f.lag_p99_ms,
                "lag_max_ms": f.lag_max_ms,
                "status_poll_round_ms": f.poll_ms,
            }),
        );
        replication = Some(f);
    }
    // the pull-through cache, with the reference registry as its upstream
    if want("cache") {
        let size = if args.quick { 32 << 20 } else { 256 << 20 };
        eprintln!(
            "pull-through cache: a {} MiB image from the reference registry",
            size >> 20
        );
        let f = pull_through::measure(&b, &r, size).await?;
        raw.insert(
            "pull_through".into(),
            json!({
                "image_mib": f.size_mib,
                "direct_from_upstream_ms": f.direct_ms,
                "first_through_cache_ms": f.first_ms,
                "cached_ms": f.cached_ms,
                "pushed_image_ms": f.pushed_ms,
            }),
        );
        rows.push(Row::new(
            format!(
                "pull {} MiB image: through the cache, first (ms) : straight from the upstream",
                f.size_mib
            ),
            "ms",
            f.first_ms,
            f.direct_ms,
            false,
        ));
        rows.push(Row::new(
            format!(
                "pull {} MiB image: cached (ms) : one pushed to Berth",
                f.size_mib
            ),
            "ms",
            f.cached_ms,
            f.pushed_ms,
            false,
        ));
    }
    rows.push(Row::new(
        "start to first 200 (ms)",
        "ms",
        b.start_to_first_200.as_secs_f64() * 1000.0,
        r.start_to_first_200.as_secs_f64() * 1000.0,
        false,
    ));

    b.stop().await;
    r.stop().await;

    let date = std::process::Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%dT%H:%M:%SZ")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!("\n| workload | Berth | reference (registry 2.8) | Berth : reference |");
    println!("|---|---|---|---|");
    for row in &rows {
        println!(
            "| {} | {} | {} | {:.2}× |",
            row.workload,
            fmt(row.berth),
            fmt(row.reference),
            row.advantage()
        );
    }
    if let Some((size, f)) = &scan {
        println!("\n| scanning | Berth | beside | target |");
        println!("|---|---|---|---|");
        println!(
            "| inventory of a {} MiB layer (MiB/s of tar) | {} | `gzip -dc > /dev/null` {} ({:.0}%) | ≥ 70% |",
            size >> 20,
            fmt(f.inventory_mibps),
            fmt(f.gzip_mibps),
            100.0 * f.inventory_mibps / f.gzip_mibps
        );
        println!(
            "| peak memory of the inventory process (MiB) | {} | | < 64 |",
            fmt(f.peak_rss_mib)
        );
        for ((ms, found), what) in f.matching.iter().zip(["none affected", "all affected"]) {
            println!(
                "| match 10,000 packages, {what}: {found} findings (ms) | {} | {} advisories | < 100 |",
                fmt(*ms),
                f.advisories
            );
        }
        println!(
            "| index the {} advisories for matching (ms) | {} | | |",
            f.advisories,
            fmt(f.index_ms)
        );
        println!(
            "| scan on push, small image: PUT to COMPLETE (ms) | {} | | |",
            fmt(f.push_small_ms)
        );
        println!(
            "| scan on push, {} MiB layer: PUT to COMPLETE (ms) | {} | | |",
            size >> 20,
            fmt(f.push_large_ms)
        );
        println!(
            "| rescan after a data import (ms) | {} | | |",
            fmt(f.rescan_ms)
        );
    }
    if let Some(f) = &replication {
        println!("\n| replication (us-east-1 → us-west-2, loopback) | Berth | beside | target |");
        println!("|---|---|---|---|");
        println!(
            "| a {} MiB image: PUT to COMPLETE (s) | {} | `skopeo copy` between the same two {} ({:.2}×) | ≤ 1.3× |",
            f.size_mib,
            fmt(f.replicate_secs),
            fmt(f.skopeo_secs),
            f.replicate_secs / f.skopeo_secs
        );
        println!(
            "| lag of 50 concurrent pushes, p50 (ms) | {} | status read every {} ms | < 1,000 |",
            fmt(f.lag_p50_ms),
            fmt(f.poll_ms)
        );
        println!(
            "| lag of 50 concurrent pushes, p99 (ms) | {} | max {} | < 3,000 |",
            fmt(f.lag_p99_ms),
            fmt(f.lag_max_ms)
        );
    }
    let sha = ceilings
        .sha256_openssl_mibps
        .unwrap_or(ceilings.sha256_sha2_mibps);
    let direct = ceilings
        .disk_write_direct_mibps
        .map(|d| format!("; O_DIRECT with fdatasync {}", fmt(d)))
        .unwrap_or_default();
    println!(
        "\nCeilings measured in this run: SHA-256 one core {} MiB/s (openssl, 16 KiB blocks in cache; the sha2 crate over 1 GiB in memory {}); disk write through the page cache {} MiB/s (with fdatasync {}{direct}); loopback TCP copy {} MiB/s (as one HTTP response read by the harness's client {}).",
        fmt(sha), fmt(ceilings.sha256_sha2_mibps), fmt(ceilings.disk_write_mibps), fmt(ceilings.disk_write_synced_mibps), fmt(ceilings.loopback_mibps), fmt(ceilings.loopback_http_mibps)
    );
    if let (Some(push), Some(pull)) = (push_mibps, pull_mibps) {
        let disk = ceilings
            .disk_write_direct_mibps
            .unwrap_or(ceilings.disk_write_synced_mibps);
        println!(
            "Berth push at {:.0}% of the SHA-256 ceiling and {:.0}% of the durable disk-write ceiling; pull at {:.0}% of the loopback ceiling ({:.0}% of the HTTP one).",
            100.0 * push / sha,
            100.0 * push / disk,
            100.0 * pull / ceilings.loopback_mibps,
            100.0 * pull / ceilings.loopback_http_mibps,
        );
    }
    println!(
        "{date}, {} cores{}{}.",
        machine()["cores"],
        if args.quick { ", --quick" } else { "" },
        if args.berth_args.is_empty() {
            String::new()
        } else {
            format!(", berth serve {}", args.berth_args.join(" "))
        },
    );
    std::fs::create_dir_all(&args.out)?;
    let file = args.out.join(format!(
        "{}{}.json",
        date.replace(':', ""),
        if args.quick { "-quick" } else { "" }
    ));
    let doc = json!({
        "date": date,
        "quick": args.quick,
        "machine": machine(),
        "berth_args": args.berth_args,
        "ceilings": ceilings,
        "rows": rows,
        "raw": raw,
    });
    std::fs::write(&file, serde_json::to_string_pretty(&doc)?)?;
    eprintln!("results written to {}", file.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advantage_follows_the_better_direction() {
        let faster = Row::new("x", "req/s", 200.0, 100.0, true);
        assert_eq!(faster.advantage(), 2.0);
        let quicker = Row::new("y", "ms", 5.0, 50.0, false);
        assert_eq!(quicker.advantage(), 10.0);
        assert_eq!(fmt(1234.5), "1234");
        assert_eq!(fmt(12.345), "12.3");
        assert_eq!(fmt(1.2345), "1.23");
    }
}
