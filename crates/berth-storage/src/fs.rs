//! The filesystem backend: `ROOT/blobs/<alg>/<2 hex>/<hex>` and `ROOT/uploads/<uuid>`, on one
//! filesystem so that finishing an upload is an atomic rename. Blob files are immutable once
//! renamed into place (only ever unlinked), which is what lets reads memory-map them.

use std::io::SeekFrom;
use std::ops::Range;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use berth_oci::{Digest, Hasher};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio_util::io::ReaderStream;
use uuid::Uuid;

use crate::{hash_stream, Appended, BlobStore, ByteStream, Result, StorageError};

/// Read size when an upload is read back (to rebuild a hash state).
const READ_CHUNK: usize = 512 * 1024;
/// Size of the frames a mapped blob is sent in.
const SEND_CHUNK: usize = 2 * 1024 * 1024;
/// Blobs smaller than this are read whole rather than mapped.
const MAP_MIN: u64 = 256 * 1024;
/// Chunks queued between the request and the writer thread.
const WRITER_QUEUE: usize = 64;
/// Chunks written by one writev call, at most.
const WRITEV_BATCH: usize = 64;
/// With fsync, writeback of written data is started every this many bytes, so that the flush
/// before commit waits only for the tail.
const WRITEBACK_EVERY: u64 = 8 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: PathBuf,
    fsync: bool,
}

impl FsBlobStore {
    /// Open (creating if needed) a store under `root`. With `fsync`, blob data is flushed to disk
    /// before it becomes visible.
    pub async fn open(root: impl Into<PathBuf>, fsync: bool) -> Result<Self> {
        let root = root.into();
        tokio::fs::create_dir_all(root.join("blobs")).await?;
        tokio::fs::create_dir_all(root.join("uploads")).await?;
        Ok(FsBlobStore { root, fsync })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Path of a blob. Digests are validated hex, so the path cannot leave the root.
    pub fn blob_path(&self, d: &Digest) -> PathBuf {
        let hex = d.hex();
        self.root
            .join("blobs")
            .join(d.algorithm().as_str())
            .join(&hex[..2])
            .join(hex)
    }

    fn upload_path(&self, id: Uuid) -> PathBuf {
        self.root.join("uploads").join(id.hyphenated().to_string())
    }
}

/// The bytes of a stored blob: read whole when small, otherwise memory-mapped, so that serving it
/// copies page-cache pages straight into the socket with no `read()` copy through userspace.
fn map_blob(path: &Path) -> Result<Bytes> {
    let file =
        std::fs::File::open(path).map_err(|e| not_found_as(e, StorageError::BlobNotFound))?;
    let len = file.metadata()?.len();
    if len < MAP_MIN {
        let mut buf = Vec::with_capacity(len as usize);
        std::io::Read::read_to_end(&mut { file }, &mut buf)?;
        return Ok(Bytes::from(buf));
    }
    // SAFETY: the mapping is read-only and blob files are immutable. A blob file appears by an
    // atomic rename of a verified upload, is never opened for writing again, and is removed only
    // by unlink, which leaves existing mappings valid. Only an outside process truncating a file
    // in the data directory (which belongs to Berth alone) could invalidate the mapping.
    let map = unsafe { memmap2::Mmap::map(&file)? };
    let _ = map.advise(memmap2::Advice::Sequential);
    Ok(Bytes::from_owner(map))
}

/// The writer thread of an append: writes every chunk received at `offset` onwards, batching
/// queued chunks into one writev; returns the file and the bytes written.
fn write_chunks(
    mut file: std::fs::File,
    offset: u64,
    mut rx: tokio::sync::mpsc::Receiver<Bytes>,
    writeback: bool,
) -> std::io::Result<(std::fs::File, u64)> {
    use std::io::{IoSlice, Write};
    let mut written: u64 = 0;
    let mut unsynced_from = offset;
    let mut batch: Vec<Bytes> = Vec::with_capacity(WRITEV_BATCH);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < WRITEV_BATCH {
            match rx.try_recv() {
                Ok(b) => batch.push(b),
                Err(_) => break,
            }
        }
        let mut slices: Vec<IoSlice<'_>> = batch.iter().map(|b| IoSlice::new(b)).collect();
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            let n = file.write_vectored(rest)?;
            if n == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            written += n as u64;
            IoSlice::advance_slices(&mut rest, n);
        }
        drop(slices);
        batch.clear();
        let end = offset + written;
        if writeback && end - unsynced_from >= WRITEBACK_EVERY {
            start_writeback(&file, unsynced_from, end - unsynced_from);
            unsynced_from = end;
        }
    }
    Ok((file, written))
}

/// Ask the kernel to start writing a range back to disk now, without waiting for it.
#[cfg(target_os = "linux")]
fn start_writeback(file: &std::fs::File, from: u64, len: u64) {
    use std::os::fd::AsRawFd;
    // SAFETY: a plain syscall on a file descriptor we own; it only schedules writeback.
    unsafe {
        libc::sync_file_range(
            file.as_raw_fd(),
            from as libc::off64_t,
            len as libc::off64_t,
            libc::SYNC_FILE_RANGE_WRITE,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &std::fs::File, _from: u64, _len: u64) {}

/// Run blocking filesystem work on the blocking pool, as one hop.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StorageError::Io(std::io::Error::other(e)))?
}

fn not_found_as(e: std::io::Error, other: StorageError) -> StorageError {
    if e.kind() == std::io::ErrorKind::NotFound {
        other
    } else {
        StorageError::Io(e)
    }
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn stat(&self, digest: &Digest) -> Result<Option<u64>> {
        match tokio::fs::metadata(self.blob_path(digest)).await {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn read(&self, digest: &Digest, range: Option<Range<u64>>) -> Result<ByteStream> {
        let path = self.blob_path(digest);
        let all = blocking(move || map_blob(&path)).await?;
        let bytes = match range {
            None => all,
            Some(r) => {
                if r.end > all.len() as u64 || r.start > r.end {
                    return Err(StorageError::RangeNotSatisfiable {
                        start: r.start,
                        end: r.end,
                    });
                }
                all.slice(r.start as usize..r.end as usize)
            }
        };
        let chunks: Vec<std::io::Result<Bytes>> = (0..bytes.len())
            .step_by(SEND_CHUNK)
            .map(|i| Ok(bytes.slice(i..(i + SEND_CHUNK).min(bytes.len()))))
            .collect();
        Ok(futures_util::stream::iter(chunks).boxed())
    }

    async fn delete(&self, digest: &Digest) -> Result<()> {
        match tokio::fs::remove_file(self.blob_path(digest)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn create_upload(&self, id: Uuid) -> Result<()> {
        tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.upload_path(id))
            .await?;
        Ok(())
    }

    async fn upload_size(&self, id: Uuid) -> Result<u64> {
        let m = tokio::fs::metadata(self.upload_path(id))
            .await
            .map_err(|e| not_found_as(e, StorageError::UploadNotFound))?;
        Ok(m.len())
    }

    async fn append(
        &self,
        id: Uuid,
        offset: u64,
        mut body: ByteStream,
        declared: Option<u64>,
        hasher: &mut Hasher,
    ) -> Result<Appended> {
        let path = self.upload_path(id);
        // open, check and position in one blocking call
        let std_file = blocking(move || {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(|e| not_found_as(e, StorageError::UploadNotFound))?;
            let actual = f.metadata()?.len();
            if actual != offset {
                return Err(StorageError::OffsetMismatch {
                    expected: offset,
                    actual,
                });
            }
            std::io::Seek::seek(&mut f, SeekFrom::Start(offset))?;
            Ok(f)
        })
        .await?;
        // A blocking writer drains the chunks with writev while this task hashes the next ones:
        // no copies in userspace, hashing and disk writes in parallel.
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(WRITER_QUEUE);
        let writeback = self.fsync;
        let writer =
            tokio::task::spawn_blocking(move || write_chunks(std_file, offset, rx, writeback));
        let received = async {
            let mut received: u64 = 0;
            while let Some(chunk) = body.next().await {
                let chunk: Bytes = chunk.map_err(StorageError::Body)?;
                received += chunk.len() as u64;
                if let Some(declared) = declared {
                    if received > declared {
                        return Err(StorageError::BodyTooLong { declared });
                    }
                }
                hasher.update(&chunk);
                if tx.send(chunk).await.is_err() {
                    break; // the writer failed: its error is reported below
                }
            }
            if let Some(declared) = declared {
                if received < declared {
                    return Err(StorageError::BodyTooShort { declared, received });
                }
            }
            Ok(received)
        }
        .await;
        drop(tx);
        let wrote = writer
            .await
            .map_err(|e| StorageError::Io(std::io::Error::other(e)))?;
        let outcome = match (received, wrote) {
            (Ok(received), Ok((file, written))) if written == received => Ok((file, received)),
            (Ok(_), Ok(_)) => Err(StorageError::Io(std::io::Error::other(
                "the writer stopped early",
            ))),
            (Err(e), _) => Err(e),
            (Ok(_), Err(e)) => Err(StorageError::Io(e)),
        };
        match outcome {
            Ok((_, received)) => Ok(Appended {
                size: offset + received,
            }),
            Err(e) => {
                // Leave nothing behind: drop what this request wrote.
                let path = self.upload_path(id);
                blocking(move || {
                    let f = std::fs::OpenOptions::new().write(true).open(&path)?;
                    f.set_len(offset)?;
                    Ok(())
                })
                .await?;
                Err(e)
            }
        }
    }

    async fn read_upload(&self, id: Uuid) -> Result<ByteStream> {
        let file = tokio::fs::File::open(self.upload_path(id))
            .await
            .map_err(|e| not_found_as(e, StorageError::UploadNotFound))?;
        Ok(ReaderStream::with_capacity(file, READ_CHUNK).boxed())
    }

    async fn commit(&self, id: Uuid, digest: &Digest, computed: Option<Digest>) -> Result<u64> {
        let actual = match computed {
            Some(d) if d.algorithm() == digest.algorithm() => d,
            _ => hash_stream(self.read_upload(id).await?, digest.algorithm().hasher()).await?,
        };
        if &actual != digest {
            self.delete_upload(id).await?;
            return Err(StorageError::DigestMismatch {
                expected: digest.clone(),
                actual,
            });
        }
        let (path, target, fsync) = (self.upload_path(id), self.blob_path(digest), self.fsync);
        // flush, then rename into place, in one blocking call
        blocking(move || {
            let file = std::fs::File::open(&path)
                .map_err(|e| not_found_as(e, StorageError::UploadNotFound))?;
            let size = file.metadata()?.len();
            if fsync {
                file.sync_data()?;
            }
            drop(file);
            if target.try_exists()? {
                // Content-addressed: the stored blob already holds these exact bytes.
                std::fs::remove_file(&path)?;
                return Ok(size);
            }
            match std::fs::rename(&path, &target) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    if let Some(dir) = target.parent() {
                        std::fs::create_dir_all(dir)?;
                    }
                    std::fs::rename(&path, &target)?;
                }
                other => other?,
            }
            Ok(size)
        })
        .await
    }

    async fn delete_upload(&self, id: Uuid) -> Result<()> {
        match tokio::fs::remove_file(self.upload_path(id)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn conformance() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path(), true).await.unwrap();
        crate::conformance::run(&store).await;
        // the upload area is empty after the suite: nothing was left behind
        let left = std::fs::read_dir(dir.path().join("uploads"))
            .unwrap()
            .count();
        assert_eq!(left, 0);
    }
}
