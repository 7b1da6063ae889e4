//! The filesystem backend: `ROOT/blobs/<alg>/<2 hex>/<hex>` and `ROOT/uploads/<uuid>`, on one
//! filesystem so that finishing an upload is an atomic rename. Blob files are immutable once
//! renamed into place (only ever unlinked), which is what lets reads memory-map them.

use std::io::SeekFrom;
use std::ops::Range;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use berth_oci::{Digest, Hasher};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio_util::io::ReaderStream;
use uuid::Uuid;

use crate::{hash_stream, Appended, BlobStore, ByteStream, Result, StorageError};

/// Read size when an upload is read back (to rebuild a hash state).
const READ_CHUNK: usize = 512 * 1024;
/// Size of the frames a mapped blob is sent in.
const SEND_CHUNK: usize = 2 * 1024 * 1024;
/// Blobs smaller than this are read whole rather than mapped.
const MAP_MIN: u64 = 256 * 1024;
/// Bytes gathered before one write call.
const WRITE_CHUNK: usize = 1024 * 1024;

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
        let mut file = tokio::fs::File::from_std(std_file);
        let written = async {
            let mut received: u64 = 0;
            let mut buf = BytesMut::with_capacity(WRITE_CHUNK);
            while let Some(chunk) = body.next().await {
                let chunk: Bytes = chunk.map_err(StorageError::Body)?;
                received += chunk.len() as u64;
                if let Some(declared) = declared {
                    if received > declared {
                        return Err(StorageError::BodyTooLong { declared });
                    }
                }
                hasher.update(&chunk);
                if buf.is_empty() && chunk.len() >= WRITE_CHUNK {
                    file.write_all(&chunk).await?;
                    continue;
                }
                buf.extend_from_slice(&chunk);
                if buf.len() >= WRITE_CHUNK {
                    file.write_all(&buf).await?;
                    buf.clear();
                }
            }
            if !buf.is_empty() {
                file.write_all(&buf).await?;
            }
            if let Some(declared) = declared {
                if received < declared {
                    return Err(StorageError::BodyTooShort { declared, received });
                }
            }
            file.flush().await?;
            Ok(received)
        }
        .await;
        match written {
            Ok(received) => Ok(Appended {
                size: offset + received,
            }),
            Err(e) => {
                // Leave nothing behind: drop what this request wrote.
                let _ = file.flush().await;
                file.set_len(offset).await?;
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
