//! A connection stays usable after an answer given before the request body was read.
//!
//! Berth often answers before it reads a body: a 401 to a `PUT` sent without credentials, a
//! refused upload. Hyper then closes the HTTP/1.1 connection, since the unread body is still on
//! it, but without saying so; Go's clients, which send such a `PUT` first without credentials and
//! repeat it with them after the 401, reuse the connection and read EOF. As Go's and nginx's
//! servers do, a small unread rest (at most [`DRAIN_LIMIT`]) is read and discarded before the
//! answer goes out, so the connection can carry the next request; a larger one is answered with
//! `Connection: close`, so the client knows to open another.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderValue, Version};
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::BodyExt;

/// The most of an unread body that is read and discarded to keep the connection.
pub const DRAIN_LIMIT: u64 = 64 * 1024;
/// How long the discarding may take before the connection is given up instead.
const DRAIN_TIME: Duration = Duration::from_secs(2);

/// The request body, and how much of it the handler took; the body stays here when the handler
/// drops its end unfinished.
struct Shared {
    body: Option<Body>,
    taken: u64,
}

/// The handler's end of the request body.
struct Tracked(Arc<Mutex<Shared>>);

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let mut shared = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let Some(body) = shared.body.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(body).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    shared.taken += data.len() as u64;
                }
            }
            // read to its end (or failed): nothing is left on the connection to discard
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => shared.body = None,
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        let shared = self.0.lock().unwrap_or_else(|p| p.into_inner());
        shared.body.as_ref().is_none_or(|b| b.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        let shared = self.0.lock().unwrap_or_else(|p| p.into_inner());
        shared
            .body
            .as_ref()
            .map(|b| b.size_hint())
            .unwrap_or_else(|| SizeHint::with_exact(0))
    }
}

/// Whether the request declares a body (a non-zero `Content-Length`, or chunked), and its
/// declared length.
fn declared_body(req: &Request) -> Option<Option<u64>> {
    let headers = req.headers();
    match headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        Some(0) => None,
        Some(n) => Some(Some(n)),
        None => headers
            .contains_key(http::header::TRANSFER_ENCODING)
            .then_some(None),
    }
}

/// Read and discard `body` up to `limit` bytes within [`DRAIN_TIME`]: whether it ended.
async fn drain(mut body: Body, limit: u64) -> bool {
    let read = async {
        let mut read = 0u64;
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(f) => {
                    read += f.data_ref().map_or(0, |d| d.len() as u64);
                    if read > limit {
                        return false;
                    }
                }
                Err(_) => return false,
            }
        }
        true
    };
    tokio::time::timeout(DRAIN_TIME, read)
        .await
        .unwrap_or(false)
}

/// The middleware (HTTP/1 only: an HTTP/2 stream is reset on its own without harm to others).
pub async fn keep_connection_usable(req: Request, next: Next) -> Response {
    if req.version() > Version::HTTP_11 {
        return next.run(req).await;
    }
    let Some(declared) = declared_body(&req) else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let shared = Arc::new(Mutex::new(Shared {
        body: Some(body),
        taken: 0,
    }));
    let req = Request::from_parts(parts, Body::new(Tracked(shared.clone())));
    let mut res = next.run(req).await;
    let (rest, taken) = {
        let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
        (s.body.take(), s.taken)
    };
    let Some(rest) = rest else {
        return res;
    };
    let left = declared.map(|n| n.saturating_sub(taken));
    let kept = match left {
        Some(0) => true,
        Some(n) if n <= DRAIN_LIMIT => drain(rest, n).await,
        // chunked: as much as the limit allows
        None => drain(rest, DRAIN_LIMIT).await,
        Some(_) => false,
    };
    if !kept {
        res.headers_mut()
            .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    }
    res
}
