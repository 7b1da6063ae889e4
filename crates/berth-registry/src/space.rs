//! Running out of disk: a write that finds no space left is a clear error for the client
//! ("insufficient storage"), one log line for the operator (not one per request), and `/readyz`
//! answers 503 until space comes back: a write succeeds again, or the store's free space has
//! grown by [`RECOVERED`] since the failure (an operator freed some).

use std::sync::Mutex;

use berth_storage::StorageError;

/// Free space gained since the failure that counts as recovered.
pub const RECOVERED: u64 = 64 * 1024 * 1024;

/// Whether the store last found its disk full, and its free bytes then.
#[derive(Default)]
pub(crate) struct SpaceWatch {
    full: Mutex<Option<Option<u64>>>,
}

impl SpaceWatch {
    /// Take note of a write's outcome (`free` is the store's free space, where it knows it).
    pub(crate) fn note<T>(&self, r: &Result<T, StorageError>, free: impl FnOnce() -> Option<u64>) {
        let mut full = self.full.lock().unwrap_or_else(|p| p.into_inner());
        match r {
            Err(e) if e.is_out_of_space() => {
                if full.is_none() {
                    tracing::error!(error = %e, "the blob store's disk is full: pushes fail with \"insufficient storage\" and /readyz answers 503 until space is freed");
                    *full = Some(free());
                }
            }
            Ok(_) => {
                if full.take().is_some() {
                    tracing::warn!("the blob store accepts writes again");
                }
            }
            Err(_) => {}
        }
    }

    /// `Err` with the reason while the disk is full; `free` is the store's free space now.
    pub(crate) fn check(&self, free: impl FnOnce() -> Option<u64>) -> Result<(), String> {
        let mut full = self.full.lock().unwrap_or_else(|p| p.into_inner());
        let Some(then) = *full else {
            return Ok(());
        };
        match (then, free()) {
            (Some(then), Some(now)) if now >= then.saturating_add(RECOVERED) => {
                tracing::warn!(free_bytes = now, "space was freed on the blob store's disk");
                *full = None;
                Ok(())
            }
            _ => Err("insufficient storage: the blob store's disk is full".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enospc() -> Result<(), StorageError> {
        Err(StorageError::Io(std::io::Error::from_raw_os_error(
            28, // ENOSPC on Linux
        )))
    }

    #[test]
    fn full_until_a_write_succeeds_or_space_is_freed() {
        let w = SpaceWatch::default();
        assert!(w.check(|| Some(0)).is_ok());
        w.note(&enospc(), || Some(1000));
        assert!(w.check(|| Some(1000)).is_err());
        // other failures change nothing
        w.note::<()>(&Err(StorageError::BlobNotFound), || None);
        assert!(w.check(|| Some(2000)).is_err());
        w.note(&Ok(()), || None);
        assert!(w.check(|| None).is_ok());
        w.note(&enospc(), || Some(1000));
        assert!(w.check(|| None).is_err(), "without a free-space figure");
        assert!(w.check(|| Some(1000 + RECOVERED)).is_ok());
        assert!(w.check(|| Some(0)).is_ok());
    }
}
