//! Parsing and validation of image manifests and indexes (OCI and Docker schema 2).
//!
//! The registry stores the exact bytes it was given; this module only checks that they form a
//! manifest it supports and extracts what the registry needs: the blobs and child manifests it
//! references, its subject and its artifact type.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::digest::Digest;
use crate::media_types::{self, is_index};

/// The largest manifest accepted, as ECR and Distribution do.
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("manifest is larger than {MAX_MANIFEST_BYTES} bytes")]
    TooLarge,
    #[error(
        "Docker image manifest schema 1 is not supported: push a Docker schema 2 or OCI manifest"
    )]
    Schema1,
    #[error("unsupported manifest media type {0:?}")]
    UnsupportedMediaType(String),
    #[error("manifest is not valid JSON: {0}")]
    Json(String),
    #[error("manifest invalid: {0}")]
    Invalid(String),
}

/// A content descriptor as it appears inside a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urls: Option<Vec<String>>,
}

/// What the registry learns from a manifest it accepts.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedManifest {
    /// The media type it is stored and served with.
    pub media_type: String,
    /// The config descriptor of an image manifest.
    pub config: Option<Descriptor>,
    /// Layers (image manifests) that must exist as blobs, foreign layers excluded.
    pub layers: Vec<Descriptor>,
    /// Child manifests (indexes).
    pub manifests: Vec<Descriptor>,
    pub subject: Option<Descriptor>,
    /// The artifact type the referrers API reports: `artifactType`, else the config media type of
    /// an image manifest.
    pub artifact_type: Option<String>,
    pub annotations: Option<BTreeMap<String, String>>,
}

impl ParsedManifest {
    pub fn is_index(&self) -> bool {
        is_index(&self.media_type)
    }

    /// Digests of every blob the manifest needs in its repository: config and non-foreign layers.
    pub fn blob_references(&self) -> impl Iterator<Item = &Digest> {
        self.config
            .iter()
            .chain(
                self.layers.iter().filter(|l| {
                    !(media_types::is_foreign_layer(&l.media_type) && l.urls.is_some())
                }),
            )
            .map(|d| &d.digest)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    schema_version: Option<Value>,
    media_type: Option<Value>,
    artifact_type: Option<Value>,
    config: Option<Value>,
    layers: Option<Value>,
    manifests: Option<Value>,
    subject: Option<Value>,
    annotations: Option<Value>,
    // schema 1 markers
    fs_layers: Option<Value>,
    signatures: Option<Value>,
}

fn descriptor(field: &str, v: Value) -> Result<Descriptor, ManifestError> {
    serde_json::from_value(v)
        .map_err(|e| ManifestError::Invalid(format!("{field} is not a valid descriptor: {e}")))
}

fn descriptors(field: &str, v: Option<Value>) -> Result<Vec<Descriptor>, ManifestError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| descriptor(&format!("{field}[{i}]"), item))
            .collect(),
        Some(_) => Err(ManifestError::Invalid(format!("{field} must be an array"))),
    }
}

fn opt_string(field: &str, v: Option<Value>) -> Result<Option<String>, ManifestError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ManifestError::Invalid(format!("{field} must be a string"))),
    }
}

/// Parse `bytes` pushed with the `Content-Type` header `content_type`.
///
/// The media type comes from the header when it names a manifest type; when the header is absent
/// or generic (`application/json`, `application/octet-stream`) it comes from the body's `mediaType`,
/// else from its shape. A body `mediaType` that disagrees with the header is refused.
pub fn parse(content_type: Option<&str>, bytes: &[u8]) -> Result<ParsedManifest, ManifestError> {
    if bytes.len() > MAX_MANIFEST_BYTES {
        return Err(ManifestError::TooLarge);
    }
    let header = content_type
        .map(media_types::essence)
        .filter(|ct| !ct.is_empty() && ct != "application/json" && ct != media_types::OCTET_STREAM);
    if let Some(ct) = &header {
        if ct == media_types::DOCKER_SCHEMA1 || ct == media_types::DOCKER_SCHEMA1_SIGNED {
            return Err(ManifestError::Schema1);
        }
        if !media_types::MANIFEST_TYPES.contains(&ct.as_str()) {
            return Err(ManifestError::UnsupportedMediaType(ct.clone()));
        }
    }
    let raw: Raw = serde_json::from_slice(bytes).map_err(|e| ManifestError::Json(e.to_string()))?;
    match raw.schema_version {
        Some(Value::Number(n)) if n.as_u64() == Some(2) => {}
        Some(Value::Number(n)) if n.as_u64() == Some(1) => return Err(ManifestError::Schema1),
        _ if raw.fs_layers.is_some() || raw.signatures.is_some() => {
            return Err(ManifestError::Schema1)
        }
        _ => {
            return Err(ManifestError::Invalid(
                "schemaVersion must be 2".to_string(),
            ))
        }
    }
    let body_type = opt_string("mediaType", raw.media_type)?;
    let media_type = match (header, body_type) {
        (Some(h), Some(b)) if h != b => {
            return Err(ManifestError::Invalid(format!(
                "mediaType {b:?} does not match Content-Type {h:?}"
            )))
        }
        (Some(h), _) => h,
        (None, Some(b)) => {
            if b == media_types::DOCKER_SCHEMA1 || b == media_types::DOCKER_SCHEMA1_SIGNED {
                return Err(ManifestError::Schema1);
            }
            if !media_types::MANIFEST_TYPES.contains(&b.as_str()) {
                return Err(ManifestError::UnsupportedMediaType(b));
            }
            b
        }
        (None, None) if raw.manifests.is_some() => media_types::OCI_INDEX.to_string(),
        (None, None) if raw.config.is_some() => media_types::OCI_MANIFEST.to_string(),
        (None, None) => {
            return Err(ManifestError::Invalid(
                "cannot tell the manifest type: no mediaType, config or manifests".to_string(),
            ))
        }
    };
    let artifact_type = opt_string("artifactType", raw.artifact_type)?;
    let subject = raw.subject.map(|s| descriptor("subject", s)).transpose()?;
    let annotations: Option<BTreeMap<String, String>> = match raw.annotations {
        None | Some(Value::Null) => None,
        Some(v) => Some(serde_json::from_value(v).map_err(|_| {
            ManifestError::Invalid("annotations must map strings to strings".to_string())
        })?),
    };

    if is_index(&media_type) {
        if raw.config.is_some() || raw.layers.is_some() {
            return Err(ManifestError::Invalid(
                "an index has no config or layers".to_string(),
            ));
        }
        let manifests = match raw.manifests {
            Some(v) => descriptors("manifests", Some(v))?,
            None => {
                return Err(ManifestError::Invalid(
                    "an index needs a manifests array".to_string(),
                ))
            }
        };
        Ok(ParsedManifest {
            media_type,
            config: None,
            layers: Vec::new(),
            manifests,
            subject,
            artifact_type,
            annotations,
        })
    } else {
        if raw.manifests.is_some() {
            return Err(ManifestError::Invalid(
                "an image manifest has no manifests array".to_string(),
            ));
        }
        let config = match raw.config {
            Some(v) => descriptor("config", v)?,
            None => {
                return Err(ManifestError::Invalid(
                    "an image manifest needs a config descriptor".to_string(),
                ))
            }
        };
        let layers = match raw.layers {
            Some(v) => descriptors("layers", Some(v))?,
            None => {
                return Err(ManifestError::Invalid(
                    "an image manifest needs a layers array".to_string(),
                ))
            }
        };
        let artifact_type = artifact_type.or_else(|| Some(config.media_type.clone()));
        Ok(ParsedManifest {
            media_type,
            config: Some(config),
            layers,
            manifests: Vec::new(),
            subject,
            artifact_type,
            annotations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media_types::*;

    fn d(n: u8) -> String {
        format!("sha256:{}", hex::encode([n; 32]))
    }

    #[test]
    fn image_manifest() {
        let body = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":2}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{}","size":3}},{{"mediaType":"application/vnd.oci.image.layer.nondistributable.v1.tar","digest":"{}","size":3,"urls":["https://example.com/x"]}}],"subject":{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":9}}}}"#,
            d(1),
            d(2),
            d(3),
            d(4)
        );
        let m = parse(Some(OCI_MANIFEST), body.as_bytes()).unwrap();
        assert_eq!(m.media_type, OCI_MANIFEST);
        assert_eq!(m.blob_references().count(), 2, "foreign layer skipped");
        assert_eq!(m.subject.unwrap().digest.to_string(), d(4));
        assert_eq!(
            m.artifact_type.as_deref(),
            Some("application/vnd.oci.image.config.v1+json")
        );
        // without a Content-Type the body's mediaType decides
        assert_eq!(
            parse(None, body.as_bytes()).unwrap().media_type,
            OCI_MANIFEST
        );
    }

    #[test]
    fn index_and_inference() {
        let body = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":7,"platform":{{"os":"linux","architecture":"amd64"}}}}]}}"#,
            d(5)
        );
        let m = parse(Some("application/json"), body.as_bytes()).unwrap();
        assert_eq!(m.media_type, OCI_INDEX);
        assert_eq!(m.manifests.len(), 1);
        let m = parse(Some(DOCKER_MANIFEST_LIST), body.as_bytes()).unwrap();
        assert!(m.is_index());
    }

    #[test]
    fn refusals() {
        assert_eq!(
            parse(Some(DOCKER_SCHEMA1_SIGNED), b"{}"),
            Err(ManifestError::Schema1)
        );
        assert_eq!(
            parse(None, br#"{"schemaVersion":1,"fsLayers":[]}"#),
            Err(ManifestError::Schema1)
        );
        assert!(matches!(
            parse(Some(OCI_MANIFEST), b"not json"),
            Err(ManifestError::Json(_))
        ));
        assert!(matches!(
            parse(Some("text/plain"), b"{}"),
            Err(ManifestError::UnsupportedMediaType(_))
        ));
        assert!(matches!(
            parse(Some(OCI_MANIFEST), br#"{"schemaVersion":2,"layers":[]}"#),
            Err(ManifestError::Invalid(_))
        ));
        let mismatch = format!(
            r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST}","config":{{"mediaType":"a","digest":"{}","size":1}},"layers":[]}}"#,
            d(1)
        );
        assert!(matches!(
            parse(Some(OCI_MANIFEST), mismatch.as_bytes()),
            Err(ManifestError::Invalid(_))
        ));
        let bad_digest = r#"{"schemaVersion":2,"config":{"mediaType":"a","digest":"sha256:zz","size":1},"layers":[]}"#;
        assert!(matches!(
            parse(Some(OCI_MANIFEST), bad_digest.as_bytes()),
            Err(ManifestError::Invalid(_))
        ));
        let big = vec![b' '; MAX_MANIFEST_BYTES + 1];
        assert_eq!(
            parse(Some(OCI_MANIFEST), &big),
            Err(ManifestError::TooLarge)
        );
    }
}
