//! The listening socket and the process limits a busy listener meets: the kernel's largest
//! accept backlog (not 128, which drops SYNs under a burst of connections), the open-file soft
//! limit raised to the hard limit at start (as Go's runtime does), and accept errors met with a
//! growing pause and one log line per episode instead of one every few milliseconds.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket};

/// Where Linux says how long a listen backlog may be; `listen` truncates longer ones to it.
const SOMAXCONN_FILE: &str = "/proc/sys/net/core/somaxconn";

/// The longest accept backlog the system allows (4096 where it cannot be read, Linux's default
/// since 5.4).
pub fn max_backlog() -> u32 {
    std::fs::read_to_string(SOMAXCONN_FILE)
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(4096)
        .min(i32::MAX as u32)
}

/// Bind `addr` with the system's largest backlog.
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(max_backlog())
}

/// Raise the soft limit on open files to the hard limit: every connection holds one, and 1,024
/// (a common default) is reached by a thousand idle clients. Returns the limits before and after.
#[cfg(unix)]
pub fn raise_open_files_limit() -> std::io::Result<(u64, u64)> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit write and read the rlimit struct passed by pointer.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let before = lim.rlim_cur;
        if lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok((before, lim.rlim_cur))
    }
}

#[cfg(not(unix))]
pub fn raise_open_files_limit() -> std::io::Result<(u64, u64)> {
    Ok((0, 0))
}

/// How the accept loop waits after a failed `accept` (e.g. `EMFILE`, out of file descriptors):
/// 5 ms, doubling to 1 s while failures go on; the first failure of an episode is logged, and
/// its end with the number of failures, so a long episode writes two lines, not thousands.
#[derive(Default)]
pub struct AcceptBackoff {
    failures: u64,
}

impl AcceptBackoff {
    const FIRST: Duration = Duration::from_millis(5);
    const MAX: Duration = Duration::from_secs(1);

    /// The pause before the next `accept`, after a failure.
    pub fn failed(&mut self, error: &std::io::Error) -> Duration {
        if self.failures == 0 {
            tracing::warn!(%error, "accepting connections failed; pausing and retrying (logged again when it recovers)");
        }
        self.failures += 1;
        let doublings = (self.failures - 1).min(16) as u32;
        (Self::FIRST * 2u32.pow(doublings)).min(Self::MAX)
    }

    /// An `accept` succeeded: ends an episode of failures.
    pub fn succeeded(&mut self) {
        if self.failures > 0 {
            tracing::warn!(
                failures = self.failures,
                "accepting connections works again"
            );
            self.failures = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_a_second_and_resets() {
        let mut b = AcceptBackoff::default();
        let e = std::io::Error::from_raw_os_error(24);
        let pauses: Vec<Duration> = (0..12).map(|_| b.failed(&e)).collect();
        assert_eq!(pauses[0], Duration::from_millis(5));
        assert_eq!(pauses[1], Duration::from_millis(10));
        assert!(pauses.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*pauses.last().unwrap(), Duration::from_secs(1));
        b.succeeded();
        assert_eq!(b.failed(&e), Duration::from_millis(5));
    }

    #[tokio::test]
    async fn binds_with_the_systems_backlog() {
        let l = bind("127.0.0.1:0".parse().unwrap()).unwrap();
        assert!(l.local_addr().unwrap().port() > 0);
        assert!(max_backlog() >= 128);
    }
}
