//! The scan worker of a node: it runs waiting scans one at a time (any node of a cluster may
//! claim any scan), sleeps until a scan is asked for or a second passes (other nodes' requests
//! are seen within that second), and reloads the vulnerability data when another node imported.

use std::sync::Arc;
use std::time::{Duration, Instant};

use berth_registry::Registry;
use tokio::sync::watch;

/// How often the worker looks for data another node imported.
const REFRESH: Duration = Duration::from_secs(30);

pub async fn worker(registry: Arc<Registry>, node: String, mut stopped: watch::Receiver<bool>) {
    let mut refreshed = Instant::now();
    loop {
        if *stopped.borrow() {
            return;
        }
        if refreshed.elapsed() >= REFRESH {
            if let Err(e) = registry.refresh_vulnerability_data().await {
                tracing::warn!(error = %e, "reloading vulnerability data failed");
            }
            refreshed = Instant::now();
        }
        match registry.scan_next(&node).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "scan worker"),
        }
        tokio::select! {
            _ = registry.scanner().sleep(Duration::from_secs(1)) => {}
            _ = stopped.changed() => return,
        }
    }
}
