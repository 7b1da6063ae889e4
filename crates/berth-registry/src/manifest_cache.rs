//! Manifests recently read, by account, repository and reference, kept for as long as the
//! database has not changed since they were read.
//!
//! A manifest pull is one small query, but on SQLite each query is a round trip to a database
//! thread and back, which costs more than the rest of the request. On SQLite this process makes
//! every change to the database (the store counts its commits: [`MetaStore::commits`]), so an
//! entry read while the count stood at `n` is current for as long as the count is still `n`:
//! any push, tag move, deletion, lifecycle expiry or repository removal ends every entry. Other
//! processes writing the same file (`berth admin` on the data directory, a second server on
//! it) are not counted; for them an entry also lasts at most [`TTL`]. On PostgreSQL, which other
//! nodes write, nothing is cached.
//!
//! [`MetaStore::commits`]: berth_meta::MetaStore::commits

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use berth_meta::Manifest;
use berth_oci::Digest;
use bytes::Bytes;

/// The longest an entry is used, whatever the commit count says.
pub const TTL: Duration = Duration::from_secs(1);
/// Entries kept at most; the cache is emptied when full.
const MAX_ENTRIES: usize = 4096;
/// Bytes of manifest bodies kept at most; the cache is emptied when over.
const MAX_BYTES: usize = 16 * 1024 * 1024;
/// Larger manifests are not kept.
const MAX_BODY: usize = 256 * 1024;

/// A manifest as served.
#[derive(Debug, Clone)]
pub(crate) struct Cached {
    pub id: i64,
    pub digest: Digest,
    pub media_type: String,
    pub size: u64,
    pub body: Bytes,
}

impl Cached {
    pub fn of(m: Manifest) -> Cached {
        Cached {
            id: m.meta.id,
            digest: m.meta.digest,
            media_type: m.meta.media_type,
            size: m.meta.size,
            body: Bytes::from(m.body),
        }
    }
}

struct Entry {
    manifest: Cached,
    /// The commit count when it was read.
    commits: u64,
    at: Instant,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Entry>,
    bytes: usize,
}

#[derive(Default)]
pub(crate) struct ManifestCache {
    entries: Mutex<Entries>,
}

/// The key of a manifest by reference (`tag` or `sha256:…`).
pub(crate) fn key(account: &str, repository: &str, reference: &str) -> String {
    // a repository name has no '@' and a reference no '/': the key is unambiguous
    format!("{account}/{repository}@{reference}")
}

impl ManifestCache {
    /// The manifest under `key`, if it was read while the commit count was `commits` (the count
    /// now) and less than [`TTL`] ago.
    pub fn get(&self, key: &str, commits: u64) -> Option<Cached> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .map
            .get(key)
            .filter(|e| e.commits == commits && e.at.elapsed() < TTL)
            .map(|e| e.manifest.clone())
    }

    /// Keep `manifest`, read under `key` by a query that started when the commit count was
    /// `commits`.
    pub fn put(&self, key: String, commits: u64, manifest: Cached) {
        if manifest.body.len() > MAX_BODY {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.map.len() >= MAX_ENTRIES || entries.bytes + manifest.body.len() > MAX_BYTES {
            entries.map.clear();
            entries.bytes = 0;
        }
        entries.bytes += manifest.body.len();
        let entry = Entry {
            manifest,
            commits,
            at: Instant::now(),
        };
        if let Some(old) = entries.map.insert(key, entry) {
            entries.bytes -= old.manifest.body.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(body: &[u8]) -> Cached {
        Cached {
            id: 1,
            digest: Digest::sha256_of(body),
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            size: body.len() as u64,
            body: Bytes::copy_from_slice(body),
        }
    }

    #[test]
    fn an_entry_lasts_while_the_count_stands() {
        let c = ManifestCache::default();
        let k = key("000000000000", "a/b", "latest");
        c.put(k.clone(), 7, manifest(b"{}"));
        assert_eq!(
            c.get(&k, 7).map(|m| m.body),
            Some(Bytes::from_static(b"{}"))
        );
        // any commit since ends it
        assert!(c.get(&k, 8).is_none());
        // other keys are other manifests
        assert!(c.get(&key("000000000000", "a/b", "v2"), 7).is_none());
        assert!(c.get(&key("111111111111", "a/b", "latest"), 7).is_none());
    }

    #[test]
    fn large_manifests_are_not_kept_and_a_full_cache_starts_over() {
        let c = ManifestCache::default();
        c.put("big".into(), 1, manifest(&vec![b' '; MAX_BODY + 1]));
        assert!(c.get("big", 1).is_none());
        for i in 0..MAX_ENTRIES {
            c.put(format!("k{i}"), 1, manifest(b"{}"));
        }
        assert!(c.get("k0", 1).is_some());
        c.put("one more".into(), 1, manifest(b"{}"));
        assert!(c.get("k0", 1).is_none());
        assert!(c.get("one more", 1).is_some());
        let e = c.entries.lock().unwrap();
        assert_eq!((e.map.len(), e.bytes), (1, 2));
    }
}
