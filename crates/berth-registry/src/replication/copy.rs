//! What a replication copies: the image (an index with its children), the artifacts that refer
//! to it (signatures, SBOMs: the referrers, and theirs), every blob they use, then its tags.
//! Children and blobs land before the manifest that needs them, and tags last, so that a
//! puller at the destination never sees a tag whose image is incomplete.

use std::collections::HashSet;

use berth_meta::ImageDetail;
use berth_oci::{manifest, Digest, RepositoryName};
use bytes::Bytes;

use super::failure::{Failure, FailureCode};
use super::targets::{Tagged, Target};
use crate::Registry;

/// How deep children and referrers are followed (an index of images with signatures of
/// signatures is 3).
const MAX_DEPTH: usize = 8;

/// A manifest to copy, with what it needs.
struct Node {
    digest: Digest,
    media_type: String,
    body: Bytes,
    /// Its config and layers, with their stored sizes.
    blobs: Vec<(Digest, u64)>,
    children: Vec<Node>,
    referrers: Vec<Node>,
}

/// An image of the source registry and its tags.
pub(crate) struct Image {
    root: Node,
    tags: Vec<String>,
}

/// What a copy did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Copied {
    pub bytes: u64,
    pub manifests: u64,
    pub tags_kept: u64,
}

impl Registry {
    /// Read image `digest` of repository `repo` (`name` of `account`) and what it needs.
    pub(crate) async fn replicated_image(
        &self,
        account: &str,
        name: &RepositoryName,
        repo: i64,
        digest: &Digest,
    ) -> Result<Image, Failure> {
        let mut seen = HashSet::new();
        let root = self.node(account, name, repo, digest, 0, &mut seen).await?;
        let tags = self
            .meta
            .image_by_digest(repo, digest)
            .await?
            .map(|i: ImageDetail| i.tags)
            .unwrap_or_default();
        Ok(Image { root, tags })
    }

    async fn node(
        &self,
        account: &str,
        name: &RepositoryName,
        repo: i64,
        digest: &Digest,
        depth: usize,
        seen: &mut HashSet<Digest>,
    ) -> Result<Node, Failure> {
        let gone = || {
            Failure::new(
                FailureCode::ImageNotFound,
                format!("{name}@{digest} is not in the source repository"),
            )
        };
        let m = self
            .meta
            .manifest_by_digest_name(account, name.as_str(), digest, true)
            .await?
            .flatten()
            .ok_or_else(gone)?;
        seen.insert(digest.clone());
        let parsed = manifest::parse(Some(&m.meta.media_type), &m.body)
            .map_err(|e| Failure::new(FailureCode::ImageNotFound, format!("{digest}: {e}")))?;
        let mut blobs = Vec::new();
        for d in parsed.blob_references() {
            let size = self.meta.account_blob(account, d).await?.ok_or_else(|| {
                Failure::new(
                    FailureCode::ImageNotFound,
                    format!("blob {d} of {digest} is not stored"),
                )
            })?;
            blobs.push((d.clone(), size));
        }
        let mut children = Vec::new();
        let mut referrers = Vec::new();
        if depth < MAX_DEPTH {
            for c in &parsed.manifests {
                if seen.contains(&c.digest) {
                    continue;
                }
                children.push(
                    Box::pin(self.node(account, name, repo, &c.digest, depth + 1, seen)).await?,
                );
            }
            for r in self.meta.referrers(repo, digest, None).await? {
                if seen.contains(&r.digest) {
                    continue;
                }
                referrers.push(
                    Box::pin(self.node(account, name, repo, &r.digest, depth + 1, seen)).await?,
                );
            }
        }
        Ok(Node {
            digest: digest.clone(),
            media_type: m.meta.media_type,
            body: Bytes::from(m.body),
            blobs,
            children,
            referrers,
        })
    }
}

impl Image {
    /// Copy the image to `target`: manifests in dependency order, then the tags; with
    /// `prune`, the destination's tags of the image that the source removed go too (the rule
    /// replicates deletes).
    pub(crate) async fn copy_to(
        &self,
        target: &impl Target,
        prune: bool,
    ) -> Result<Copied, Failure> {
        let mut copied = Copied::default();
        copy_node(&self.root, target, &mut copied).await?;
        for tag in &self.tags {
            let t = target
                .put_tag(tag, &self.root.media_type, &self.root.body)
                .await?;
            if t == Tagged::KeptImmutable {
                tracing::info!(tag, digest = %self.root.digest, "tag immutable at the destination: the image arrived without it");
                copied.tags_kept += 1;
            }
        }
        if prune {
            for tag in target.tags_of(&self.root.digest).await? {
                if !self.tags.contains(&tag) {
                    target.remove_tag(&tag).await?;
                }
            }
        }
        Ok(copied)
    }
}

async fn copy_node(node: &Node, target: &impl Target, copied: &mut Copied) -> Result<(), Failure> {
    for c in &node.children {
        Box::pin(copy_node(c, target, copied)).await?;
    }
    for (d, size) in &node.blobs {
        if !target.has_blob(d).await? {
            copied.bytes += target.send_blob(d, *size).await?;
        }
    }
    target
        .put_manifest(&node.digest, &node.media_type, &node.body)
        .await?;
    copied.manifests += 1;
    for r in &node.referrers {
        Box::pin(copy_node(r, target, copied)).await?;
    }
    Ok(())
}
