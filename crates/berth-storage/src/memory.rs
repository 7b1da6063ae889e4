//! The in-memory backend: a real backend (it passes the conformance suite), for tests and
//! throw-away registries.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Mutex;

use async_trait::async_trait;
use berth_oci::{Digest, Hasher};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use uuid::Uuid;

use crate::{Appended, BlobStore, ByteStream, Result, StorageError, StoredItem};

#[derive(Default)]
pub struct MemoryBlobStore {
    blobs: Mutex<HashMap<Digest, Bytes>>,
    uploads: Mutex<HashMap<Uuid, BytesMut>>,
}

impl MemoryBlobStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn blobs(&self) -> std::sync::MutexGuard<'_, HashMap<Digest, Bytes>> {
        self.blobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn uploads(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, BytesMut>> {
        self.uploads.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn once(b: Bytes) -> ByteStream {
    futures_util::stream::once(async move { Ok(b) }).boxed()
}

#[async_trait]
impl BlobStore for MemoryBlobStore {
    async fn stat(&self, digest: &Digest) -> Result<Option<u64>> {
        Ok(self.blobs().get(digest).map(|b| b.len() as u64))
    }

    async fn read(&self, digest: &Digest, range: Option<Range<u64>>) -> Result<ByteStream> {
        let b = self
            .blobs()
            .get(digest)
            .cloned()
            .ok_or(StorageError::BlobNotFound)?;
        Ok(match range {
            None => once(b),
            Some(r) => once(b.slice(r.start as usize..r.end as usize)),
        })
    }

    async fn list_blobs(&self) -> Result<Vec<StoredItem<Digest>>> {
        Ok(self
            .blobs()
            .iter()
            .map(|(d, b)| StoredItem {
                key: d.clone(),
                size: b.len() as u64,
                modified: None,
            })
            .collect())
    }

    async fn list_uploads(&self) -> Result<Vec<StoredItem<Uuid>>> {
        Ok(self
            .uploads()
            .iter()
            .map(|(id, b)| StoredItem {
                key: *id,
                size: b.len() as u64,
                modified: None,
            })
            .collect())
    }

    async fn delete(&self, digest: &Digest) -> Result<()> {
        self.blobs().remove(digest);
        Ok(())
    }

    async fn upload_size(&self, id: Uuid) -> Result<u64> {
        Ok(self.uploads().get(&id).map_or(0, |b| b.len() as u64))
    }

    async fn append(
        &self,
        id: Uuid,
        offset: u64,
        body: ByteStream,
        declared: Option<u64>,
        hasher: &mut Hasher,
    ) -> Result<Appended> {
        let actual = self.upload_size(id).await?;
        if actual != offset {
            return Err(StorageError::OffsetMismatch {
                expected: offset,
                actual,
            });
        }
        // Gather the body first so a failed request leaves the upload untouched.
        let mut state = hasher.clone();
        let (chunks, _) = crate::receive(body, declared, &mut state).await?;
        *hasher = state;
        let mut uploads = self.uploads();
        let up = uploads.entry(id).or_default();
        if up.len() as u64 != offset {
            return Err(StorageError::OffsetMismatch {
                expected: offset,
                actual: up.len() as u64,
            });
        }
        for c in &chunks {
            up.extend_from_slice(c);
        }
        Ok(Appended {
            size: up.len() as u64,
        })
    }

    async fn read_upload(&self, id: Uuid) -> Result<ByteStream> {
        let b = self.uploads().get(&id).map(|b| b.clone().freeze());
        Ok(once(b.unwrap_or_default()))
    }

    async fn commit(&self, id: Uuid, digest: &Digest, computed: Option<Digest>) -> Result<u64> {
        let data = self.uploads().remove(&id).unwrap_or_default().freeze();
        let actual = match computed {
            Some(d) if d.algorithm() == digest.algorithm() => d,
            _ => digest.algorithm().digest(&data),
        };
        if &actual != digest {
            return Err(StorageError::DigestMismatch {
                expected: digest.clone(),
                actual,
            });
        }
        let size = data.len() as u64;
        self.blobs().entry(digest.clone()).or_insert(data);
        Ok(size)
    }

    async fn delete_upload(&self, id: Uuid) -> Result<()> {
        self.uploads().remove(&id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn conformance() {
        crate::conformance::run(&super::MemoryBlobStore::new()).await;
    }
}
