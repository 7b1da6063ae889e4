//! `GET`/`HEAD`/`DELETE /v2/<name>/blobs/<digest>`, with `Range` reads.

use std::ops::Range;

use axum::body::Body;
use axum::response::Response;
use berth_oci::Digest;
use berth_registry::Registry;
use http::{HeaderMap, StatusCode};

use super::{finish, header, repo_name, respond, Caller, OciError, DIGEST_HEADER};

pub(crate) fn parse_digest(s: &str) -> Result<Digest, OciError> {
    s.parse().map_err(OciError::digest_invalid)
}

/// The single byte range a `Range: bytes=…` header asks for. `Ok(None)`: serve the whole blob
/// (no header, another unit, or several ranges); `Err(())`: unsatisfiable.
fn requested_range(value: Option<&str>, size: u64) -> Result<Option<Range<u64>>, ()> {
    let Some(spec) = value.and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let range = if a.is_empty() {
        // suffix: the last b bytes
        let n: u64 = b.parse().map_err(|_| ())?;
        if n == 0 {
            return Err(());
        }
        size.saturating_sub(n)..size
    } else {
        let start: u64 = a.parse().map_err(|_| ())?;
        let end = if b.is_empty() {
            size.saturating_sub(1)
        } else {
            b.parse::<u64>()
                .map_err(|_| ())?
                .min(size.saturating_sub(1))
        };
        if start >= size || end < start {
            return Err(());
        }
        start..end + 1
    };
    Ok(Some(range))
}

pub(crate) async fn get(
    reg: &Registry,
    account: &str,
    name: &str,
    digest: &str,
    headers: &HeaderMap,
    head: bool,
) -> Result<Response, OciError> {
    let name = repo_name(name)?;
    let digest = parse_digest(digest)?;
    let (repo, size) = reg.blob_stat(account, &name, &digest).await?;
    let range = match requested_range(header(headers, http::header::RANGE), size) {
        Ok(r) => r,
        Err(()) => {
            return Ok(finish(
                respond(StatusCode::RANGE_NOT_SATISFIABLE)
                    .header(http::header::CONTENT_RANGE, format!("bytes */{size}"))
                    .header(DIGEST_HEADER, digest.to_string()),
                Body::empty(),
            ))
        }
    };
    let (status, len) = match &range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.end - r.start),
        None => (StatusCode::OK, size),
    };
    let mut b = respond(status)
        .header(http::header::CONTENT_TYPE, "application/octet-stream")
        .header(http::header::CONTENT_LENGTH, len)
        .header(http::header::ACCEPT_RANGES, "bytes")
        .header(http::header::ETAG, format!("\"{digest}\""))
        .header(http::header::CACHE_CONTROL, "max-age=31536000")
        .header(DIGEST_HEADER, digest.to_string());
    if let Some(r) = &range {
        b = b.header(
            http::header::CONTENT_RANGE,
            format!("bytes {}-{}/{size}", r.start, r.end - 1),
        );
    }
    if head {
        return Ok(finish(b, Body::empty()));
    }
    // the bytes straight from the store (S3), as ECR redirects to S3
    if let Some(url) = reg.blob_redirect(&digest).await? {
        reg.record_transfer(repo, len);
        return Ok(finish(
            respond(StatusCode::TEMPORARY_REDIRECT)
                .header(http::header::LOCATION, url)
                .header(http::header::CONTENT_LENGTH, 0)
                .header(DIGEST_HEADER, digest.to_string()),
            Body::empty(),
        ));
    }
    let stream = reg.read_blob(&digest, range).await?;
    reg.record_transfer(repo, len);
    Ok(finish(b, Body::from_stream(stream)))
}

pub(crate) async fn delete(
    reg: &Registry,
    caller: &Caller,
    name: &str,
    digest: &str,
) -> Result<Response, OciError> {
    let name = repo_name(name)?;
    let digest = parse_digest(digest)?;
    reg.delete_blob(&caller.account, &name, &digest).await?;
    Ok(finish(
        respond(StatusCode::ACCEPTED).header(http::header::CONTENT_LENGTH, 0),
        Body::empty(),
    ))
}

#[cfg(test)]
mod tests {
    use super::requested_range;

    #[test]
    fn ranges() {
        assert_eq!(requested_range(None, 10), Ok(None));
        assert_eq!(requested_range(Some("bytes=0-3"), 10), Ok(Some(0..4)));
        assert_eq!(requested_range(Some("bytes=5-"), 10), Ok(Some(5..10)));
        assert_eq!(requested_range(Some("bytes=-3"), 10), Ok(Some(7..10)));
        assert_eq!(requested_range(Some("bytes=8-100"), 10), Ok(Some(8..10)));
        assert_eq!(requested_range(Some("bytes=10-"), 10), Err(()));
        assert_eq!(requested_range(Some("bytes=5-2"), 10), Err(()));
        assert_eq!(requested_range(Some("bytes=0-1,4-5"), 10), Ok(None));
        assert_eq!(requested_range(Some("items=0-1"), 10), Ok(None));
    }
}
