//! The content-addressed blob store.
//!
//! A blob store holds bytes only: finished blobs addressed by digest, and the bytes of upload
//! sessions addressed by UUID. Everything else (which repository links which blob, sizes, upload
//! offsets, which upload sessions exist) lives in the metadata store: a store holds nothing for an
//! upload until its first bytes arrive, and an upload it holds nothing for is simply empty. A blob becomes visible only after its digest has been verified, by an atomic
//! rename on the filesystem backend.
//!
//! Every backend passes the same conformance suite (`conformance.rs`). This crate depends on
//! `berth-oci` only.

#[cfg(test)]
mod conformance;
mod fs;
mod memory;
mod s3;

use std::ops::Range;

use async_trait::async_trait;
use berth_oci::{Digest, Hasher};
use bytes::Bytes;
use futures_util::stream::BoxStream;
use uuid::Uuid;

pub use fs::FsBlobStore;
pub use memory::MemoryBlobStore;
pub use s3::{S3BlobStore, S3Config};

/// A stream of bytes going into or out of the store.
pub type ByteStream = BoxStream<'static, std::io::Result<Bytes>>;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("blob not found")]
    BlobNotFound,
    #[error("upload holds {actual} bytes, not the {expected} the request expected")]
    OffsetMismatch { expected: u64, actual: u64 },
    #[error("content digest {actual} does not match {expected}")]
    DigestMismatch { expected: Digest, actual: Digest },
    #[error("request body ended after {received} of {declared} bytes")]
    BodyTooShort { declared: u64, received: u64 },
    #[error("request body is longer than the {declared} bytes declared")]
    BodyTooLong { declared: u64 },
    #[error("reading the request body failed: {0}")]
    Body(std::io::Error),
    #[error("range {start}-{end} is outside the blob")]
    RangeNotSatisfiable { start: u64, end: u64 },
    #[error("storage I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl StorageError {
    /// Whether the store's disk (or quota) has no space left for a write.
    pub fn is_out_of_space(&self) -> bool {
        const ENOSPC: i32 = 28;
        const EDQUOT: i32 = 122;
        match self {
            StorageError::Io(e) | StorageError::Body(e) => {
                matches!(e.raw_os_error(), Some(ENOSPC) | Some(EDQUOT))
                    || e.kind() == std::io::ErrorKind::StorageFull
            }
            _ => false,
        }
    }
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// What [`BlobStore::append`] did.
#[derive(Debug)]
pub struct Appended {
    /// The upload's size after the append.
    pub size: u64,
}

/// A blob or upload as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredItem<K> {
    pub key: K,
    pub size: u64,
    /// Last write, epoch milliseconds; `None` when the backend does not know.
    pub modified: Option<i64>,
}

/// A backend that stores blobs and upload sessions.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Size of a stored blob, `None` if it is absent.
    async fn stat(&self, digest: &Digest) -> Result<Option<u64>>;

    /// Stream a blob, or the byte range `range` of it (already checked against its size).
    async fn read(&self, digest: &Digest, range: Option<Range<u64>>) -> Result<ByteStream>;

    /// Remove a blob. Removing an absent blob is not an error.
    async fn delete(&self, digest: &Digest) -> Result<()>;

    /// Bytes held for upload `id` (0 when it holds none).
    async fn upload_size(&self, id: Uuid) -> Result<u64>;

    /// Append `body` to upload `id`, which must currently hold exactly `offset` bytes. Every byte
    /// written is also fed to `hasher`. When `declared` is given the body must be exactly that long.
    /// On any failure (short or long body, client gone, I/O) the upload is truncated back to
    /// `offset` and `hasher` must be discarded by the caller.
    async fn append(
        &self,
        id: Uuid,
        offset: u64,
        body: ByteStream,
        declared: Option<u64>,
        hasher: &mut Hasher,
    ) -> Result<Appended>;

    /// Stream the bytes of an unfinished upload (to rebuild a hash state).
    async fn read_upload(&self, id: Uuid) -> Result<ByteStream>;

    /// Finish upload `id` as blob `digest`. `computed` is the digest of the upload's bytes when the
    /// caller has it; otherwise the store hashes the upload. On a mismatch the upload is removed
    /// and [`StorageError::DigestMismatch`] returned. Returns the blob's size.
    async fn commit(&self, id: Uuid, digest: &Digest, computed: Option<Digest>) -> Result<u64>;

    /// Store `body` whole as blob `digest`, through upload `id`, which must hold no bytes: an
    /// append at offset 0 and a commit in one step (backends do it in fewer operations). On any
    /// failure nothing is left for upload `id` and no blob is stored.
    async fn put(
        &self,
        id: Uuid,
        digest: &Digest,
        body: ByteStream,
        declared: Option<u64>,
    ) -> Result<u64> {
        put_streamed(self, id, digest, body, declared).await
    }

    /// Abandon an upload. Abandoning an absent upload is not an error.
    async fn delete_upload(&self, id: Uuid) -> Result<()>;

    /// A URL that serves the blob without credentials until `expires_in` has passed, where the
    /// backend can make one (S3's presigned GET); `None` otherwise (the node serves the bytes).
    async fn presigned_url(
        &self,
        _digest: &Digest,
        _expires_in: std::time::Duration,
    ) -> Result<Option<String>> {
        Ok(None)
    }

    /// Every stored blob with its size and, where the backend knows it, when it was written
    /// (epoch ms): what the garbage collector and `fsck` compare with the metadata.
    async fn list_blobs(&self) -> Result<Vec<StoredItem<Digest>>>;

    /// Every upload held, with its size and last write (epoch ms) where known.
    async fn list_uploads(&self) -> Result<Vec<StoredItem<Uuid>>>;

    /// Free bytes where the store writes, where the backend knows it (the filesystem's).
    fn free_bytes(&self) -> Option<u64> {
        None
    }

    /// Give back memory kept for reuse that has not been used since the previous call (the
    /// server calls this every few seconds).
    fn release_idle(&self) {}
}

/// `put` as an append at offset 0 and a commit, removing what a failure left.
pub(crate) async fn put_streamed<S: BlobStore + ?Sized>(
    store: &S,
    id: Uuid,
    digest: &Digest,
    body: ByteStream,
    declared: Option<u64>,
) -> Result<u64> {
    let mut hasher = digest.algorithm().hasher();
    let stored = match store.append(id, 0, body, declared, &mut hasher).await {
        Ok(_) => store.commit(id, digest, Some(hasher.finish())).await,
        Err(e) => Err(e),
    };
    if stored.is_err() {
        store.delete_upload(id).await?;
    }
    stored
}

/// Receive a whole body into memory, feeding `hasher`; with `declared`, the body must be exactly
/// that long. Returns the chunks and their total length.
pub(crate) async fn receive(
    mut body: ByteStream,
    declared: Option<u64>,
    hasher: &mut Hasher,
) -> Result<(Vec<Bytes>, u64)> {
    use futures_util::StreamExt;
    let mut chunks = Vec::new();
    let mut received = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk: Bytes = chunk.map_err(StorageError::Body)?;
        received += chunk.len() as u64;
        if let Some(declared) = declared.filter(|d| received > *d) {
            return Err(StorageError::BodyTooLong { declared });
        }
        hasher.update(&chunk);
        chunks.push(chunk);
    }
    if let Some(declared) = declared.filter(|d| received < *d) {
        return Err(StorageError::BodyTooShort { declared, received });
    }
    Ok((chunks, received))
}

/// Hash a stream fully.
pub async fn hash_stream(mut s: ByteStream, mut hasher: Hasher) -> Result<Digest> {
    use futures_util::StreamExt;
    while let Some(chunk) = s.next().await {
        hasher.update(&chunk?);
    }
    Ok(hasher.finish())
}
