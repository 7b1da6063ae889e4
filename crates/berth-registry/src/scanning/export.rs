//! What leaves a scan besides ECR's findings: an image's inventory for an SBOM (an index: its
//! images' together), and documents attached to an image as OCI referrers (an artifact
//! manifest whose `subject` is the image, so that `oras discover` and the referrers API list
//! them).

use berth_oci::{media_types, Algorithm, Digest, Reference, RepositoryName};
use berth_scan::Inventory;
use bytes::Bytes;
use serde_json::json;

use super::inventory::Failure;
use crate::uploads::UploadBody;
use crate::{Registry, RegistryError, Result};

/// The OCI empty descriptor's content (`{}`), an artifact's config.
const EMPTY_CONFIG: &[u8] = b"{}";
const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";

impl Registry {
    /// What an image has installed, and its digest; an index's images' packages together.
    pub async fn image_contents(
        &self,
        account: &str,
        name: &RepositoryName,
        reference: &Reference,
    ) -> Result<(Digest, Inventory)> {
        let m = self.manifest(account, name, reference, false).await?;
        let inventories = self
            .inventories(account, name.as_str(), &m.digest.to_string())
            .await
            .map_err(|f| match f {
                Failure::Unsupported => RegistryError::UnsupportedImageType(
                    "The image is not a container image: it has no layers to read".into(),
                ),
                Failure::Content(why) => RegistryError::UnsupportedImageType(why),
                Failure::Transient(why) => RegistryError::Internal(why),
            })?;
        let mut all = Inventory::default();
        for inv in inventories {
            if all.distro.is_none() {
                all.distro = inv.distro;
            }
            all.packages.extend(inv.packages);
            all.unscanned.extend(inv.unscanned);
        }
        Ok((m.digest, all))
    }

    /// Attach `document` (of `artifact_type`) to the image `subject` as a referrer; the
    /// referrer manifest's digest.
    pub async fn attach_document(
        &self,
        account: &str,
        name: &RepositoryName,
        subject: &Digest,
        artifact_type: &str,
        document: Vec<u8>,
        created: &str,
    ) -> Result<Digest> {
        let image = self
            .manifest(account, name, &Reference::Digest(subject.clone()), false)
            .await?;
        let mut descriptors = Vec::new();
        for (bytes, media_type) in [
            (EMPTY_CONFIG.to_vec(), EMPTY_MEDIA_TYPE),
            (document, artifact_type),
        ] {
            let digest = Algorithm::Sha256.digest(&bytes);
            let size = bytes.len() as u64;
            self.put_blob(account, name, &digest, body(bytes)).await?;
            descriptors.push(json!({
                "mediaType": media_type,
                "digest": digest.to_string(),
                "size": size,
            }));
        }
        let layer = descriptors.pop();
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": media_types::OCI_MANIFEST,
            "artifactType": artifact_type,
            "config": descriptors.pop(),
            "layers": [layer],
            "subject": {
                "mediaType": image.media_type,
                "digest": image.digest.to_string(),
                "size": image.size,
            },
            "annotations": {"org.opencontainers.image.created": created},
        });
        let body =
            serde_json::to_vec(&manifest).map_err(|e| RegistryError::Internal(e.to_string()))?;
        let digest = Algorithm::Sha256.digest(&body);
        let pushed = self
            .put_manifest(
                account,
                name,
                &Reference::Digest(digest),
                Some(media_types::OCI_MANIFEST),
                body,
            )
            .await?;
        Ok(pushed.digest)
    }
}

fn body(bytes: Vec<u8>) -> UploadBody {
    let len = bytes.len() as u64;
    UploadBody {
        stream: Box::pin(futures_util::stream::once(async move {
            Ok::<_, std::io::Error>(Bytes::from(bytes))
        })),
        declared: Some(len),
    }
}
