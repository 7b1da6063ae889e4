//! Starting the registries under test on loopback, and reading their resident memory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use base64::Engine;
use berth_client::{Client, ClientOptions, Credentials};
use tokio::process::{Child, Command};

use crate::client::Conn;

pub const BENCH_KEY: &str = "AKIABENCHMARKBENCH00";
pub const BENCH_SECRET: &str = "benchmark-secret-benchmark-secret-000000";

pub struct Registry {
    pub name: &'static str,
    pub addr: String,
    pub auth: Option<String>,
    pub child: Child,
    /// Time from spawning the process to the first 200 on `/v2/`.
    pub start_to_first_200: Duration,
    pub data: PathBuf,
}

impl Registry {
    pub async fn conn(&self) -> anyhow::Result<Conn> {
        Conn::open(&self.addr, self.auth.clone()).await
    }

    /// The bench root's client of the server's AWS APIs (ECR, admin), signing for `region`.
    pub fn api(&self, region: &str) -> anyhow::Result<Client> {
        Ok(Client::new(
            &format!("http://{}", self.addr),
            region,
            Credentials {
                access_key_id: BENCH_KEY.into(),
                secret_access_key: BENCH_SECRET.into(),
                session_token: None,
            },
            &ClientOptions::default(),
        )?)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Resident set size in bytes.
    pub fn rss(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
    }

    /// SIGTERM (a graceful stop, which also lets a profiler wrapper write its data), then SIGKILL
    /// after 10 s.
    pub async fn stop(mut self) {
        if let Some(pid) = self.pid() {
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
            if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
                .await
                .is_err()
            {
                let _ = self.child.kill().await;
            }
        }
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// An AWS API call (ECR, admin) through `api`: the answer's JSON.
pub async fn call(
    api: &Client,
    service: &str,
    target: &str,
    body: &serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    api.call(service, target, serde_json::to_vec(body)?)
        .await
        .with_context(|| target.to_string())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn wait_for_200(
    addr: &str,
    auth: Option<String>,
    spawned: Instant,
    child: &mut Child,
) -> anyhow::Result<Duration> {
    let deadline = spawned + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait()? {
            bail!("the server exited with {status} before answering");
        }
        if let Ok(mut c) = Conn::open(addr, auth.clone()).await {
            if let Ok(r) = c.get("/v2/", &[]).await {
                if r.status == 200 {
                    return Ok(spawned.elapsed());
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    bail!("no 200 from {addr} within 30 s")
}

pub async fn start_berth(bin: &Path, work: &Path, extra: &[String]) -> anyhow::Result<Registry> {
    start_berth_in(bin, &work.join("berth-data"), extra).await
}

/// A Berth server on data directory `data`.
pub async fn start_berth_in(bin: &Path, data: &Path, extra: &[String]) -> anyhow::Result<Registry> {
    let port = free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let data = data.to_path_buf();
    let spawned = Instant::now();
    let mut child = Command::new(bin)
        .args([
            "serve",
            "--addr",
            &addr,
            "--log-level",
            "warn",
            "--data-dir",
        ])
        .arg(&data)
        .args(extra)
        .env("BERTH_ROOT_ACCESS_KEY_ID", BENCH_KEY)
        .env("BERTH_ROOT_SECRET_ACCESS_KEY", BENCH_SECRET)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let auth = Some(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{BENCH_KEY}:{BENCH_SECRET}"))
    ));
    let start_to_first_200 = wait_for_200(&addr, auth.clone(), spawned, &mut child).await?;
    Ok(Registry {
        name: "berth",
        addr,
        auth,
        child,
        start_to_first_200,
        data,
    })
}

pub async fn start_reference(bin: &Path, work: &Path) -> anyhow::Result<Registry> {
    let port = free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let data = work.join("reference-data");
    let config = work.join("reference.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog: {{ level: error, accesslog: {{ disabled: true }} }}\nstorage: {{ filesystem: {{ rootdirectory: {} }}, delete: {{ enabled: true }} }}\nhttp: {{ addr: {addr} }}\n",
            data.display()
        ),
    )?;
    let spawned = Instant::now();
    let mut child = Command::new(bin)
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let start_to_first_200 = wait_for_200(&addr, None, spawned, &mut child).await?;
    Ok(Registry {
        name: "reference",
        addr,
        auth: None,
        child,
        start_to_first_200,
        data,
    })
}
