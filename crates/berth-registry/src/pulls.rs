//! Pull times are gathered in memory and written in batches, so a manifest GET does no write.

use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub(crate) struct PullRecorder {
    pending: Mutex<HashMap<i64, i64>>,
    /// repository → (bytes served, blob downloads) since the last flush.
    transfers: Mutex<HashMap<i64, (u64, u64)>>,
}

impl PullRecorder {
    pub(crate) fn record(&self, manifest_id: i64) {
        let now = berth_meta::now_millis();
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(manifest_id, now);
    }

    pub(crate) fn transfer(&self, repo: i64, bytes: u64) {
        let mut t = self.transfers.lock().unwrap_or_else(|p| p.into_inner());
        let e = t.entry(repo).or_default();
        e.0 += bytes;
        e.1 += 1;
    }

    pub(crate) fn take_transfers(&self) -> Vec<(i64, u64, u64)> {
        let mut t = self.transfers.lock().unwrap_or_else(|p| p.into_inner());
        t.drain().map(|(r, (b, n))| (r, b, n)).collect()
    }

    pub(crate) fn take(&self) -> Vec<(i64, i64)> {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.drain().collect()
    }
}
