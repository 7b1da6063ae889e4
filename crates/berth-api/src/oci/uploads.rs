//! Blob uploads: `POST /v2/<name>/blobs/uploads/` (session, monolithic with `digest`, or `mount`),
//! `PATCH`/`PUT`/`GET`/`DELETE /v2/<name>/blobs/uploads/<id>`.

use std::collections::HashMap;

use axum::body::Body;
use axum::response::Response;
use berth_registry::{ChunkRange, Registry, UploadBody};
use http::{HeaderMap, StatusCode};
use uuid::Uuid;

use super::blobs::parse_digest;
use super::{
    byte_stream, content_length, finish, header, range_header, repo_name, respond, Caller,
    OciError, DIGEST_HEADER, UPLOAD_UUID,
};

fn upload_id(s: &str) -> Result<Uuid, OciError> {
    Uuid::parse_str(s).map_err(|_| berth_registry::RegistryError::BlobUploadUnknown.into())
}

fn session_response(status: StatusCode, name: &str, id: Uuid, size: u64) -> Response {
    finish(
        respond(status)
            .header(
                http::header::LOCATION,
                format!("/v2/{name}/blobs/uploads/{id}"),
            )
            .header(http::header::RANGE, range_header(size))
            .header(UPLOAD_UUID, id.to_string())
            .header(http::header::CONTENT_LENGTH, 0),
        Body::empty(),
    )
}

fn blob_created(name: &str, digest: &berth_oci::Digest) -> Response {
    finish(
        respond(StatusCode::CREATED)
            .header(http::header::LOCATION, format!("/v2/{name}/blobs/{digest}"))
            .header(DIGEST_HEADER, digest.to_string())
            .header(http::header::CONTENT_LENGTH, 0),
        Body::empty(),
    )
}

/// Whether the request carries a body (declared non-empty, or chunked).
fn has_body(headers: &HeaderMap, declared: Option<u64>) -> bool {
    match declared {
        Some(n) => n > 0,
        None => headers.contains_key(http::header::TRANSFER_ENCODING),
    }
}

pub(crate) async fn start(
    reg: &Registry,
    caller: &Caller,
    name_str: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OciError> {
    let name = repo_name(name_str)?;
    if let Some(mount) = query.get("mount") {
        let digest = parse_digest(mount)?;
        let from = query.get("from").map(|f| repo_name(f)).transpose()?;
        if reg
            .mount_blob(&caller.account, &name, &digest, from.as_ref())
            .await?
            .is_some()
        {
            return Ok(blob_created(name_str, &digest));
        }
        // Not mountable: fall back to an upload session, as the spec says.
    } else if let Some(d) = query.get("digest") {
        let digest = parse_digest(d)?;
        let declared = content_length(headers)?;
        reg.put_blob(
            &caller.account,
            &name,
            &digest,
            UploadBody {
                stream: byte_stream(body),
                declared,
            },
        )
        .await?;
        return Ok(blob_created(name_str, &digest));
    }
    let id = reg.start_upload(&caller.account, &name).await?;
    Ok(session_response(StatusCode::ACCEPTED, name_str, id, 0))
}

pub(crate) async fn status(
    reg: &Registry,
    caller: &Caller,
    name_str: &str,
    id: &str,
) -> Result<Response, OciError> {
    let name = repo_name(name_str)?;
    let id = upload_id(id)?;
    let size = reg.upload_size(&caller.account, &name, id).await?;
    Ok(session_response(StatusCode::NO_CONTENT, name_str, id, size))
}

/// `Content-Range: <start>-<end>` (also accepted: `bytes <start>-<end>/<total>` and `bytes=…`).
fn content_range(v: &str) -> Option<ChunkRange> {
    let v = v.trim();
    let v = v
        .strip_prefix("bytes=")
        .or_else(|| v.strip_prefix("bytes "))
        .unwrap_or(v);
    let v = v.split('/').next()?;
    let (a, b) = v.split_once('-')?;
    Some(ChunkRange {
        start: a.trim().parse().ok()?,
        end: b.trim().parse().ok()?,
    })
}

/// The request's `Content-Range`, if it has one (416 when it cannot be read).
fn range_of(headers: &HeaderMap) -> Result<Option<ChunkRange>, OciError> {
    header(headers, http::header::CONTENT_RANGE)
        .map(|v| {
            content_range(v).ok_or_else(|| {
                OciError::new(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "BLOB_UPLOAD_INVALID",
                    "invalid Content-Range",
                )
            })
        })
        .transpose()
}

pub(crate) async fn patch(
    reg: &Registry,
    caller: &Caller,
    name_str: &str,
    id: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OciError> {
    let name = repo_name(name_str)?;
    let id = upload_id(id)?;
    let range = range_of(headers)?;
    let declared = content_length(headers)?;
    let size = reg
        .append_upload(
            &caller.account,
            &name,
            id,
            range,
            UploadBody {
                stream: byte_stream(body),
                declared,
            },
        )
        .await
        .map_err(|e| upload_error(e, name_str, id))?;
    Ok(session_response(StatusCode::ACCEPTED, name_str, id, size))
}

/// A 416 also tells the client where the upload stands.
fn upload_error(e: berth_registry::RegistryError, name: &str, id: Uuid) -> OciError {
    OciError::from(e)
        .header(
            http::header::LOCATION,
            &format!("/v2/{name}/blobs/uploads/{id}"),
        )
        .header(UPLOAD_UUID, &id.to_string())
}

pub(crate) async fn complete(
    reg: &Registry,
    caller: &Caller,
    name_str: &str,
    id: &str,
    digest: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OciError> {
    let name = repo_name(name_str)?;
    let id = upload_id(id)?;
    let digest = match digest.map(parse_digest) {
        Some(Ok(d)) => d,
        invalid => {
            // An unknown session is the first thing to report.
            reg.upload_size(&caller.account, &name, id).await?;
            return Err(match invalid {
                Some(Err(e)) => e,
                _ => OciError::digest_invalid(
                    "the digest query parameter is required to finish an upload",
                ),
            });
        }
    };
    let declared = content_length(headers)?;
    let range = range_of(headers)?;
    let last_chunk = has_body(headers, declared).then(|| UploadBody {
        stream: byte_stream(body),
        declared,
    });
    reg.finish_upload(&caller.account, &name, id, &digest, range, last_chunk)
        .await
        .map_err(|e| upload_error(e, name_str, id))?;
    Ok(blob_created(name_str, &digest))
}

pub(crate) async fn cancel(
    reg: &Registry,
    caller: &Caller,
    name_str: &str,
    id: &str,
) -> Result<Response, OciError> {
    let name = repo_name(name_str)?;
    let id = upload_id(id)?;
    reg.cancel_upload(&caller.account, &name, id).await?;
    Ok(super::finish(
        respond(StatusCode::NO_CONTENT).header(http::header::CONTENT_LENGTH, 0),
        Body::empty(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        assert_eq!(
            content_range("0-99"),
            Some(ChunkRange { start: 0, end: 99 })
        );
        assert_eq!(
            content_range("bytes 5-9/*"),
            Some(ChunkRange { start: 5, end: 9 })
        );
        assert_eq!(
            content_range("bytes=5-9"),
            Some(ChunkRange { start: 5, end: 9 })
        );
        assert_eq!(content_range("x-y"), None);
    }
}
