//! Online garbage collection, safe by construction.
//!
//! A pass, while the registry keeps serving:
//! 1. marks every repository link to a blob that no manifest of the repository uses (and clears
//!    the marks of links in use again), then deletes links marked for longer than the grace
//!    period, each after a re-check in its deleting statement;
//! 2. marks every blob that no link and no manifest references, then deletes those marked for
//!    longer than the grace period: under the blob's lock (which an upload's commit and a mount
//!    also take), a re-check deletes the row, and only then are its bytes removed;
//! 3. removes upload sessions untouched for longer than the upload TTL, and bytes in the store
//!    that no row describes (what a crash between a commit and its row left), under the same
//!    locks and age limits.
//!
//! Marks live in the database, so the grace period runs across restarts; a dry run reports what a
//! pass would delete now and changes nothing.

use std::time::{Duration, Instant};

use berth_oci::Digest;
use serde::Serialize;

use crate::{Registry, Result};

/// How a pass runs.
#[derive(Debug, Clone, Copy)]
pub struct GcOptions {
    /// How long something must have been unreferenced before it is deleted.
    pub grace: Duration,
    /// How long an upload may go untouched before it is abandoned.
    pub upload_ttl: Duration,
    /// Report only.
    pub dry_run: bool,
}

/// What a pass examined, deleted and kept.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct GcReport {
    pub dry_run: bool,
    pub links_examined: u64,
    pub links_marked: u64,
    pub links_deleted: u64,
    pub blobs_examined: u64,
    /// What the blobs examined hold.
    pub bytes_examined: u64,
    pub blobs_marked: u64,
    pub blobs_deleted: u64,
    pub bytes_deleted: u64,
    /// Unreferenced blobs still within the grace period.
    pub blobs_kept: u64,
    pub bytes_kept: u64,
    pub uploads_deleted: u64,
    pub upload_bytes_deleted: u64,
    /// Stored bytes that no row described (a crash between a commit and its row).
    pub orphans_deleted: u64,
    pub orphan_bytes_deleted: u64,
    /// Package inventories of images no repository holds any more (kept for rescans).
    pub inventories_deleted: u64,
    pub duration_ms: u64,
}

/// Blobs deleted per transaction.
const BATCH: usize = 256;

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Registry {
    /// Run one collection pass.
    pub async fn gc(&self, opts: GcOptions) -> Result<GcReport> {
        tracing::debug!(dry_run = opts.dry_run, "garbage collection pass started");
        let started = Instant::now();
        let now = berth_meta::now_millis();
        let cutoff = now.saturating_sub(ms(opts.grace));
        let mut r = GcReport {
            dry_run: opts.dry_run,
            ..GcReport::default()
        };

        // 1. links no manifest of their repository uses
        if !opts.dry_run {
            let m = self.meta.mark_links(now).await?;
            r.links_examined = m.examined;
            r.links_marked = m.marked;
        }
        r.links_deleted = if opts.dry_run {
            self.meta.stale_links(cutoff).await?.len() as u64
        } else {
            self.meta.delete_stale_links(cutoff).await?
        };

        // 2. blobs nothing references
        if !opts.dry_run {
            let m = self.meta.mark_blobs(now).await?;
            r.blobs_examined = m.examined;
            r.blobs_marked = m.marked;
        }
        r.bytes_examined = self.meta.store_bytes().await?.blob_bytes as u64;
        // every marked blob: those marked before the cutoff go, the rest are kept
        let marked = self.meta.marked_blobs().await?;
        let marked_bytes: u64 = marked.iter().map(|b| b.size as u64).sum();
        let stale: Vec<(String, i64)> = marked
            .iter()
            .filter(|b| b.unreferenced_since.is_some_and(|at| at <= cutoff))
            .map(|b| (b.digest.clone(), b.size))
            .collect();
        if opts.dry_run {
            r.blobs_deleted = stale.len() as u64;
            r.bytes_deleted = stale.iter().map(|(_, s)| *s as u64).sum();
        }
        for batch in stale.chunks(BATCH).filter(|_| !opts.dry_run) {
            // each blob's lock (commits and mounts take it too), then one transaction that
            // re-checks and deletes the rows, then the bytes of those that went
            let names: Vec<&str> = batch.iter().map(|(d, _)| d.as_str()).collect();
            let held = self.blob_locks.lock_all(&self.meta, &names).await?;
            let digests: Vec<String> = batch.iter().map(|(d, _)| d.clone()).collect();
            let gone = self.meta.delete_stale_blobs(&digests, cutoff).await?;
            for (digest, size) in batch.iter().filter(|(d, _)| gone.contains(d)) {
                if let Ok(d) = digest.parse::<Digest>() {
                    self.store.delete(&d).await?;
                }
                tracing::debug!(%digest, size, "garbage collector deleted a blob");
                r.blobs_deleted += 1;
                r.bytes_deleted += *size as u64;
            }
            drop(held);
        }
        // a dry run deletes nothing: all it found marked stays
        let (gone, gone_bytes) = if opts.dry_run {
            (0, 0)
        } else {
            (r.blobs_deleted, r.bytes_deleted)
        };
        r.blobs_kept = marked.len() as u64 - gone;
        r.bytes_kept = marked_bytes - gone_bytes;

        // 3. abandoned uploads, and bytes no row describes
        let upload_cutoff = now.saturating_sub(ms(opts.upload_ttl));
        for id in self.meta.stale_uploads(upload_cutoff).await? {
            let Ok(uuid) = id.parse::<uuid::Uuid>() else {
                continue;
            };
            let size = self.store.upload_size(uuid).await.unwrap_or(0);
            if !opts.dry_run {
                // not while a request works on it; and only if it is still untouched after it
                let slot = self.uploads.slot(uuid);
                let _busy = slot.lock().await;
                if !self.meta.delete_upload_if_stale(&id, upload_cutoff).await? {
                    continue;
                }
                self.store.delete_upload(uuid).await?;
                self.uploads.forget(uuid);
            }
            r.uploads_deleted += 1;
            r.upload_bytes_deleted += size;
        }
        // sessions held in memory that never received a byte (nothing stored to delete)
        if !opts.dry_run {
            if let Some(cutoff) = std::time::Instant::now().checked_sub(opts.upload_ttl) {
                r.uploads_deleted += self.uploads.expire_unrecorded(cutoff);
            }
        }
        // listings first, then the rows: bytes written after the rows were read are too new
        let held = self.store.list_uploads().await?;
        let sessions = self.meta.upload_ids().await?;
        for item in held {
            let old = item.modified.is_none_or(|m| m <= upload_cutoff);
            if !old || sessions.contains(&item.key.to_string()) {
                continue;
            }
            if !opts.dry_run {
                let slot = self.uploads.slot(item.key);
                let _busy = slot.lock().await;
                if self.meta.upload_known(&item.key.to_string()).await? {
                    continue;
                }
                self.store.delete_upload(item.key).await?;
                self.uploads.forget(item.key);
            }
            r.orphans_deleted += 1;
            r.orphan_bytes_deleted += item.size;
        }
        // 4. scans' package inventories of images that are gone
        r.inventories_deleted = self.meta.orphan_inventories(opts.dry_run).await?;
        let stored = self.store.list_blobs().await?;
        let rows = self.meta.blob_digests().await?;
        for item in stored {
            let digest = item.key.to_string();
            let old = item.modified.is_none_or(|m| m <= cutoff);
            if !old || rows.contains(&digest) {
                continue;
            }
            if !opts.dry_run {
                // an upload that committed these bytes holds the lock until its row exists
                let _lock = self.blob_locks.lock(&self.meta, &digest).await?;
                if self.meta.blob_known(&digest).await? {
                    continue;
                }
                self.store.delete(&item.key).await?;
            }
            r.orphans_deleted += 1;
            r.orphan_bytes_deleted += item.size;
        }

        r.duration_ms = started.elapsed().as_millis() as u64;
        tracing::info!(
            dry_run = r.dry_run,
            links_deleted = r.links_deleted,
            blobs_examined = r.blobs_examined,
            bytes_examined = r.bytes_examined,
            blobs_deleted = r.blobs_deleted,
            bytes_deleted = r.bytes_deleted,
            blobs_kept = r.blobs_kept,
            bytes_kept = r.bytes_kept,
            uploads_deleted = r.uploads_deleted,
            orphans_deleted = r.orphans_deleted,
            duration_ms = r.duration_ms,
            "garbage collection pass finished"
        );
        Ok(r)
    }
}
