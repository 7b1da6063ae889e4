//! PutImage, BatchGetImage, ListImages, DescribeImages, BatchDeleteImage.

use berth_meta::{ImageDeletion, ImageDetail, TagStatus};
use berth_oci::{Digest, Reference, RepositoryName};
use berth_registry::{ImageMiss, NewImage, RegistryError};
use serde_json::Value;

use super::ctx::Ctx;
use super::image_ids::{
    failure, image_id, image_not_found, miss_failure, parse_ids, valid_refs, DIGEST_PATTERN,
};
use super::requests::{
    BatchDeleteImageRequest, BatchGetImageRequest, DescribeImagesRequest, ImageFilter,
    ListImagesRequest, PutImageRequest,
};
use super::shapes::{
    self, BatchDeleteImageResponse, BatchGetImageResponse, DescribeImagesResponse, Image,
    ListImagesResponse, PutImageResponse,
};
use crate::aws::registry_error as core_error;
use crate::aws::{next_token, read_token, reply, AwsError, Epoch, Input};

/// Results per page when the caller sets no `maxResults`.
const DEFAULT_PAGE: i64 = 100;

/// The filter's tag status; `None` when the filter can match nothing.
fn tag_status(filter: &Option<ImageFilter>) -> Option<TagStatus> {
    let Some(f) = filter else {
        return Some(TagStatus::Any);
    };
    // Berth keeps every image ACTIVE (no archive storage class): an ARCHIVED or ACTIVATING
    // filter matches nothing, ACTIVE and ANY everything.
    match (f.tag_status.as_deref(), f.image_status.as_deref()) {
        (_, Some("ARCHIVED" | "ACTIVATING")) => None,
        (Some("TAGGED"), _) => Some(TagStatus::Tagged),
        (Some("UNTAGGED"), _) => Some(TagStatus::Untagged),
        _ => Some(TagStatus::Any),
    }
}

fn paging_with_ids(
    has_ids: bool,
    token: &Option<String>,
    max: Option<i64>,
) -> Result<(), AwsError> {
    if has_ids && (token.is_some() || max.is_some()) {
        return Err(AwsError::new(
            "InvalidParameterException",
            "Invalid parameter at 'imageIds' failed to satisfy constraint: 'nextToken and maxResults cannot be specified together with imageIds'",
        ));
    }
    Ok(())
}

/// The output shape `ImageDetail`.
fn detail<'a>(
    account: &'a str,
    name: &'a RepositoryName,
    i: &ImageDetail,
) -> shapes::ImageDetail<'a> {
    shapes::ImageDetail {
        registry_id: account,
        repository_name: name.as_str(),
        image_digest: i.digest.to_string(),
        image_tags: i.tags.clone(),
        image_size_in_bytes: i.image_size,
        image_pushed_at: Epoch(i.pushed_at),
        image_manifest_media_type: i.media_type.clone(),
        artifact_media_type: i.config_media_type.clone(),
        last_recorded_pull_time: i.last_pulled_at.map(Epoch),
        subject_manifest_digest: i.subject.as_ref().map(|s| s.to_string()),
        image_status: "ACTIVE",
        image_scan_status: None,
        image_scan_findings_summary: None,
    }
}

pub async fn put_image(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: PutImageRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    ctx.state
        .registry
        .refuse_push_into_cache(&account, name.as_str())
        .await
        .map_err(core_error)?;
    let PutImageRequest {
        image_manifest: manifest,
        image_manifest_media_type: media_type,
        image_tag: tag,
        image_digest: digest,
        ..
    } = req;
    let manifest = manifest.unwrap_or_default();
    let expected = digest
        .map(|d| {
            d.parse::<Digest>().map_err(|_| {
                AwsError::new(
                    "InvalidParameterException",
                    format!("Invalid parameter at 'imageDigest' failed to satisfy constraint: 'must satisfy regular expression '{DIGEST_PATTERN}''"),
                )
            })
        })
        .transpose()?;
    let tag_parsed = tag
        .as_deref()
        .map(|t| {
            t.parse::<berth_oci::Tag>().map_err(|_| {
                AwsError::new(
                    "InvalidParameterException",
                    "Invalid parameter at 'imageTag' failed to satisfy constraint: 'must satisfy regular expression '[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127}''",
                )
            })
        })
        .transpose()?;
    let body = manifest.into_bytes();
    let pushed = ctx
        .state
        .registry
        .put_image(
            &account,
            &name,
            NewImage {
                body: body.clone(),
                media_type: media_type.as_deref(),
                tag: tag_parsed,
                expected,
            },
        )
        .await
        .map_err(|e| put_error(&account, &name, e))?;
    reply(PutImageResponse {
        image: Image {
            registry_id: &account,
            repository_name: name.as_str(),
            image_id: image_id(&pushed.digest, tag.as_deref()),
            image_manifest: String::from_utf8_lossy(&body).into_owned(),
            image_manifest_media_type: pushed.media_type,
        },
    })
}

fn put_error(account: &str, name: &RepositoryName, e: RegistryError) -> AwsError {
    match e {
        RegistryError::ManifestBlobUnknown(d) => AwsError::new(
            "LayersNotFoundException",
            format!("Layers with digests ['{d}'] required for pushing image into repository with name '{name}' in the registry with id '{account}' do not exist"),
        ),
        RegistryError::ManifestUnknown(d) => AwsError::new(
            "ReferencedImagesNotFoundException",
            format!("Manifests with digests ['{d}'] referenced by the image index are not in the repository with name '{name}' in the registry with id '{account}'"),
        ),
        RegistryError::ManifestInvalid(m) => AwsError::new(
            "InvalidParameterException",
            format!("Invalid parameter at 'ImageManifest' failed to satisfy constraint: '{m}'"),
        ),
        RegistryError::ManifestTooLarge => AwsError::new(
            "InvalidParameterException",
            "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Member must have length less than or equal to 4194304'",
        ),
        RegistryError::DigestInvalid(m) => AwsError::new("ImageDigestDoesNotMatchException", m),
        e @ RegistryError::ImageDigestMismatch { .. } => AwsError::new(
            "ImageDigestDoesNotMatchException",
            format!("Invalid parameter at 'imageDigest' failed to satisfy constraint: '{e}'"),
        ),
        e @ RegistryError::ImageExists { .. } => {
            AwsError::new("ImageAlreadyExistsException", e.to_string())
        }
        other => core_error(other),
    }
}

pub async fn batch_get_image(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: BatchGetImageRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let ids = parse_ids(req.image_ids.as_deref().unwrap_or_default());
    let accepted = req.accepted_media_types;
    let registry = &ctx.state.registry;
    let refs = valid_refs(&ids);
    // a cache repository imports what it does not have first
    let upstream_failures =
        super::cache_rules::import_for_batch_get(ctx, &account, &name, &refs).await?;
    let upstream_failed = upstream_failures.iter().any(Option::is_some);
    let mut upstream = upstream_failures.into_iter();
    // one lookup for every identifier that parsed (and of the repository, even with none);
    // a cache repository whose first import failed does not exist yet: its failures answer
    let mut found = match registry.resolve_images(&account, &name, &refs).await {
        Err(RegistryError::NameUnknown { .. }) if upstream_failed => Vec::new(),
        other => other.map_err(core_error)?,
    }
    .into_iter();
    let mut images = Vec::new();
    let mut failures = Vec::new();
    for id in &ids {
        let r = match &id.parsed {
            Err((code, reason)) => {
                failures.push(failure(&id.raw, code, reason));
                continue;
            }
            Ok(r) => r,
        };
        let resolved = found.next();
        if let Some(Some(reason)) = upstream.next() {
            failures.push(failure(&id.raw, "UpstreamUnavailable", &reason));
            continue;
        }
        let image = match resolved {
            Some(Ok(i)) => i,
            Some(Err(miss)) => {
                failures.push(miss_failure(&id.raw, miss));
                continue;
            }
            None => continue,
        };
        let mut digest = image.digest.clone();
        // ECR answers an index with one of its images when the caller accepts only images
        if let Some(accepted) = &accepted {
            if !accepted.contains(&image.media_type) {
                if let Some(child) = platform_child(ctx, &account, &name, &digest, accepted).await?
                {
                    digest = child;
                }
            }
        }
        let m = registry
            .manifest(&account, &name, &Reference::Digest(digest.clone()), true)
            .await
            .map_err(core_error)?;
        images.push(Image {
            registry_id: &account,
            repository_name: name.as_str(),
            image_id: image_id(&m.digest, r.tag.as_deref()),
            image_manifest: String::from_utf8_lossy(&m.body).into_owned(),
            image_manifest_media_type: m.media_type,
        });
    }
    reply(BatchGetImageResponse { images, failures })
}

/// The child of index `digest` for linux/amd64 (else the first) whose media type is accepted.
async fn platform_child(
    ctx: &Ctx<'_>,
    account: &str,
    name: &RepositoryName,
    digest: &Digest,
    accepted: &[String],
) -> Result<Option<Digest>, AwsError> {
    let index = ctx
        .state
        .registry
        .manifest(account, name, &Reference::Digest(digest.clone()), true)
        .await
        .map_err(core_error)?;
    let Ok(parsed) = berth_oci::manifest::parse(Some(&index.media_type), &index.body) else {
        return Ok(None);
    };
    let candidates: Vec<_> = parsed
        .manifests
        .iter()
        .filter(|m| accepted.contains(&m.media_type))
        .collect();
    let platform_is = |m: &&berth_oci::manifest::Descriptor, os: &str, arch: &str| {
        m.platform.as_ref().is_some_and(|p| {
            p.get("os").and_then(Value::as_str) == Some(os)
                && p.get("architecture").and_then(Value::as_str) == Some(arch)
        })
    };
    Ok(candidates
        .iter()
        .find(|m| platform_is(m, "linux", "amd64"))
        .or(candidates.first())
        .map(|m| m.digest.clone()))
}

pub async fn list_images(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: ListImagesRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let max = req.max_results;
    let status = tag_status(&req.filter);
    let after = req
        .next_token
        .map(|t| read_token("ListImages", &t))
        .transpose()?;
    let Some(status) = status else {
        return reply(ListImagesResponse {
            image_ids: Vec::new(),
            next_token: None,
        });
    };
    let after = after
        .as_deref()
        .map(|a| a.split_once(' ').unwrap_or((a, "")));
    let (ids, more) = ctx
        .state
        .registry
        .image_ids(
            &account,
            &name,
            status,
            after,
            max.unwrap_or(DEFAULT_PAGE) as u32,
        )
        .await
        .map_err(core_error)?;
    let next_token = ids
        .last()
        .filter(|_| more)
        .map(|(d, t)| next_token("ListImages", &format!("{d} {}", t.as_deref().unwrap_or(""))));
    reply(ListImagesResponse {
        image_ids: ids.iter().map(|(d, t)| image_id(d, t.as_deref())).collect(),
        next_token,
    })
}

pub async fn describe_images(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: DescribeImagesRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let ids = req.image_ids.as_deref().map(parse_ids);
    let (token, max) = (req.next_token, req.max_results);
    let status = tag_status(&req.filter);
    paging_with_ids(ids.is_some(), &token, max)?;
    let registry = &ctx.state.registry;
    if let Some(ids) = ids {
        let mut refs = Vec::with_capacity(ids.len());
        for id in &ids {
            match &id.parsed {
                Ok(r) => refs.push(r.clone()),
                Err((_, reason)) => {
                    return Err(AwsError::new("InvalidParameterException", reason.clone()))
                }
            }
        }
        let found = registry
            .resolve_images(&account, &name, &refs)
            .await
            .map_err(core_error)?;
        let mut details = Vec::with_capacity(found.len());
        for (id, f) in ids.iter().zip(found) {
            match f {
                Ok(i) => details.push(detail(&account, &name, &i)),
                Err(_) => return Err(image_not_found(&account, &name, &id.raw)),
            }
        }
        super::scanning::annotate(ctx, &account, &name, &mut details).await?;
        return reply(DescribeImagesResponse {
            image_details: details,
            next_token: None,
        });
    }
    let after = token
        .map(|t| read_token("DescribeImages", &t))
        .transpose()?;
    let Some(status) = status else {
        return reply(DescribeImagesResponse {
            image_details: Vec::new(),
            next_token: None,
        });
    };
    let (images, more) = registry
        .images(
            &account,
            &name,
            status,
            after.as_deref(),
            max.unwrap_or(DEFAULT_PAGE) as u32,
        )
        .await
        .map_err(core_error)?;
    let next_token = images
        .last()
        .filter(|_| more)
        .map(|last| next_token("DescribeImages", &last.digest.to_string()));
    let mut details: Vec<_> = images.iter().map(|i| detail(&account, &name, i)).collect();
    super::scanning::annotate(ctx, &account, &name, &mut details).await?;
    reply(DescribeImagesResponse {
        image_details: details,
        next_token,
    })
}

pub async fn batch_delete_image(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: BatchDeleteImageRequest = inp.request()?;
    let (account, name) = ctx.target(&req.registry_id, &req.repository_name)?;
    let ids = parse_ids(req.image_ids.as_deref().unwrap_or_default());
    let mut done = ctx
        .state
        .registry
        .delete_images(&account, &name, &valid_refs(&ids))
        .await
        .map_err(core_error)?
        .into_iter();
    let mut deleted = Vec::new();
    let mut failures = Vec::new();
    for id in &ids {
        if let Err((code, reason)) = &id.parsed {
            failures.push(failure(&id.raw, code, reason));
            continue;
        }
        match done.next() {
            Some(Ok(ImageDeletion::Deleted { digest, tags, .. })) => {
                if tags.is_empty() {
                    deleted.push(image_id(&digest, None));
                }
                for t in &tags {
                    deleted.push(image_id(&digest, Some(t)));
                }
            }
            Some(Ok(ImageDeletion::ReferencedByIndex)) => failures.push(failure(
                &id.raw,
                "ImageReferencedByManifestList",
                "Requested image is referenced by an image index in this repository; delete the index first",
            )),
            Some(Ok(ImageDeletion::NotFound)) => {
                failures.push(miss_failure(&id.raw, ImageMiss::NotFound))
            }
            Some(Err(miss)) => failures.push(miss_failure(&id.raw, miss)),
            None => {}
        }
    }
    reply(BatchDeleteImageResponse {
        image_ids: deleted,
        failures,
    })
}
