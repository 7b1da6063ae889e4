//! The registry core: push, pull, tag, delete, mount, uploads and referrers.
//!
//! Every protocol front end (the OCI `/v2/` API now, the ECR JSON API later) calls these
//! functions; they only translate requests and map [`RegistryError`] to their own errors. This
//! crate depends on `berth-oci`, `berth-storage` and `berth-meta`, never on HTTP.

mod error;
pub mod fsck;
pub mod gc;
mod images;
pub mod lifecycle;
mod locks;
mod manifest_cache;
pub mod pull_through;
mod pulls;
pub mod replication;
mod repositories;
pub mod scanning;
mod space;
pub mod templates;
mod wildcard;
pub use wildcard::wildcard_match;
mod uploads;
pub mod usage;

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use berth_meta::{MetaError, MetaStore, NewManifest, Repository, TagMutability};
use berth_oci::{manifest, Digest, Reference, RepositoryName};
use berth_storage::{BlobStore, ByteStream};
use bytes::Bytes;
use serde::Serialize;

pub use error::RegistryError;
pub use images::{ImageMiss, ImageRef, NewImage};
pub use repositories::MAX_REPOSITORY_TAGS;
pub use uploads::{ChunkRange, UploadBody};

pub type Result<T, E = RegistryError> = std::result::Result<T, E>;

/// Largest page of tags or repositories one request returns.
pub const MAX_PAGE: u32 = 10_000;
/// Page size when the client does not ask for one.
pub const DEFAULT_PAGE: u32 = 1_000;

#[derive(Debug, Clone)]
pub struct RegistryConfig {
    /// Create a repository on the first push to it (else 404 `NAME_UNKNOWN`, as ECR).
    pub create_on_push: bool,
    /// Answer blob GETs with a 307 to a presigned URL where the store can make one (S3).
    pub blob_redirect: bool,
    /// The region this installation is.
    pub region: String,
    /// The other regions it may replicate to (its peers).
    pub peer_regions: Vec<String>,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        RegistryConfig {
            create_on_push: true,
            blob_redirect: false,
            region: "us-east-1".to_string(),
            peer_regions: Vec::new(),
        }
    }
}

/// A stored manifest handed to a client.
#[derive(Debug, Clone)]
pub struct FetchedManifest {
    pub digest: Digest,
    pub media_type: String,
    pub size: u64,
    /// Empty for HEAD.
    pub body: Bytes,
}

/// The outcome of a manifest push.
#[derive(Debug, Clone)]
pub struct PushedManifest {
    pub digest: Digest,
    /// The media type it is stored and served with.
    pub media_type: String,
    pub subject: Option<Digest>,
}

/// A descriptor in a referrers response.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferrerDescriptor {
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// One page of a listing, and whether more follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub items: Vec<String>,
    pub more: bool,
}

pub struct Registry {
    meta: MetaStore,
    store: Arc<dyn BlobStore>,
    config: RegistryConfig,
    uploads: uploads::UploadStates,
    pulls: pulls::PullRecorder,
    blob_locks: locks::BlobLocks,
    manifests: manifest_cache::ManifestCache,
    space: space::SpaceWatch,
    scanner: scanning::Scanner,
    replicator: replication::Replicator,
    pull_through: pull_through::PullThrough,
    /// Told when the registry changes a policy itself (a template's repository policy), so
    /// that IAM's caches forget what they hold.
    policy_changed: std::sync::OnceLock<Box<dyn Fn() + Send + Sync>>,
}

impl Registry {
    pub fn new(meta: MetaStore, store: Arc<dyn BlobStore>, config: RegistryConfig) -> Self {
        Registry {
            meta,
            store,
            config,
            uploads: uploads::UploadStates::default(),
            pulls: pulls::PullRecorder::default(),
            blob_locks: locks::BlobLocks::default(),
            manifests: manifest_cache::ManifestCache::default(),
            space: space::SpaceWatch::default(),
            scanner: scanning::Scanner::default(),
            replicator: replication::Replicator::default(),
            pull_through: pull_through::PullThrough::default(),
            policy_changed: std::sync::OnceLock::new(),
        }
    }

    /// Call `f` whenever the registry changes a policy itself (set once, by the server).
    pub fn on_policy_change(&self, f: impl Fn() + Send + Sync + 'static) {
        let _ = self.policy_changed.set(Box::new(f));
    }

    fn policies_changed(&self) {
        if let Some(f) = self.policy_changed.get() {
            f();
        }
    }

    pub fn meta(&self) -> &MetaStore {
        &self.meta
    }

    pub fn scanner(&self) -> &scanning::Scanner {
        &self.scanner
    }

    // ---- repositories ----

    /// Whether `name` (as the client spelled it, not yet validated) is a repository of `account`.
    pub async fn repository_exists(&self, account: &str, name: &str) -> Result<bool> {
        Ok(self.meta.repository(account, name).await?.is_some())
    }

    pub async fn repository(&self, account: &str, name: &RepositoryName) -> Result<Repository> {
        self.meta
            .repository(account, name.as_str())
            .await?
            .ok_or_else(|| RegistryError::name_unknown(account, name))
    }

    /// Whether a push to a missing repository creates it.
    pub fn creates_on_push(&self) -> bool {
        self.config.create_on_push
    }

    /// The repository a push goes to: created on first push when the registry allows it.
    pub async fn repository_for_push(
        &self,
        account: &str,
        name: &RepositoryName,
    ) -> Result<Repository> {
        // a CREATE_ON_PUSH template creates it even where pushes do not create (as ECR)
        self.repository_made_for(
            account,
            name,
            templates::AppliedFor::CreateOnPush,
            self.config.create_on_push,
        )
        .await
    }

    /// The repository a replication arriving from another region goes to: created on first
    /// use with a REPLICATION template's settings, else ECR's defaults.
    pub async fn repository_for_replication(
        &self,
        account: &str,
        name: &RepositoryName,
    ) -> Result<Repository> {
        self.repository_made_for(account, name, templates::AppliedFor::Replication, true)
            .await
    }

    /// Repository `name`, or one made now from the template that applies `for_what` (else
    /// with ECR's defaults when `defaults`).
    async fn repository_made_for(
        &self,
        account: &str,
        name: &RepositoryName,
        for_what: templates::AppliedFor,
        defaults: bool,
    ) -> Result<Repository> {
        if let Some(r) = self.meta.repository(account, name.as_str()).await? {
            return Ok(r);
        }
        self.create_from_template(account, name.as_str(), for_what, defaults)
            .await?
            .ok_or_else(|| RegistryError::name_unknown(account, name))
    }

    pub async fn catalog(&self, account: &str, n: Option<u32>, last: Option<&str>) -> Result<Page> {
        let limit = page_size(n);
        if limit == 0 {
            return Ok(Page {
                items: Vec::new(),
                more: false,
            });
        }
        let items = self
            .meta
            .list_repositories(account, last, limit + 1)
            .await?;
        Ok(paged(items, limit))
    }

    pub async fn tags(
        &self,
        account: &str,
        name: &RepositoryName,
        n: Option<u32>,
        last: Option<&str>,
    ) -> Result<Page> {
        let repo = self.repository(account, name).await?;
        let limit = page_size(n);
        if limit == 0 {
            return Ok(Page {
                items: Vec::new(),
                more: false,
            });
        }
        let items = self.meta.list_tags(repo.id, last, limit + 1).await?;
        Ok(paged(items, limit))
    }

    // ---- blobs ----

    /// Size of a blob readable through repository `name`.
    pub async fn blob_size(&self, account: &str, name: &RepositoryName, d: &Digest) -> Result<u64> {
        Ok(self.blob_stat(account, name, d).await?.1)
    }

    /// The repository's ID and the blob's size (a blob GET counts its bytes against the
    /// repository with [`Registry::record_transfer`]).
    pub async fn blob_stat(
        &self,
        account: &str,
        name: &RepositoryName,
        d: &Digest,
    ) -> Result<(i64, u64)> {
        match self.meta.blob_link(account, name.as_str(), d).await? {
            None => Err(RegistryError::name_unknown(account, name)),
            Some((_, None)) => Err(RegistryError::BlobUnknown(d.clone())),
            Some((repo, Some((size, marked)))) => {
                // a client just learnt the blob is here and may push a manifest on it: the
                // collector's clock for this link starts again
                if marked {
                    self.meta
                        .touch_link(account, name.as_str(), &d.to_string())
                        .await?;
                }
                Ok((repo, size))
            }
        }
    }

    /// Whether the metadata database and the blob store answer (for `/readyz`), each with the
    /// reason when it does not.
    pub async fn readiness(
        &self,
    ) -> (
        std::result::Result<(), String>,
        std::result::Result<(), String>,
    ) {
        // a load balancer waits a few seconds at most: so do the probes
        const LIMIT: std::time::Duration = std::time::Duration::from_secs(2);
        let timed_out = || format!("no answer within {} s", LIMIT.as_secs());
        let database = match tokio::time::timeout(LIMIT, self.meta.ping()).await {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => Err(timed_out()),
        };
        // a digest no blob has: the store must answer "absent"
        let probe = Digest::sha256_of(b"berth readiness probe");
        let store = match tokio::time::timeout(LIMIT, self.store.stat(&probe)).await {
            Ok(Ok(_)) => self.space.check(|| self.store.free_bytes()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(timed_out()),
        };
        (database, store)
    }

    /// Count `bytes` served from repository `repo` (written with the pull times).
    pub fn record_transfer(&self, repo: i64, bytes: u64) {
        self.pulls.transfer(repo, bytes);
    }

    /// Where to redirect a blob GET, when redirects are on and the store can presign (valid
    /// for 20 minutes, as ECR's layer URLs are short-lived).
    pub async fn blob_redirect(&self, d: &Digest) -> Result<Option<String>> {
        if !self.config.blob_redirect {
            return Ok(None);
        }
        Ok(self
            .store
            .presigned_url(d, std::time::Duration::from_secs(1200))
            .await?)
    }

    /// Stream a blob (or a checked range of it) readable through repository `name`.
    pub async fn read_blob(&self, d: &Digest, range: Option<Range<u64>>) -> Result<ByteStream> {
        match self.store.read(d, range).await {
            Ok(s) => Ok(s),
            Err(berth_storage::StorageError::BlobNotFound) => {
                Err(RegistryError::BlobUnknown(d.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Remove a blob from a repository (its bytes go when the collector finds them unreferenced).
    pub async fn delete_blob(
        &self,
        account: &str,
        name: &RepositoryName,
        d: &Digest,
    ) -> Result<()> {
        let repo = self.repository(account, name).await?;
        match self.meta.unlink_blob(repo.id, d).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(RegistryError::BlobUnknown(d.clone())),
            Err(MetaError::BlobInUse(m)) => Err(RegistryError::BlobInUse {
                digest: d.clone(),
                manifest: m,
                repository: name.to_string(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Mount `d` into `name` from `from` (or, without `from`, from any repository of the account
    /// that links it). `None` when it cannot be mounted: the client then uploads.
    pub async fn mount_blob(
        &self,
        account: &str,
        name: &RepositoryName,
        d: &Digest,
        from: Option<&RepositoryName>,
    ) -> Result<Option<u64>> {
        let size = match from {
            Some(from) => match self
                .meta
                .blob_by_repository_name(account, from.as_str(), d)
                .await?
            {
                Some(Some(size)) => Some(size),
                _ => None,
            },
            None => self.meta.account_blob(account, d).await?,
        };
        let Some(size) = size else {
            return Ok(None);
        };
        let repo = self.repository_for_push(account, name).await?;
        // the collector may have removed the blob since it was looked up
        let _lock = self.blob_locks.lock(&self.meta, &d.to_string()).await?;
        if !self.meta.blob_known(&d.to_string()).await? {
            return Ok(None);
        }
        self.meta.link_blob(repo.id, d, size).await?;
        Ok(Some(size))
    }

    // ---- manifests ----

    /// Fetch a manifest by tag or digest; with `body == false` only its metadata (HEAD).
    /// Served from memory while the database is unchanged since it was read (on SQLite; see
    /// `manifest_cache`).
    pub async fn manifest(
        &self,
        account: &str,
        name: &RepositoryName,
        reference: &Reference,
        body: bool,
    ) -> Result<FetchedManifest> {
        let commits = self.meta.commits();
        let key =
            commits.map(|_| manifest_cache::key(account, name.as_str(), &reference.to_string()));
        if let (Some(c), Some(k)) = (commits, &key) {
            if let Some(m) = self.manifests.get(k, c) {
                return Ok(self.fetched(m, body));
            }
        }
        // a HEAD reads the body too when it is to be kept (the GET that usually follows will
        // want it); without the cache it reads only the metadata
        let read_body = body || commits.is_some();
        let found = match reference {
            Reference::Tag(t) => {
                self.meta
                    .manifest_by_tag_name(account, name.as_str(), t.as_str(), read_body)
                    .await?
            }
            Reference::Digest(d) => {
                self.meta
                    .manifest_by_digest_name(account, name.as_str(), d, read_body)
                    .await?
            }
        };
        let m = match found {
            None => return Err(RegistryError::name_unknown(account, name)),
            Some(None) => return Err(RegistryError::ManifestUnknown(reference.to_string())),
            Some(Some(m)) => manifest_cache::Cached::of(m),
        };
        if let (Some(c), Some(k)) = (commits, key) {
            self.manifests.put(k, c, m.clone());
        }
        Ok(self.fetched(m, body))
    }

    /// What a manifest pull answers; a pull with the body is recorded (the image's
    /// lastRecordedPullTime).
    fn fetched(&self, m: manifest_cache::Cached, body: bool) -> FetchedManifest {
        if body {
            self.pulls.record(m.id);
        }
        FetchedManifest {
            digest: m.digest,
            media_type: m.media_type,
            size: m.size,
            body: if body { m.body } else { Bytes::new() },
        }
    }

    /// Store a manifest under a tag or its digest, pushed by a client.
    pub async fn put_manifest(
        &self,
        account: &str,
        name: &RepositoryName,
        reference: &Reference,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<PushedManifest> {
        self.put_manifest_from(
            replication::PushOrigin::Client,
            account,
            name,
            reference,
            content_type,
            body,
        )
        .await
    }

    /// Store a manifest under a tag or its digest; a replication's arrival is not replicated
    /// again.
    pub async fn put_manifest_from(
        &self,
        origin: replication::PushOrigin,
        account: &str,
        name: &RepositoryName,
        reference: &Reference,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<PushedManifest> {
        let parsed = manifest::parse(content_type, &body)?;
        let digest = match reference {
            Reference::Digest(expected) => {
                let actual = expected.algorithm().digest(&body);
                if &actual != expected {
                    return Err(RegistryError::DigestInvalid(format!(
                        "manifest digest {actual} does not match {expected}"
                    )));
                }
                actual
            }
            Reference::Tag(_) => Digest::sha256_of(&body),
        };
        let repo = self.repository_for_push(account, name).await?;
        // ECR's imageSizeInBytes: config and layers (an index takes its largest child's, which
        // the store works out)
        let image_size: u64 = parsed.layers.iter().map(|l| l.size).sum::<u64>()
            + parsed.config.as_ref().map_or(0, |c| c.size);
        let subject = parsed.subject.as_ref().map(|s| s.digest.clone());
        let tag = match reference {
            Reference::Tag(t) => Some(t.as_str().to_string()),
            Reference::Digest(_) => None,
        };
        let tag_immutable = tag.as_deref().is_some_and(|t| tag_is_immutable(&repo, t));
        let new = NewManifest {
            repository_id: repo.id,
            digest: digest.clone(),
            media_type: parsed.media_type.clone(),
            artifact_type: parsed.artifact_type.clone(),
            subject: subject.clone(),
            config: parsed.config.as_ref().map(|c| c.digest.clone()),
            config_media_type: parsed.config.as_ref().map(|c| c.media_type.clone()),
            image_size,
            blobs: dedup(parsed.blob_references().cloned().collect()),
            children: dedup(parsed.manifests.iter().map(|m| m.digest.clone()).collect()),
            body,
            tag,
            tag_immutable,
        };
        match self.meta.put_manifest(&new).await {
            Ok(_) => {
                // a scan is asked for, never waited for; a failure to ask is logged, not the
                // push's
                if let Err(e) = self.scan_on_push(&repo, &digest).await {
                    tracing::warn!(error = %e, %digest, "scan on push could not be asked for");
                }
                if origin == replication::PushOrigin::Client {
                    if let Err(e) = self.replicate_on_push(&repo, &digest).await {
                        tracing::warn!(error = %e, %digest, "replication could not be asked for");
                    }
                }
                Ok(PushedManifest {
                    digest,
                    media_type: parsed.media_type,
                    subject,
                })
            }
            Err(MetaError::BlobUnknown(d)) => Err(RegistryError::ManifestBlobUnknown(d)),
            Err(MetaError::ManifestUnknown(d)) => {
                Err(RegistryError::ManifestUnknown(d.to_string()))
            }
            Err(MetaError::TagImmutable(tag)) => Err(RegistryError::TagImmutable {
                tag,
                repository: name.to_string(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Delete by digest (the manifest and its tags) or by tag (the tag only).
    pub async fn delete_manifest(
        &self,
        account: &str,
        name: &RepositoryName,
        reference: &Reference,
    ) -> Result<()> {
        let repo = self.repository(account, name).await?;
        let deleted = match reference {
            Reference::Tag(t) => {
                // the image the tag named, whose replications learn of the removal
                let image = self.meta.image_by_tag(repo.id, t.as_str()).await?;
                let removed = self.meta.delete_tag(repo.id, t.as_str()).await?;
                image.filter(|_| removed).map(|i| i.digest)
            }
            Reference::Digest(d) => match self.meta.delete_manifest(repo.id, d).await {
                Err(MetaError::ReferencedByIndex) => {
                    return Err(RegistryError::Denied(format!(
                        "manifest {d} is referenced by an image index in repository {name}; delete the index first"
                    )))
                }
                other => other?.then(|| d.clone()),
            },
        };
        match deleted {
            Some(d) => {
                self.replicate_delete(account, repo.id, name.as_str(), &d)
                    .await;
                Ok(())
            }
            None => Err(RegistryError::ManifestUnknown(reference.to_string())),
        }
    }

    /// Manifests whose subject is `subject`, optionally filtered by artifact type.
    pub async fn referrers(
        &self,
        account: &str,
        name: &RepositoryName,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Vec<ReferrerDescriptor>> {
        let repo = self.repository(account, name).await?;
        let rows = self.meta.referrers(repo.id, subject, artifact_type).await?;
        Ok(rows
            .into_iter()
            .map(|r| ReferrerDescriptor {
                annotations: serde_json::from_slice::<AnnotationsOnly>(&r.body)
                    .ok()
                    .and_then(|a| a.annotations),
                media_type: r.media_type,
                digest: r.digest,
                size: r.size,
                artifact_type: r.artifact_type,
            })
            .collect())
    }

    /// Give back buffers the store kept for reuse but has not used since the previous call.
    pub fn release_idle(&self) {
        self.store.release_idle();
    }

    /// Write the pull times gathered since the last flush.
    pub async fn flush_pulls(&self) -> Result<()> {
        let pulls = self.pulls.take();
        self.meta.record_pulls(&pulls).await?;
        let transfers = self.pulls.take_transfers();
        Ok(self
            .meta
            .record_transfers(&transfers, berth_meta::now_millis())
            .await?)
    }
}

#[derive(serde::Deserialize)]
struct AnnotationsOnly {
    annotations: Option<BTreeMap<String, String>>,
}

fn page_size(n: Option<u32>) -> u32 {
    n.unwrap_or(DEFAULT_PAGE).min(MAX_PAGE)
}

fn paged(items: Vec<String>, limit: u32) -> Page {
    let (items, more) = split_page(items, limit);
    Page { items, more }
}

/// The first `limit` of up to `limit + 1` items fetched, and whether there were more.
pub(crate) fn split_page<T>(mut items: Vec<T>, limit: u32) -> (Vec<T>, bool) {
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    (items, more)
}

fn dedup(mut v: Vec<Digest>) -> Vec<Digest> {
    v.sort();
    v.dedup();
    v
}

/// Whether `tag` is immutable in `repo`: IMMUTABLE tags are, MUTABLE ones are not, and the
/// `*_WITH_EXCLUSION` modes turn the answer around for tags matching one of their filters.
pub fn tag_is_immutable(repo: &Repository, tag: &str) -> bool {
    let matches = || {
        repo.mutability_filters
            .iter()
            .any(|f| wildcard_match(f.as_bytes(), tag.as_bytes()))
    };
    match repo.tag_mutability {
        TagMutability::Immutable => true,
        TagMutability::ImmutableWithExclusion => !matches(),
        TagMutability::MutableWithExclusion => matches(),
        TagMutability::Mutable => false,
    }
}

#[cfg(test)]
mod mutability_tests {
    use super::*;

    fn repo(mode: &str, filters: &[&str]) -> Repository {
        Repository {
            id: 1,
            account_id: "000000000000".into(),
            name: "r".into(),
            created_at: 0,
            tag_mutability: mode.parse().expect("a mode"),
            mutability_filters: filters.iter().map(|f| f.to_string()).collect(),
            scan_on_push: false,
            encryption_type: berth_meta::EncryptionType::Aes256,
            kms_key: None,
        }
    }

    #[test]
    fn wildcards() {
        for (p, t, m) in [
            ("latest", "latest", true),
            ("latest", "latest2", false),
            ("v*", "v1.2", true),
            ("v*", "v", true),
            ("*-dev", "feature-dev", true),
            ("*-dev", "feature-dev1", false),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXcYYb", false),
            ("*", "", true),
            ("", "x", false),
        ] {
            assert_eq!(wildcard_match(p.as_bytes(), t.as_bytes()), m, "{p} {t}");
        }
    }

    #[test]
    fn modes() {
        assert!(!tag_is_immutable(&repo("MUTABLE", &[]), "v1"));
        assert!(tag_is_immutable(&repo("IMMUTABLE", &[]), "v1"));
        let ie = repo("IMMUTABLE_WITH_EXCLUSION", &["latest", "dev-*"]);
        assert!(!tag_is_immutable(&ie, "latest"));
        assert!(!tag_is_immutable(&ie, "dev-42"));
        assert!(tag_is_immutable(&ie, "v1"));
        let me = repo("MUTABLE_WITH_EXCLUSION", &["release-*"]);
        assert!(tag_is_immutable(&me, "release-1"));
        assert!(!tag_is_immutable(&me, "latest"));
    }
}
