//! `GET`/`HEAD`/`PUT`/`DELETE /v2/<name>/manifests/<reference>`.

use axum::body::Body;
use axum::response::Response;
use berth_oci::{Reference, MAX_MANIFEST_BYTES};
use berth_registry::replication::{PushOrigin, REPLICATION_HEADER};
use berth_registry::Registry;
use http::{HeaderMap, StatusCode};

use super::error::Detail;
use super::{content_length, finish, header, repo_name, respond, Caller, OciError, DIGEST_HEADER};

const OCI_SUBJECT: http::HeaderName = http::HeaderName::from_static("oci-subject");

fn reference(s: &str) -> Result<Reference, OciError> {
    s.parse().map_err(|e: berth_oci::NameError| {
        if s.contains(':') {
            OciError::digest_invalid(e)
        } else {
            OciError::new(StatusCode::BAD_REQUEST, "TAG_INVALID", "invalid tag")
                .detail(Detail::Reason(e.to_string()))
        }
    })
}

pub(crate) async fn get(
    reg: &Registry,
    caller: &Caller,
    name: &str,
    r: &str,
    head: bool,
) -> Result<Response, OciError> {
    let name = repo_name(name)?;
    // a reference that cannot exist names no manifest: 404, as for any other unknown one
    let r = r.parse::<Reference>().map_err(|_| {
        OciError::from(berth_registry::RegistryError::ManifestUnknown(
            r.to_string(),
        ))
    })?;
    // a pull-through cache repository's images come from its upstream on first pull
    let m = match reg
        .pull_through_manifest(&caller.account, &name, &r, !head)
        .await?
    {
        Some(m) => m,
        None => reg.manifest(&caller.account, &name, &r, !head).await?,
    };
    let b = respond(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, &m.media_type)
        .header(http::header::CONTENT_LENGTH, m.size)
        .header(http::header::ETAG, format!("\"{}\"", m.digest))
        .header(DIGEST_HEADER, m.digest.to_string());
    Ok(finish(
        b,
        if head {
            Body::empty()
        } else {
            Body::from(m.body)
        },
    ))
}

fn too_large() -> OciError {
    OciError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "MANIFEST_INVALID",
        format!("manifest is larger than {MAX_MANIFEST_BYTES} bytes"),
    )
}

pub(crate) async fn put(
    reg: &Registry,
    caller: &Caller,
    name_str: &str,
    r: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OciError> {
    let name = repo_name(name_str)?;
    let r = reference(r)?;
    if content_length(headers)?.is_some_and(|n| n > MAX_MANIFEST_BYTES as u64) {
        return Err(too_large());
    }
    let bytes = match axum::body::to_bytes(body, MAX_MANIFEST_BYTES).await {
        Ok(b) => b,
        Err(e) => {
            let length_limit = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            return Err(if length_limit {
                too_large()
            } else {
                OciError::new(
                    StatusCode::BAD_REQUEST,
                    "MANIFEST_INVALID",
                    format!("reading the manifest failed: {e}"),
                )
            });
        }
    };
    let content_type = header(headers, http::header::CONTENT_TYPE);
    // a replication's arrival is not replicated again
    let origin = if headers.contains_key(REPLICATION_HEADER) {
        PushOrigin::Replication
    } else {
        PushOrigin::Client
    };
    let pushed = reg
        .put_manifest_from(
            origin,
            &caller.account,
            &name,
            &r,
            content_type,
            bytes.to_vec(),
        )
        .await
        .map_err(refused_content)?;
    let mut b = respond(StatusCode::CREATED)
        .header(
            http::header::LOCATION,
            format!("/v2/{name_str}/manifests/{}", pushed.digest),
        )
        .header(DIGEST_HEADER, pushed.digest.to_string())
        .header(http::header::CONTENT_LENGTH, 0);
    if let Some(s) = &pushed.subject {
        b = b.header(OCI_SUBJECT, s.to_string());
    }
    Ok(finish(b, Body::empty()))
}

/// A manifest refused for what it references is a bad request (400), not a missing resource: an
/// index naming a manifest the repository does not hold answers `MANIFEST_UNKNOWN` with 400.
fn refused_content(e: berth_registry::RegistryError) -> OciError {
    match e {
        berth_registry::RegistryError::ManifestUnknown(_) => {
            OciError::from(e).status(StatusCode::BAD_REQUEST)
        }
        other => other.into(),
    }
}

pub(crate) async fn delete(
    reg: &Registry,
    caller: &Caller,
    name: &str,
    r: &str,
) -> Result<Response, OciError> {
    let name = repo_name(name)?;
    let r = reference(r)?;
    reg.delete_manifest(&caller.account, &name, &r).await?;
    Ok(finish(
        respond(StatusCode::ACCEPTED).header(http::header::CONTENT_LENGTH, 0),
        Body::empty(),
    ))
}
