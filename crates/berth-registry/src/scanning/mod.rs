//! Vulnerability scanning in the registry: the vulnerability data in memory (loaded from the
//! metadata store, replaced on import), scans asked for on push or by StartImageScan, and the
//! worker that runs them as durable jobs (a scan is a row with a lease: any node claims it, a
//! node that dies mid-scan loses it to another when the lease runs out, a failed read is
//! retried with backoff). A push never waits for a scan.

pub mod config;
mod data;
mod export;
mod inventory;
mod run;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use berth_scan::vulndb::Database;
use tokio::sync::Notify;

pub use data::ImportSummary;

/// The vulnerability data a scan matches against, and when it last changed.
#[derive(Clone, Default)]
pub struct VulnData {
    pub db: Database,
    /// The latest import (epoch ms): ECR's `vulnerabilitySourceUpdatedAt`.
    pub updated_at: Option<i64>,
}

/// The scanner's state in a registry.
#[derive(Default)]
pub struct Scanner {
    data: RwLock<Arc<VulnData>>,
    /// Held while new data is made (indexing takes a fraction of a second, off the lock that
    /// scans read the data through), so that two changes do not lose each other's records.
    changing: tokio::sync::Mutex<()>,
    /// Woken when a scan is asked for.
    wake: Notify,
    /// Accounts' scanning configurations as read lately, so that a push does not read its
    /// account's on every manifest (another node's change is seen within [`CONFIG_TTL`]).
    configs: Mutex<HashMap<String, (Instant, config::RegistryScanning)>>,
}

/// How long a configuration read is used for pushes.
const CONFIG_TTL: Duration = Duration::from_secs(5);

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

    /// Change the data: a copy is changed on a blocking thread while scans go on reading the
    /// current data, then replaces it.
    async fn update(&self, f: impl FnOnce(&mut VulnData) + Send + 'static) -> crate::Result<()> {
        let _changing = self.changing.lock().await;
        let current = self.data();
        let changed = tokio::task::spawn_blocking(move || {
            let mut data = (*current).clone();
            f(&mut data);
            data
        })
        .await
        .map_err(|e| crate::RegistryError::Internal(e.to_string()))?;
        self.set_data(changed);
        Ok(())
    }

    /// An account's configuration if read within [`CONFIG_TTL`].
    fn cached_config(&self, account: &str) -> Option<config::RegistryScanning> {
        let configs = self.configs.lock().unwrap_or_else(|p| p.into_inner());
        configs
            .get(account)
            .filter(|(at, _)| at.elapsed() < CONFIG_TTL)
            .map(|(_, c)| c.clone())
    }

    fn cache_config(&self, account: &str, c: &config::RegistryScanning) {
        let mut configs = self.configs.lock().unwrap_or_else(|p| p.into_inner());
        configs.insert(account.to_string(), (Instant::now(), c.clone()));
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

    /// A completed scan's words, naming the package databases it found but could not read
    /// (Berth's addition: they are never passed over in silence).
    pub fn complete(unscanned: &[String]) -> String {
        if unscanned.is_empty() {
            COMPLETE.to_string()
        } else {
            format!("{COMPLETE} Not scanned: {}.", unscanned.join(", "))
        }
    }
}
