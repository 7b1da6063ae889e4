//! The request of DescribeImageReplicationStatus.

use serde::Deserialize;
use serde_json::Value;

use super::check_target;
use crate::aws::{Checks, Request};
use crate::ecr::image_ids::check_ids;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageReplicationStatusRequest {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub image_id: Option<Value>,
}

impl Request for ImageReplicationStatusRequest {
    fn check(&self, c: &mut Checks) {
        check_target(c, &self.registry_id, &self.repository_name);
        c.required("imageId", self.image_id.as_ref());
        if let Some(id) = &self.image_id {
            check_ids(c, "imageId", Some(std::slice::from_ref(id)), 1);
        }
    }
}
