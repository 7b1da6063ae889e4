//! A real Berth server on an ephemeral port, and a client for it.
#![allow(dead_code)]

use std::path::PathBuf;

use berth::{Config, Server};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

pub struct Srv {
    pub base: String,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    pub server: Option<Server>,
    pub key: String,
    pub secret: String,
}

pub fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

fn read_credentials(dir: &std::path::Path) -> (String, String) {
    let text = std::fs::read_to_string(dir.join("root-credentials")).expect("root-credentials");
    let field = |k: &str| {
        text.lines()
            .find_map(|l| {
                l.strip_prefix(k)
                    .map(|v| v.trim_start_matches(" = ").to_string())
            })
            .expect("credential field")
    };
    (field("aws_access_key_id"), field("aws_secret_access_key"))
}

impl Srv {
    pub async fn start() -> Srv {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(f: impl FnOnce(&mut Config)) -> Srv {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config::new(([127, 0, 0, 1], 0).into(), dir.path().join("data"));
        f(&mut config);
        let scheme = if config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let server = berth::start(config).await.expect("server starts");
        let (key, secret) = read_credentials(&dir.path().join("data"));
        Srv {
            base: format!("{scheme}://{}", server.addr),
            client: reqwest::Client::new(),
            dir,
            server: Some(server),
            key,
            secret,
        }
    }

    /// The running server's registry, for what the HTTP APIs do not reach directly.
    pub fn registry(&self) -> &berth_registry::Registry {
        &self.server.as_ref().expect("running").registry
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// An authenticated request.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .basic_auth(&self.key, Some(&self.secret))
    }

    /// An authenticated request without a body.
    pub async fn call(&self, method: Method, path: &str) -> Response {
        self.req(method, path).send().await.expect("request")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.call(Method::GET, path).await
    }

    /// Push a blob monolithically; returns its digest.
    pub async fn push_blob(&self, repo: &str, data: &[u8]) -> String {
        let d = sha256(data);
        let r = self
            .req(
                Method::POST,
                &format!("/v2/{repo}/blobs/uploads/?digest={d}"),
            )
            .header("content-type", "application/octet-stream")
            .body(data.to_vec())
            .send()
            .await
            .expect("request");
        assert_eq!(
            r.status(),
            201,
            "push blob: {}",
            r.text().await.unwrap_or_default()
        );
        d
    }

    pub async fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        body: &[u8],
    ) -> Response {
        self.req(Method::PUT, &format!("/v2/{repo}/manifests/{reference}"))
            .header("content-type", media_type)
            .body(body.to_vec())
            .send()
            .await
            .expect("request")
    }

    /// Push config + one layer + manifest under `tag`; returns (manifest bytes, digest).
    pub async fn push_image(&self, repo: &str, tag: &str, layer: &[u8]) -> (Vec<u8>, String) {
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[]}},"tag":"{tag}"}}"#
        );
        let cd = self.push_blob(repo, config.as_bytes()).await;
        let ld = self.push_blob(repo, layer).await;
        let m = image_manifest(&cd, config.len(), &[(ld, layer.len())], None);
        let r = self.put_manifest(repo, tag, OCI_MANIFEST, &m).await;
        assert_eq!(
            r.status(),
            201,
            "push manifest: {}",
            r.text().await.unwrap_or_default()
        );
        let d = sha256(&m);
        (m, d)
    }

    /// Open an upload session in `repo`; returns its Location.
    pub async fn start_upload(&self, repo: &str) -> String {
        let r = self
            .req(Method::POST, &format!("/v2/{repo}/blobs/uploads/"))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 202, "start upload");
        r.headers()["location"]
            .to_str()
            .expect("location")
            .to_string()
    }

    /// Finish the upload at `loc` as blob `digest`, sending `last` as its last bytes.
    pub async fn finish_upload(&self, loc: &str, digest: &str, last: &[u8]) -> Response {
        self.req(Method::PUT, &format!("{loc}?digest={digest}"))
            .body(last.to_vec())
            .send()
            .await
            .expect("request")
    }

    /// The `Authorization` header value of the root credentials.
    pub fn basic_auth(&self) -> String {
        use base64::Engine;
        let pair = format!("{}:{}", self.key, self.secret);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }

    /// Open a raw connection and send a request head declaring `declared` body bytes, then only
    /// `sent` of them: a client that dies or stalls mid-body.
    pub async fn partial_request(
        &self,
        method: &str,
        path: &str,
        declared: usize,
        sent: &[u8],
    ) -> tokio::net::TcpStream {
        use tokio::io::AsyncWriteExt;
        let addr = self.server.as_ref().expect("running").addr;
        let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Length: {declared}\r\n\r\n",
            self.basic_auth()
        );
        tcp.write_all(head.as_bytes()).await.expect("write head");
        tcp.write_all(sent).await.expect("write body");
        tcp
    }

    pub async fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
    }
}

/// An OCI image manifest (bytes).
pub fn image_manifest(
    config: &str,
    config_size: usize,
    layers: &[(String, usize)],
    subject: Option<(&str, usize)>,
) -> Vec<u8> {
    let mut m = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config, "size": config_size},
        "layers": layers.iter().map(|(d, s)| json!({"mediaType": OCI_LAYER, "digest": d, "size": s})).collect::<Vec<_>>(),
    });
    if let Some((d, s)) = subject {
        m["subject"] = json!({"mediaType": OCI_MANIFEST, "digest": d, "size": s});
    }
    serde_json::to_vec(&m).expect("json")
}

/// The OCI error code of a response body.
pub async fn error_code(r: Response) -> String {
    let v: Value = r.json().await.expect("error body is JSON");
    v["errors"][0]["code"]
        .as_str()
        .expect("errors[0].code")
        .to_string()
}

/// Files under a directory, recursively.
pub fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

impl Srv {
    /// Send `GET path` exactly as given (no client-side path normalisation, which would resolve
    /// `..` before sending) with credentials; the status and the body of the answer.
    pub async fn raw_get(&self, path: &str) -> (u16, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = self.server.as_ref().expect("running").addr;
        let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let head = format!(
            "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nConnection: close\r\n\r\n",
            self.basic_auth()
        );
        tcp.write_all(head.as_bytes()).await.expect("write head");
        let mut got = Vec::new();
        tcp.read_to_end(&mut got).await.expect("read answer");
        let text = String::from_utf8_lossy(&got).to_string();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }
}
