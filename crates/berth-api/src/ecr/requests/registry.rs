//! Requests of GetAccountSetting, PutAccountSetting and GetAuthorizationToken.

use serde::Deserialize;

use crate::aws::{Checks, Request};

#[derive(Debug, Deserialize)]
pub struct GetAccountSettingRequest {
    pub name: Option<String>,
}

impl Request for GetAccountSettingRequest {
    fn check(&self, c: &mut Checks) {
        c.required_length("name", self.name.as_deref(), 1, 64);
    }
}

#[derive(Debug, Deserialize)]
pub struct AccountSettingRequest {
    pub name: Option<String>,
    pub value: Option<String>,
}

impl Request for AccountSettingRequest {
    fn check(&self, c: &mut Checks) {
        c.required_length("name", self.name.as_deref(), 1, 64);
        c.required_length("value", self.value.as_deref(), 1, 64);
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetAuthorizationTokenRequest {
    pub registry_ids: Option<Vec<String>>,
}

impl Request for GetAuthorizationTokenRequest {
    fn check(&self, c: &mut Checks) {
        c.strings(
            "registryIds",
            self.registry_ids.as_deref(),
            (1, 10),
            (0, usize::MAX),
        );
    }
}
