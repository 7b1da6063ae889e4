//! Images of a repository as the ECR control plane lists, describes and deletes them.

use berth_meta::{ImageDeletion, ImageDetail, TagStatus};
use berth_oci::{Digest, Reference, RepositoryName};

use crate::{Registry, RegistryError, Result};

/// An image named by digest, by tag, or by both (which must then agree).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub digest: Option<Digest>,
    pub tag: Option<String>,
}

/// Why an image identifier could not be resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageMiss {
    NotFound,
    /// Both given, and the tag names another digest.
    TagDoesNotMatchDigest,
    /// Neither given.
    MissingDigestAndTag,
}

impl Registry {
    /// Image identifiers after `after` (digest, tag), and whether more follow.
    pub async fn image_ids(
        &self,
        account: &str,
        name: &RepositoryName,
        status: TagStatus,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> Result<(Vec<(Digest, Option<String>)>, bool)> {
        let repo = self.repository(account, name).await?;
        let ids = self
            .meta
            .image_ids_page(repo.id, status, after, limit + 1)
            .await?;
        Ok(crate::split_page(ids, limit))
    }

    /// Image details after digest `after`, and whether more follow.
    pub async fn images(
        &self,
        account: &str,
        name: &RepositoryName,
        status: TagStatus,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<ImageDetail>, bool)> {
        let repo = self.repository(account, name).await?;
        let images = self
            .meta
            .images_page(repo.id, status, after, limit + 1)
            .await?;
        Ok(crate::split_page(images, limit))
    }

    /// Resolve image identifiers in one repository: each one's image, or why it has none.
    pub async fn resolve_images(
        &self,
        account: &str,
        name: &RepositoryName,
        ids: &[ImageRef],
    ) -> Result<Vec<std::result::Result<ImageDetail, ImageMiss>>> {
        let repo = self.repository(account, name).await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let found = match (&id.digest, &id.tag) {
                (None, None) => Err(ImageMiss::MissingDigestAndTag),
                (Some(d), None) => self
                    .meta
                    .image_by_digest(repo.id, d)
                    .await?
                    .ok_or(ImageMiss::NotFound),
                (digest, Some(t)) => match self.meta.image_by_tag(repo.id, t).await? {
                    None => Err(ImageMiss::NotFound),
                    Some(i) if digest.as_ref().is_some_and(|d| *d != i.digest) => {
                        Err(ImageMiss::TagDoesNotMatchDigest)
                    }
                    Some(i) => Ok(i),
                },
            };
            out.push(found);
        }
        Ok(out)
    }

    /// Delete images as ECR's BatchDeleteImage: by tag, the tag (and the image with its last
    /// tag); by digest, the image and all its tags.
    pub async fn delete_images(
        &self,
        account: &str,
        name: &RepositoryName,
        ids: &[ImageRef],
    ) -> Result<Vec<std::result::Result<ImageDeletion, ImageMiss>>> {
        let repo = self.repository(account, name).await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let done = match (&id.digest, &id.tag) {
                (None, None) => Err(ImageMiss::MissingDigestAndTag),
                (Some(d), None) => Ok(self.meta.delete_image_digest(repo.id, d).await?),
                (Some(d), Some(t)) => match self.meta.image_by_tag(repo.id, t).await? {
                    None => Err(ImageMiss::NotFound),
                    Some(i) if i.digest != *d => Err(ImageMiss::TagDoesNotMatchDigest),
                    Some(_) => Ok(self.meta.delete_image_tag(repo.id, t).await?),
                },
                (None, Some(t)) => Ok(self.meta.delete_image_tag(repo.id, t).await?),
            };
            // an image deleted, or only its tags removed: both replicate where deletes do
            if let Ok(ImageDeletion::Deleted { digest, .. }) = &done {
                self.replicate_delete(account, repo.id, name.as_str(), digest)
                    .await;
            }
            out.push(match done {
                Ok(ImageDeletion::NotFound) => Err(ImageMiss::NotFound),
                other => other,
            });
        }
        Ok(out)
    }

    /// Size of blob `d` in repository `name` and whether an image uses it: `None` when the
    /// repository does not link it.
    pub async fn layer(
        &self,
        account: &str,
        name: &RepositoryName,
        d: &Digest,
    ) -> Result<Option<(u64, bool)>> {
        let repo = self.repository(account, name).await?;
        let Some(size) = self
            .meta
            .blob_by_repository_name(account, name.as_str(), d)
            .await?
        else {
            return Err(RegistryError::name_unknown(account, name));
        };
        let Some(size) = size else {
            return Ok(None);
        };
        let used = self.meta.blob_in_image(repo.id, d).await?;
        Ok(Some((size, used)))
    }

    /// ECR's PutImage: the manifest `body` under `tag` (or by its digest), checked against the
    /// `expected` digest when one is given. Putting the same manifest under the same tag (or
    /// untagged, when it is already there) is refused (`ImageExists`), as ECR refuses it.
    pub async fn put_image(
        &self,
        account: &str,
        name: &RepositoryName,
        image: NewImage<'_>,
    ) -> Result<crate::PushedManifest> {
        let actual = match &image.expected {
            Some(e) => e.algorithm().digest(&image.body),
            None => Digest::sha256_of(&image.body),
        };
        if let Some(expected) = &image.expected {
            if *expected != actual {
                return Err(RegistryError::ImageDigestMismatch {
                    expected: expected.clone(),
                    actual,
                });
            }
        }
        let tag = image.tag.as_ref().map(|t| t.as_str().to_string());
        let wanted = [ImageRef {
            digest: Some(actual.clone()),
            tag: tag.clone(),
        }];
        match self.resolve_images(account, name, &wanted).await {
            Ok(found) => {
                if let Some(Ok(_)) = found.first() {
                    return Err(RegistryError::ImageExists {
                        digest: actual,
                        tag,
                        repository: name.to_string(),
                        account: account.to_string(),
                    });
                }
            }
            // a repository that does not exist yet is created on push, or refused below
            Err(RegistryError::NameUnknown { .. }) => {}
            Err(e) => return Err(e),
        }
        let reference = match image.tag {
            Some(t) => Reference::Tag(t),
            None => Reference::Digest(actual),
        };
        self.put_manifest(account, name, &reference, image.media_type, image.body)
            .await
    }
}

/// A manifest pushed through ECR's PutImage.
pub struct NewImage<'a> {
    pub body: Vec<u8>,
    pub media_type: Option<&'a str>,
    pub tag: Option<berth_oci::Tag>,
    /// `imageDigest`, when the client gave it.
    pub expected: Option<Digest>,
}
