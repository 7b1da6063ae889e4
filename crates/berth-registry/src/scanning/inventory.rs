//! What an image has installed, for scans and SBOMs: its stored inventory, or one read from
//! its layers as streams (then stored, keyed by the image's digest, so that no layer is read
//! twice); an index's images each.

use berth_oci::{manifest, media_types, Digest, ParsedManifest};
use berth_scan::Inventory;
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::{Registry, RegistryError};

/// Why a scan did not complete.
pub(super) enum Failure {
    /// The image is not one a scan can read (an artifact).
    Unsupported,
    /// The image's content cannot be read as a container image's (hostile or corrupt).
    Content(String),
    /// The store or database failed: worth trying again.
    Transient(String),
}

impl From<RegistryError> for Failure {
    fn from(e: RegistryError) -> Self {
        Failure::Transient(e.to_string())
    }
}

impl Registry {
    /// The inventories of an image, or of each image an index lists (attestations and other
    /// artifacts beside them are passed over); `Unsupported` when there is no image.
    pub(super) async fn inventories(
        &self,
        account: &str,
        repository: &str,
        digest: &str,
    ) -> std::result::Result<Vec<Inventory>, Failure> {
        let (media_type, parsed) = self.scanned_manifest(account, repository, digest).await?;
        // an image (its manifest already read), or the images an index lists
        let images: Vec<(Digest, Option<(String, ParsedManifest)>)> = if parsed.manifests.is_empty()
        {
            vec![(digest_of(digest)?, Some((media_type, parsed)))]
        } else {
            parsed
                .manifests
                .iter()
                .map(|m| (m.digest.clone(), None))
                .collect()
        };
        let mut out = Vec::new();
        for (image, read) in images {
            match self
                .image_inventory(account, repository, &image, read)
                .await
            {
                Ok(inventory) => out.push(inventory),
                Err(Failure::Unsupported) => {}
                Err(other) => return Err(other),
            }
        }
        if out.is_empty() {
            return Err(Failure::Unsupported);
        }
        Ok(out)
    }

    /// A manifest of the repository, parsed, with its media type.
    async fn scanned_manifest(
        &self,
        account: &str,
        repository: &str,
        digest: &str,
    ) -> std::result::Result<(String, ParsedManifest), Failure> {
        let d = digest_of(digest)?;
        match self
            .meta
            .manifest_by_digest_name(account, repository, &d, true)
            .await
            .map_err(|e| Failure::Transient(e.to_string()))?
        {
            Some(Some(m)) => {
                let parsed = manifest::parse(Some(&m.meta.media_type), &m.body)
                    .map_err(|e| Failure::Content(e.to_string()))?;
                Ok((m.meta.media_type, parsed))
            }
            _ => Err(Failure::Content(format!(
                "the image {digest} is no longer in the repository"
            ))),
        }
    }

    /// An image's inventory: stored, or read from its layers (and then stored). `read`: its
    /// manifest, when the caller has it already.
    async fn image_inventory(
        &self,
        account: &str,
        repository: &str,
        image: &Digest,
        read: Option<(String, ParsedManifest)>,
    ) -> std::result::Result<Inventory, Failure> {
        let key = image.to_string();
        if let Some(stored) = self
            .meta
            .inventory(&key)
            .await
            .map_err(|e| Failure::Transient(e.to_string()))?
        {
            if let Ok(inv) = serde_json::from_str::<Inventory>(&stored) {
                return Ok(inv);
            }
        }
        let (media_type, parsed) = match read {
            Some(r) => r,
            None => self.scanned_manifest(account, repository, &key).await?,
        };
        let is_image =
            media_type == media_types::OCI_MANIFEST || media_type == media_types::DOCKER_MANIFEST;
        let config_ok = parsed
            .config
            .as_ref()
            .is_some_and(|c| media_types::IMAGE_CONFIGS.contains(&c.media_type.as_str()));
        if !is_image || !config_ok {
            return Err(Failure::Unsupported);
        }
        let layers: Vec<Digest> = parsed.layers.iter().map(|l| l.digest.clone()).collect();
        let inventory = self.read_layers(layers).await?;
        let json =
            serde_json::to_string(&inventory).map_err(|e| Failure::Transient(e.to_string()))?;
        self.meta
            .put_inventory(&key, &json)
            .await
            .map_err(|e| Failure::Transient(e.to_string()))?;
        Ok(inventory)
    }

    /// Read the layers, lowest first, as streams from the blob store on a blocking thread.
    async fn read_layers(&self, layers: Vec<Digest>) -> std::result::Result<Inventory, Failure> {
        let store = self.store.clone();
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let mut stack = berth_scan::LayerStack::new(berth_scan::Limits::default());
            for d in &layers {
                let stream = handle
                    .block_on(store.read(d, None))
                    .map_err(|e| Failure::Transient(format!("layer {d}: {e}")))?;
                let reader =
                    SyncIoBridge::new_with_handle(StreamReader::new(stream), handle.clone());
                stack.push(reader).map_err(|e| {
                    Failure::Content(format!("The image could not be scanned: {e}"))
                })?;
            }
            Ok(stack.inventory())
        })
        .await
        .map_err(|e| Failure::Transient(e.to_string()))?
    }
}

fn digest_of(s: &str) -> std::result::Result<Digest, Failure> {
    s.parse()
        .map_err(|_| Failure::Content(format!("not a digest: {s}")))
}
