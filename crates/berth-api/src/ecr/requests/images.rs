//! Requests of PutImage, BatchGetImage, ListImages, DescribeImages, BatchDeleteImage and
//! ListImageReferrers.

use serde::Deserialize;
use serde_json::Value;

use super::check_target;
use crate::aws::{Checks, Request};
use crate::ecr::image_ids::check_ids;

/// `ListImagesFilter` / `DescribeImagesFilter`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageFilter {
    pub tag_status: Option<String>,
    pub image_status: Option<String>,
}

impl ImageFilter {
    fn check(filter: Option<&ImageFilter>, c: &mut Checks) {
        if let Some(f) = filter {
            c.one_of(
                "filter.tagStatus",
                f.tag_status.as_deref(),
                &["TAGGED", "UNTAGGED", "ANY"],
            );
            c.one_of(
                "filter.imageStatus",
                f.image_status.as_deref(),
                &["ACTIVE", "ARCHIVED", "ACTIVATING", "ANY"],
            );
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutImageRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub image_manifest: Option<String>,
    pub image_manifest_media_type: Option<String>,
    pub image_tag: Option<String>,
    pub image_digest: Option<String>,
}

impl Request for PutImageRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.required_length(
            "imageManifest",
            self.image_manifest.as_deref(),
            1,
            4_194_304,
        );
        c.length("imageTag", self.image_tag.as_deref(), 1, 300);
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetImageRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub image_ids: Option<Vec<Value>>,
    pub accepted_media_types: Option<Vec<String>>,
}

impl Request for BatchGetImageRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.required("imageIds", self.image_ids.as_ref());
        check_ids(c, "imageIds", self.image_ids.as_deref(), 1);
        c.strings(
            "acceptedMediaTypes",
            self.accepted_media_types.as_deref(),
            (1, 100),
            (0, usize::MAX),
        );
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListImagesRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
    pub filter: Option<ImageFilter>,
}

impl Request for ListImagesRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.range("maxResults", self.max_results, 1, 1000);
        ImageFilter::check(self.filter.as_ref(), c);
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeImagesRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub image_ids: Option<Vec<Value>>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
    pub filter: Option<ImageFilter>,
}

impl Request for DescribeImagesRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        check_ids(c, "imageIds", self.image_ids.as_deref(), 1);
        c.range("maxResults", self.max_results, 1, 1000);
        ImageFilter::check(self.filter.as_ref(), c);
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchDeleteImageRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub image_ids: Option<Vec<Value>>,
}

impl Request for BatchDeleteImageRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.required("imageIds", self.image_ids.as_ref());
        check_ids(c, "imageIds", self.image_ids.as_deref(), 1);
    }
}

/// `SubjectIdentifier`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubjectIn {
    pub image_digest: Option<String>,
}

/// `ListImageReferrersFilter`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferrersFilter {
    pub artifact_types: Option<Vec<String>>,
    pub artifact_status: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListImageReferrersRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub subject_id: Option<SubjectIn>,
    pub filter: Option<ReferrersFilter>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
}

impl Request for ListImageReferrersRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        match &self.subject_id {
            Some(s) => c.required("subjectId.imageDigest", s.image_digest.as_ref()),
            None => c.required::<SubjectIn>("subjectId", None),
        }
        if let Some(f) = &self.filter {
            c.strings(
                "filter.artifactTypes",
                f.artifact_types.as_deref(),
                (0, 5),
                (0, usize::MAX),
            );
            c.one_of(
                "filter.artifactStatus",
                f.artifact_status.as_deref(),
                &["ACTIVE", "ARCHIVED", "ACTIVATING", "ANY"],
            );
        }
        c.range("maxResults", self.max_results, 1, 50);
    }
}
