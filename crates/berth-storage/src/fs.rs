//! The filesystem backend: `ROOT/blobs/<alg>/<2 hex>/<hex>` and `ROOT/uploads/<uuid>`, on one
//! filesystem so that finishing an upload is an atomic rename.

use std::io::SeekFrom;
use std::ops::Range;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use berth_oci::{Digest, Hasher};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio_util::io::ReaderStream;
use uuid::Uuid;

use crate::{hash_stream, Appended, BlobStore, ByteStream, Result, StorageError};

/// Read size for blob streams: large enough to keep per-chunk overhead negligible.
const READ_CHUNK: usize = 512 * 1024;
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
        let mut file = tokio::fs::File::open(self.blob_path(digest))
            .await
            .map_err(|e| not_found_as(e, StorageError::BlobNotFound))?;
        match range {
            None => Ok(ReaderStream::with_capacity(file, READ_CHUNK).boxed()),
            Some(r) => {
                file.seek(SeekFrom::Start(r.start)).await?;
                let take = file.take(r.end - r.start);
                Ok(ReaderStream::with_capacity(take, READ_CHUNK).boxed())
            }
        }
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
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .await
            .map_err(|e| not_found_as(e, StorageError::UploadNotFound))?;
        let actual = file.metadata().await?.len();
        if actual != offset {
            return Err(StorageError::OffsetMismatch {
                expected: offset,
                actual,
            });
        }
        file.seek(SeekFrom::Start(offset)).await?;
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
        let path = self.upload_path(id);
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
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| not_found_as(e, StorageError::UploadNotFound))?;
        let size = file.metadata().await?.len();
        if self.fsync {
            file.sync_data().await?;
        }
        drop(file);
        let target = self.blob_path(digest);
        if tokio::fs::try_exists(&target).await? {
            // Content-addressed: the stored blob already holds these exact bytes.
            tokio::fs::remove_file(&path).await?;
            return Ok(size);
        }
        if let Some(dir) = target.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        tokio::fs::rename(&path, &target).await?;
        Ok(size)
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
