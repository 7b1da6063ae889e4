//! IAM's output shapes: users, groups, roles, policies and access keys as the service model
//! names their members, and [`Page`], the paged listings (`Marker`, `MaxItems`).

use berth_iam::directory::PolicyInfo;
use berth_meta::{AccessKeyInfo, Group as GroupRow, Principal, PrincipalKind, Role as RoleRow};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};

use crate::authz::iso8601;
use crate::query::Members;

/// RFC 3986 percent-encoding, as IAM returns policy documents (botocore decodes them).
fn url_encode(s: &str) -> String {
    berth_iam::sigv4::uri_encode(s.as_bytes(), false)
}

pub(super) fn date(millis: i64) -> String {
    iso8601(millis.div_euclid(1000))
}

/// What an action addresses by name: a user, a group or a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    User,
    Group,
    Role,
}

impl EntityKind {
    /// The word in its ARN (`arn:aws:iam::…:user/…`).
    pub fn word(self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Group => "group",
            EntityKind::Role => "role",
        }
    }

    /// The request member that names it, as the service's messages name it.
    pub fn member(self) -> &'static str {
        match self {
            EntityKind::User => "userName",
            EntityKind::Group => "groupName",
            EntityKind::Role => "roleName",
        }
    }
}

pub(super) fn entity_arn(account: &str, kind: EntityKind, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:{}{path}{name}", kind.word())
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct User {
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_name: Option<String>,
    user_id: String,
    arn: String,
    create_date: String,
}

impl User {
    /// A user, or the account's root (which has no name or path).
    pub fn of(p: &Principal, created: i64) -> User {
        if p.kind == PrincipalKind::Root {
            return User {
                path: None,
                user_name: None,
                user_id: p.account_id.clone(),
                arn: format!("arn:aws:iam::{}:root", p.account_id),
                create_date: date(created),
            };
        }
        User {
            path: Some(p.path.clone()),
            user_name: Some(p.name.clone()),
            user_id: p.unique_id.clone(),
            arn: entity_arn(&p.account_id, EntityKind::User, &p.path, &p.name),
            create_date: date(created),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Group {
    path: String,
    group_name: String,
    group_id: String,
    arn: String,
    create_date: String,
}

impl From<&GroupRow> for Group {
    fn from(g: &GroupRow) -> Group {
        Group {
            path: g.path.clone(),
            group_name: g.name.clone(),
            group_id: g.unique_id.clone(),
            arn: entity_arn(&g.account_id, EntityKind::Group, &g.path, &g.name),
            create_date: date(g.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role {
    path: String,
    role_name: String,
    role_id: String,
    arn: String,
    create_date: String,
    assume_role_policy_document: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    max_session_duration: i64,
}

impl From<&RoleRow> for Role {
    fn from(r: &RoleRow) -> Role {
        let p = &r.principal;
        Role {
            path: p.path.clone(),
            role_name: p.name.clone(),
            role_id: p.unique_id.clone(),
            arn: berth_iam::authz::role_arn(p),
            create_date: date(r.created_at),
            assume_role_policy_document: url_encode(&r.trust_policy),
            description: r.description.clone(),
            max_session_duration: r.max_session_duration,
        }
    }
}

/// The one version Berth keeps of a managed policy.
const VERSION: &str = "v1";

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Policy {
    policy_name: String,
    policy_id: String,
    arn: String,
    path: String,
    default_version_id: &'static str,
    attachment_count: i64,
    permissions_boundary_usage_count: i64,
    is_attachable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    create_date: String,
    update_date: String,
}

impl From<&PolicyInfo> for Policy {
    fn from(p: &PolicyInfo) -> Policy {
        Policy {
            policy_name: p.name.clone(),
            policy_id: p.policy_id.clone(),
            arn: p.arn.clone(),
            path: p.path.clone(),
            default_version_id: VERSION,
            attachment_count: p.attachments,
            permissions_boundary_usage_count: 0,
            is_attachable: true,
            description: p.description.clone(),
            create_date: date(p.created_at),
            update_date: date(p.updated_at),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersion {
    document: String,
    version_id: &'static str,
    is_default_version: bool,
    create_date: String,
}

impl PolicyVersion {
    /// The version a request names, if the policy has it.
    pub fn of(p: &PolicyInfo, version: &str) -> Option<PolicyVersion> {
        (version == VERSION).then(|| PolicyVersion {
            document: url_encode(&p.document),
            version_id: VERSION,
            is_default_version: true,
            create_date: date(p.created_at),
        })
    }
}

/// An access key's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    Active,
    Inactive,
}

impl KeyStatus {
    pub fn of(active: bool) -> KeyStatus {
        if active {
            KeyStatus::Active
        } else {
            KeyStatus::Inactive
        }
    }
}

/// A new access key, with its secret (shown this once).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKey {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    pub access_key_id: String,
    pub status: KeyStatus,
    pub secret_access_key: String,
    pub create_date: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKeyMetadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_name: Option<String>,
    access_key_id: String,
    status: KeyStatus,
    create_date: String,
}

impl AccessKeyMetadata {
    pub fn of(user_name: Option<&str>, k: &AccessKeyInfo) -> AccessKeyMetadata {
        AccessKeyMetadata {
            user_name: user_name.map(str::to_string),
            access_key_id: k.access_key_id.clone(),
            status: KeyStatus::of(k.active),
            create_date: date(k.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedPolicy {
    pub policy_name: String,
    pub policy_arn: String,
}

/// An inline policy of a user, group or role (GetUserPolicy…): the owner named by its kind's
/// member.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EntityPolicy {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role_name: Option<String>,
    policy_name: String,
    policy_document: String,
}

impl EntityPolicy {
    pub fn new(kind: EntityKind, owner: &str, policy_name: &str, document: &str) -> EntityPolicy {
        let owner = Some(owner.to_string());
        let named = |k: EntityKind| if k == kind { owner.clone() } else { None };
        EntityPolicy {
            user_name: named(EntityKind::User),
            group_name: named(EntityKind::Group),
            role_name: named(EntityKind::Role),
            policy_name: policy_name.to_string(),
            policy_document: url_encode(document),
        }
    }
}

/// The output of an action that answers one entity: `<User>…</User>` and so on.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserResult {
    pub user: User,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupResult {
    pub group: Group,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleResult {
    pub role: Role,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyResult {
    pub policy: Policy,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersionResult {
    pub policy_version: PolicyVersion,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKeyResult {
    pub access_key: AccessKey,
}

/// GetGroup: the group and a page of its members.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetGroupResult {
    pub group: Group,
    pub users: Members<User>,
    pub is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// One page of a sorted listing: the items in the list member the action names (`Users`),
/// `IsTruncated`, and the `Marker` of the next page.
#[derive(Debug)]
pub struct Page<T> {
    list: &'static str,
    pub items: Vec<T>,
    pub is_truncated: bool,
    pub marker: Option<String>,
}

impl<T> Page<T> {
    /// The page after `marker` (the last key of the previous page) of at most `max_items`
    /// (default 100) of `items`, sorted by `key`.
    pub fn of(
        list: &'static str,
        items: Vec<T>,
        marker: Option<&str>,
        max_items: Option<i64>,
        key: impl Fn(&T) -> &str,
    ) -> Page<T> {
        let max = usize::try_from(max_items.unwrap_or(100)).unwrap_or(100);
        let start = marker.map_or(0, |m| {
            items.iter().position(|i| key(i) > m).unwrap_or(items.len())
        });
        let total = items.len();
        let shown: Vec<T> = items.into_iter().skip(start).take(max).collect();
        let is_truncated = start + shown.len() < total;
        let marker = shown
            .last()
            .filter(|_| is_truncated)
            .map(|last| key(last).to_string());
        Page {
            list,
            items: shown,
            is_truncated,
            marker,
        }
    }

    /// The page with its items shaped for the output.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            list: self.list,
            items: self.items.into_iter().map(f).collect(),
            is_truncated: self.is_truncated,
            marker: self.marker,
        }
    }
}

impl<T: Serialize> Serialize for Page<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("Page", 3)?;
        out.serialize_field(
            self.list,
            &Members::from(self.items.iter().collect::<Vec<_>>()),
        )?;
        out.serialize_field("IsTruncated", &self.is_truncated)?;
        if let Some(m) = &self.marker {
            out.serialize_field("Marker", m)?;
        }
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(p: &Page<String>) -> Vec<&str> {
        p.items.iter().map(String::as_str).collect()
    }

    #[test]
    fn pages_follow_the_marker() {
        let all: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let p = Page::of("Users", all.clone(), None, Some(2), |s| s.as_str());
        assert_eq!((names(&p), p.is_truncated), (vec!["a", "b"], true));
        assert_eq!(p.marker.as_deref(), Some("b"));
        let p = Page::of("Users", all.clone(), Some("b"), Some(2), |s| s.as_str());
        assert_eq!(
            (names(&p), p.is_truncated, p.marker.as_deref()),
            (vec!["c"], false, None)
        );
        let p = Page::of("Users", all, Some("zz"), None, |s| s.as_str());
        assert!(p.items.is_empty() && !p.is_truncated);
    }

    #[test]
    fn a_page_is_written_in_its_list_member() {
        let p = Page::of("PolicyNames", vec!["x".to_string()], None, None, |s| {
            s.as_str()
        });
        let r = crate::query::reply("ListUserPolicies", &p).unwrap();
        assert_eq!(
            format!("{r:?}"),
            "Reply(\"<ListUserPoliciesResult><PolicyNames><member>x</member></PolicyNames><IsTruncated>false</IsTruncated></ListUserPoliciesResult>\")"
        );
    }
}
