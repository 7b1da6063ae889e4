//! Vulnerability scanning in the registry: the vulnerability data in memory (loaded from the
//! metadata store, replaced on import), scans asked for on push or by StartImageScan, and the
//! worker that runs them as durable jobs (a scan is a row with a lease: any node claims it, a
//! node that dies mid-scan loses it to another when the lease runs out, a failed read is
//! retried with backoff). A push never waits for a scan.

pub mod config;
mod data;
mod run;

use std::sync::{Arc, RwLock};

use berth_scan::vulndb::Database;
use tokio::sync::Notify;

pub use data::ImportSummary;

/// The vulnerability data a scan matches against, and when it last changed.
#[derive(Default)]
pub struct VulnData {
    pub db: Database,
    /// The latest import (epoch ms): ECR's `vulnerabilitySourceUpdatedAt`.
    pub updated_at: Option<i64>,
}

/// The scanner's state in a registry.
#[derive(Default)]
pub struct Scanner {
    data: RwLock<Arc<VulnData>>,
    /// Woken when a scan is asked for.
    wake: Notify,
}

impl Scanner {
    pub fn data(&self) -> Arc<VulnData> {
        match self.data.read() {
            Ok(d) => d.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set_data(&self, data: VulnData) {
        let data = Arc::new(data);
        match self.data.write() {
            Ok(mut d) => *d = data,
            Err(poisoned) => *poisoned.into_inner() = data,
        }
    }

    /// Tell the worker a scan waits.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Wait until woken or `timeout` passes.
    pub async fn sleep(&self, timeout: std::time::Duration) {
        let _ = tokio::time::timeout(timeout, self.wake.notified()).await;
    }
}

/// ECR's words for a scan's outcome.
pub mod descriptions {
    pub const COMPLETE: &str = "The scan was completed successfully.";
    pub const IN_PROGRESS: &str = "The scan is in progress.";
    pub const UNSUPPORTED: &str =
        "UnsupportedImageError: The operating system and/or package manager are not supported.";
}
