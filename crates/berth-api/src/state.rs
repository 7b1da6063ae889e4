//! What every handler can reach, and the clock. A leaf: it imports no module of this crate.

use std::sync::Arc;

use berth_iam::Iam;
use berth_registry::Registry;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub registry: Arc<Registry>,
    pub iam: Arc<Iam>,
    /// How long a request body may send nothing before the request fails.
    pub body_idle_timeout: std::time::Duration,
    /// The AWS region the registry presents itself as.
    pub region: String,
    /// The domain of registry hosts: `<account>.dkr.ecr.<region>.<domain>`.
    pub domain: String,
    /// Whether the listener speaks TLS (the scheme of URLs the server hands out).
    pub tls: bool,
    /// The installation's own account, whose root administers every account.
    pub home_account: String,
    /// The garbage collector's grace period and upload TTL (for `berth admin gc` through the
    /// server).
    pub gc_grace: std::time::Duration,
    pub upload_ttl: std::time::Duration,
}

/// Seconds since the Unix epoch (token and signature expiry, SigV4's clock window).
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
