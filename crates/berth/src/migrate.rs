//! `berth admin migrate`: a single-node installation (SQLite and the data directory's blobs)
//! copied into cluster mode (PostgreSQL and an S3 bucket, or another directory). Blobs go first,
//! each written with its digest checked and then read back and hashed again, so that the copied
//! metadata never names bytes that are not in the target store.

use std::path::Path;

use anyhow::{bail, Context};
use berth_oci::{Algorithm, Digest};
use serde_json::{json, Value};

use crate::config::Config;

/// Where to migrate to.
pub struct Target<'a> {
    pub database_url: &'a str,
    pub storage: crate::config::Storage,
}

pub async fn run(data_dir: &Path, target: Target<'_>) -> anyhow::Result<Value> {
    let started = std::time::Instant::now();
    let _exclusive = crate::setup::lock_data_dir(data_dir, true)?.with_context(|| {
        format!(
            "a server is serving {}: stop it before migrating (its data must not change meanwhile)",
            data_dir.display()
        )
    })?;
    if !data_dir.join("berth.db").exists() {
        bail!("{} holds no installation (no berth.db)", data_dir.display());
    }
    let source_config = Config::new(([127, 0, 0, 1], 0).into(), data_dir);
    let source_meta = crate::setup::open_meta(&source_config).await?;
    let source_store =
        crate::setup::open_store(&crate::config::Storage::File(None), data_dir, true).await?;
    let mut target_config = Config::new(([127, 0, 0, 1], 0).into(), data_dir);
    target_config.database_url = Some(target.database_url.to_string());
    target_config.storage = target.storage;
    target_config.validate()?;
    if !target_config.shared_database() {
        bail!("--to-database-url must be postgres://… (the cluster's database)");
    }
    let target_store = crate::setup::open_store(&target_config.storage, data_dir, true).await?;
    let target_meta = crate::setup::open_meta(&target_config).await?;
    let existing: i64 = target_meta.account_count().await?;
    if existing > 0 {
        bail!("the target database is not empty: migrate into a new database");
    }

    // 1. blobs, each checked twice: by the store as it is written, and read back
    let blobs = source_meta.all_blobs().await?;
    let (mut copied, mut present, mut bytes) = (0u64, 0u64, 0u64);
    for blob in &blobs {
        let digest = &blob.digest;
        let d: Digest = digest
            .parse()
            .with_context(|| format!("stored digest {digest}"))?;
        let size = blob.size as u64;
        if target_store.stat(&d).await? == Some(size) {
            present += 1;
        } else {
            let stream = source_store
                .read(&d, None)
                .await
                .with_context(|| format!("reading {d} from {}", data_dir.display()))?;
            let written = target_store
                .put(uuid::Uuid::new_v4(), &d, stream, Some(size))
                .await
                .with_context(|| format!("writing {d} to the target store"))?;
            if written != size {
                bail!("{d}: {written} bytes written, {size} expected");
            }
            copied += 1;
            bytes += size;
        }
        let back = berth_storage::hash_stream(
            target_store.read(&d, None).await?,
            Algorithm::Sha256.hasher(),
        )
        .await?;
        if back != d {
            bail!("{d} reads back from the target store as {back}");
        }
    }

    // 2. the metadata, in one transaction
    let tables = source_meta
        .copy_into(&target_meta)
        .await
        .context("copying the metadata")?;
    source_meta.close().await;
    target_meta.close().await;
    Ok(json!({
        "Blobs": blobs.len(),
        "BlobsCopied": copied,
        "BlobsAlreadyPresent": present,
        "BytesCopied": bytes,
        "BlobsVerified": blobs.len(),
        "Tables": tables.into_iter().map(|(t, n)| json!({"Table": t, "Rows": n})).collect::<Vec<_>>(),
        "DurationMs": started.elapsed().as_millis() as u64,
        "Next": format!(
            "start every node with --database-url and --storage-url as given, and the master key \
             of this installation: --master-key-file {} (or BERTH_MASTER_KEY)",
            data_dir.join("master.key").display()
        ),
    }))
}
