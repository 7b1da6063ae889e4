//! The image identifiers of ECR's requests and answers: `ImageIdentifier`s read from a request
//! with ECR's per-identifier failures, and the output shapes naming an image.

use berth_oci::{Digest, RepositoryName};
use berth_registry::{ImageMiss, ImageRef};
use serde_json::Value;

use super::ctx::Ctx;
use super::shapes::{ImageFailure, ImageIdentifier};
use crate::aws::{AwsError, Checks};

pub(super) const DIGEST_PATTERN: &str = "[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+";

/// One `ImageIdentifier` of a request: parsed, or the failure ECR reports for it.
pub(super) struct IdIn {
    pub raw: Value,
    pub parsed: Result<ImageRef, (&'static str, String)>,
}

/// A string member of an identifier: `None` when absent or null, `Err` when of another type.
fn member<'a>(id: &'a Value, key: &str) -> Result<Option<&'a str>, ()> {
    match id.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(()),
    }
}

/// The constraints on a list of `ImageIdentifier`s (up to 100; `min` at least).
pub(super) fn check_ids(c: &mut Checks, field: &str, ids: Option<&[Value]>, min: usize) {
    c.count(field, ids, min, 100);
    for (i, id) in ids.unwrap_or_default().iter().enumerate() {
        let at = format!("{field}.{}.member", i + 1);
        if !id.is_object() {
            c.problem(format!(
                "Value at '{at}' failed to satisfy constraint: Member must be a structure"
            ));
            continue;
        }
        for key in ["imageDigest", "imageTag"] {
            if member(id, key).is_err() {
                c.fail(AwsError::serialization(format!(
                    "Unexpected value type for '{at}.{key}': expected a string"
                )));
            }
        }
        c.length(
            &format!("{at}.imageTag"),
            member(id, "imageTag").ok().flatten(),
            1,
            300,
        );
    }
}

/// The identifiers of a checked list, each parsed or with the failure ECR reports for it.
pub(super) fn parse_ids(ids: &[Value]) -> Vec<IdIn> {
    ids.iter()
        .filter(|id| id.is_object())
        .map(|id| {
            let digest = member(id, "imageDigest").ok().flatten();
            let tag = member(id, "imageTag").ok().flatten().map(str::to_string);
            let parsed = match (digest, tag) {
                (None, None) => Err((
                    "MissingDigestAndTag",
                    "Invalid request parameters: both tag and digest cannot be null".to_string(),
                )),
                (Some(d), tag) => match d.parse::<Digest>() {
                    Ok(d) => Ok(ImageRef {
                        digest: Some(d),
                        tag,
                    }),
                    Err(_) => Err((
                        "InvalidImageDigest",
                        format!("Invalid request parameters: image digest should satisfy the regex '{DIGEST_PATTERN}'"),
                    )),
                },
                (None, Some(t)) => Ok(ImageRef {
                    digest: None,
                    tag: Some(t),
                }),
            };
            IdIn {
                raw: id.clone(),
                parsed,
            }
        })
        .collect()
}

/// The identifiers that parsed, in order.
pub(super) fn valid_refs(ids: &[IdIn]) -> Vec<ImageRef> {
    ids.iter()
        .filter_map(|id| id.parsed.as_ref().ok().cloned())
        .collect()
}

pub(super) fn failure(raw: &Value, code: &'static str, reason: &str) -> ImageFailure {
    ImageFailure {
        image_id: raw.clone(),
        failure_code: code,
        failure_reason: reason.to_string(),
    }
}

pub(super) fn miss_failure(raw: &Value, miss: ImageMiss) -> ImageFailure {
    match miss {
        ImageMiss::NotFound => failure(raw, "ImageNotFound", "Requested image not found"),
        ImageMiss::TagDoesNotMatchDigest => failure(
            raw,
            "ImageTagDoesNotMatchDigest",
            "Invalid request parameters: given tag does not map to the given digest",
        ),
        ImageMiss::MissingDigestAndTag => failure(
            raw,
            "MissingDigestAndTag",
            "Invalid request parameters: both tag and digest cannot be null",
        ),
    }
}

pub(super) fn image_id(digest: &Digest, tag: Option<&str>) -> ImageIdentifier {
    ImageIdentifier {
        image_digest: digest.to_string(),
        image_tag: tag.map(str::to_string),
    }
}

pub(super) fn image_not_found(account: &str, name: &RepositoryName, raw: &Value) -> AwsError {
    let part = |k: &str| {
        raw.get(k)
            .and_then(Value::as_str)
            .unwrap_or("null")
            .to_string()
    };
    AwsError::new(
        "ImageNotFoundException",
        format!(
            "The image with imageId {{imageDigest:'{}', imageTag:'{}'}} does not exist within the repository with name '{name}' in the registry with id '{account}'",
            part("imageDigest"),
            part("imageTag")
        ),
    )
}

/// The one image a request's `imageId` names.
pub(super) async fn one_image(
    ctx: &Ctx<'_>,
    account: &str,
    name: &RepositoryName,
    raw: &Value,
) -> Result<berth_meta::ImageDetail, AwsError> {
    let ids = parse_ids(std::slice::from_ref(raw));
    let id = match ids.into_iter().next().map(|i| i.parsed) {
        Some(Ok(id)) => id,
        Some(Err((_, reason))) => return Err(AwsError::new("InvalidParameterException", reason)),
        None => return Err(image_not_found(account, name, raw)),
    };
    let found = ctx
        .state
        .registry
        .resolve_images(account, name, &[id])
        .await
        .map_err(crate::aws::registry_error)?;
    match found.into_iter().next() {
        Some(Ok(image)) => Ok(image),
        Some(Err(berth_registry::ImageMiss::NotFound)) | None => {
            Err(image_not_found(account, name, raw))
        }
        Some(Err(miss)) => Err(AwsError::new(
            "InvalidParameterException",
            miss_failure(raw, miss).failure_reason,
        )),
    }
}
