//! The server as a whole: TLS with HTTP/1.1 and HTTP/2, restarts, and 50 concurrent pushers.

mod common;

use std::collections::HashSet;

use common::*;
use reqwest::Method;
use serde_json::Value;

#[tokio::test]
async fn tls_serves_http1_and_http2() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let s = Srv::start_with(|c| c.tls = Some((cert_path.clone(), key_path.clone()))).await;
    let port = s.server.as_ref().unwrap().addr.port();
    let root = reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap();
    let url = format!("https://localhost:{port}/v2/");
    for (http2, expected) in [
        (false, reqwest::Version::HTTP_11),
        (true, reqwest::Version::HTTP_2),
    ] {
        let mut b = reqwest::Client::builder()
            .add_root_certificate(root.clone())
            .resolve("localhost", s.server.as_ref().unwrap().addr);
        b = if http2 { b } else { b.http1_only() };
        let client = b.build().unwrap();
        let r = client
            .get(&url)
            .basic_auth(&s.key, Some(&s.secret))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.version(), expected);
    }
}

#[tokio::test]
async fn data_survives_a_restart_and_credentials_stay() {
    let mut s = Srv::start().await;
    let (m, d) = s.push_image("keep/me", "v1", b"persistent").await;
    // an upload in progress survives too, and its hash state is rebuilt
    let loc = s.start_upload("keep/me").await;
    s.req(Method::PATCH, &loc)
        .body(b"part one ".to_vec())
        .send()
        .await
        .unwrap();
    let data_dir = s.data_dir();
    s.stop().await;
    let server = berth::start(berth::Config::new(([127, 0, 0, 1], 0).into(), &data_dir))
        .await
        .unwrap();
    s.base = format!("http://{}", server.addr);
    s.server = Some(server);
    let r = s.get("/v2/keep/me/manifests/v1").await;
    assert_eq!(r.status(), 200, "same root credentials after restart");
    assert_eq!(r.bytes().await.unwrap().as_ref(), m.as_slice());
    assert_eq!(
        s.get(&format!("/v2/keep/me/manifests/{d}")).await.status(),
        200
    );
    let whole = sha256(b"part one part two");
    let r = s
        .req(Method::PUT, &format!("{loc}?digest={whole}"))
        .body(b"part two".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let creds = std::fs::metadata(data_dir.join("root-credentials")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(creds.permissions().mode() & 0o777, 0o600);
}

/// 50 clients push images that share layers into 5 repositories at once; every manifest pulls
/// back intact and the store holds each distinct blob exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_pushers_with_overlapping_layers() {
    let s = std::sync::Arc::new(Srv::start().await);
    let shared: Vec<Vec<u8>> = (0..4)
        .map(|i| vec![b'a' + i as u8; 64 * 1024 + i])
        .collect();
    let mut tasks = Vec::new();
    for c in 0..50usize {
        let s = s.clone();
        let shared = shared.clone();
        tasks.push(tokio::spawn(async move {
            let repo = format!("team/repo{}", c % 5);
            let own = format!("layer of client {c}").into_bytes();
            let mut layers = Vec::new();
            for l in [&shared[c % 4], &shared[(c + 1) % 4], &own] {
                // half the clients upload in chunks, half in one request
                let d = sha256(l);
                if c % 2 == 0 {
                    s.push_blob(&repo, l).await;
                } else {
                    let loc = s.start_upload(&repo).await;
                    let (a, b) = l.split_at(l.len() / 2);
                    let r = s
                        .req(Method::PATCH, &loc)
                        .body(a.to_vec())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 202);
                    let r = s
                        .req(Method::PUT, &format!("{loc}?digest={d}"))
                        .body(b.to_vec())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 201);
                }
                layers.push((d, l.len()));
            }
            let config = format!(r#"{{"client":{c}}}"#);
            let cd = s.push_blob(&repo, config.as_bytes()).await;
            let m = image_manifest(&cd, config.len(), &layers, None);
            let tag = format!("c{c}");
            let r = s.put_manifest(&repo, &tag, OCI_MANIFEST, &m).await;
            assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
            (repo, tag, m)
        }));
    }
    let mut pushed = Vec::new();
    for t in tasks {
        pushed.push(t.await.expect("client task"));
    }
    let mut distinct = HashSet::new();
    for (repo, tag, m) in &pushed {
        let r = s.get(&format!("/v2/{repo}/manifests/{tag}")).await;
        assert_eq!(r.status(), 200);
        let body = r.bytes().await.unwrap();
        assert_eq!(body.as_ref(), m.as_slice());
        let v: Value = serde_json::from_slice(&body).unwrap();
        let mut blobs = vec![v["config"]["digest"].as_str().unwrap().to_string()];
        for l in v["layers"].as_array().unwrap() {
            blobs.push(l["digest"].as_str().unwrap().to_string());
        }
        for d in blobs {
            let r = s.get(&format!("/v2/{repo}/blobs/{d}")).await;
            assert_eq!(r.status(), 200);
            assert_eq!(sha256(&r.bytes().await.unwrap()), d, "blob intact");
            distinct.insert(d);
        }
    }
    let files = files_under(&s.data_dir().join("blobs"));
    assert_eq!(files.len(), distinct.len(), "each blob stored once");
    assert_eq!(distinct.len(), 4 + 50 + 50);
    assert!(files_under(&s.data_dir().join("uploads")).is_empty());
}

#[tokio::test]
async fn health_and_readiness_need_no_credentials() {
    let s = Srv::start().await;
    let r = s.client.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = s.client.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({ "status": "ok", "database": "ok", "store": "ok" })
    );

    // a store that does not answer (an S3 endpoint where nothing listens): not ready
    let s = Srv::start_with(|c| {
        c.storage = berth::config::Storage::S3(berth_storage::S3Config {
            bucket: "none".into(),
            prefix: String::new(),
            endpoint: Some("http://127.0.0.1:9".into()),
            region: "us-east-1".into(),
            path_style: true,
            access_key_id: Some("AKIAEXAMPLEEXAMPLE00".into()),
            secret_access_key: Some("secret".into()),
        })
    })
    .await;
    let r = s.client.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (body["status"].as_str(), body["database"].as_str()),
        (Some("unavailable"), Some("ok"))
    );
    assert!(body["store"]["error"].is_string(), "{body}");
    assert_eq!(
        s.client
            .get(s.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

/// Read one HTTP/1.1 response (head and `Content-Length` body) from a raw connection.
async fn read_response(tcp: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tcp.read(&mut buf).await.expect("read response");
        assert!(
            n > 0,
            "connection closed: {}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            if got.len() >= end + 4 + length {
                return text;
            }
        }
    }
}

/// A long body raises the socket's receive low-water mark while it arrives. A client that sends
/// it slowly still gets every byte read, and the next request on the same connection (a few
/// hundred bytes, far below the mark) is answered at once.
#[tokio::test]
async fn long_bodies_slow_or_fast_leave_the_connection_usable() {
    use tokio::io::AsyncWriteExt;
    let s = Srv::start().await;
    let size = 12 * 1024 * 1024;
    let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let digest = sha256(&data);
    let loc = s.start_upload("wm/slow").await;
    let sep = if loc.contains('?') { '&' } else { '?' };
    let path = format!("{loc}{sep}digest={digest}");
    // the first 3 MiB trickle in (64 KiB every 20 ms: a megabyte takes 320 ms), the rest at once
    let mut tcp = s.partial_request("PUT", &path, size, &[]).await;
    let (slow, fast) = data.split_at(3 * 1024 * 1024);
    for piece in slow.chunks(64 * 1024) {
        tcp.write_all(piece).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tcp.write_all(fast).await.unwrap();
    let text = tokio::time::timeout(std::time::Duration::from_secs(30), read_response(&mut tcp))
        .await
        .expect("the upload is answered");
    assert!(text.starts_with("HTTP/1.1 201"), "{text}");
    // a short request on the same connection
    let head = format!(
        "GET /v2/wm/slow/blobs/{digest} HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nRange: bytes=0-9\r\n\r\n",
        s.basic_auth()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let text = tokio::time::timeout(std::time::Duration::from_secs(5), read_response(&mut tcp))
        .await
        .expect("a short request after a long body is answered at once");
    assert!(text.starts_with("HTTP/1.1 206"), "{text}");
    let r = s.get(&format!("/v2/wm/slow/blobs/{digest}")).await;
    assert_eq!(r.bytes().await.unwrap().as_ref(), &data[..]);
}

/// An answer given before the body is read (a 401 to a `PUT` without credentials, as Go's
/// clients send first) leaves the connection usable: the small unread body is discarded and the
/// client's repeat with credentials on the same connection is answered. A large unread body is
/// answered with `Connection: close`, so the client opens another connection.
#[tokio::test]
async fn an_early_answer_keeps_the_connection_usable() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = Srv::start().await;
    let body = vec![7u8; 129];
    let digest = sha256(&body);
    let addr = s.server.as_ref().unwrap().addr;
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    for (auth, expect) in [
        (String::new(), "HTTP/1.1 401"),
        (s.basic_auth(), "HTTP/1.1 201"),
    ] {
        let auth = if auth.is_empty() {
            String::new()
        } else {
            format!("Authorization: {auth}\r\n")
        };
        let head = format!(
            "POST /v2/early/blobs/uploads/?digest={digest} HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: {}\r\n\r\n",
            body.len()
        );
        tcp.write_all(head.as_bytes()).await.unwrap();
        tcp.write_all(&body).await.unwrap();
        let text =
            tokio::time::timeout(std::time::Duration::from_secs(10), read_response(&mut tcp))
                .await
                .expect("answered");
        assert!(text.starts_with(expect), "{text}");
        assert!(
            !text.to_ascii_lowercase().contains("connection: close"),
            "{text}"
        );
    }
    // a large body that was not read: the answer says the connection closes, and it does
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v2/early/blobs/uploads/?digest={digest} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        10 * 1024 * 1024
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let text = tokio::time::timeout(std::time::Duration::from_secs(10), read_response(&mut tcp))
        .await
        .expect("answered");
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("connection: close"),
        "{text}"
    );
    let mut rest = Vec::new();
    let n = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tcp.read_to_end(&mut rest),
    )
    .await
    .expect("the server closes the connection");
    assert!(n.is_ok());
}
