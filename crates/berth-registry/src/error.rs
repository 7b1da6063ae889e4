//! What can go wrong in the core, independent of protocol.

use berth_oci::{Digest, ManifestError, RepositoryName};

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("The repository with name '{repository}' does not exist in the registry with id '{account}'")]
    NameUnknown { repository: String, account: String },
    #[error("The repository with name '{repository}' already exists in the registry with id '{account}'")]
    RepositoryExists { repository: String, account: String },
    #[error("The repository with name '{repository}' in registry with id '{account}' cannot be deleted because it still contains images")]
    RepositoryNotEmpty { repository: String, account: String },
    #[error("The image tag '{tag}' already exists in the '{repository}' repository and cannot be overwritten because the tag is immutable.")]
    TagImmutable { tag: String, repository: String },
    #[error("Exceeded the maximum number of tags (50) for a repository")]
    TooManyTags,
    #[error("blob unknown to registry: {0}")]
    BlobUnknown(Digest),
    #[error("blob upload unknown to registry")]
    BlobUploadUnknown,
    #[error("blob upload invalid: {0}")]
    BlobUploadInvalid(String),
    #[error("chunk out of order: the upload holds {size} bytes")]
    RangeInvalid { size: u64 },
    #[error("{0}")]
    DigestInvalid(String),
    #[error("{0}")]
    SizeInvalid(String),
    #[error("manifest unknown: {0}")]
    ManifestUnknown(String),
    #[error("manifest references a blob unknown to this repository: {0}")]
    ManifestBlobUnknown(Digest),
    #[error("{0}")]
    ManifestInvalid(String),
    #[error("manifest is larger than {} bytes", berth_oci::MAX_MANIFEST_BYTES)]
    ManifestTooLarge,
    #[error("{0}")]
    Denied(String),
    /// ECR's PutImage with an `imageDigest` that the manifest does not hash to.
    #[error(
        "The provided digest {expected} does not match the digest of the image manifest {actual}"
    )]
    ImageDigestMismatch { expected: Digest, actual: Digest },
    /// ECR's PutImage of a manifest already under that tag (or untagged, already present).
    #[error("{} already exists in the repository with name '{repository}' in registry with id '{account}'", match tag { Some(t) => format!("Image with digest '{digest}' and tag '{t}'"), None => format!("Image with digest '{digest}'") })]
    ImageExists {
        digest: Digest,
        tag: Option<String>,
        repository: String,
        account: String,
    },
    /// A blob that a manifest of the repository still references: unlinking it would break the
    /// image.
    #[error("blob {digest} is referenced by manifest {manifest} in repository {repository}; delete the manifest first")]
    BlobInUse {
        digest: Digest,
        manifest: Digest,
        repository: String,
    },
    #[error("{0}")]
    Unsupported(String),
    #[error("Lifecycle policy does not exist for the repository with name '{repository}' in the registry with id '{account}'")]
    LifecyclePolicyNotFound { repository: String, account: String },
    #[error("There is no lifecycle policy preview for the repository with name '{repository}' in the registry with id '{account}'")]
    LifecyclePreviewNotFound { repository: String, account: String },
    /// ECR's "Lifecycle policy validation failure: …".
    #[error(transparent)]
    LifecycleInvalid(#[from] crate::lifecycle::policy::LifecycleError),
    /// An image a scan operation names that the repository does not hold.
    #[error("The image with imageId {{imageDigest:'{digest}'}} does not exist within the repository with name '{repository}' in the registry with id '{account}'")]
    ImageNotFound {
        digest: String,
        repository: String,
        account: String,
    },
    /// DescribeImageScanFindings of an image never scanned.
    #[error("Image scan does not exist for the image with '{{imageDigest:'{digest}'}}' in the repository with name '{repository}' in the registry with id '{account}'")]
    ScanNotFound {
        digest: String,
        repository: String,
        account: String,
    },
    /// An image a scan or SBOM cannot read: an artifact, or content that is not a container
    /// image's.
    #[error("{0}")]
    UnsupportedImageType(String),
    /// A second StartImageScan of an image within 24 hours (BASIC scanning).
    #[error("The scan quota per image has been exceeded. Wait and try again.")]
    ScanLimitExceeded,
    /// Vulnerability data that could not be read.
    #[error("{0}")]
    VulnerabilityData(String),
    /// No space left where blobs or metadata are written.
    #[error("insufficient storage: {0}")]
    InsufficientStorage(String),
    /// A replication configuration ECR would refuse.
    #[error("Invalid parameter at 'replicationConfiguration' failed to satisfy constraint: '{0}'")]
    ReplicationConfig(crate::replication::config::ConfigError),
    /// StartReplicationBackfill to a destination no rule names.
    #[error(
        "The destination must already be configured in the registry's replication configuration"
    )]
    BackfillDestination,
    /// StartReplicationBackfill while one to the same region goes on.
    #[error("A replication backfill to region '{region}' is already in progress")]
    BackfillInProgress { region: String },
    #[error("The replication backfill with id '{id}' does not exist")]
    BackfillNotFound { id: String },
    #[error("The replication backfill with id '{id}' cannot be stopped: its status is {status}")]
    BackfillEnded { id: String, status: &'static str },
    /// CreateRepositoryCreationTemplate of a prefix that has one.
    #[error("A repository creation template with prefix '{prefix}' already exists")]
    TemplateExists { prefix: String },
    /// Update/DeleteRepositoryCreationTemplate of a prefix that has none.
    #[error("The repository creation template with prefix '{prefix}' does not exist")]
    TemplateNotFound { prefix: String },
    /// CreatePullThroughCacheRule of a prefix that has one.
    #[error(
        "A pull through cache rule with these settings already exists for the private registry."
    )]
    CacheRuleExists { prefix: String, account: String },
    #[error("The pull through cache rule was not found. Specify a valid pull through cache rule and try again.")]
    CacheRuleNotFound { prefix: String, account: String },
    /// More rules than ECR's quota.
    #[error("The operation did not succeed because it would have exceeded a service limit for your account.")]
    CacheRuleLimit,
    /// A push into a pull-through cache repository.
    #[error("{0} is a pull through cache repository: its images come from the upstream registry, not from pushes")]
    PushIntoCache(String),
    /// A pull-through cache's upstream failed or sent what cannot be stored.
    #[error("{0}")]
    Upstream(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl RegistryError {
    pub fn name_unknown(account: &str, name: &RepositoryName) -> Self {
        RegistryError::NameUnknown {
            repository: name.to_string(),
            account: account.to_string(),
        }
    }
}

impl From<berth_meta::MetaError> for RegistryError {
    fn from(e: berth_meta::MetaError) -> Self {
        let text = e.to_string();
        // SQLite's SQLITE_FULL, PostgreSQL's disk_full (53100) and ENOSPC in their words
        if [
            "database or disk is full",
            "No space left on device",
            "53100",
        ]
        .iter()
        .any(|m| text.contains(m))
        {
            return RegistryError::InsufficientStorage(
                "the metadata database's disk is full".into(),
            );
        }
        RegistryError::Internal(text)
    }
}

impl From<berth_storage::StorageError> for RegistryError {
    fn from(e: berth_storage::StorageError) -> Self {
        use berth_storage::StorageError as S;
        if e.is_out_of_space() {
            return RegistryError::InsufficientStorage("the blob store's disk is full".into());
        }
        match e {
            S::BlobNotFound => RegistryError::Internal("blob bytes missing from the store".into()),
            S::OffsetMismatch { actual, .. } => RegistryError::RangeInvalid { size: actual },
            S::DigestMismatch { expected, actual } => RegistryError::DigestInvalid(format!(
                "provided digest {expected} did not match uploaded content ({actual})"
            )),
            S::BodyTooShort { declared, received } => RegistryError::SizeInvalid(format!(
                "request body ended after {received} of the {declared} bytes declared"
            )),
            S::BodyTooLong { declared } => RegistryError::SizeInvalid(format!(
                "request body is longer than the {declared} bytes declared"
            )),
            S::Body(e) => {
                RegistryError::BlobUploadInvalid(format!("reading the request body failed: {e}"))
            }
            S::RangeNotSatisfiable { start, end } => {
                RegistryError::Internal(format!("range {start}-{end} outside the blob"))
            }
            S::Io(e) => RegistryError::Internal(format!("storage: {e}")),
        }
    }
}

impl From<ManifestError> for RegistryError {
    fn from(e: ManifestError) -> Self {
        match e {
            ManifestError::TooLarge => RegistryError::ManifestTooLarge,
            other => RegistryError::ManifestInvalid(other.to_string()),
        }
    }
}
