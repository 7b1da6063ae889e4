//! The pull-through cache workload: the reference registry as the upstream of a cache rule of
//! Berth's, an image of one incompressible layer on it. Timed, each as a client pulls (the
//! manifest, then every blob): the pull straight from the upstream; the first pull through
//! Berth's cache (the upstream fetched); the second (from the cache); and a pull of the same
//! image pushed to Berth directly.

use std::time::Instant;

use anyhow::Context;
use bytes::{Bytes, BytesMut};
use http::Method;
use serde_json::{json, Value};

use crate::client::{empty, Conn};
use crate::servers::{call, Registry};
use crate::workloads::{manifest, push_blob, put_manifest, random_bytes, sha256};

const ECR: &str = "AmazonEC2ContainerRegistry_V20150921.";

pub struct CacheFigures {
    pub size_mib: usize,
    pub direct_ms: f64,
    pub first_ms: f64,
    pub cached_ms: f64,
    pub pushed_ms: f64,
}

/// Push an image of `layer` as `repo:v1` (its config names the repository).
async fn push_image(c: &mut Conn, repo: &str, layer: &Bytes) -> anyhow::Result<()> {
    let config = Bytes::from(format!(
        r#"{{"architecture":"amd64","os":"linux","repo":"{repo}"}}"#
    ));
    let cd = sha256(&config);
    push_blob(c, repo, config.clone(), &cd).await?;
    let ld = sha256(layer);
    push_blob(c, repo, layer.clone(), &ld).await?;
    put_manifest(
        c,
        repo,
        "v1",
        manifest(&cd, config.len(), &[(ld, layer.len())]),
    )
    .await
}

/// Pull `repo:v1` as a client does: the manifest, then each blob; the milliseconds it took.
async fn pull(c: &mut Conn, repo: &str) -> anyhow::Result<f64> {
    let t = Instant::now();
    let m = c
        .get(
            &format!("/v2/{repo}/manifests/v1"),
            &[("accept", "application/vnd.oci.image.manifest.v1+json")],
        )
        .await?
        .expect(200, "GET manifest")?;
    let doc: Value = serde_json::from_slice(&m.body)?;
    let mut digests = vec![doc["config"]["digest"]
        .as_str()
        .context("config")?
        .to_string()];
    for l in doc["layers"].as_array().context("layers")? {
        digests.push(l["digest"].as_str().context("layer")?.to_string());
    }
    for d in digests {
        c.send(
            Method::GET,
            &format!("/v2/{repo}/blobs/{d}"),
            &[],
            empty(),
            false,
        )
        .await?
        .expect(200, "GET blob")?;
    }
    Ok(t.elapsed().as_secs_f64() * 1000.0)
}

pub async fn measure(b: &Registry, r: &Registry, size: usize) -> anyhow::Result<CacheFigures> {
    let layer = random_bytes(size);
    // the upstream's image, and the same bytes (but the first) pushed to Berth
    let mut up = r.conn().await?;
    push_image(&mut up, "cached/app", &layer).await?;
    let mut pushed = BytesMut::from(&layer[..]);
    pushed[0] ^= 0xFF;
    let mut own = b.conn().await?;
    push_image(&mut own, "own/app", &pushed.freeze()).await?;
    drop(layer);
    let api = b.api("us-east-1")?;
    call(
        &api,
        "ecr",
        &format!("{ECR}CreatePullThroughCacheRule"),
        &json!({"ecrRepositoryPrefix": "bench-cache", "upstreamRegistryUrl": format!("http://{}", r.addr)}),
    )
    .await?;
    // warm the upstream's page cache, as it would be for a popular image
    pull(&mut up, "cached/app").await?;
    let direct_ms = pull(&mut up, "cached/app").await?;
    let first_ms = pull(&mut own, "bench-cache/cached/app").await?;
    let cached_ms = pull(&mut own, "bench-cache/cached/app").await?;
    pull(&mut own, "own/app").await?;
    let pushed_ms = pull(&mut own, "own/app").await?;
    Ok(CacheFigures {
        size_mib: size >> 20,
        direct_ms,
        first_ms,
        cached_ms,
        pushed_ms,
    })
}
