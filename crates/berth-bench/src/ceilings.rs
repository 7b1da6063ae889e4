//! The machine's physical ceilings, measured in the same run: single-core SHA-256, disk writes,
//! loopback TCP copy.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Ceilings {
    /// `openssl speed sha256`, 16 KiB blocks, one core (MiB/s).
    pub sha256_openssl_mibps: Option<f64>,
    /// The sha2 crate Berth hashes with, one core, over one buffer of the blob size (MiB/s):
    /// data read from memory rather than the caches, so lower than `openssl speed`.
    pub sha256_sha2_mibps: f64,
    /// Sequential 1 MiB writes, page cache only (MiB/s).
    pub disk_write_mibps: f64,
    /// The same followed by fdatasync (MiB/s).
    pub disk_write_synced_mibps: f64,
    /// Sequential 2 MiB `O_DIRECT` writes (bypassing the page cache, as Berth writes long
    /// uploads) followed by fdatasync (MiB/s); `None` where the filesystem refuses `O_DIRECT`.
    pub disk_write_direct_mibps: Option<f64>,
    /// One TCP stream over loopback, 1 MiB reads and writes, the best of three copies between
    /// two tasks of the runtime and three between two plain threads (MiB/s).
    pub loopback_mibps: f64,
    /// The same stream as one HTTP/1.1 response, written from memory by a bare server and read
    /// by the harness's own HTTP client, as every pull is (MiB/s): the most any HTTP server
    /// could deliver to this client.
    pub loopback_http_mibps: f64,
}

fn openssl_sha256() -> Option<f64> {
    let out = std::process::Command::new("openssl")
        .args(["speed", "-seconds", "2", "-bytes", "16384", "sha256"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("sha256"))?;
    let kbps: f64 = line
        .split_whitespace()
        .last()?
        .trim_end_matches('k')
        .parse()
        .ok()?;
    Some(kbps * 1000.0 / (1024.0 * 1024.0))
}

/// One TCP stream over loopback carrying `data`; MiB/s.
async fn loopback_copy(data: &bytes::Bytes) -> anyhow::Result<f64> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let total = data.len();
    let reader = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await?;
        let mut buf = vec![0u8; 1024 * 1024];
        let mut got = 0usize;
        while got < total {
            let n = s.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            got += n;
        }
        Ok::<_, std::io::Error>(got)
    });
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    let t = Instant::now();
    for chunk in data.chunks(1024 * 1024) {
        s.write_all(chunk).await?;
    }
    s.shutdown().await?;
    let got = reader.await??;
    anyhow::ensure!(got == total, "loopback copy lost bytes");
    Ok(total as f64 / (1024.0 * 1024.0) / t.elapsed().as_secs_f64())
}

/// The same copy between two plain threads with blocking sockets, no runtime between them and
/// the kernel; MiB/s.
fn loopback_threads(data: &bytes::Bytes) -> anyhow::Result<f64> {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let total = data.len();
    let reader = std::thread::spawn(move || {
        let (mut s, _) = listener.accept()?;
        let mut buf = vec![0u8; 1024 * 1024];
        let mut got = 0usize;
        while got < total {
            let n = s.read(&mut buf)?;
            if n == 0 {
                break;
            }
            got += n;
        }
        Ok::<_, std::io::Error>(got)
    });
    let mut s = std::net::TcpStream::connect(addr)?;
    let t = Instant::now();
    for chunk in data.chunks(1024 * 1024) {
        s.write_all(chunk)?;
    }
    s.shutdown(std::net::Shutdown::Write)?;
    let got = reader
        .join()
        .map_err(|_| anyhow::anyhow!("the loopback reader panicked"))??;
    anyhow::ensure!(got == total, "loopback copy lost bytes");
    Ok(total as f64 / (1024.0 * 1024.0) / t.elapsed().as_secs_f64())
}

/// `data` as the body of one HTTP/1.1 response from a bare server that writes it from memory in
/// 1 MiB writes, received by the harness's HTTP client; MiB/s.
async fn loopback_http(data: &bytes::Bytes) -> anyhow::Result<f64> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let body = data.clone();
    let server = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await?;
        s.set_nodelay(true)?;
        // read the request head, then answer it
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            head.extend_from_slice(&buf[..n]);
        }
        let reply = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        s.write_all(reply.as_bytes()).await?;
        for chunk in body.chunks(1024 * 1024) {
            s.write_all(chunk).await?;
        }
        s.flush().await?;
        Ok::<_, std::io::Error>(())
    });
    let mut c = crate::client::Conn::open(&addr.to_string(), None).await?;
    let t = Instant::now();
    let r = c
        .send(hyper::Method::GET, "/", &[], crate::client::empty(), false)
        .await?;
    let secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(r.len == data.len() as u64, "HTTP loopback copy lost bytes");
    drop(c);
    server.await??;
    Ok(data.len() as f64 / (1024.0 * 1024.0) / secs)
}

/// `bytes` written with `O_DIRECT` in 2 MiB blocks, then fdatasync; MiB/s.
#[cfg(target_os = "linux")]
fn direct_write(path: &Path, bytes: usize) -> Option<f64> {
    use std::os::unix::fs::OpenOptionsExt;
    const BLOCK: usize = 2 << 20;
    let mut raw = vec![0u8; BLOCK + 4096];
    let start = raw.as_ptr().align_offset(4096);
    if start >= 4096 {
        return None;
    }
    for (i, b) in raw.iter_mut().enumerate() {
        *b = (i * 31 % 251) as u8;
    }
    let buf = &raw[start..start + BLOCK];
    let run = || -> std::io::Result<f64> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .custom_flags(libc::O_DIRECT)
            .open(path)?;
        let t = Instant::now();
        for _ in 0..bytes / BLOCK {
            f.write_all(buf)?;
        }
        f.sync_data()?;
        Ok((bytes / BLOCK * BLOCK) as f64 / (1024.0 * 1024.0) / t.elapsed().as_secs_f64())
    };
    let r = run().ok();
    let _ = std::fs::remove_file(path);
    r
}

#[cfg(not(target_os = "linux"))]
fn direct_write(_path: &Path, _bytes: usize) -> Option<f64> {
    None
}

pub async fn measure(work: &Path, bytes: usize) -> anyhow::Result<Ceilings> {
    let data = crate::workloads::random_bytes(bytes);
    let mib = bytes as f64 / (1024.0 * 1024.0);

    let t = Instant::now();
    let _ = Sha256::digest(&data);
    let sha2 = mib / t.elapsed().as_secs_f64();

    let path = work.join("ceiling.bin");
    // the disk, like the loopback, gets at least 512 MiB: less mostly measures caches
    let d = if data.len() >= 512 << 20 {
        data.clone()
    } else {
        crate::workloads::random_bytes(512 << 20)
    };
    let disk_mib = d.len() as f64 / (1024.0 * 1024.0);
    let p = path.clone();
    let (buffered, synced) = tokio::task::spawn_blocking(move || -> std::io::Result<(f64, f64)> {
        let mut f = std::fs::File::create(&p)?;
        let t = Instant::now();
        for chunk in d.chunks(1024 * 1024) {
            f.write_all(chunk)?;
        }
        let buffered = t.elapsed().as_secs_f64();
        f.sync_data()?;
        let synced = t.elapsed().as_secs_f64();
        drop(f);
        std::fs::remove_file(&p)?;
        Ok((buffered, synced))
    })
    .await??;
    let p = path.clone();
    let direct = tokio::task::spawn_blocking(move || direct_write(&p, 512 << 20)).await?;

    // loopback: best of three single-stream copies of at least 512 MiB
    let copy = if data.len() >= 512 << 20 {
        data.clone()
    } else {
        crate::workloads::random_bytes(512 << 20)
    };
    let mut loopback: f64 = 0.0;
    let mut loopback_http_best: f64 = 0.0;
    for _ in 0..3 {
        loopback = loopback.max(loopback_copy(&copy).await?);
        let c = copy.clone();
        loopback = loopback.max(tokio::task::spawn_blocking(move || loopback_threads(&c)).await??);
        loopback_http_best = loopback_http_best.max(loopback_http(&copy).await?);
    }
    Ok(Ceilings {
        sha256_openssl_mibps: openssl_sha256(),
        sha256_sha2_mibps: sha2,
        disk_write_mibps: disk_mib / buffered,
        disk_write_synced_mibps: disk_mib / synced,
        disk_write_direct_mibps: direct,
        loopback_mibps: loopback,
        loopback_http_mibps: loopback_http_best,
    })
}
