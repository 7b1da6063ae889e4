//! The requests of the IAM actions Berth serves, with the constraints it checks before the
//! directory does (which checks names, paths and documents itself).

use berth_iam::directory::PolicyScope;
use serde::Deserialize;

use super::shapes::{EntityKind, KeyStatus};
use crate::aws::{Checks, Request};

/// `MaxItems` of a listing: 1 to 1000.
fn check_max_items(c: &mut Checks, max_items: Option<i64>) {
    c.range("maxItems", max_items, 1, 1000);
}

/// Create…: an entity's path (default `/`) and name.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateUserRequest {
    pub path: Option<String>,
    pub user_name: Option<String>,
}

impl Request for CreateUserRequest {
    fn check(&self, c: &mut Checks) {
        c.required("userName", self.user_name.as_ref());
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGroupRequest {
    pub path: Option<String>,
    pub group_name: Option<String>,
}

impl Request for CreateGroupRequest {
    fn check(&self, c: &mut Checks) {
        c.required("groupName", self.group_name.as_ref());
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateRoleRequest {
    pub path: Option<String>,
    pub role_name: Option<String>,
    pub assume_role_policy_document: Option<String>,
    pub max_session_duration: Option<i64>,
    pub description: Option<String>,
}

impl Request for CreateRoleRequest {
    fn check(&self, c: &mut Checks) {
        c.required("roleName", self.role_name.as_ref());
        c.required(
            "assumeRolePolicyDocument",
            self.assume_role_policy_document.as_ref(),
        );
        c.range(
            "maxSessionDuration",
            self.max_session_duration,
            3600,
            43_200,
        );
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePolicyRequest {
    pub path: Option<String>,
    pub policy_name: Option<String>,
    pub policy_document: Option<String>,
    pub description: Option<String>,
}

impl Request for CreatePolicyRequest {
    fn check(&self, c: &mut Checks) {
        c.required("policyName", self.policy_name.as_ref());
        c.required("policyDocument", self.policy_document.as_ref());
    }
}

/// GetUser, the access key actions: `UserName`, or the caller itself.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKeyRequest {
    pub user_name: Option<String>,
    pub access_key_id: Option<String>,
    pub status: Option<KeyStatus>,
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

impl Request for AccessKeyRequest {
    fn check(&self, c: &mut Checks) {
        check_max_items(c, self.max_items);
    }
}

/// Listings of an account's entities (ListUsers, ListGroups, ListRoles, ListPolicies).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRequest {
    pub path_prefix: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<i64>,
    pub scope: Option<Scope>,
    pub only_attached: Option<bool>,
}

impl ListRequest {
    /// Whether an entity at `path` is within `PathPrefix`.
    pub fn shows(&self, path: &str) -> bool {
        self.path_prefix
            .as_deref()
            .is_none_or(|prefix| path.starts_with(prefix))
    }
}

impl Request for ListRequest {
    fn check(&self, c: &mut Checks) {
        check_max_items(c, self.max_items);
    }
}

/// ListPolicies' `Scope`.
#[derive(Debug, Clone, Copy, Deserialize)]
pub enum Scope {
    All,
    #[serde(rename = "AWS")]
    Aws,
    Local,
}

impl From<Scope> for PolicyScope {
    fn from(s: Scope) -> PolicyScope {
        match s {
            Scope::All => PolicyScope::All,
            Scope::Aws => PolicyScope::Aws,
            Scope::Local => PolicyScope::Local,
        }
    }
}

/// The actions on one user, group or role by name, and on its policies and membership:
/// the entity's name member, and whichever of the others the action takes.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EntityRequest {
    pub user_name: Option<String>,
    pub group_name: Option<String>,
    pub role_name: Option<String>,
    pub policy_name: Option<String>,
    pub policy_document: Option<String>,
    pub policy_arn: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

impl EntityRequest {
    /// The name of the entity of `kind`.
    pub fn name(&self, kind: EntityKind) -> Option<&str> {
        match kind {
            EntityKind::User => self.user_name.as_deref(),
            EntityKind::Group => self.group_name.as_deref(),
            EntityKind::Role => self.role_name.as_deref(),
        }
    }
}

impl Request for EntityRequest {
    fn check(&self, c: &mut Checks) {
        check_max_items(c, self.max_items);
    }
}

/// GetPolicy, GetPolicyVersion, DeletePolicy.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyArnRequest {
    pub policy_arn: Option<String>,
    pub version_id: Option<String>,
}

impl Request for PolicyArnRequest {
    fn check(&self, _: &mut Checks) {}
}
