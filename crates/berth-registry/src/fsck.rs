//! The consistency check (`berth admin fsck`): every tag points at a manifest; every blob a
//! manifest references has a row, is linked to the manifest's repository and is in the store
//! with the right size and digest; no unreferenced data is older than the grace period. With
//! `repair`, references are fixed where that is safe: dangling tags are removed and missing
//! links re-created. Missing or damaged bytes are reported, never "repaired" away.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use berth_meta::{BlobRecord, BlobReference};
use berth_oci::Digest;
use futures_util::StreamExt;
use serde::Serialize;

use crate::{Registry, Result};

#[derive(Debug, Clone, Copy)]
pub struct FsckOptions {
    /// Hash every blob (else sizes only).
    pub verify_digests: bool,
    pub repair: bool,
    /// Unreferenced data older than this is reported.
    pub grace: Duration,
    pub upload_ttl: Duration,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// `dangling-tag`, `missing-blob-row`, `missing-link`, `missing-blob-data`,
    /// `blob-size-mismatch`, `blob-digest-mismatch`, `unreferenced-blob`, `orphan-data`,
    /// `abandoned-upload`.
    pub kind: &'static str,
    pub detail: String,
    pub repaired: bool,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FsckReport {
    pub manifests_checked: u64,
    pub references_checked: u64,
    pub blobs_checked: u64,
    pub bytes_verified: u64,
    pub problems: Vec<Problem>,
    pub duration_ms: u64,
}

impl FsckReport {
    /// Problems left after repairs.
    pub fn unresolved(&self) -> usize {
        self.problems.iter().filter(|p| !p.repaired).count()
    }
}

impl Registry {
    pub async fn fsck(&self, opts: FsckOptions) -> Result<FsckReport> {
        let started = Instant::now();
        let now = berth_meta::now_millis();
        let cutoff = now.saturating_sub(opts.grace.as_millis() as i64);
        let mut r = FsckReport::default();
        let names: HashMap<i64, String> = self
            .meta
            .repository_names()
            .await?
            .into_iter()
            .map(|r| (r.id, format!("{}/{}", r.account_id, r.name)))
            .collect();
        let repo_name = |id: i64| names.get(&id).cloned().unwrap_or_else(|| id.to_string());

        for (repo, tag) in self.meta.dangling_tags().await? {
            let repaired = opts.repair && self.meta.delete_dangling_tag(repo, &tag).await?;
            r.problems.push(Problem {
                kind: "dangling-tag",
                detail: format!("{}:{tag} points at no manifest", repo_name(repo)),
                repaired,
            });
        }

        let mut manifests = HashSet::new();
        for reference in self.meta.manifest_references().await? {
            let BlobReference {
                repository_id: repo,
                manifest,
                blob,
                blob_recorded,
                linked,
            } = reference;
            manifests.insert((repo, manifest.clone()));
            r.references_checked += 1;
            if !blob_recorded {
                r.problems.push(Problem {
                    kind: "missing-blob-row",
                    detail: format!(
                        "{}@{manifest} references {blob}, which the store has no record of",
                        repo_name(repo)
                    ),
                    repaired: false,
                });
            } else if !linked {
                let repaired = opts.repair && self.meta.relink(repo, &blob).await?;
                r.problems.push(Problem {
                    kind: "missing-link",
                    detail: format!(
                        "{}@{manifest} references {blob}, which its repository does not link",
                        repo_name(repo)
                    ),
                    repaired,
                });
            }
        }
        r.manifests_checked = manifests.len() as u64;

        // every blob row against the store: rows first, so that a blob committed meanwhile is
        // at worst listed without its row (and too new to count as orphaned)
        let rows = self.meta.all_blobs().await?;
        let stored: HashMap<Digest, (u64, Option<i64>)> = self
            .store
            .list_blobs()
            .await?
            .into_iter()
            .map(|i| (i.key, (i.size, i.modified)))
            .collect();
        let mut known = HashSet::new();
        for BlobRecord {
            digest,
            size,
            unreferenced_since: marked,
        } in rows
        {
            r.blobs_checked += 1;
            let Ok(d) = digest.parse::<Digest>() else {
                continue;
            };
            known.insert(d.clone());
            match stored.get(&d) {
                // the collector is deleting it (its row went first; nothing references it)
                None if marked.is_some() => {}
                None => r.problems.push(Problem {
                    kind: "missing-blob-data",
                    detail: format!("{digest} ({size} bytes) is recorded but not stored"),
                    repaired: false,
                }),
                Some((actual, _)) if *actual != size as u64 => r.problems.push(Problem {
                    kind: "blob-size-mismatch",
                    detail: format!("{digest} is recorded as {size} bytes but stored as {actual}"),
                    repaired: false,
                }),
                Some(_) if opts.verify_digests => {
                    let mut hasher = d.algorithm().hasher();
                    let mut stream = self.store.read(&d, None).await?;
                    while let Some(chunk) = stream.next().await {
                        let chunk = chunk.map_err(|e| {
                            crate::RegistryError::Internal(format!("reading {digest}: {e}"))
                        })?;
                        r.bytes_verified += chunk.len() as u64;
                        hasher.update(&chunk);
                    }
                    let got = hasher.finish();
                    if got != d {
                        r.problems.push(Problem {
                            kind: "blob-digest-mismatch",
                            detail: format!("{digest} is stored with the content of {got}"),
                            repaired: false,
                        });
                    }
                }
                Some(_) => {}
            }
            if marked.is_some_and(|m| m <= cutoff) {
                r.problems.push(Problem {
                    kind: "unreferenced-blob",
                    detail: format!(
                        "{digest} has been unreferenced for longer than the grace period (the collector deletes it)"
                    ),
                    repaired: false,
                });
            }
        }
        for (d, (size, modified)) in &stored {
            if !known.contains(d) && modified.is_none_or(|m| m <= cutoff) {
                r.problems.push(Problem {
                    kind: "orphan-data",
                    detail: format!("{d} ({size} bytes) is stored but recorded nowhere (the collector deletes it)"),
                    repaired: false,
                });
            }
        }
        let upload_cutoff = now.saturating_sub(opts.upload_ttl.as_millis() as i64);
        for id in self.meta.stale_uploads(upload_cutoff).await? {
            r.problems.push(Problem {
                kind: "abandoned-upload",
                detail: format!("upload {id} has been idle for longer than the upload TTL (the collector removes it)"),
                repaired: false,
            });
        }
        r.duration_ms = started.elapsed().as_millis() as u64;
        tracing::info!(
            problems = r.problems.len(),
            unresolved = r.unresolved(),
            blobs = r.blobs_checked,
            "consistency check finished"
        );
        Ok(r)
    }
}
