//! A lean HTTP/1.1 keep-alive client on hyper's connection API: one TCP connection per
//! concurrent client, requests in sequence on it, bodies streamed from shared memory and drained
//! without copying. The load generator must cost the machine as little as possible, since it
//! shares it with the server under test.

use std::convert::Infallible;

use anyhow::{bail, Context};
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::body::Frame;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

pub type Body = BoxBody<Bytes, Infallible>;

pub fn empty() -> Body {
    Empty::new().boxed()
}

pub fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into()).boxed()
}

/// `data` sent as frames of `frame` bytes (slices of the same buffer: no copies).
pub fn streamed(data: Bytes, frame: usize) -> Body {
    let frames: Vec<Result<Frame<Bytes>, Infallible>> = (0..data.len())
        .step_by(frame)
        .map(|i| Ok(Frame::data(data.slice(i..(i + frame).min(data.len())))))
        .collect();
    StreamBody::new(futures_util::stream::iter(frames)).boxed()
}

/// What came back: status, headers and either the body or only its length.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub len: u64,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn expect(self, want: u16, what: &str) -> anyhow::Result<Reply> {
        if self.status.as_u16() != want {
            bail!(
                "{what}: expected {want}, got {} ({})",
                self.status,
                String::from_utf8_lossy(&self.body)
            );
        }
        Ok(self)
    }
}

/// The largest read the client makes into its buffer.
const READ_BUF_MAX: usize = 1024 * 1024;

/// One keep-alive connection to a registry.
pub struct Conn {
    sender: SendRequest<Body>,
    host: String,
    auth: Option<String>,
}

impl Conn {
    pub async fn open(addr: &str, auth: Option<String>) -> anyhow::Result<Conn> {
        let tcp = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        tcp.set_nodelay(true)?;
        // reads of up to 1 MiB, like the loopback ceiling's reader: with hyper's default (about
        // 400 KiB) the client's own per-read work showed in the pull figures
        let (sender, conn) = hyper::client::conn::http1::Builder::new()
            .max_buf_size(READ_BUF_MAX)
            .handshake(TokioIo::new(tcp))
            .await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn {
            sender,
            host: addr.to_string(),
            auth,
        })
    }

    /// Send a request; with `keep_body` the body is collected, otherwise only counted.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Body,
        keep_body: bool,
    ) -> anyhow::Result<Reply> {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header("host", &self.host);
        if let Some(a) = &self.auth {
            b = b.header("authorization", a);
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = b.body(body)?;
        self.sender.ready().await?;
        let res = self.sender.send_request(req).await?;
        let (parts, mut incoming) = res.into_parts();
        let mut len = 0u64;
        let mut kept = Vec::new();
        while let Some(frame) = incoming.frame().await {
            if let Ok(data) = frame?.into_data() {
                len += data.len() as u64;
                if keep_body {
                    kept.push(data);
                }
            }
        }
        let body = match kept.len() {
            0 => Bytes::new(),
            1 => kept.pop().unwrap_or_default(),
            _ => Bytes::from(kept.concat()),
        };
        Ok(Reply {
            status: parts.status,
            headers: parts.headers,
            body,
            len,
        })
    }

    pub async fn get(&mut self, path: &str, headers: &[(&str, &str)]) -> anyhow::Result<Reply> {
        self.send(Method::GET, path, headers, empty(), true).await
    }
}

/// Make a Location header into a request target on the same host.
pub fn path_of(location: &str) -> String {
    match location.find("://") {
        Some(i) => {
            let rest = &location[i + 3..];
            rest.find('/')
                .map(|j| rest[j..].to_string())
                .unwrap_or_else(|| "/".into())
        }
        None => location.to_string(),
    }
}

/// Append `digest=` to an upload Location.
pub fn with_digest(location: &str, digest: &str) -> String {
    let p = path_of(location);
    let sep = if p.contains('?') { '&' } else { '?' };
    format!("{p}{sep}digest={digest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_become_request_targets() {
        assert_eq!(path_of("/v2/a/blobs/uploads/1"), "/v2/a/blobs/uploads/1");
        assert_eq!(
            path_of("http://127.0.0.1:5000/v2/a/blobs/uploads/1?_state=x"),
            "/v2/a/blobs/uploads/1?_state=x"
        );
        assert_eq!(
            with_digest("/v2/a/blobs/uploads/1", "sha256:ab"),
            "/v2/a/blobs/uploads/1?digest=sha256:ab"
        );
        assert_eq!(
            with_digest("http://h/v2/a/blobs/uploads/1?_state=x", "sha256:ab"),
            "/v2/a/blobs/uploads/1?_state=x&digest=sha256:ab"
        );
    }
}
