//! Fewer, larger socket reads while a long request body arrives.
//!
//! A layer pushed over loopback or a fast network arrives in 64 KiB segments, and without help
//! the receiving task wakes for each of them: thousands of wakeups a second, each preempting the
//! thread that hashes the layer on the same core. While a long HTTP/1.1 body is being received,
//! the handler asks the connection for a receive low-water mark (`SO_RCVLOWAT`), so that the
//! socket wakes its reader only once a megabyte has queued. The connection's socket applies the
//! mark before its next read ([`ReceiveWatermark::get`]); the body sets it back to 1 byte before
//! its last few megabytes, and whenever it is dropped, so that the mark never asks for more
//! than the client still has to send; and when a megabyte takes longer than 50 ms to come, it
//! lowers the mark for that read. Linux wakes a waiting reader as soon as the mark is lowered
//! below what is queued.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use futures_util::StreamExt;

/// The low-water mark asked for while a long body arrives.
const BODY_LOW_WATER: usize = 1024 * 1024;
/// How much of the body must still be unread for the mark to be raised: the mark plus what the
/// server may have read ahead of the handler (a frame or two of at most `MAX_READ_BUF`), with
/// room to spare.
const MARGIN: u64 = 4 * 1024 * 1024;
/// How long a raised mark may hold the reader back before what has come is read anyway, so that
/// a slow client's bytes do not sit in the kernel (nor run into the upload idle timeout).
const RAISED_WAIT: std::time::Duration = std::time::Duration::from_millis(50);
/// The largest read buffer of an HTTP/1 connection (hyper's `max_buf_size`), which bounds a body
/// frame. The listener configures it.
pub const MAX_READ_BUF: usize = 1024 * 1024;

/// The low-water mark one connection's socket should have, shared between the connection (which
/// applies it) and the request being served on it (which sets it). 0 means the default.
#[derive(Debug, Clone, Default)]
pub struct ReceiveWatermark(Arc<AtomicUsize>);

impl ReceiveWatermark {
    pub fn new() -> Self {
        Self::default()
    }

    /// The mark the socket should have now.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    /// Ask for `bytes` (0: the default).
    pub fn set(&self, bytes: usize) {
        self.0.store(bytes, Ordering::Relaxed);
    }
}

/// Resets the mark when the body ends or is dropped.
struct Raised {
    mark: ReceiveWatermark,
    /// Body bytes the handler has not yet received.
    left: u64,
}

impl Drop for Raised {
    fn drop(&mut self) {
        self.mark.set(0);
    }
}

/// `body`, declared `declared` bytes long, received with the mark raised while more than
/// [`MARGIN`] of it is still to come.
pub(crate) fn watermarked(body: Body, mark: ReceiveWatermark, declared: u64) -> Body {
    if declared <= MARGIN {
        return body;
    }
    let raised = Raised {
        mark,
        left: declared,
    };
    Body::from_stream(futures_util::stream::unfold(
        (body.into_data_stream(), raised),
        |(mut stream, mut raised)| async move {
            let item = if raised.left > MARGIN {
                raised.mark.set(BODY_LOW_WATER);
                match tokio::time::timeout(RAISED_WAIT, stream.next()).await {
                    Ok(item) => item,
                    // a slow client: take what has come
                    Err(_) => {
                        raised.mark.set(0);
                        stream.next().await
                    }
                }
            } else {
                raised.mark.set(0);
                stream.next().await
            }?;
            if let Ok(chunk) = &item {
                raised.left = raised.left.saturating_sub(chunk.len() as u64);
            }
            Some((item, (stream, raised)))
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn raised_while_the_body_is_long_and_reset_at_its_end() {
        let chunk = vec![7u8; 1024 * 1024];
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            (0..8).map(|_| Ok(chunk.clone())).collect();
        let body = Body::from_stream(futures_util::stream::iter(chunks));
        let mark = ReceiveWatermark::new();
        let mut stream = watermarked(body, mark.clone(), 8 * 1024 * 1024).into_data_stream();
        let mut seen = Vec::new();
        while let Some(c) = stream.next().await {
            // the mark asked for while this chunk was awaited
            seen.push(mark.get());
            assert_eq!(c.map(|c| c.len()).ok(), Some(1024 * 1024));
        }
        // raised while more than MARGIN was left (8, 7, 6, 5 MiB), then back to the default
        assert_eq!(
            seen,
            [
                BODY_LOW_WATER,
                BODY_LOW_WATER,
                BODY_LOW_WATER,
                BODY_LOW_WATER,
                0,
                0,
                0,
                0
            ]
        );
        drop(stream);
        assert_eq!(mark.get(), 0);
    }

    #[tokio::test]
    async fn reset_when_dropped_midway() {
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            (0..8).map(|_| Ok(vec![0u8; 1024 * 1024])).collect();
        let body = Body::from_stream(futures_util::stream::iter(chunks));
        let mark = ReceiveWatermark::new();
        let mut stream = watermarked(body, mark.clone(), 8 * 1024 * 1024).into_data_stream();
        assert!(stream.next().await.is_some());
        assert_eq!(mark.get(), BODY_LOW_WATER);
        drop(stream);
        assert_eq!(mark.get(), 0);
    }

    /// A client slower than a megabyte per 50 ms has the mark lowered for the read it waits on.
    #[tokio::test(start_paused = true)]
    async fn lowered_for_a_slow_client() {
        let mark = ReceiveWatermark::new();
        let seen = mark.clone();
        let slow = futures_util::stream::once(async move {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            let early = seen.get();
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let late = seen.get();
            Ok::<_, std::io::Error>(format!("{early} {late}"))
        });
        let body = Body::from_stream(slow);
        let mut stream = watermarked(body, mark.clone(), 8 * 1024 * 1024).into_data_stream();
        let got = stream.next().await.and_then(Result::ok);
        assert_eq!(
            got.as_deref(),
            Some(format!("{BODY_LOW_WATER} 0").as_bytes())
        );
    }

    /// A body of at most MARGIN is read with the mark untouched, while it is polled.
    #[tokio::test]
    async fn short_bodies_are_left_alone() {
        let mark = ReceiveWatermark::new();
        let seen = mark.clone();
        let chunks = futures_util::stream::iter(0..4)
            .map(move |_| Ok::<_, std::io::Error>(seen.get().to_string().into_bytes()));
        let body = Body::from_stream(chunks);
        let mut stream = watermarked(body, mark.clone(), MARGIN).into_data_stream();
        let mut marks = Vec::new();
        while let Some(c) = stream.next().await {
            marks.push(String::from_utf8(c.unwrap().to_vec()).unwrap());
        }
        assert_eq!(
            marks,
            ["0", "0", "0", "0"],
            "the mark while each chunk was read"
        );
        // the same chunks declared longer than MARGIN are read under the raised mark
        let seen = mark.clone();
        let chunks = futures_util::stream::iter(0..1)
            .map(move |_| Ok::<_, std::io::Error>(seen.get().to_string().into_bytes()));
        let mut stream =
            watermarked(Body::from_stream(chunks), mark.clone(), MARGIN + 1).into_data_stream();
        let first = stream.next().await.unwrap().unwrap();
        assert_eq!(first.as_ref(), BODY_LOW_WATER.to_string().as_bytes());
    }
}
