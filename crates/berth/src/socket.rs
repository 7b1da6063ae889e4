//! The accepted TCP stream, which applies its connection's receive low-water mark (see
//! `berth_api::ReceiveWatermark`) before each read.

use std::pin::Pin;
use std::task::{Context, Poll};

use berth_api::ReceiveWatermark;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

pub struct MarkedStream {
    inner: TcpStream,
    mark: ReceiveWatermark,
    /// The mark the socket has (0: the kernel's default of 1 byte).
    applied: usize,
}

impl MarkedStream {
    pub fn new(inner: TcpStream, mark: ReceiveWatermark) -> Self {
        MarkedStream {
            inner,
            mark,
            applied: 0,
        }
    }
}

/// Set `SO_RCVLOWAT`. Linux wakes a reader blocked below the new mark at once if enough is
/// already queued.
#[cfg(target_os = "linux")]
fn set_low_water(socket: &TcpStream, bytes: usize) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let value = libc::c_int::try_from(bytes.max(1)).unwrap_or(libc::c_int::MAX);
    // SAFETY: setsockopt on a socket this stream owns, with a c_int option value of its size.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVLOWAT,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Elsewhere the mark is left alone: a reader woken early only reads less at a time.
#[cfg(not(target_os = "linux"))]
fn set_low_water(_socket: &TcpStream, _bytes: usize) -> std::io::Result<()> {
    Ok(())
}

impl AsyncRead for MarkedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let want = this.mark.get();
        if want != this.applied {
            // A mark that cannot be set only costs wakeups; it is not tried again.
            if let Err(e) = set_low_water(&this.inner, want) {
                tracing::debug!(error = %e, "setting SO_RCVLOWAT failed");
            }
            this.applied = want;
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for MarkedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// The socket's `SO_RCVLOWAT` as the kernel has it.
    fn low_water(socket: &TcpStream) -> libc::c_int {
        use std::os::fd::AsRawFd;
        let mut value: libc::c_int = -1;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: getsockopt on an open socket into a c_int of the given size.
        let rc = unsafe {
            libc::getsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVLOWAT,
                (&mut value as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        assert_eq!(rc, 0);
        value
    }

    /// The mark is applied to the socket before a read, and a reader waiting below it is woken
    /// when the mark is lowered, not only by new data.
    #[tokio::test]
    async fn lowering_the_mark_wakes_a_waiting_reader() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let mark = ReceiveWatermark::new();
        let mut stream = MarkedStream::new(server, mark.clone());
        assert_eq!(low_water(&stream.inner), 1, "the kernel's default");
        mark.set(64 * 1024);
        let mut buf = [0u8; 200];
        let wait = std::time::Duration::from_millis(200);
        // the first read applies the mark to the socket (nothing has been sent yet)
        assert!(tokio::time::timeout(wait, stream.read(&mut buf))
            .await
            .is_err());
        assert_eq!(low_water(&stream.inner), 64 * 1024);
        // 100 bytes arrive, below the mark: the waiting reader is not woken
        client.write_all(&[1u8; 100]).await.unwrap();
        let early = tokio::time::timeout(wait, stream.read(&mut buf)).await;
        assert!(early.is_err(), "read returned below the mark");
        mark.set(0);
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("read woke after the mark was lowered")
            .unwrap();
        assert_eq!(n, 100);
        assert_eq!(low_water(&stream.inner), 1);
    }
}
