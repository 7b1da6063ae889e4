//! The IAM Query API (`Action=…&Version=2010-05-08`, XML responses, SigV4 service `iam`) on the
//! caller's own account: users and access keys, groups and membership, roles with trust
//! policies, customer managed policies, and the inline and attached policies of users, groups
//! and roles.
//!
//! Every action is authorised as `iam:<Action>` on the entity it addresses (its ARN; `*` for
//! listings), by the caller's identity policies: an account's root may do everything, an IAM user
//! or role session what its policies allow.

use berth_iam::admin::AdminError;
use berth_iam::directory::{Entity, PolicyInfo, PolicyScope};
use berth_meta::{Group, Principal, Role};
use http::StatusCode;

use crate::authz::{iso8601, Subject};
use crate::aws::{AwsCaller, AwsError};
use crate::query::{element, Params};
use crate::AppState;

pub const NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// The actions served; any other answers `InvalidAction`.
pub const ACTIONS: &[&str] = &[
    "CreateUser",
    "GetUser",
    "ListUsers",
    "DeleteUser",
    "CreateAccessKey",
    "ListAccessKeys",
    "UpdateAccessKey",
    "DeleteAccessKey",
    "PutUserPolicy",
    "GetUserPolicy",
    "ListUserPolicies",
    "DeleteUserPolicy",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "ListAttachedUserPolicies",
    "CreateGroup",
    "GetGroup",
    "ListGroups",
    "DeleteGroup",
    "AddUserToGroup",
    "RemoveUserFromGroup",
    "ListGroupsForUser",
    "PutGroupPolicy",
    "GetGroupPolicy",
    "ListGroupPolicies",
    "DeleteGroupPolicy",
    "AttachGroupPolicy",
    "DetachGroupPolicy",
    "ListAttachedGroupPolicies",
    "CreateRole",
    "GetRole",
    "ListRoles",
    "DeleteRole",
    "UpdateAssumeRolePolicy",
    "PutRolePolicy",
    "GetRolePolicy",
    "ListRolePolicies",
    "DeleteRolePolicy",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "ListAttachedRolePolicies",
    "CreatePolicy",
    "GetPolicy",
    "GetPolicyVersion",
    "ListPolicies",
    "DeletePolicy",
];

/// IAM's error code and status for `e` (the admin API shares the codes).
pub(crate) fn error(e: AdminError) -> AwsError {
    use AdminError as A;
    let msg = e.to_string();
    let conflict = |code| AwsError::new(code, msg.clone()).status(StatusCode::CONFLICT);
    match e {
        A::NoSuchAccount(_)
        | A::NoSuchUser(_)
        | A::NoSuchKey(_)
        | A::NoSuchPolicy(_)
        | A::NoSuchEntity(_) => AwsError::new("NoSuchEntity", msg).status(StatusCode::NOT_FOUND),
        A::AccountExists(_) | A::UserExists(_) | A::EntityExists(_) => {
            conflict("EntityAlreadyExists")
        }
        A::KeyLimit | A::Limit(_) => conflict("LimitExceeded"),
        A::DeleteConflict | A::Conflict(_) => conflict("DeleteConflict"),
        A::MalformedPolicy(_) => AwsError::new("MalformedPolicyDocument", msg),
        A::InvalidAccountId(_) | A::InvalidUserName | A::Invalid(_) => {
            AwsError::new("ValidationError", msg)
        }
        A::Secret(_) | A::Meta(_) => {
            tracing::error!(error = %msg, "IAM request failed");
            AwsError::new("ServiceFailure", "An internal error occurred")
                .status(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// RFC 3986 percent-encoding, as IAM returns policy documents (botocore decodes them).
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn date(millis: i64) -> String {
    iso8601(millis.div_euclid(1000))
}

fn entity_arn(account: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:{kind}{path}{name}")
}

fn user_xml(p: &Principal, created: i64) -> String {
    if p.kind == "root" {
        return format!(
            "{}{}{}",
            element("UserId", &p.account_id),
            element("Arn", &format!("arn:aws:iam::{}:root", p.account_id)),
            element("CreateDate", &date(created))
        );
    }
    format!(
        "{}{}{}{}{}",
        element("Path", &p.path),
        element("UserName", &p.name),
        element("UserId", &p.unique_id),
        element("Arn", &entity_arn(&p.account_id, "user", &p.path, &p.name)),
        element("CreateDate", &date(created))
    )
}

fn group_xml(g: &Group) -> String {
    format!(
        "{}{}{}{}{}",
        element("Path", &g.path),
        element("GroupName", &g.name),
        element("GroupId", &g.unique_id),
        element("Arn", &entity_arn(&g.account_id, "group", &g.path, &g.name)),
        element("CreateDate", &date(g.created_at))
    )
}

fn role_xml(r: &Role) -> String {
    let p = &r.principal;
    format!(
        "{}{}{}{}{}{}{}{}",
        element("Path", &p.path),
        element("RoleName", &p.name),
        element("RoleId", &p.unique_id),
        element("Arn", &berth_iam::authz::role_arn(p)),
        element("CreateDate", &date(r.created_at)),
        element("AssumeRolePolicyDocument", &url_encode(&r.trust_policy)),
        r.description
            .as_deref()
            .map(|d| element("Description", d))
            .unwrap_or_default(),
        element("MaxSessionDuration", &r.max_session_duration.to_string())
    )
}

fn policy_xml(p: &PolicyInfo) -> String {
    format!(
        "{}{}{}{}{}{}{}{}{}{}{}",
        element("PolicyName", &p.name),
        element("PolicyId", &p.policy_id),
        element("Arn", &p.arn),
        element("Path", &p.path),
        element("DefaultVersionId", "v1"),
        element("AttachmentCount", &p.attachments.to_string()),
        element("PermissionsBoundaryUsageCount", "0"),
        element("IsAttachable", "true"),
        p.description
            .as_deref()
            .map(|d| element("Description", d))
            .unwrap_or_default(),
        element("CreateDate", &date(p.created_at)),
        element("UpdateDate", &date(p.updated_at))
    )
}

/// One page of a sorted listing, by `Marker` (the last key of the previous page) and
/// `MaxItems` (1..1000, default 100): the members' XML inside `<{list}>`, `IsTruncated` and the
/// next `Marker`.
fn page<T>(
    params: &Params,
    list: &str,
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    xml: impl Fn(&T) -> String,
) -> Result<String, AwsError> {
    let max = params.integer("MaxItems", 1, 1000)?.unwrap_or(100) as usize;
    let marker = params.get("Marker");
    let start = match marker {
        Some(m) => items
            .iter()
            .position(|i| key(i).as_str() > m)
            .unwrap_or(items.len()),
        None => 0,
    };
    let shown: Vec<&T> = items.iter().skip(start).take(max).collect();
    let truncated = start + shown.len() < items.len();
    let mut out = format!("<{list}>");
    for i in &shown {
        out.push_str("<member>");
        out.push_str(&xml(i));
        out.push_str("</member>");
    }
    out.push_str(&format!("</{list}>"));
    out.push_str(&element(
        "IsTruncated",
        if truncated { "true" } else { "false" },
    ));
    if truncated {
        if let Some(last) = shown.last() {
            out.push_str(&element("Marker", &key(last)));
        }
    }
    Ok(out)
}

fn path_prefix_ok(params: &Params, path: &str) -> bool {
    params
        .get("PathPrefix")
        .is_none_or(|prefix| path.starts_with(prefix))
}

/// Run one IAM action for `caller`: the action's name and its result element's content
/// (empty for actions without output).
pub async fn dispatch(
    state: &AppState,
    caller: &AwsCaller,
    peer: Option<std::net::IpAddr>,
    body: &[u8],
) -> Result<(String, String), AwsError> {
    let params = Params::parse(body);
    let action = params.action().to_string();
    if action.is_empty() {
        return Err(AwsError::new("MissingAction", "Missing Action"));
    }
    if !ACTIONS.contains(&action.as_str()) {
        return Err(AwsError::new(
            "InvalidAction",
            format!("Could not find operation {action} for version 2010-05-08"),
        ));
    }
    let subject = Subject::new(
        state,
        caller.principal.clone(),
        caller.session.as_deref(),
        peer,
    );
    let ctx = Call {
        state,
        subject: &subject,
        action: &action,
        params: &params,
    };
    let result = ctx.run().await?;
    Ok((action, result))
}

struct Call<'a> {
    state: &'a AppState,
    subject: &'a Subject,
    action: &'a str,
    params: &'a Params,
}

impl Call<'_> {
    /// IAM acts on the caller's own account.
    fn account(&self) -> &str {
        &self.subject.principal.account_id
    }

    fn iam(&self) -> &berth_iam::Iam {
        &self.state.iam
    }

    /// Refuse unless the caller's policies allow `iam:<Action>` on `resource`.
    async fn authorize(&self, resource: &str) -> Result<(), AwsError> {
        let action = format!("iam:{}", self.action);
        let d = self
            .subject
            .decide_identity(self.state, &action, resource)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "authorization failed");
                AwsError::new("ServiceFailure", "An internal error occurred")
                    .status(StatusCode::INTERNAL_SERVER_ERROR)
            })?;
        if d.allowed() {
            return Ok(());
        }
        Err(AwsError::new(
            "AccessDenied",
            crate::authz::denial_message(self.subject, &action, resource, d),
        )
        .status(StatusCode::FORBIDDEN))
    }

    fn required(&self, name: &str) -> Result<&str, AwsError> {
        self.params.required(name)
    }

    /// `UserName`, or the calling user itself (IAM's default for key and user operations).
    fn user_name(&self) -> Result<Option<String>, AwsError> {
        if let Some(n) = self.params.get("UserName") {
            return Ok(Some(n.to_string()));
        }
        let p = &self.subject.principal;
        match p.kind.as_str() {
            "user" => Ok(Some(p.name.clone())),
            "root" => Ok(None),
            _ => Err(AwsError::new(
                "ValidationError",
                "Must specify userName when calling with non-User credentials",
            )),
        }
    }

    /// The ARN of an entity by name: its stored path when it exists, else `path`.
    async fn arn_of(&self, kind: &str, name: &str, path: &str) -> Result<String, AwsError> {
        let a = self.account();
        let stored = match kind {
            "user" => self
                .iam()
                .user(a, Some(name))
                .await
                .ok()
                .map(|(p, _)| p.path),
            "role" => self
                .iam()
                .role(a, name)
                .await
                .ok()
                .map(|r| r.principal.path),
            _ => self.iam().group(a, name).await.ok().map(|g| g.path),
        };
        Ok(entity_arn(a, kind, stored.as_deref().unwrap_or(path), name))
    }

    /// The entity an action on policies addresses, authorised.
    async fn entity(&self) -> Result<(Entity<'_>, &str), AwsError> {
        let (field, kind) = if self.action.contains("User") {
            ("UserName", "user")
        } else if self.action.contains("Group") {
            ("GroupName", "group")
        } else {
            ("RoleName", "role")
        };
        let name = self.required(field)?;
        let arn = self.arn_of(kind, name, "/").await?;
        self.authorize(&arn).await?;
        let e = match kind {
            "user" => Entity::User(name),
            "group" => Entity::Group(name),
            _ => Entity::Role(name),
        };
        Ok((e, kind))
    }

    async fn run(&self) -> Result<String, AwsError> {
        let a = self.account().to_string();
        let iam = self.iam();
        let path = self.params.get("Path").unwrap_or("/");
        match self.action {
            // ---- users ----
            "CreateUser" => {
                let name = self.required("UserName")?;
                self.authorize(&entity_arn(&a, "user", path, name)).await?;
                let p = iam.create_user_at(&a, name, path).await.map_err(error)?;
                Ok(format!(
                    "<User>{}</User>",
                    user_xml(&p, berth_meta::now_millis())
                ))
            }
            "GetUser" => {
                let name = self.user_name()?;
                let resource = match &name {
                    Some(n) => self.arn_of("user", n, "/").await?,
                    None => format!("arn:aws:iam::{a}:root"),
                };
                self.authorize(&resource).await?;
                let (p, created) = iam.user(&a, name.as_deref()).await.map_err(error)?;
                Ok(format!("<User>{}</User>", user_xml(&p, created)))
            }
            "ListUsers" => {
                self.authorize("*").await?;
                let users: Vec<_> = iam
                    .users(&a)
                    .await
                    .map_err(error)?
                    .into_iter()
                    .filter(|(p, _)| path_prefix_ok(self.params, &p.path))
                    .collect();
                page(
                    self.params,
                    "Users",
                    users,
                    |(p, _)| p.name.clone(),
                    |(p, c)| user_xml(p, *c),
                )
            }
            "DeleteUser" => {
                let name = self.required("UserName")?;
                self.authorize(&self.arn_of("user", name, "/").await?)
                    .await?;
                iam.delete_user(&a, name).await.map_err(error)?;
                Ok(String::new())
            }
            // ---- access keys ----
            "CreateAccessKey" | "ListAccessKeys" | "UpdateAccessKey" | "DeleteAccessKey" => {
                self.access_keys().await
            }
            // ---- inline and attached policies of users, groups and roles ----
            "PutUserPolicy" | "PutGroupPolicy" | "PutRolePolicy" => {
                let (e, _) = self.entity().await?;
                let name = self.required("PolicyName")?;
                let doc = self.required("PolicyDocument")?;
                iam.put_inline_policy(&a, e, name, doc)
                    .await
                    .map_err(error)?;
                Ok(String::new())
            }
            "GetUserPolicy" | "GetGroupPolicy" | "GetRolePolicy" => {
                let (e, kind) = self.entity().await?;
                let name = self.required("PolicyName")?;
                let doc = iam.inline_policy(&a, e, name).await.map_err(error)?;
                let owner = match kind {
                    "user" => "UserName",
                    "group" => "GroupName",
                    _ => "RoleName",
                };
                Ok(format!(
                    "{}{}{}",
                    element(owner, self.required(owner)?),
                    element("PolicyName", name),
                    element("PolicyDocument", &url_encode(&doc))
                ))
            }
            "ListUserPolicies" | "ListGroupPolicies" | "ListRolePolicies" => {
                let (e, _) = self.entity().await?;
                let names = iam.inline_policy_names(&a, e).await.map_err(error)?;
                page(
                    self.params,
                    "PolicyNames",
                    names,
                    |n| n.clone(),
                    |n| crate::query::escape(n),
                )
            }
            "DeleteUserPolicy" | "DeleteGroupPolicy" | "DeleteRolePolicy" => {
                let (e, _) = self.entity().await?;
                let name = self.required("PolicyName")?;
                iam.delete_inline_policy(&a, e, name).await.map_err(error)?;
                Ok(String::new())
            }
            "AttachUserPolicy" | "AttachGroupPolicy" | "AttachRolePolicy" => {
                let (e, _) = self.entity().await?;
                let arn = self.required("PolicyArn")?;
                iam.attach_policy(&a, e, arn).await.map_err(error)?;
                Ok(String::new())
            }
            "DetachUserPolicy" | "DetachGroupPolicy" | "DetachRolePolicy" => {
                let (e, _) = self.entity().await?;
                let arn = self.required("PolicyArn")?;
                iam.detach_policy(&a, e, arn).await.map_err(error)?;
                Ok(String::new())
            }
            "ListAttachedUserPolicies"
            | "ListAttachedGroupPolicies"
            | "ListAttachedRolePolicies" => {
                let (e, _) = self.entity().await?;
                let attached = iam.attached_policies(&a, e).await.map_err(error)?;
                page(
                    self.params,
                    "AttachedPolicies",
                    attached,
                    |(_, arn)| arn.clone(),
                    |(name, arn)| {
                        format!(
                            "{}{}",
                            element("PolicyName", name),
                            element("PolicyArn", arn)
                        )
                    },
                )
            }
            // ---- groups ----
            "CreateGroup" => {
                let name = self.required("GroupName")?;
                self.authorize(&entity_arn(&a, "group", path, name)).await?;
                let g = iam.create_group(&a, name, path).await.map_err(error)?;
                Ok(format!("<Group>{}</Group>", group_xml(&g)))
            }
            "GetGroup" => {
                let name = self.required("GroupName")?;
                self.authorize(&self.arn_of("group", name, "/").await?)
                    .await?;
                let g = iam.group(&a, name).await.map_err(error)?;
                let members = iam.group_members(&g).await.map_err(error)?;
                let users = page(
                    self.params,
                    "Users",
                    members,
                    |(p, _)| p.name.clone(),
                    |(p, c)| user_xml(p, *c),
                )?;
                Ok(format!("<Group>{}</Group>{users}", group_xml(&g)))
            }
            "ListGroups" => {
                self.authorize("*").await?;
                let groups: Vec<Group> = iam
                    .groups(&a)
                    .await
                    .map_err(error)?
                    .into_iter()
                    .filter(|g| path_prefix_ok(self.params, &g.path))
                    .collect();
                page(self.params, "Groups", groups, |g| g.name.clone(), group_xml)
            }
            "DeleteGroup" => {
                let name = self.required("GroupName")?;
                self.authorize(&self.arn_of("group", name, "/").await?)
                    .await?;
                iam.delete_group(&a, name).await.map_err(error)?;
                Ok(String::new())
            }
            "AddUserToGroup" | "RemoveUserFromGroup" => {
                let group = self.required("GroupName")?;
                let user = self.required("UserName")?;
                self.authorize(&self.arn_of("group", group, "/").await?)
                    .await?;
                if self.action == "AddUserToGroup" {
                    iam.add_user_to_group(&a, group, user).await
                } else {
                    iam.remove_user_from_group(&a, group, user).await
                }
                .map_err(error)?;
                Ok(String::new())
            }
            "ListGroupsForUser" => {
                let user = self.required("UserName")?;
                self.authorize(&self.arn_of("user", user, "/").await?)
                    .await?;
                let groups = iam.groups_for_user(&a, user).await.map_err(error)?;
                page(self.params, "Groups", groups, |g| g.name.clone(), group_xml)
            }
            // ---- roles ----
            "CreateRole" => {
                let name = self.required("RoleName")?;
                let trust = self.required("AssumeRolePolicyDocument")?;
                let max = self.params.integer("MaxSessionDuration", 3600, 43_200)?;
                self.authorize(&entity_arn(&a, "role", path, name)).await?;
                let r = iam
                    .create_role(&a, name, path, trust, max, self.params.get("Description"))
                    .await
                    .map_err(error)?;
                Ok(format!("<Role>{}</Role>", role_xml(&r)))
            }
            "GetRole" => {
                let name = self.required("RoleName")?;
                self.authorize(&self.arn_of("role", name, "/").await?)
                    .await?;
                let r = iam.role(&a, name).await.map_err(error)?;
                Ok(format!("<Role>{}</Role>", role_xml(&r)))
            }
            "ListRoles" => {
                self.authorize("*").await?;
                let roles: Vec<Role> = iam
                    .roles(&a)
                    .await
                    .map_err(error)?
                    .into_iter()
                    .filter(|r| path_prefix_ok(self.params, &r.principal.path))
                    .collect();
                page(
                    self.params,
                    "Roles",
                    roles,
                    |r| r.principal.name.clone(),
                    role_xml,
                )
            }
            "DeleteRole" => {
                let name = self.required("RoleName")?;
                self.authorize(&self.arn_of("role", name, "/").await?)
                    .await?;
                iam.delete_role(&a, name).await.map_err(error)?;
                Ok(String::new())
            }
            "UpdateAssumeRolePolicy" => {
                let name = self.required("RoleName")?;
                let doc = self.required("PolicyDocument")?;
                self.authorize(&self.arn_of("role", name, "/").await?)
                    .await?;
                iam.update_assume_role_policy(&a, name, doc)
                    .await
                    .map_err(error)?;
                Ok(String::new())
            }
            // ---- customer managed policies ----
            "CreatePolicy" => {
                let name = self.required("PolicyName")?;
                let doc = self.required("PolicyDocument")?;
                self.authorize(&format!("arn:aws:iam::{a}:policy{path}{name}"))
                    .await?;
                let p = iam
                    .create_policy(&a, name, path, doc, self.params.get("Description"))
                    .await
                    .map_err(error)?;
                Ok(format!("<Policy>{}</Policy>", policy_xml(&p)))
            }
            "GetPolicy" => {
                let arn = self.required("PolicyArn")?;
                self.authorize(arn).await?;
                let p = iam.managed_policy(&a, arn).await.map_err(error)?;
                Ok(format!("<Policy>{}</Policy>", policy_xml(&p)))
            }
            "GetPolicyVersion" => {
                let arn = self.required("PolicyArn")?;
                let version = self.required("VersionId")?;
                self.authorize(arn).await?;
                let p = iam.managed_policy(&a, arn).await.map_err(error)?;
                if version != "v1" {
                    return Err(error(AdminError::NoSuchEntity(format!(
                        "Policy {arn} version {version} does not exist or is not attachable."
                    ))));
                }
                Ok(format!(
                    "<PolicyVersion>{}{}{}{}</PolicyVersion>",
                    element("Document", &url_encode(&p.document)),
                    element("VersionId", "v1"),
                    element("IsDefaultVersion", "true"),
                    element("CreateDate", &date(p.created_at))
                ))
            }
            "ListPolicies" => {
                self.authorize("*").await?;
                let scope = match self.params.get("Scope").unwrap_or("All") {
                    "All" => PolicyScope::All,
                    "AWS" => PolicyScope::Aws,
                    "Local" => PolicyScope::Local,
                    other => {
                        return Err(AwsError::new(
                            "ValidationError",
                            format!("1 validation error detected: Value '{other}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]"),
                        ))
                    }
                };
                let only_attached = self.params.get("OnlyAttached") == Some("true");
                let policies: Vec<PolicyInfo> = iam
                    .managed_policies(&a, scope)
                    .await
                    .map_err(error)?
                    .into_iter()
                    .filter(|p| path_prefix_ok(self.params, &p.path))
                    .filter(|p| !only_attached || p.attachments > 0)
                    .collect();
                page(
                    self.params,
                    "Policies",
                    policies,
                    |p| p.arn.clone(),
                    policy_xml,
                )
            }
            "DeletePolicy" => {
                let arn = self.required("PolicyArn")?;
                self.authorize(arn).await?;
                iam.delete_policy(&a, arn).await.map_err(error)?;
                Ok(String::new())
            }
            other => Err(AwsError::new(
                "InvalidAction",
                format!("Could not find operation {other} for version 2010-05-08"),
            )),
        }
    }

    /// CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey: on `UserName`, or the
    /// caller's own user (or root).
    async fn access_keys(&self) -> Result<String, AwsError> {
        let a = self.account();
        let iam = self.iam();
        let user = self.user_name()?;
        let resource = match &user {
            Some(n) => self.arn_of("user", n, "/").await?,
            None => format!("arn:aws:iam::{a}:root"),
        };
        self.authorize(&resource).await?;
        let (owner, keys) = iam.access_keys(a, user.as_deref()).await.map_err(error)?;
        let owner_name = (owner.kind != "root").then(|| owner.name.clone());
        let user_el = || {
            owner_name
                .as_deref()
                .map(|n| element("UserName", n))
                .unwrap_or_default()
        };
        // a named key must be this user's
        let key_of_user = |id: &str| -> Result<(), AwsError> {
            if keys.iter().any(|k| k.access_key_id == id) {
                Ok(())
            } else {
                Err(error(AdminError::NoSuchKey(id.to_string())))
            }
        };
        match self.action {
            "CreateAccessKey" => {
                let k = iam
                    .create_access_key(a, user.as_deref())
                    .await
                    .map_err(error)?;
                Ok(format!(
                    "<AccessKey>{}{}{}{}{}</AccessKey>",
                    user_el(),
                    element("AccessKeyId", &k.access_key_id),
                    element("Status", "Active"),
                    element("SecretAccessKey", &k.secret_access_key),
                    element("CreateDate", &date(k.created_at))
                ))
            }
            "ListAccessKeys" => {
                let list = page(
                    self.params,
                    "AccessKeyMetadata",
                    keys.clone(),
                    |k| k.access_key_id.clone(),
                    |k| {
                        format!(
                            "{}{}{}{}",
                            user_el(),
                            element("AccessKeyId", &k.access_key_id),
                            element("Status", if k.active { "Active" } else { "Inactive" }),
                            element("CreateDate", &date(k.created_at))
                        )
                    },
                )?;
                Ok(format!("{list}{}", user_el()))
            }
            "UpdateAccessKey" => {
                let id = self.required("AccessKeyId")?;
                let status = self.required("Status")?;
                let active = match status {
                    "Active" => true,
                    "Inactive" => false,
                    other => {
                        return Err(AwsError::new(
                            "ValidationError",
                            format!("1 validation error detected: Value '{other}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"),
                        ))
                    }
                };
                key_of_user(id)?;
                iam.set_access_key_status(a, id, active)
                    .await
                    .map_err(error)?;
                Ok(String::new())
            }
            _ => {
                let id = self.required("AccessKeyId")?;
                key_of_user(id)?;
                iam.delete_access_key(a, id).await.map_err(error)?;
                Ok(String::new())
            }
        }
    }
}
