//! The metadata store: accounts, principals and access keys, repositories, manifests (their exact
//! bytes), tags, blobs, repository→blob links, manifest references and upload sessions.
//!
//! All SQL lives here; callers get typed rows and typed errors. SQLite is the embedded default
//! (one writer connection, a pool of readers, WAL). This crate depends on `berth-oci` only.

mod db;
pub use db::{ClusterLock, IdentityChanges};
mod migrate;
mod store;
mod values;
pub use values::{
    BackfillStatus, EncryptionType, PrincipalKind, ReplicationStatus, ScanStatus, TagMutability,
};

pub use store::MetaStore;
pub use store::{
    month_of, BlobRecord, BlobReference, Group, IdentityDocuments, LifecycleEvent, LifecycleImage,
    LifecyclePreview, LifecycleRepository, ManagedPolicy, Marked, NewManagedPolicy, NewRole,
    PolicyOwner, RepositoryName, RepositoryUsage, Role, StoreBytes,
};
pub use store::{
    Backfill, BackfillImage, BackfillItem, CreationTemplate, Destination, ImageReplication,
    ReplicationJob, ReplicationOutcome, ReplicationRecord, Requester,
};
pub use store::{
    CacheRule, NewVersion, SecretVersion, StoredSecret, SECRET_CURRENT, SECRET_PREVIOUS,
};
pub use store::{ImageScan, NewAdvisory, ScanJob, ScanOutcome, StoredAdvisory, VulnImport};

use berth_oci::Digest;

#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("repository already exists")]
    RepositoryExists,
    #[error("repository not found")]
    RepositoryNotFound,
    #[error("tag {0} is immutable and names another manifest")]
    TagImmutable(String),
    #[error("repository still contains images")]
    RepositoryNotEmpty,
    #[error("blob {0} is not known to this repository")]
    BlobUnknown(Digest),
    #[error("manifest {0} is not known to this repository")]
    ManifestUnknown(Digest),
    #[error("manifest is referenced by an image index in this repository")]
    ReferencedByIndex,
    #[error("blob is referenced by manifest {0} in this repository")]
    BlobInUse(Digest),
    #[error("{0}")]
    Unsupported(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("a repository creation template with this prefix already exists")]
    TemplateExists,
    #[error("no repository creation template with this prefix")]
    TemplateNotFound,
    #[error("a replication backfill to this region is in progress")]
    BackfillInProgress,
    #[error("the replication backfill has ended ({0})")]
    BackfillNotStoppable(BackfillStatus),
    #[error("the account has a secret of this name")]
    SecretExists,
    #[error("the secret has a version of this ID")]
    SecretVersionExists,
    #[error("the account has a pull-through cache rule of this prefix")]
    CacheRuleExists,
    #[error("no pull-through cache rule of this prefix")]
    CacheRuleNotFound,
}

impl MetaError {
    /// PostgreSQL ended the transaction to break a deadlock (SQLSTATE 40P01): it wrote nothing
    /// and may be run again.
    pub fn is_deadlock(&self) -> bool {
        matches!(self, MetaError::Db(sqlx::Error::Database(e)) if e.code().as_deref() == Some("40P01"))
    }
}

pub type Result<T, E = MetaError> = std::result::Result<T, E>;

/// Milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub id: i64,
    pub account_id: String,
    pub name: String,
    pub created_at: i64,
    pub tag_mutability: TagMutability,
    /// The wildcard filters of the `*_WITH_EXCLUSION` modes.
    pub mutability_filters: Vec<String>,
    pub scan_on_push: bool,
    pub encryption_type: EncryptionType,
    pub kms_key: Option<String>,
}

/// A repository to create, with its settings and resource tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRepository {
    pub account_id: String,
    pub name: String,
    pub tag_mutability: TagMutability,
    pub mutability_filters: Vec<String>,
    pub scan_on_push: bool,
    pub encryption_type: EncryptionType,
    pub kms_key: Option<String>,
    pub tags: Vec<(String, String)>,
}

impl NewRepository {
    /// A repository with ECR's defaults (as create-on-push makes).
    pub fn with_defaults(account: &str, name: &str) -> Self {
        NewRepository {
            account_id: account.to_string(),
            name: name.to_string(),
            tag_mutability: TagMutability::Mutable,
            mutability_filters: Vec::new(),
            scan_on_push: false,
            encryption_type: EncryptionType::Aes256,
            kms_key: None,
            tags: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub id: i64,
    pub account_id: String,
    pub kind: PrincipalKind,
    pub name: String,
    pub unique_id: String,
    /// The IAM path (`/` unless given at creation).
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct AccessKey {
    pub access_key_id: String,
    pub principal: Principal,
    pub secret_sealed: Vec<u8>,
    pub active: bool,
}

/// An access key as listings show it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKeyInfo {
    pub access_key_id: String,
    pub active: bool,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A manifest without its body (enough for HEAD).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestMeta {
    pub id: i64,
    pub digest: Digest,
    pub media_type: String,
    pub size: u64,
}

#[derive(Debug, Clone)]
pub struct Manifest {
    pub meta: ManifestMeta,
    pub body: Vec<u8>,
}

/// A manifest whose subject is the queried digest.
#[derive(Debug, Clone)]
pub struct Referrer {
    pub digest: Digest,
    pub media_type: String,
    pub artifact_type: Option<String>,
    pub size: u64,
    pub body: Vec<u8>,
}

/// A manifest to store.
#[derive(Debug, Clone)]
pub struct NewManifest {
    pub repository_id: i64,
    pub digest: Digest,
    pub media_type: String,
    pub artifact_type: Option<String>,
    pub subject: Option<Digest>,
    pub config: Option<Digest>,
    /// The config's media type (ECR's `artifactMediaType`).
    pub config_media_type: Option<String>,
    /// Config and layer sizes of an image; ignored for an index, whose size is its largest
    /// child's.
    pub image_size: u64,
    pub body: Vec<u8>,
    /// Blobs that must be linked to the repository.
    pub blobs: Vec<Digest>,
    /// Manifests that must exist in the repository.
    pub children: Vec<Digest>,
    pub tag: Option<String>,
    /// The tag may not move to another manifest (immutable under the repository's settings).
    pub tag_immutable: bool,
}

/// An image (a manifest) as DescribeImages shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageDetail {
    pub id: i64,
    pub digest: Digest,
    /// In byte order.
    pub tags: Vec<String>,
    pub media_type: String,
    pub config_media_type: Option<String>,
    pub artifact_type: Option<String>,
    pub subject: Option<Digest>,
    pub image_size: u64,
    pub pushed_at: i64,
    pub last_pulled_at: Option<i64>,
}

/// Which images a listing includes, by whether they carry a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagStatus {
    Tagged,
    Untagged,
    Any,
}

/// What deleting an image identifier removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageDeletion {
    /// These tags of the manifest went; the manifest itself too when `manifest_deleted`.
    Deleted {
        digest: Digest,
        tags: Vec<String>,
        manifest_deleted: bool,
    },
    NotFound,
    /// The manifest is listed by an index in the repository.
    ReferencedByIndex,
}
