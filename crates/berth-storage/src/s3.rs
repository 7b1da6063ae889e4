//! The S3-compatible backend (AWS S3, Garage, MinIO…) through `object_store`.
//!
//! Layout under the optional key prefix:
//! - `blobs/<algorithm>/<hex>`: a blob, written only once its digest is verified (a multipart
//!   upload is completed after the check, or aborted), so a blob key always holds its content;
//! - `uploads/<id>/<offset>`: an upload session as the chunks it received, one object per
//!   append, named by the offset it starts at (20 digits). Any node can continue a session:
//!   its state is the listing.
//!
//! A commit of one chunk is a server-side copy; of several, the chunks are streamed into one
//! multipart upload of the blob (S3 cannot concatenate objects of under 5 MiB).

use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use berth_oci::{Digest, Hasher};
use bytes::BytesMut;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload};
use uuid::Uuid;

use crate::{Appended, BlobStore, ByteStream, Result, StorageError, StoredItem};

/// Parts of a multipart upload (S3 wants at least 5 MiB but the last).
const PART: usize = 8 * 1024 * 1024;

/// Where and how to reach the bucket.
#[derive(Debug, Clone, Default)]
pub struct S3Config {
    pub bucket: String,
    /// Key prefix, without a trailing slash; empty for the bucket's root.
    pub prefix: String,
    /// e.g. `http://127.0.0.1:3900` for Garage; AWS's when `None`.
    pub endpoint: Option<String>,
    pub region: String,
    /// Path-style requests (`endpoint/bucket/key`), which most self-hosted servers need.
    pub path_style: bool,
    /// Credentials; from the standard AWS environment variables when `None`.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

pub struct S3BlobStore {
    store: Arc<dyn ObjectStore>,
    /// The same client, for presigned URLs.
    signer: Arc<object_store::aws::AmazonS3>,
    prefix: String,
}

fn io(e: object_store::Error) -> StorageError {
    match e {
        object_store::Error::NotFound { .. } => StorageError::BlobNotFound,
        other => StorageError::Io(std::io::Error::other(other)),
    }
}

impl S3BlobStore {
    pub fn open(c: &S3Config) -> Result<Self> {
        let mut b = AmazonS3Builder::from_env()
            .with_bucket_name(&c.bucket)
            .with_region(&c.region)
            .with_virtual_hosted_style_request(!c.path_style);
        if let Some(e) = &c.endpoint {
            b = b.with_endpoint(e).with_allow_http(e.starts_with("http://"));
        }
        if let (Some(k), Some(s)) = (&c.access_key_id, &c.secret_access_key) {
            b = b.with_access_key_id(k).with_secret_access_key(s);
        }
        let store = Arc::new(b.build().map_err(io)?);
        let prefix = c.prefix.trim_matches('/');
        Ok(S3BlobStore {
            store: store.clone(),
            signer: store,
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
        })
    }

    fn blob_key(&self, d: &Digest) -> Path {
        Path::from(format!(
            "{}blobs/{}/{}",
            self.prefix,
            d.algorithm().as_str(),
            d.hex()
        ))
    }

    fn upload_dir(&self, id: Uuid) -> Path {
        Path::from(format!("{}uploads/{}", self.prefix, id.hyphenated()))
    }

    fn chunk_key(&self, id: Uuid, offset: u64) -> Path {
        Path::from(format!(
            "{}uploads/{}/{offset:020}",
            self.prefix,
            id.hyphenated()
        ))
    }

    /// The chunks of an upload: (offset, key, size), in order.
    async fn chunks(&self, id: Uuid) -> Result<Vec<(u64, Path, u64)>> {
        let mut out: Vec<(u64, Path, u64)> = self
            .store
            .list(Some(&self.upload_dir(id)))
            .map_err(io)
            .try_filter_map(|m| async move {
                let offset = m.location.filename().and_then(|f| f.parse::<u64>().ok());
                Ok(offset.map(|o| (o, m.location.clone(), m.size)))
            })
            .try_collect()
            .await?;
        out.sort_by_key(|c| c.0);
        Ok(out)
    }

    /// Stream `body` into object `key`, feeding `hasher`; the object appears only if the whole
    /// body arrived (as declared) and `check` accepts the hasher. Returns the size.
    async fn write(
        &self,
        key: &Path,
        mut body: ByteStream,
        declared: Option<u64>,
        hasher: &mut Hasher,
        check: impl FnOnce(&Hasher) -> Result<()>,
    ) -> Result<u64> {
        let mut buf = BytesMut::new();
        let mut received = 0u64;
        let mut upload: Option<Box<dyn object_store::MultipartUpload>> = None;
        let outcome: Result<()> = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(StorageError::Body)?;
                received += chunk.len() as u64;
                if let Some(d) = declared.filter(|d| received > *d) {
                    return Err(StorageError::BodyTooLong { declared: d });
                }
                hasher.update(&chunk);
                buf.extend_from_slice(&chunk);
                if buf.len() >= PART {
                    let part = buf.split().freeze();
                    if upload.is_none() {
                        upload = Some(self.store.put_multipart(key).await.map_err(io)?);
                    }
                    if let Some(u) = upload.as_mut() {
                        u.put_part(PutPayload::from(part)).await.map_err(io)?;
                    }
                }
            }
            if let Some(d) = declared.filter(|d| received < *d) {
                return Err(StorageError::BodyTooShort {
                    declared: d,
                    received,
                });
            }
            check(hasher)
        }
        .await;
        match (outcome, upload) {
            (Ok(()), None) => {
                self.store
                    .put(key, PutPayload::from(buf.freeze()))
                    .await
                    .map_err(io)?;
            }
            (Ok(()), Some(mut u)) => {
                if !buf.is_empty() {
                    u.put_part(PutPayload::from(buf.freeze()))
                        .await
                        .map_err(io)?;
                }
                u.complete().await.map_err(io)?;
            }
            (Err(e), Some(mut u)) => {
                let _ = u.abort().await;
                return Err(e);
            }
            (Err(e), None) => return Err(e),
        }
        Ok(received)
    }

    /// Stream an upload's chunks in order.
    fn chunk_stream(&self, chunks: Vec<(u64, Path, u64)>) -> ByteStream {
        let store = self.store.clone();
        futures_util::stream::iter(chunks)
            .then(move |(_, key, _)| {
                let store = store.clone();
                async move {
                    store
                        .get(&key)
                        .await
                        .map(|r| r.into_stream().map_err(std::io::Error::other))
                        .map_err(std::io::Error::other)
                }
            })
            .try_flatten()
            .boxed()
    }

    async fn delete_keys(&self, keys: Vec<Path>) -> Result<()> {
        for k in keys {
            match self.store.delete(&k).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(io(e)),
            }
        }
        Ok(())
    }
}

/// A check for [`S3BlobStore::write`]: what was written hashes to `expected`.
fn is_digest(expected: &Digest) -> impl FnOnce(&Hasher) -> Result<()> + '_ {
    move |h| {
        let actual = h.clone().finish();
        if actual == *expected {
            Ok(())
        } else {
            Err(StorageError::DigestMismatch {
                expected: expected.clone(),
                actual,
            })
        }
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn stat(&self, digest: &Digest) -> Result<Option<u64>> {
        match self.store.head(&self.blob_key(digest)).await {
            Ok(m) => Ok(Some(m.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    async fn read(&self, digest: &Digest, range: Option<Range<u64>>) -> Result<ByteStream> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let r = self
            .store
            .get_opts(&self.blob_key(digest), options)
            .await
            .map_err(io)?;
        Ok(r.into_stream().map_err(std::io::Error::other).boxed())
    }

    async fn delete(&self, digest: &Digest) -> Result<()> {
        self.delete_keys(vec![self.blob_key(digest)]).await
    }

    async fn presigned_url(
        &self,
        digest: &Digest,
        expires_in: std::time::Duration,
    ) -> Result<Option<String>> {
        use object_store::signer::{Method, Signer};
        let url = self
            .signer
            .signed_url(Method::GET, &self.blob_key(digest), expires_in)
            .await
            .map_err(io)?;
        Ok(Some(url.to_string()))
    }

    async fn upload_size(&self, id: Uuid) -> Result<u64> {
        Ok(self.chunks(id).await?.iter().map(|c| c.2).sum())
    }

    async fn append(
        &self,
        id: Uuid,
        offset: u64,
        body: ByteStream,
        declared: Option<u64>,
        hasher: &mut Hasher,
    ) -> Result<Appended> {
        let held = self.upload_size(id).await?;
        if held != offset {
            return Err(StorageError::OffsetMismatch {
                expected: offset,
                actual: held,
            });
        }
        let key = self.chunk_key(id, offset);
        let n = self.write(&key, body, declared, hasher, |_| Ok(())).await?;
        Ok(Appended { size: offset + n })
    }

    async fn read_upload(&self, id: Uuid) -> Result<ByteStream> {
        let chunks = self.chunks(id).await?;
        Ok(self.chunk_stream(chunks))
    }

    async fn commit(&self, id: Uuid, digest: &Digest, computed: Option<Digest>) -> Result<u64> {
        let chunks = self.chunks(id).await?;
        let keys: Vec<Path> = chunks.iter().map(|c| c.1.clone()).collect();
        let size: u64 = chunks.iter().map(|c| c.2).sum();
        let actual = match computed {
            Some(d) => d,
            None => {
                crate::hash_stream(
                    self.chunk_stream(chunks.clone()),
                    digest.algorithm().hasher(),
                )
                .await?
            }
        };
        if actual != *digest {
            self.delete_keys(keys).await?;
            return Err(StorageError::DigestMismatch {
                expected: digest.clone(),
                actual,
            });
        }
        let target = self.blob_key(digest);
        match chunks.as_slice() {
            [] => {
                self.store
                    .put(&target, PutPayload::default())
                    .await
                    .map_err(io)?;
            }
            [(_, only, _)] => self.store.copy(only, &target).await.map_err(io)?,
            _ => {
                // the chunks changing under us would be refused rather than stored
                let mut h = digest.algorithm().hasher();
                self.write(
                    &target,
                    self.chunk_stream(chunks),
                    Some(size),
                    &mut h,
                    is_digest(digest),
                )
                .await?;
            }
        }
        self.delete_keys(keys).await?;
        Ok(size)
    }

    async fn put(
        &self,
        id: Uuid,
        digest: &Digest,
        body: ByteStream,
        declared: Option<u64>,
    ) -> Result<u64> {
        let _ = id; // written straight to its key, never visible before its digest is checked
        let mut h = digest.algorithm().hasher();
        self.write(
            &self.blob_key(digest),
            body,
            declared,
            &mut h,
            is_digest(digest),
        )
        .await
    }

    async fn delete_upload(&self, id: Uuid) -> Result<()> {
        let keys = self.chunks(id).await?.into_iter().map(|c| c.1).collect();
        self.delete_keys(keys).await
    }

    async fn list_blobs(&self) -> Result<Vec<StoredItem<Digest>>> {
        let root = Path::from(format!("{}blobs", self.prefix));
        self.store
            .list(Some(&root))
            .map_err(io)
            .try_filter_map(|m| async move {
                let parts: Vec<&str> = m.location.as_ref().rsplitn(3, '/').collect();
                let digest = match parts.as_slice() {
                    [hex, alg, _] => format!("{alg}:{hex}").parse::<Digest>().ok(),
                    _ => None,
                };
                Ok(digest.map(|d| StoredItem {
                    key: d,
                    size: m.size,
                    modified: Some(m.last_modified.timestamp_millis()),
                }))
            })
            .try_collect()
            .await
    }

    async fn list_uploads(&self) -> Result<Vec<StoredItem<Uuid>>> {
        let root = Path::from(format!("{}uploads", self.prefix));
        let metas: Vec<object_store::ObjectMeta> = self
            .store
            .list(Some(&root))
            .map_err(io)
            .try_collect()
            .await?;
        let mut by_id: std::collections::BTreeMap<Uuid, StoredItem<Uuid>> = Default::default();
        for m in metas {
            let parts: Vec<&str> = m.location.as_ref().rsplitn(3, '/').collect();
            let Some(id) = parts.get(1).and_then(|p| p.parse::<Uuid>().ok()) else {
                continue;
            };
            let at = m.last_modified.timestamp_millis();
            let e = by_id.entry(id).or_insert(StoredItem {
                key: id,
                size: 0,
                modified: Some(at),
            });
            e.size += m.size;
            e.modified = e.modified.max(Some(at));
        }
        Ok(by_id.into_values().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The conformance suite on a real S3-compatible server: `BERTH_TEST_S3_ENDPOINT`, `_BUCKET`,
    /// `_ACCESS_KEY_ID`, `_SECRET_ACCESS_KEY`, `_REGION` (scripts/test starts Garage with
    /// scripts/garage and sets them). Without them it fails under CI=true and is skipped
    /// elsewhere.
    #[tokio::test]
    async fn conformance_on_s3() {
        let (Ok(endpoint), Ok(bucket)) = (
            std::env::var("BERTH_TEST_S3_ENDPOINT"),
            std::env::var("BERTH_TEST_S3_BUCKET"),
        ) else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "BERTH_TEST_S3_ENDPOINT and BERTH_TEST_S3_BUCKET are required in CI"
            );
            eprintln!("skipped: no S3-compatible server (BERTH_TEST_S3_ENDPOINT)");
            return;
        };
        let store = S3BlobStore::open(&S3Config {
            bucket,
            prefix: format!("conformance-{}", Uuid::new_v4()),
            endpoint: Some(endpoint),
            region: std::env::var("BERTH_TEST_S3_REGION").unwrap_or_else(|_| "garage".into()),
            path_style: true,
            access_key_id: std::env::var("BERTH_TEST_S3_ACCESS_KEY_ID").ok(),
            secret_access_key: std::env::var("BERTH_TEST_S3_SECRET_ACCESS_KEY").ok(),
        })
        .unwrap();
        crate::conformance::run(&store).await;
    }
}
