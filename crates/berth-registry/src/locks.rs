//! Per-blob locks between the writers that make a blob exist (an upload's commit and its row, a
//! mount's link) and the garbage collector that removes it (its row, then its bytes). Either
//! runs entirely before the other, so the collector never removes bytes a new row points at.
//! In-process locks first (so that a node's own contenders queue without holding a database
//! connection), then, on a shared database, the same blobs' locks across the cluster.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use berth_meta::{ClusterLock, MetaError, MetaStore};

type Slot = Arc<tokio::sync::Mutex<()>>;

#[derive(Default)]
pub(crate) struct BlobLocks {
    slots: Mutex<HashMap<String, Slot>>,
}

/// Holds one blob's lock; the slot is dropped from the map when nobody else wants it.
pub(crate) struct BlobGuard<'a> {
    locks: &'a BlobLocks,
    key: String,
    slot: Slot,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// Blobs held, in this process and across the cluster.
pub(crate) struct Held<'a> {
    _cluster: ClusterLock,
    _local: Vec<BlobGuard<'a>>,
}

impl BlobLocks {
    /// One blob's lock.
    pub(crate) async fn lock(&self, meta: &MetaStore, digest: &str) -> Result<Held<'_>, MetaError> {
        self.lock_all(meta, &[digest]).await
    }

    /// Several blobs' locks, held together.
    pub(crate) async fn lock_all(
        &self,
        meta: &MetaStore,
        digests: &[&str],
    ) -> Result<Held<'_>, MetaError> {
        let mut local = Vec::with_capacity(digests.len());
        for d in digests {
            local.push(self.local(d).await);
        }
        Ok(Held {
            _cluster: meta.lock_blobs(digests).await?,
            _local: local,
        })
    }

    async fn local(&self, digest: &str) -> BlobGuard<'_> {
        let slot = {
            let mut m = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            m.entry(digest.to_string()).or_default().clone()
        };
        let guard = slot.clone().lock_owned().await;
        BlobGuard {
            locks: self,
            key: digest.to_string(),
            slot,
            guard: Some(guard),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl Drop for BlobGuard<'_> {
    fn drop(&mut self) {
        self.guard.take();
        let mut m = self.locks.slots.lock().unwrap_or_else(|p| p.into_inner());
        // the map's reference and ours: nobody else waits for this blob
        if Arc::strong_count(&self.slot) == 2 {
            m.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tasks contending for one blob hold it one at a time (at most one inside, whatever the
    /// scheduling), another blob is not held up, and no slot is left behind.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_holder_per_blob_and_no_leftovers() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let locks = Arc::new(BlobLocks::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (locks, inside, most) = (locks.clone(), inside.clone(), most.clone());
                tokio::spawn(async move {
                    for _ in 0..20 {
                        let _g = locks.local("sha256:a").await;
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1, "two holders at once");
        // while one blob is held, another is not, and the held one is not given out
        let g = locks.local("sha256:a").await;
        drop(locks.local("sha256:b").await);
        let second = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            locks.local("sha256:a"),
        )
        .await;
        assert!(second.is_err(), "a held blob was locked again");
        drop(g);
        drop(locks.local("sha256:a").await);
        assert_eq!(locks.len(), 0);
    }
}
