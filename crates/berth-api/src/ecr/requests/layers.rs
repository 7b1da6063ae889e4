//! Requests of the layer operations.

use serde::Deserialize;

use super::check_target;
use crate::aws::{Checks, Request};

/// `layerDigests`: required, 1 to 100.
fn check_layer_digests(c: &mut Checks, v: &Option<Vec<String>>) {
    c.required("layerDigests", v.as_ref());
    c.strings("layerDigests", v.as_deref(), (1, 100), (0, usize::MAX));
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchCheckLayerAvailabilityRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub layer_digests: Option<Vec<String>>,
}

impl Request for BatchCheckLayerAvailabilityRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        check_layer_digests(c, &self.layer_digests);
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadLayerPartRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub upload_id: Option<String>,
    pub part_first_byte: Option<i64>,
    pub part_last_byte: Option<i64>,
    pub layer_part_blob: Option<String>,
}

impl Request for UploadLayerPartRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.required("uploadId", self.upload_id.as_ref());
        c.range("partFirstByte", self.part_first_byte, 0, i64::MAX);
        c.range("partLastByte", self.part_last_byte, 0, i64::MAX);
        c.required("partFirstByte", self.part_first_byte.as_ref());
        c.required("partLastByte", self.part_last_byte.as_ref());
        c.required("layerPartBlob", self.layer_part_blob.as_ref());
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteLayerUploadRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub upload_id: Option<String>,
    pub layer_digests: Option<Vec<String>>,
}

impl Request for CompleteLayerUploadRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.required("uploadId", self.upload_id.as_ref());
        check_layer_digests(c, &self.layer_digests);
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetDownloadUrlForLayerRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub layer_digest: Option<String>,
}

impl Request for GetDownloadUrlForLayerRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.required("layerDigest", self.layer_digest.as_ref());
    }
}
