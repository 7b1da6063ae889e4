//! Blob upload sessions: monolithic, chunked (`PATCH` with or without `Content-Range`), status,
//! cancel. The running SHA-256 state of each session is kept in memory so that finishing an
//! upload does not read it back; after a restart it is rebuilt from the stored bytes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use berth_oci::{Algorithm, Digest, Hasher, RepositoryName};
use berth_storage::{ByteStream, StorageError};
use futures_util::StreamExt;
use uuid::Uuid;

use crate::{Registry, RegistryError, Result};

/// A store write's outcome, noted by the registry's watch on free space.
trait InspectSpace: Sized {
    fn inspect_space(self, reg: &Registry) -> Self;
}

impl<T> InspectSpace for std::result::Result<T, StorageError> {
    fn inspect_space(self, reg: &Registry) -> Self {
        reg.space.note(&self, || reg.store.free_bytes());
        self
    }
}

/// A request body and the length the client declared for it.
pub struct UploadBody {
    pub stream: ByteStream,
    pub declared: Option<u64>,
}

/// An upload session as a request finds it.
struct Session {
    repository_id: i64,
    size: u64,
    /// A row records it (else it is held in this process only).
    recorded: bool,
}

/// An inclusive byte range from a `Content-Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkRange {
    pub start: u64,
    pub end: u64,
}

impl ChunkRange {
    /// The length this chunk declares, if it starts where the upload stands (`size`) and agrees
    /// with the declared `Content-Length`: else 416 (out of order) or `SIZE_INVALID`.
    fn check(self, size: u64, declared: Option<u64>) -> Result<u64> {
        if self.start != size || self.end < self.start {
            return Err(RegistryError::RangeInvalid { size });
        }
        let len = self.end - self.start + 1;
        if declared.is_some_and(|d| d != len) {
            return Err(RegistryError::SizeInvalid(format!(
                "Content-Length does not match the {len} bytes of Content-Range"
            )));
        }
        Ok(len)
    }
}

pub(crate) struct HashState {
    size: u64,
    hasher: Hasher,
}

type Slot = Arc<tokio::sync::Mutex<Option<HashState>>>;

/// One lock and hash state per live upload: requests on one upload are serialised.
#[derive(Default)]
pub(crate) struct UploadStates {
    slots: Mutex<HashMap<Uuid, Slot>>,
    /// Sessions opened here that no row records yet (SQLite only, where this process is the
    /// database's only server): their repository and when they were opened. The row is written
    /// with the first bytes, so that a blob pushed in one `PUT` costs no write for its session.
    unrecorded: Mutex<HashMap<Uuid, (i64, Instant)>>,
}

impl UploadStates {
    pub(crate) fn slot(&self, id: Uuid) -> Slot {
        self.slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(id)
            .or_default()
            .clone()
    }

    /// Start the state of a new, empty upload, so that its first append need not read it back.
    fn seed(&self, id: Uuid) {
        let slot = Slot::new(tokio::sync::Mutex::new(Some(HashState {
            size: 0,
            hasher: Algorithm::Sha256.hasher(),
        })));
        self.slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, slot);
    }

    pub(crate) fn forget(&self, id: Uuid) {
        self.slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
        self.recorded(id);
    }

    fn unrecorded(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, (i64, Instant)>> {
        self.unrecorded.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The repository of session `id` if it is open here and no row records it.
    fn unrecorded_in(&self, id: Uuid) -> Option<i64> {
        self.unrecorded().get(&id).map(|(repo, _)| *repo)
    }

    /// Session `id` now has its row (or is over).
    fn recorded(&self, id: Uuid) {
        self.unrecorded().remove(&id);
    }

    /// Forget the unrecorded sessions opened before `cutoff` (abandoned: they hold no bytes).
    pub(crate) fn expire_unrecorded(&self, cutoff: Instant) -> u64 {
        let stale: Vec<Uuid> = self
            .unrecorded()
            .iter()
            .filter(|(_, (_, opened))| *opened < cutoff)
            .map(|(id, _)| *id)
            .collect();
        for id in &stale {
            self.forget(*id);
        }
        stale.len() as u64
    }
}

impl Registry {
    /// Open an upload session in repository `name`.
    pub async fn start_upload(&self, account: &str, name: &RepositoryName) -> Result<Uuid> {
        // The store holds nothing for the session until its first bytes arrive.
        let id = Uuid::new_v4();
        if self.meta.shared() {
            // Other nodes may take the session's next request: a row says it exists (one
            // statement when the repository exists, the usual case).
            let sid = id.to_string();
            if self
                .meta
                .create_upload_by_name(account, name.as_str(), &sid)
                .await?
                .is_none()
            {
                let repo = self.repository_for_push(account, name).await?;
                self.meta.create_upload(&sid, repo.id).await?;
            }
        } else {
            // This process is the database's only server: the session is held here until its
            // first bytes (a restart forgets a session that has received none).
            let repo = self.repository_for_push(account, name).await?;
            self.uploads
                .unrecorded()
                .insert(id, (repo.id, Instant::now()));
        }
        self.uploads.seed(id);
        Ok(id)
    }

    /// Check that upload `id` exists and belongs to repository `name`: its row, or the
    /// session held here that no row records yet (size 0, `recorded` false).
    async fn upload_row(&self, account: &str, name: &RepositoryName, id: Uuid) -> Result<Session> {
        match self
            .meta
            .upload_by_repository_name(account, name.as_str(), &id.to_string())
            .await?
        {
            None => Err(RegistryError::name_unknown(account, name)),
            Some((repository_id, Some(size))) => Ok(Session {
                repository_id,
                size,
                recorded: true,
            }),
            Some((repository_id, None))
                if self.uploads.unrecorded_in(id) == Some(repository_id) =>
            {
                Ok(Session {
                    repository_id,
                    size: 0,
                    recorded: false,
                })
            }
            Some((_, None)) => Err(RegistryError::BlobUploadUnknown),
        }
    }

    /// The upload's hash state: this node's, when it is still current (another node sharing the
    /// database may have appended since: the recorded size tells), else recomputed from the
    /// bytes stored so far.
    async fn current_state(
        &self,
        id: Uuid,
        cached: Option<HashState>,
        recorded: u64,
    ) -> Result<HashState> {
        match cached {
            Some(s) if s.size == recorded => Ok(s),
            _ => self.state(id).await,
        }
    }

    /// Bytes received so far by upload `id`, as recorded after each append (by whichever node
    /// took it).
    pub async fn upload_size(&self, account: &str, name: &RepositoryName, id: Uuid) -> Result<u64> {
        Ok(self.upload_row(account, name, id).await?.size)
    }

    async fn state(&self, id: Uuid) -> Result<HashState> {
        let mut stream = self.store.read_upload(id).await?;
        let mut hasher = Algorithm::Sha256.hasher();
        let mut size = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(StorageError::Io)?;
            size += chunk.len() as u64;
            hasher.update(&chunk);
        }
        Ok(HashState { size, hasher })
    }

    /// Append one chunk. With `range`, its start must be the current size (else 416).
    pub async fn append_upload(
        &self,
        account: &str,
        name: &RepositoryName,
        id: Uuid,
        range: Option<ChunkRange>,
        body: UploadBody,
    ) -> Result<u64> {
        let row = self.upload_row(account, name, id).await?;
        let slot = self.uploads.slot(id);
        let mut guard = slot.lock().await;
        let state = self.current_state(id, guard.take(), row.size).await?;
        let mut declared = body.declared;
        if let Some(r) = range {
            match r.check(state.size, declared) {
                Ok(len) => declared = Some(len),
                Err(e) => {
                    *guard = Some(state);
                    return Err(e);
                }
            }
        }
        let mut hasher = state.hasher.clone();
        match self
            .store
            .append(id, state.size, body.stream, declared, &mut hasher)
            .await
            .inspect_space(self)
        {
            Ok(a) => {
                *guard = Some(HashState {
                    size: a.size,
                    hasher,
                });
                let still_open = if row.recorded {
                    self.meta.set_upload_size(&id.to_string(), a.size).await?
                } else if self.uploads.unrecorded_in(id).is_some() {
                    // (checked under the session's lock, which a cancel takes too)
                    self.meta
                        .record_upload(&id.to_string(), row.repository_id, a.size)
                        .await?;
                    self.uploads.recorded(id);
                    true
                } else {
                    // recorded by a request that held the lock before this one, or cancelled
                    self.meta.set_upload_size(&id.to_string(), a.size).await?
                };
                if !still_open {
                    // cancelled meanwhile (before this request took the slot): drop the bytes
                    *guard = None;
                    self.store.delete_upload(id).await?;
                    return Err(RegistryError::BlobUploadUnknown);
                }
                Ok(a.size)
            }
            Err(e) => {
                *guard = Some(state);
                Err(e.into())
            }
        }
    }

    /// Finish upload `id` as blob `digest`, appending a last chunk if given. With `range`, the
    /// last chunk must start where the upload stands (else 416, and the session stays open).
    pub async fn finish_upload(
        &self,
        account: &str,
        name: &RepositoryName,
        id: Uuid,
        digest: &Digest,
        range: Option<ChunkRange>,
        mut body: Option<UploadBody>,
    ) -> Result<u64> {
        let row = self.upload_row(account, name, id).await?;
        let repo_id = row.repository_id;
        let slot = self.uploads.slot(id);
        let mut guard = slot.lock().await;
        let mut state = self.current_state(id, guard.take(), row.size).await?;
        if let (Some(r), Some(b)) = (range, body.as_mut()) {
            match r.check(state.size, b.declared) {
                Ok(len) => b.declared = Some(len),
                Err(e) => {
                    *guard = Some(state);
                    return Err(e);
                }
            }
        }
        let (body, whole) = match body {
            Some(b) if state.size == 0 => (None, Some(b)),
            other => (other, None),
        };
        // from the commit to the row, the collector keeps off this blob
        let blob_lock;
        let stored = if let Some(body) = whole {
            // The whole blob in this request (the monolithic POST + PUT): stored in one step.
            blob_lock = self
                .blob_locks
                .lock(&self.meta, &digest.to_string())
                .await?;
            self.store
                .put(id, digest, body.stream, body.declared)
                .await
                .inspect_space(self)
        } else {
            if let Some(body) = body {
                let mut hasher = state.hasher.clone();
                match self
                    .store
                    .append(id, state.size, body.stream, body.declared, &mut hasher)
                    .await
                    .inspect_space(self)
                {
                    Ok(a) => {
                        state = HashState {
                            size: a.size,
                            hasher,
                        }
                    }
                    Err(e) => {
                        *guard = Some(state);
                        return Err(e.into());
                    }
                }
            }
            let computed = (digest.algorithm() == Algorithm::Sha256).then(|| state.hasher.finish());
            blob_lock = self
                .blob_locks
                .lock(&self.meta, &digest.to_string())
                .await?;
            self.store
                .commit(id, digest, computed)
                .await
                .inspect_space(self)
        };
        // Whatever happened, the session is over: the store removed or renamed its bytes.
        self.uploads.forget(id);
        match stored {
            Ok(size) => {
                self.meta
                    .finish_upload(&id.to_string(), repo_id, digest, size)
                    .await?;
                drop(blob_lock);
                Ok(size)
            }
            Err(e) => {
                self.meta.delete_upload(&id.to_string()).await?;
                Err(e.into())
            }
        }
    }

    /// Abandon upload `id`.
    pub async fn cancel_upload(
        &self,
        account: &str,
        name: &RepositoryName,
        id: Uuid,
    ) -> Result<()> {
        self.upload_row(account, name, id).await?;
        let slot = self.uploads.slot(id);
        let _guard = slot.lock().await;
        self.store.delete_upload(id).await?;
        self.meta.delete_upload(&id.to_string()).await?;
        self.uploads.forget(id);
        Ok(())
    }

    /// Upload a whole blob in one request (`POST …/blobs/uploads/?digest=`).
    pub async fn put_blob(
        &self,
        account: &str,
        name: &RepositoryName,
        digest: &Digest,
        body: UploadBody,
    ) -> Result<u64> {
        let repo = self.repository_for_push(account, name).await?;
        let _lock = self
            .blob_locks
            .lock(&self.meta, &digest.to_string())
            .await?;
        let size = self
            .store
            .put(Uuid::new_v4(), digest, body.stream, body.declared)
            .await
            .inspect_space(self)?;
        self.meta.link_blob(repo.id, digest, size).await?;
        Ok(size)
    }
}
