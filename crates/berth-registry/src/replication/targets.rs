//! Where a replication writes: another account of this installation (blobs are linked, never
//! written twice) or a peer installation (through its OCI API with `berth_client`).

use std::ops::Range;

use berth_client::{BlobSource, Repository as PeerRepository, Upload};
use berth_meta::Repository;
use berth_oci::{Digest, Reference, RepositoryName, Tag};
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;

use super::failure::{Failure, FailureCode};
use super::PushOrigin;
use crate::{Registry, RegistryError};

/// The header that marks a push as a replication's arrival: its value is the source region.
/// The receiving registry does not replicate it again and creates the repository as a
/// replication would.
pub const REPLICATION_HEADER: &str = "x-berth-replication";

/// A tag the destination kept where it was (an immutable tag on another image), as ECR does:
/// the image arrives without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tagged {
    Moved,
    KeptImmutable,
}

/// What a replication needs of its destination.
pub(crate) trait Target {
    /// Whether the destination repository has blob `d`.
    async fn has_blob(&self, d: &Digest) -> Result<bool, Failure>;
    /// Make blob `d` (`size` bytes) exist at the destination; the bytes that crossed the network.
    async fn send_blob(&self, d: &Digest, size: u64) -> Result<u64, Failure>;
    async fn put_manifest(&self, d: &Digest, media_type: &str, body: &Bytes)
        -> Result<(), Failure>;
    async fn put_tag(&self, tag: &str, media_type: &str, body: &Bytes) -> Result<Tagged, Failure>;
    /// The destination's tags of image `d`.
    async fn tags_of(&self, d: &Digest) -> Result<Vec<String>, Failure>;
    async fn remove_tag(&self, tag: &str) -> Result<(), Failure>;
}

/// Another account of this installation.
pub(crate) struct Local<'r> {
    registry: &'r Registry,
    account: String,
    name: RepositoryName,
    repo: Repository,
}

impl<'r> Local<'r> {
    /// The destination repository, created (with a REPLICATION template's settings, else
    /// ECR's defaults) on first use; the destination's registry policy must let the source
    /// account replicate into it, and create it when it does not exist yet.
    pub async fn open(
        registry: &'r Registry,
        source: &str,
        account: &str,
        name: &RepositoryName,
    ) -> Result<Local<'r>, Failure> {
        let allows = |action: &'static str| {
            registry.replicator.registry_policy_allows(
                source,
                account,
                &registry.config.region,
                name.as_str(),
                action,
            )
        };
        if !allows("ecr:ReplicateImage").await? {
            return Err(denied(source, account, "ecr:ReplicateImage"));
        }
        let repo = match registry.meta.repository(account, name.as_str()).await? {
            Some(r) => r,
            None => {
                if !allows("ecr:CreateRepository").await? {
                    return Err(denied(source, account, "ecr:CreateRepository"));
                }
                registry.repository_for_replication(account, name).await?
            }
        };
        Ok(Local {
            registry,
            account: account.to_string(),
            name: name.clone(),
            repo,
        })
    }

    /// Delete image `digest` from the destination repository (gone already is done).
    pub async fn delete(
        registry: &'r Registry,
        source: &str,
        account: &str,
        name: &RepositoryName,
        digest: &Digest,
    ) -> Result<(), Failure> {
        let allowed = registry
            .replicator
            .registry_policy_allows(
                source,
                account,
                &registry.config.region,
                name.as_str(),
                "ecr:ReplicateImage",
            )
            .await?;
        if !allowed {
            return Err(denied(source, account, "ecr:ReplicateImage"));
        }
        match registry
            .delete_manifest(account, name, &Reference::Digest(digest.clone()))
            .await
        {
            Ok(()) | Err(RegistryError::ManifestUnknown(_) | RegistryError::NameUnknown { .. }) => {
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn put(
        &self,
        reference: Reference,
        media_type: &str,
        body: &Bytes,
    ) -> Result<(), RegistryError> {
        self.registry
            .put_manifest_from(
                PushOrigin::Replication,
                &self.account,
                &self.name,
                &reference,
                Some(media_type),
                body.to_vec(),
            )
            .await
            .map(|_| ())
    }
}

fn denied(source: &str, dest: &str, action: &str) -> Failure {
    Failure::new(
        FailureCode::AccessDenied,
        format!(
            "the registry policy of account {dest} does not allow {action} to account {source}"
        ),
    )
}

impl Target for Local<'_> {
    async fn has_blob(&self, d: &Digest) -> Result<bool, Failure> {
        Ok(matches!(
            self.registry
                .meta
                .blob_by_repository_name(&self.account, self.name.as_str(), d)
                .await?,
            Some(Some(_))
        ))
    }

    async fn send_blob(&self, d: &Digest, size: u64) -> Result<u64, Failure> {
        // the collector may remove an unreferenced blob: held while it is linked
        let _lock = self
            .registry
            .blob_locks
            .lock(&self.registry.meta, &d.to_string())
            .await?;
        if !self.registry.meta.blob_known(&d.to_string()).await? {
            return Err(Failure::new(
                FailureCode::ImageNotFound,
                format!("blob {d} is no longer stored"),
            ));
        }
        self.registry.meta.link_blob(self.repo.id, d, size).await?;
        Ok(0)
    }

    async fn put_manifest(
        &self,
        d: &Digest,
        media_type: &str,
        body: &Bytes,
    ) -> Result<(), Failure> {
        Ok(self
            .put(Reference::Digest(d.clone()), media_type, body)
            .await?)
    }

    async fn put_tag(&self, tag: &str, media_type: &str, body: &Bytes) -> Result<Tagged, Failure> {
        let tag: Tag = tag
            .parse()
            .map_err(|_| Failure::new(FailureCode::DestinationRefused, format!("tag {tag}")))?;
        match self.put(Reference::Tag(tag), media_type, body).await {
            Ok(()) => Ok(Tagged::Moved),
            Err(RegistryError::TagImmutable { .. }) => Ok(Tagged::KeptImmutable),
            Err(e) => Err(e.into()),
        }
    }

    async fn tags_of(&self, d: &Digest) -> Result<Vec<String>, Failure> {
        let image = self.registry.meta.image_by_digest(self.repo.id, d).await?;
        Ok(image.map(|i| i.tags).unwrap_or_default())
    }

    async fn remove_tag(&self, tag: &str) -> Result<(), Failure> {
        let tag: Tag = tag
            .parse()
            .map_err(|_| Failure::new(FailureCode::DestinationRefused, format!("tag {tag}")))?;
        match self
            .registry
            .delete_manifest(&self.account, &self.name, &Reference::Tag(tag))
            .await
        {
            Ok(()) | Err(RegistryError::ManifestUnknown(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// A repository at a peer installation.
pub(crate) struct Peer<'c, 'r> {
    pub repo: PeerRepository<'c>,
    /// The source registry, whose blobs are read as the peer takes them.
    pub registry: &'r Registry,
}

struct BlobReader<'r> {
    registry: &'r Registry,
    digest: Digest,
}

impl BlobSource for BlobReader<'_> {
    fn read(
        &self,
        range: Range<u64>,
    ) -> BoxFuture<'_, std::io::Result<BoxStream<'static, std::io::Result<Bytes>>>> {
        Box::pin(async move {
            self.registry
                .read_blob(&self.digest, Some(range))
                .await
                .map_err(std::io::Error::other)
        })
    }
}

impl Target for Peer<'_, '_> {
    async fn has_blob(&self, d: &Digest) -> Result<bool, Failure> {
        Ok(self.repo.blob_size(&d.to_string()).await?.is_some())
    }

    async fn send_blob(&self, d: &Digest, size: u64) -> Result<u64, Failure> {
        let digest = d.to_string();
        let session = match self.repo.mount(&digest, None).await? {
            Upload::Mounted => return Ok(0),
            Upload::Session(location) => location,
        };
        let reader = BlobReader {
            registry: self.registry,
            digest: d.clone(),
        };
        Ok(self
            .repo
            .upload(&digest, size, &reader, Some(session))
            .await?)
    }

    async fn put_manifest(
        &self,
        d: &Digest,
        media_type: &str,
        body: &Bytes,
    ) -> Result<(), Failure> {
        Ok(self
            .repo
            .put_manifest(&d.to_string(), media_type, body.clone())
            .await?)
    }

    async fn put_tag(&self, tag: &str, media_type: &str, body: &Bytes) -> Result<Tagged, Failure> {
        match self.repo.put_manifest(tag, media_type, body.clone()).await {
            Ok(()) => Ok(Tagged::Moved),
            Err(berth_client::ClientError::Refused { code, message, .. })
                if code == "TAG_INVALID" && message.contains("immutable") =>
            {
                Ok(Tagged::KeptImmutable)
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn tags_of(&self, d: &Digest) -> Result<Vec<String>, Failure> {
        Ok(self.repo.tags_of(&d.to_string()).await?)
    }

    async fn remove_tag(&self, tag: &str) -> Result<(), Failure> {
        self.repo.delete_tag(tag).await?;
        Ok(())
    }
}
