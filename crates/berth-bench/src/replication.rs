//! The replication workload: two installations on loopback, us-east-1 replicating to its peer
//! us-west-2 (their own servers, started here):
//! - a large image (1 GiB; 64 MiB with --quick): from its manifest's PUT at us-east-1 to
//!   COMPLETE, beside `skopeo copy` of an image of the same size between the same two servers;
//! - lag: 50 small images pushed at once, from each push's answer to the moment
//!   DescribeImageReplicationStatus first says COMPLETE (polled in a loop over the pending
//!   images; the loop's period is reported as the resolution).

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use berth_client::Client;
use bytes::{Bytes, BytesMut};
use serde_json::{json, Value};

use crate::servers::{self, Registry, BENCH_KEY, BENCH_SECRET};
use crate::workloads::{histogram, latency, manifest, push_blob, put_manifest, sha256};

const ECR: &str = "AmazonEC2ContainerRegistry_V20150921.";
/// Images pushed at once for the lag.
const LAG_IMAGES: usize = 50;

pub struct ReplicationFigures {
    pub size_mib: usize,
    pub replicate_secs: f64,
    pub skopeo_secs: f64,
    pub lag_p50_ms: f64,
    pub lag_p99_ms: f64,
    pub lag_max_ms: f64,
    /// How often each pending image's status was read (the lag's resolution).
    pub poll_ms: f64,
}

async fn ecr(c: &Client, op: &str, input: Value) -> anyhow::Result<Value> {
    servers::call(c, "ecr", &format!("{ECR}{op}"), &input).await
}

pub async fn measure(bin: &Path, work: &Path, size: usize) -> anyhow::Result<ReplicationFigures> {
    let west = servers::start_berth_in(
        bin,
        &work.join("west-data"),
        &["--region".into(), "us-west-2".into()],
    )
    .await?;
    let credentials = work.join("peer-credentials");
    std::fs::write(
        &credentials,
        format!(
            "[us-west-2]\naws_access_key_id = {BENCH_KEY}\naws_secret_access_key = {BENCH_SECRET}\n"
        ),
    )?;
    let east = servers::start_berth_in(
        bin,
        &work.join("east-data"),
        &[
            format!("--peer=us-west-2=http://{}", west.addr),
            format!("--peer-credentials={}", credentials.display()),
        ],
    )
    .await?;
    let figures = run(&east, &west, work, size).await;
    east.stop().await;
    west.stop().await;
    figures
}

async fn run(
    east: &Registry,
    west: &Registry,
    work: &Path,
    size: usize,
) -> anyhow::Result<ReplicationFigures> {
    let api = east.api("us-east-1")?;
    ecr(
        &api,
        "PutReplicationConfiguration",
        json!({"replicationConfiguration": {"rules": [{
            "destinations": [{"region": "us-west-2", "registryId": "000000000000"}],
            "repositoryFilters": [{"filter": "replicated", "filterType": "PREFIX_MATCH"}],
        }]}}),
    )
    .await?;
    let data = crate::workloads::random_bytes(size);
    // the replicated image and skopeo's differ (first bytes), so that neither finds the
    // other's blob at the destination
    let variant = |i: u8| {
        let mut m = BytesMut::from(&data[..]);
        m[0] = i;
        m.freeze()
    };
    let (digest, pushed) = push_image(east, "replicated/big", &variant(1)).await?;
    let replicate_secs = until_complete(&api, &[("replicated/big".into(), digest)], pushed)
        .await?
        .0
        .into_values()
        .next()
        .context("no replication")?;
    push_image(east, "local/big", &variant(2)).await?;
    let skopeo_secs = skopeo_copy(east, west, work).await?;
    drop(data);
    let (lag, poll_ms) = lag(east, &api).await?;
    let h = {
        let mut h = histogram();
        for l in &lag {
            h.record((l * 1e6) as u64).ok();
        }
        latency(&h)
    };
    Ok(ReplicationFigures {
        size_mib: size >> 20,
        replicate_secs,
        skopeo_secs,
        lag_p50_ms: h.p50,
        lag_p99_ms: h.p99,
        lag_max_ms: lag.iter().copied().fold(0.0, f64::max) * 1000.0,
        poll_ms,
    })
}

/// Push an image of one layer (`layer`) under tag `v1`: its digest, and when the push's
/// answer came.
async fn push_image(
    reg: &Registry,
    repo: &str,
    layer: &Bytes,
) -> anyhow::Result<(String, Instant)> {
    let mut c = reg.conn().await?;
    let config = Bytes::from(format!(
        r#"{{"architecture":"amd64","os":"linux","repo":"{repo}"}}"#
    ));
    let cd = sha256(&config);
    push_blob(&mut c, repo, config.clone(), &cd).await?;
    let ld = sha256(layer);
    push_blob(&mut c, repo, layer.clone(), &ld).await?;
    let m = manifest(&cd, config.len(), &[(ld, layer.len())]);
    let md = sha256(&m);
    put_manifest(&mut c, repo, "v1", m).await?;
    Ok((md, Instant::now()))
}

/// Read the status of each pending image in turn until every one is COMPLETE: the seconds
/// from `since` to the read that first saw each COMPLETE, and the mean time of one round of
/// reads in ms (how late a completion may be seen).
async fn until_complete(
    api: &Client,
    images: &[(String, String)],
    since: Instant,
) -> anyhow::Result<(HashMap<String, f64>, f64)> {
    let mut done = HashMap::new();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(600);
    let mut rounds = 0u32;
    while done.len() < images.len() {
        rounds += 1;
        anyhow::ensure!(
            Instant::now() < deadline,
            "replications still pending after 10 min"
        );
        for (repo, digest) in images {
            if done.contains_key(digest) {
                continue;
            }
            let status = ecr(
                api,
                "DescribeImageReplicationStatus",
                json!({"repositoryName": repo, "imageId": {"imageDigest": digest}}),
            )
            .await?;
            match status["replicationStatuses"][0]["status"].as_str() {
                Some("COMPLETE") => {
                    done.insert(digest.clone(), since.elapsed().as_secs_f64());
                }
                Some("FAILED") => anyhow::bail!("replication of {repo}@{digest} failed: {status}"),
                _ => {}
            }
        }
    }
    let round_ms = started.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds.max(1));
    Ok((done, round_ms))
}

/// `skopeo copy` of `local/big:v1` from `east` to `west`, timed (its blob cache in a directory
/// of its own, so that it knows nothing of either registry).
async fn skopeo_copy(east: &Registry, west: &Registry, work: &Path) -> anyhow::Result<f64> {
    let home = work.join("skopeo-home");
    std::fs::create_dir_all(&home)?;
    let creds = format!("{BENCH_KEY}:{BENCH_SECRET}");
    let started = Instant::now();
    let out = tokio::process::Command::new("skopeo")
        .env("HOME", &home)
        .args(["copy", "--src-tls-verify=false", "--dest-tls-verify=false"])
        .args(["--src-creds", &creds, "--dest-creds", &creds])
        .arg(format!("docker://{}/local/big:v1", east.addr))
        .arg(format!("docker://{}/skopeo/big:v1", west.addr))
        .output()
        .await
        .context("running skopeo (apt-get install skopeo)")?;
    let secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        out.status.success(),
        "skopeo copy: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(secs)
}

/// 50 small images pushed at once, each to its own repository: the seconds from each push's
/// answer to COMPLETE, and the status loop's period in ms.
async fn lag(east: &Registry, api: &Client) -> anyhow::Result<(Vec<f64>, f64)> {
    let pushes = (0..LAG_IMAGES).map(|i| async move {
        let layer = Bytes::from(format!("small image {i} {:?}", Instant::now()));
        push_image(east, &format!("replicated/lag-{i}"), &layer).await
    });
    let pushed = futures_util::future::try_join_all(pushes).await?;
    let images: Vec<(String, String)> = pushed
        .iter()
        .enumerate()
        .map(|(i, (d, _))| (format!("replicated/lag-{i}"), d.clone()))
        .collect();
    let first = pushed.iter().map(|(_, at)| *at).min().context("no push")?;
    let (done, round_ms) = until_complete(api, &images, first).await?;
    // each image's lag from its own push's answer
    let offset: HashMap<&String, f64> = pushed
        .iter()
        .map(|(d, at)| (d, at.duration_since(first).as_secs_f64()))
        .collect();
    let lags = done
        .iter()
        .map(|(d, secs)| secs - offset.get(d).copied().unwrap_or(0.0))
        .collect();
    Ok((lags, round_ms))
}
