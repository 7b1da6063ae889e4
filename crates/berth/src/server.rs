//! Start-up and the listener: plain HTTP (HTTP/1.1, and HTTP/2 with prior knowledge) or TLS with
//! ALPN (h2, http/1.1), graceful shutdown, and the background flush of pull times.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::ConnectInfo;
use berth_api::{AppState, ReceiveWatermark, MAX_READ_BUF};
use berth_iam::Iam;
use berth_registry::gc::GcOptions;
use berth_registry::{Registry, RegistryConfig};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::ServiceExt;

use crate::socket::MarkedStream;
use crate::{listener, setup, Config};

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub registry: Arc<Registry>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    /// Held shared while serving (see `setup::lock_data_dir`).
    _lock: std::fs::File,
}

impl Server {
    /// Stop accepting, let requests in flight finish (up to 30 s), flush pull times.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }

    /// Wait until the server stops by itself (it does not, unless the listener fails).
    pub async fn wait(self) {
        let _ = self.task.await;
    }

    pub fn stopper(&self) -> watch::Sender<bool> {
        self.stop.clone()
    }
}

fn tls_acceptor(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    let certs = rustls_pemfile::certs(&mut std::io::BufReader::new(
        std::fs::File::open(cert).with_context(|| format!("opening {}", cert.display()))?,
    ))
    .collect::<Result<Vec<_>, _>>()
    .with_context(|| format!("reading certificates from {}", cert.display()))?;
    let key = rustls_pemfile::private_key(&mut std::io::BufReader::new(
        std::fs::File::open(key).with_context(|| format!("opening {}", key.display()))?,
    ))
    .with_context(|| format!("reading the private key from {}", key.display()))?
    .with_context(|| format!("no private key in {}", key.display()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .context("building the TLS configuration")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Open the data directory, bind `config.addr` and serve in the background.
pub async fn start(config: Config) -> anyhow::Result<Server> {
    config.validate()?;
    setup::data_dir(&config.data_dir)?;
    let lock = setup::lock_data_dir(&config.data_dir, false)?.with_context(|| {
        format!(
            "{} is locked by a maintenance command (berth admin gc); try again when it is done",
            config.data_dir.display()
        )
    })?;
    let master = setup::master_key(&config)?;
    let meta = setup::open_meta(&config).await?;
    let store = setup::open_store(&config.storage, &config.data_dir, config.fsync).await?;
    let iam = Arc::new(Iam::new(meta.clone(), master));
    let changes = meta
        .identity_changes()
        .await
        .context("listening for identity changes")?;
    setup::root_credentials(&iam, &config.data_dir, &config.account_id).await?;
    let registry = Arc::new(Registry::new(
        meta,
        store,
        RegistryConfig {
            create_on_push: config.create_on_push,
            blob_redirect: config.blob_redirect,
            region: config.region.clone(),
            peer_regions: config.peers.iter().map(|p| p.region.clone()).collect(),
        },
    ));
    // a repository created from a template with a repository policy: IAM forgets its caches
    let policies = Arc::downgrade(&iam);
    registry.on_policy_change(move || {
        if let Some(iam) = policies.upgrade() {
            iam.policies_changed();
        }
    });
    crate::replication::wire(&config, &registry, iam.clone())?;
    match registry.load_vulnerability_data().await {
        Ok(n) if n > 0 => tracing::info!(advisories = n, "vulnerability data loaded"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "vulnerability data could not be loaded"),
    }
    let tls = match &config.tls {
        Some((cert, key)) => Some(tls_acceptor(cert, key)?),
        None => None,
    };
    let app = berth_api::app(AppState {
        registry: registry.clone(),
        iam: iam.clone(),
        body_idle_timeout: config.upload_idle_timeout,
        region: config.region.clone(),
        domain: config.domain.clone(),
        tls: config.tls.is_some(),
        home_account: config.account_id.clone(),
        gc_grace: config.gc_grace,
        upload_ttl: config.upload_ttl,
    });
    match listener::raise_open_files_limit() {
        Ok((before, after)) if before != after => {
            tracing::debug!(before, after, "raised the open-file limit")
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit"),
    }
    let listener =
        listener::bind(config.addr).with_context(|| format!("binding {}", config.addr))?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = watch::channel(false);
    if let Some(changes) = changes {
        tokio::spawn(forget_on_change(changes, iam.clone(), stopped.clone()));
    }
    // this node's name in job claims: nodes sharing a database run each scheduled job once
    let node = format!("{}:{}", addr, std::process::id());
    if let Some(interval) = config.lifecycle_interval {
        let registry = registry.clone();
        let job = Job::new("lifecycle", &node, interval, registry.meta().clone());
        tokio::spawn(every(job, stopped.clone(), move || {
            scheduled_lifecycle(registry.clone())
        }));
    }
    if let Some(interval) = config.gc_interval {
        let opts = GcOptions {
            grace: config.gc_grace,
            upload_ttl: config.upload_ttl,
            dry_run: false,
        };
        let registry = registry.clone();
        let job = Job::new("gc", &node, interval, registry.meta().clone());
        tokio::spawn(every(job, stopped.clone(), move || {
            let registry = registry.clone();
            async move {
                // the pass logs what it did; a failure is logged here
                if let Err(e) = registry.gc(opts).await {
                    tracing::error!(error = %e, "garbage collection pass failed");
                }
            }
        }));
    }
    tokio::spawn(crate::scans::worker(
        registry.clone(),
        node.clone(),
        stopped.clone(),
    ));
    crate::replication::spawn_workers(&registry, &node, &stopped);
    let task = tokio::spawn(run(listener, app, tls, registry.clone(), stopped));
    tracing::info!(%addr, tls = config.tls.is_some(), data_dir = %config.data_dir.display(), "berth is serving");
    Ok(Server {
        addr,
        registry,
        stop,
        task,
        _lock: lock,
    })
}

/// On a shared database: forget cached policies and credentials whenever a node changes
/// identities or policies, or when the notifications may have been missed (a lost connection).
async fn forget_on_change(
    mut changes: berth_meta::IdentityChanges,
    iam: Arc<Iam>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            next = changes.next() => {
                tracing::debug!(notified = ?next, "identities or policies changed: forgetting cached ones");
                iam.forget_cached();
                if let Err(e) = next {
                    tracing::warn!(error = %e, "identity change notifications interrupted");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
            _ = stopped.changed() => break,
        }
    }
}

/// A scheduled job, claimed through the database before each run so that, of the nodes sharing
/// it, one runs it per interval. The claim lasts an interval; its holder renews it at its next
/// tick, and when it stops another node takes the job over within two intervals.
struct Job {
    name: &'static str,
    node: String,
    every: Duration,
    meta: berth_meta::MetaStore,
}

impl Job {
    fn new(name: &'static str, node: &str, every: Duration, meta: berth_meta::MetaStore) -> Self {
        Job {
            name,
            node: node.to_string(),
            every,
            meta,
        }
    }

    async fn claim(&self) -> bool {
        let lease = berth_meta::now_millis() + self.every.as_millis() as i64;
        match self.meta.claim_job(self.name, &self.node, lease).await {
            Ok(true) => true,
            Ok(false) => {
                tracing::debug!(job = self.name, "another node holds this run");
                false
            }
            Err(e) => {
                tracing::error!(job = self.name, error = %e, "could not claim the scheduled job");
                false
            }
        }
    }
}

/// Run `job` every interval, the first time one interval after start, until the server stops.
async fn every<F, Fut>(job: Job, mut stopped: watch::Receiver<bool>, mut run: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + job.every, job.every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                if job.claim().await {
                    run().await;
                }
            }
            _ = stopped.changed() => break,
        }
    }
}

/// Every repository's lifecycle policy, as the schedule runs them.
async fn scheduled_lifecycle(registry: Arc<Registry>) {
    match registry.run_all_lifecycle(None, "schedule").await {
        Ok(runs) => {
            let expired: usize = runs.iter().map(|r| r.expired.len()).sum();
            tracing::info!(
                repositories = runs.len(),
                expired,
                "scheduled lifecycle run finished"
            );
        }
        Err(e) => tracing::error!(error = %e, "scheduled lifecycle run failed"),
    }
}

async fn run(
    listener: TcpListener,
    app: axum::Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    registry: Arc<Registry>,
    mut stopped: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let mut backoff = listener::AcceptBackoff::default();
    let mut flush = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (tcp, peer) = match accepted {
                    Ok(a) => {
                        backoff.succeeded();
                        a
                    }
                    Err(e) => {
                        tokio::time::sleep(backoff.failed(&e)).await;
                        continue;
                    }
                };
                let _ = tcp.set_nodelay(true);
                let mark = ReceiveWatermark::new();
                let tcp = MarkedStream::new(tcp, mark.clone());
                let service = app.clone().map_request(move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    req.extensions_mut().insert(mark.clone());
                    req
                });
                let service = TowerToHyperService::new(service);
                let watcher = graceful.watcher();
                let tls = tls.clone();
                tokio::spawn(async move {
                    let mut builder = auto::Builder::new(TokioExecutor::new());
                    // A client gets 30 s to send its request head (slow-loris protection).
                    // Reads of up to 1 MiB (hyper's default is 400 KiB), so that a body read under
                    // a raised low-water mark comes in one read; the head is bounded by it too.
                    builder
                        .http1()
                        .timer(TokioTimer::new())
                        .header_read_timeout(Duration::from_secs(30))
                        .max_buf_size(MAX_READ_BUF);
                    let result = match tls {
                        Some(acceptor) => match acceptor.accept(tcp).await {
                            Ok(stream) => watcher.watch(builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned()).await,
                            Err(e) => {
                                tracing::debug!(%peer, error = %e, "TLS handshake failed");
                                return;
                            }
                        },
                        None => watcher.watch(builder.serve_connection_with_upgrades(TokioIo::new(tcp), service).into_owned()).await,
                    };
                    if let Err(e) = result {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                });
            }
            _ = flush.tick() => {
                if let Err(e) = registry.flush_pulls().await {
                    tracing::warn!(error = %e, "recording pull times failed");
                }
                registry.release_idle();
                trim_heap();
            }
            _ = stopped.changed() => break,
        }
    }
    drop(listener);
    tracing::info!("shutting down: waiting for requests in flight");
    if tokio::time::timeout(Duration::from_secs(30), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after 30 s; closing anyway");
    }
    if let Err(e) = registry.flush_pulls().await {
        tracing::warn!(error = %e, "recording pull times failed");
    }
    registry.meta().close().await;
}

/// Return the allocator's free memory to the system. The server keeps glibc from trimming on
/// every free (see `tune_allocator` in main.rs: upload bodies reuse heap memory instead of
/// faulting in fresh pages), so what a burst of traffic left free is given back here, every few
/// seconds, instead.
fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own arenas under their locks.
    unsafe {
        libc::malloc_trim(0);
    }
}
