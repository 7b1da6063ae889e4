//! The layer operations of ECR's data plane: BatchCheckLayerAvailability, InitiateLayerUpload,
//! UploadLayerPart, CompleteLayerUpload, GetDownloadUrlForLayer. They share the upload sessions,
//! integrity checks and storage of the `/v2/` API.

use base64::Engine;
use berth_oci::{Digest, RepositoryName};
use berth_registry::{ChunkRange, RegistryError, UploadBody};
use serde_json::Value;
use uuid::Uuid;

use super::ctx::Ctx;
use super::requests::{
    BatchCheckLayerAvailabilityRequest, CompleteLayerUploadRequest, GetDownloadUrlForLayerRequest,
    RepositoryRequest, UploadLayerPartRequest,
};
use super::shapes::{
    BatchCheckLayerAvailabilityResponse, CompleteLayerUploadResponse,
    GetDownloadUrlForLayerResponse, InitiateLayerUploadResponse, Layer, LayerFailure,
    UploadLayerPartResponse,
};
use crate::aws::registry_error as core_error;
use crate::aws::{reply, AwsError, Input};

/// The part size InitiateLayerUpload suggests (parts may be up to 20 MiB).
const PART_SIZE: u64 = 10 * 1024 * 1024;
/// Largest layer part, as the model's `LayerPartBlob`.
const MAX_PART: usize = 20_971_520;
/// How long a GetDownloadUrlForLayer URL works.
const DOWNLOAD_URL_SECS: i64 = 3600;
const UUID_PATTERN: &str =
    "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

fn upload_id(s: &str) -> Result<Uuid, AwsError> {
    let ok = s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        });
    ok.then(|| Uuid::parse_str(s).ok())
        .flatten()
        .ok_or_else(|| {
            AwsError::new(
                "InvalidParameterException",
                format!("Invalid parameter at 'uploadId' failed to satisfy constraint: 'must satisfy regular expression '{UUID_PATTERN}''"),
            )
        })
}

fn upload_not_found(id: &str, account: &str, name: &RepositoryName) -> AwsError {
    AwsError::new(
        "UploadNotFoundException",
        format!("Upload with id '{id}' is not found in the repository with name '{name}' in the registry with id '{account}'"),
    )
}

pub async fn batch_check_layer_availability(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: BatchCheckLayerAvailabilityRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let digests = req.layer_digests.unwrap_or_default();
    let registry = &ctx.state.registry;
    registry
        .repository(&account, &name)
        .await
        .map_err(core_error)?;
    let mut layers = Vec::new();
    let mut failures = Vec::new();
    for raw in digests {
        if raw.is_empty() {
            failures.push(LayerFailure {
                layer_digest: raw,
                failure_code: "MissingLayerDigest",
                failure_reason: "The layer digest is missing",
            });
            continue;
        }
        let Ok(d) = raw.parse::<Digest>() else {
            failures.push(LayerFailure {
                layer_digest: raw,
                failure_code: "InvalidLayerDigest",
                failure_reason: "Invalid layer digest",
            });
            continue;
        };
        match registry.blob_size(&account, &name, &d).await {
            Ok(size) => layers.push(Layer {
                layer_digest: raw,
                layer_availability: "AVAILABLE",
                layer_size: Some(size),
            }),
            Err(RegistryError::BlobUnknown(_)) => layers.push(Layer {
                layer_digest: raw,
                layer_availability: "UNAVAILABLE",
                layer_size: None,
            }),
            Err(e) => return Err(core_error(e)),
        }
    }
    reply(BatchCheckLayerAvailabilityResponse { layers, failures })
}

pub async fn initiate_layer_upload(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: RepositoryRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    ctx.state
        .registry
        .refuse_push_into_cache(&account, name.as_str())
        .await
        .map_err(core_error)?;
    let id = ctx
        .state
        .registry
        .start_upload(&account, &name)
        .await
        .map_err(core_error)?;
    reply(InitiateLayerUploadResponse {
        upload_id: id.to_string(),
        part_size: PART_SIZE,
    })
}

pub async fn upload_layer_part(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: UploadLayerPartRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let id = req.upload_id.unwrap_or_default();
    let (first, last, blob) = (req.part_first_byte, req.part_last_byte, req.layer_part_blob);
    let uuid = upload_id(&id)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(blob.unwrap_or_default())
        .map_err(|_| AwsError::serialization("layerPartBlob is not valid base64"))?;
    if bytes.len() > MAX_PART {
        return Err(AwsError::validation("ValidationException", &[format!(
            "Value at 'layerPartBlob' failed to satisfy constraint: Member must have length less than or equal to {MAX_PART}"
        )]));
    }
    let (first, last) = (first.unwrap_or(0) as u64, last.unwrap_or(0) as u64);
    let registry = &ctx.state.registry;
    let invalid_part = |size: u64, why: String| {
        AwsError::new("InvalidLayerPartException", why)
            .with("registryId", Value::from(account.as_str()))
            .with("repositoryName", Value::from(name.as_str()))
            .with("uploadId", Value::from(id.as_str()))
            .with("lastValidByteReceived", Value::from(size as i64 - 1))
    };
    if bytes.is_empty() || last < first || last - first + 1 != bytes.len() as u64 {
        let size = registry
            .upload_size(&account, &name, uuid)
            .await
            .map_err(|e| part_error(e, &id, &account, &name))?;
        return Err(invalid_part(
            size,
            format!(
                "The layer part covers bytes {first}-{last} but carries {} bytes",
                bytes.len()
            ),
        ));
    }
    let len = bytes.len() as u64;
    let body = UploadBody {
        stream: Box::pin(futures_util::stream::once(async move {
            Ok(bytes::Bytes::from(bytes))
        })),
        declared: Some(len),
    };
    match registry
        .append_upload(
            &account,
            &name,
            uuid,
            Some(ChunkRange {
                start: first,
                end: last,
            }),
            body,
        )
        .await
    {
        Ok(size) => reply(UploadLayerPartResponse {
            registry_id: &account,
            repository_name: name.as_str(),
            upload_id: &id,
            last_byte_received: size - 1,
        }),
        Err(RegistryError::RangeInvalid { size }) => Err(invalid_part(
            size,
            format!("The part's first byte {first} does not follow the last byte received"),
        )),
        Err(e) => Err(part_error(e, &id, &account, &name)),
    }
}

fn part_error(e: RegistryError, id: &str, account: &str, name: &RepositoryName) -> AwsError {
    match e {
        RegistryError::BlobUploadUnknown => upload_not_found(id, account, name),
        other => core_error(other),
    }
}

pub async fn complete_layer_upload(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: CompleteLayerUploadRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let id = req.upload_id.unwrap_or_default();
    let digests = req.layer_digests.unwrap_or_default();
    let uuid = upload_id(&id)?;
    let invalid_digest = || {
        AwsError::new(
            "InvalidParameterException",
            "Invalid parameter at 'layerDigests' failed to satisfy constraint: 'must satisfy regular expression '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+''",
        )
    };
    let parsed = digests
        .iter()
        .map(|d| d.parse::<Digest>().map_err(|_| invalid_digest()))
        .collect::<Result<Vec<_>, _>>()?;
    // a layer is one blob: several digests must all name it
    let Some(digest) = parsed.first().cloned() else {
        return Err(invalid_digest());
    };
    if parsed.iter().any(|d| *d != digest) {
        return Err(AwsError::new(
            "InvalidLayerException",
            "The layer digests of one upload must all name the same layer",
        ));
    }
    let registry = &ctx.state.registry;
    let size = registry
        .upload_size(&account, &name, uuid)
        .await
        .map_err(|e| part_error(e, &id, &account, &name))?;
    if size == 0 {
        return Err(AwsError::new(
            "EmptyUploadException",
            format!("The upload with id '{id}' does not contain any layer parts"),
        ));
    }
    if registry.blob_size(&account, &name, &digest).await.is_ok() {
        registry
            .cancel_upload(&account, &name, uuid)
            .await
            .map_err(|e| part_error(e, &id, &account, &name))?;
        return Err(AwsError::new(
            "LayerAlreadyExistsException",
            format!("The layer with digest '{digest}' already exists in the repository with name '{name}' in the registry with id '{account}'"),
        ));
    }
    match registry
        .finish_upload(&account, &name, uuid, &digest, None, None)
        .await
    {
        Ok(_) => reply(CompleteLayerUploadResponse {
            registry_id: &account,
            repository_name: name.as_str(),
            upload_id: &id,
            layer_digest: digest.to_string(),
        }),
        Err(RegistryError::DigestInvalid(m)) => Err(AwsError::new(
            "InvalidLayerException",
            format!("The layer's content does not match the digest given: {m}"),
        )),
        Err(e) => Err(part_error(e, &id, &account, &name)),
    }
}

pub async fn get_download_url_for_layer(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: GetDownloadUrlForLayerRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let raw = req.layer_digest.unwrap_or_default();
    let digest = raw.parse::<Digest>().map_err(|_| {
        AwsError::new(
            "InvalidParameterException",
            "Invalid parameter at 'layerDigest' failed to satisfy constraint: 'must satisfy regular expression '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+''",
        )
    })?;
    match ctx
        .state
        .registry
        .layer(&account, &name, &digest)
        .await
        .map_err(core_error)?
    {
        None => Err(AwsError::new(
            "LayersNotFoundException",
            format!("The layer with digest '{digest}' does not exist in the repository with name '{name}' in the registry with id '{account}'"),
        )),
        Some((_, false)) => Err(AwsError::new(
            "LayerInaccessibleException",
            "The specified layer is not available because it is not associated with an image. Unassociated image layers may be cleaned up at any time.",
        )),
        Some((_, true)) => {
            use crate::oci::{
                presigned_resource, PRESIGNED_ACCOUNT, PRESIGNED_EXPIRES, PRESIGNED_SIGNATURE,
            };
            let expires = crate::state::now_secs() + DOWNLOAD_URL_SECS;
            let d = digest.to_string();
            let signature = ctx
                .state
                .iam
                .presign(&presigned_resource(&account, name.as_str(), &d), expires);
            let scheme = if ctx.state.tls { "https" } else { "http" };
            reply(GetDownloadUrlForLayerResponse {
                download_url: format!(
                    "{scheme}://{}/v2/{name}/blobs/{d}?{PRESIGNED_ACCOUNT}={account}&{PRESIGNED_EXPIRES}={expires}&{PRESIGNED_SIGNATURE}={signature}",
                    ctx.host
                ),
                layer_digest: d,
            })
        }
    }
}
