//! The IAM directory beyond users and keys: inline and attached policies of users, groups and
//! roles; groups and their members; roles with their trust policies; customer managed policies.
//! Every change that can alter a decision clears the policy caches.

use berth_meta::{
    Group, ManagedPolicy, MetaError, NewManagedPolicy, NewRole, PolicyOwner, Principal,
    PrincipalKind, Role,
};

use crate::admin_error::AdminError;
use crate::policy::{managed, Policy, PolicyKind};
use crate::{unique_id_with, Iam};

/// What an identity policy belongs to, by name.
#[derive(Debug, Clone, Copy)]
pub enum Entity<'a> {
    User(&'a str),
    Group(&'a str),
    Role(&'a str),
}

impl Entity<'_> {
    fn word(&self) -> &'static str {
        match self {
            Entity::User(_) => "user",
            Entity::Group(_) => "group",
            Entity::Role(_) => "role",
        }
    }

    fn name(&self) -> &str {
        match self {
            Entity::User(n) | Entity::Group(n) | Entity::Role(n) => n,
        }
    }

    /// IAM's quota for the inline policies of this kind (characters, whitespace excluded).
    fn inline_quota(&self) -> usize {
        match self {
            Entity::User(_) => 2048,
            Entity::Group(_) => 5120,
            Entity::Role(_) => 10_240,
        }
    }
}

/// Largest customer managed policy (characters, whitespace excluded), as IAM's quota.
pub const MAX_MANAGED_POLICY: usize = 6144;
/// Role sessions: IAM's bounds and default for `MaxSessionDuration`.
pub const MIN_ROLE_SESSION: i64 = 3600;
pub const MAX_ROLE_SESSION: i64 = 43_200;
/// Largest trust policy, as IAM's default quota.
pub const MAX_TRUST_POLICY: usize = 2048;

/// IAM's path rule: `/` or `/…/`, 1 to 512 printable ASCII characters.
pub fn check_path(path: &str) -> Result<(), AdminError> {
    let ok = (1..=512).contains(&path.len())
        && path.starts_with('/')
        && path.ends_with('/')
        && path.bytes().all(|b| (0x21..0x7f).contains(&b));
    if ok {
        Ok(())
    } else {
        Err(AdminError::Invalid(
            "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.".into(),
        ))
    }
}

/// IAM's rule for group, role and policy names: `[\w+=,.@-]`, 1 to `max` characters.
fn check_name(field: &str, name: &str, max: usize) -> Result<(), AdminError> {
    let ok = (1..=max).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(AdminError::Invalid(format!(
            "The specified value for {field} is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_- (1 to {max} characters)."
        )))
    }
}

/// The result of an insert: a unique violation means the entity exists (`exists` says so).
fn created<T>(r: Result<T, MetaError>, exists: impl FnOnce() -> String) -> Result<T, AdminError> {
    match r {
        Ok(v) => Ok(v),
        Err(MetaError::Db(d))
            if d.as_database_error()
                .is_some_and(|d| d.is_unique_violation()) =>
        {
            Err(AdminError::EntityExists(exists()))
        }
        Err(e) => Err(e.into()),
    }
}

fn size_without_whitespace(doc: &str) -> usize {
    doc.chars().filter(|c| !c.is_whitespace()).count()
}

/// Parse an identity policy document (inline or managed).
fn identity_document(doc: &str) -> Result<Policy, AdminError> {
    Policy::parse(doc, PolicyKind::Identity).map_err(|e| AdminError::MalformedPolicy(e.0))
}

/// A managed policy as IAM shows it: a customer one, or a built-in AWS one.
#[derive(Debug, Clone)]
pub struct PolicyInfo {
    pub name: String,
    pub arn: String,
    pub path: String,
    pub policy_id: String,
    pub description: Option<String>,
    pub document: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub attachments: i64,
    pub aws_managed: bool,
}

impl From<ManagedPolicy> for PolicyInfo {
    fn from(m: ManagedPolicy) -> Self {
        PolicyInfo {
            name: m.name,
            arn: m.arn,
            path: m.path,
            policy_id: m.policy_id,
            description: m.description,
            document: m.document,
            created_at: m.created_at,
            updated_at: m.updated_at,
            attachments: m.attachments,
            aws_managed: false,
        }
    }
}

/// Which managed policies a listing shows (ListPolicies' `Scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyScope {
    All,
    Aws,
    Local,
}

impl Iam {
    /// The owner row of an entity of `account`.
    async fn owner(&self, account: &str, e: Entity<'_>) -> Result<PolicyOwner, AdminError> {
        match e {
            Entity::User(n) => Ok(PolicyOwner::Principal(
                self.principal(account, Some(n)).await?.id,
            )),
            Entity::Role(n) => Ok(PolicyOwner::Principal(
                self.role(account, n).await?.principal.id,
            )),
            Entity::Group(n) => Ok(PolicyOwner::Group(self.group(account, n).await?.id)),
        }
    }

    /// Create or replace an inline policy of a user, group or role.
    pub async fn put_inline_policy(
        &self,
        account: &str,
        e: Entity<'_>,
        policy_name: &str,
        document: &str,
    ) -> Result<(), AdminError> {
        check_name("policyName", policy_name, 128)?;
        let quota = e.inline_quota();
        if size_without_whitespace(document) > quota {
            return Err(AdminError::Limit(format!(
                "Maximum policy size of {quota} bytes exceeded for {} {}",
                e.word(),
                e.name()
            )));
        }
        identity_document(document)?;
        let owner = self.owner(account, e).await?;
        self.meta
            .put_inline_policy(owner, policy_name, document)
            .await?;
        self.policies_changed();
        Ok(())
    }

    fn no_such_inline(e: Entity<'_>, policy_name: &str) -> AdminError {
        AdminError::NoSuchEntity(format!(
            "The {} policy with name {policy_name} cannot be found.",
            e.word()
        ))
    }

    pub async fn inline_policy(
        &self,
        account: &str,
        e: Entity<'_>,
        policy_name: &str,
    ) -> Result<String, AdminError> {
        let owner = self.owner(account, e).await?;
        self.meta
            .inline_policy(owner, policy_name)
            .await?
            .ok_or_else(|| Self::no_such_inline(e, policy_name))
    }

    pub async fn inline_policy_names(
        &self,
        account: &str,
        e: Entity<'_>,
    ) -> Result<Vec<String>, AdminError> {
        let owner = self.owner(account, e).await?;
        Ok(self.meta.inline_policy_names(owner).await?)
    }

    pub async fn delete_inline_policy(
        &self,
        account: &str,
        e: Entity<'_>,
        policy_name: &str,
    ) -> Result<(), AdminError> {
        let owner = self.owner(account, e).await?;
        if !self.meta.delete_inline_policy(owner, policy_name).await? {
            return Err(Self::no_such_inline(e, policy_name));
        }
        self.policies_changed();
        Ok(())
    }

    /// Attach a managed policy: a built-in AWS one, or a customer one of the same account.
    pub async fn attach_policy(
        &self,
        account: &str,
        e: Entity<'_>,
        arn: &str,
    ) -> Result<(), AdminError> {
        let owner = self.owner(account, e).await?;
        let attachable = managed::find(arn).is_some()
            || self
                .meta
                .managed_policy(arn)
                .await?
                .is_some_and(|m| m.account_id == account);
        if !attachable {
            return Err(AdminError::NoSuchPolicy(arn.to_string()));
        }
        self.meta.attach_policy(owner, arn).await?;
        self.policies_changed();
        Ok(())
    }

    pub async fn detach_policy(
        &self,
        account: &str,
        e: Entity<'_>,
        arn: &str,
    ) -> Result<(), AdminError> {
        let owner = self.owner(account, e).await?;
        if !self.meta.detach_policy(owner, arn).await? {
            return Err(AdminError::NoSuchEntity(format!(
                "Policy {arn} was not found."
            )));
        }
        self.policies_changed();
        Ok(())
    }

    /// The managed policies attached to an entity: (name, ARN).
    pub async fn attached_policies(
        &self,
        account: &str,
        e: Entity<'_>,
    ) -> Result<Vec<(String, String)>, AdminError> {
        let owner = self.owner(account, e).await?;
        let arns = self.meta.attached_policies(owner).await?;
        Ok(arns
            .into_iter()
            .map(|arn| {
                let name = arn.rsplit('/').next().unwrap_or(&arn).to_string();
                (name, arn)
            })
            .collect())
    }

    // ---- users ----

    /// An IAM user (or with `None` the account's root) with its creation time.
    pub async fn user(
        &self,
        account: &str,
        name: Option<&str>,
    ) -> Result<(Principal, i64), AdminError> {
        self.account(account).await?;
        let (kind, n) = match name {
            Some(n) => (PrincipalKind::User, n),
            None => (PrincipalKind::Root, "root"),
        };
        self.meta
            .principal_entry(account, kind, n)
            .await?
            .ok_or_else(|| AdminError::NoSuchUser(n.to_string()))
    }

    // ---- groups ----

    pub async fn create_group(
        &self,
        account: &str,
        name: &str,
        path: &str,
    ) -> Result<Group, AdminError> {
        check_name("groupName", name, 128)?;
        check_path(path)?;
        self.account(account).await?;
        created(
            self.meta
                .create_group(account, name, path, &unique_id_with("AGPA"))
                .await,
            || format!("Group with name {name} already exists."),
        )
    }

    pub async fn group(&self, account: &str, name: &str) -> Result<Group, AdminError> {
        self.meta.group(account, name).await?.ok_or_else(|| {
            AdminError::NoSuchEntity(format!("The group with name {name} cannot be found."))
        })
    }

    pub async fn groups(&self, account: &str) -> Result<Vec<Group>, AdminError> {
        self.account(account).await?;
        Ok(self.meta.groups(account).await?)
    }

    pub async fn group_members(&self, group: &Group) -> Result<Vec<(Principal, i64)>, AdminError> {
        Ok(self.meta.group_members(group.id).await?)
    }

    pub async fn delete_group(&self, account: &str, name: &str) -> Result<(), AdminError> {
        let g = self.group(account, name).await?;
        if !self.meta.delete_group(g.id).await? {
            return Err(AdminError::Conflict(
                "Cannot delete entity, must remove users from group and delete policies first."
                    .into(),
            ));
        }
        self.policies_changed();
        Ok(())
    }

    pub async fn add_user_to_group(
        &self,
        account: &str,
        group: &str,
        user: &str,
    ) -> Result<(), AdminError> {
        let g = self.group(account, group).await?;
        let u = self.principal(account, Some(user)).await?;
        self.meta.add_group_member(g.id, u.id).await?;
        self.policies_changed();
        Ok(())
    }

    pub async fn remove_user_from_group(
        &self,
        account: &str,
        group: &str,
        user: &str,
    ) -> Result<(), AdminError> {
        let g = self.group(account, group).await?;
        let u = self.principal(account, Some(user)).await?;
        if !self.meta.remove_group_member(g.id, u.id).await? {
            return Err(AdminError::NoSuchEntity(format!(
                "The user with name {user} is not in group {group}."
            )));
        }
        self.policies_changed();
        Ok(())
    }

    pub async fn groups_for_user(
        &self,
        account: &str,
        user: &str,
    ) -> Result<Vec<Group>, AdminError> {
        let u = self.principal(account, Some(user)).await?;
        Ok(self.meta.groups_of(u.id).await?)
    }

    // ---- roles ----

    /// Create a role that the principals its trust policy names may assume.
    pub async fn create_role(
        &self,
        account: &str,
        name: &str,
        path: &str,
        trust_policy: &str,
        max_session_duration: Option<i64>,
        description: Option<&str>,
    ) -> Result<Role, AdminError> {
        check_name("roleName", name, 64)?;
        check_path(path)?;
        let max = max_session_duration.unwrap_or(MIN_ROLE_SESSION);
        if !(MIN_ROLE_SESSION..=MAX_ROLE_SESSION).contains(&max) {
            return Err(AdminError::Invalid(format!(
                "The requested MaxSessionDuration of {max} seconds is invalid: it must be between {MIN_ROLE_SESSION} and {MAX_ROLE_SESSION} seconds."
            )));
        }
        check_trust_policy(trust_policy)?;
        self.account(account).await?;
        created(
            self.meta
                .create_role(&NewRole {
                    account,
                    name,
                    path,
                    unique_id: &unique_id_with("AROA"),
                    trust_policy,
                    max_session_duration: max,
                    description,
                })
                .await,
            || format!("Role with name {name} already exists."),
        )
    }

    pub async fn role(&self, account: &str, name: &str) -> Result<Role, AdminError> {
        self.meta.role(account, name).await?.ok_or_else(|| {
            AdminError::NoSuchEntity(format!("The role with name {name} cannot be found."))
        })
    }

    pub async fn roles(&self, account: &str) -> Result<Vec<Role>, AdminError> {
        self.account(account).await?;
        Ok(self.meta.roles(account).await?)
    }

    pub async fn update_assume_role_policy(
        &self,
        account: &str,
        name: &str,
        trust_policy: &str,
    ) -> Result<(), AdminError> {
        check_trust_policy(trust_policy)?;
        let r = self.role(account, name).await?;
        self.meta
            .update_trust_policy(r.principal.id, trust_policy)
            .await?;
        Ok(())
    }

    /// Delete a role with no policies left. Sessions of it stop working at once.
    pub async fn delete_role(&self, account: &str, name: &str) -> Result<(), AdminError> {
        let r = self.role(account, name).await?;
        if !self.meta.delete_principal(r.principal.id).await? {
            return Err(AdminError::Conflict(
                "Cannot delete entity, must delete policies first.".into(),
            ));
        }
        self.policies_changed();
        // its sessions' registry tokens may be remembered as verified: no longer
        self.forget_verified();
        Ok(())
    }

    // ---- customer managed policies ----

    pub async fn create_policy(
        &self,
        account: &str,
        name: &str,
        path: &str,
        document: &str,
        description: Option<&str>,
    ) -> Result<PolicyInfo, AdminError> {
        check_name("policyName", name, 128)?;
        check_path(path)?;
        if size_without_whitespace(document) > MAX_MANAGED_POLICY {
            return Err(AdminError::Limit(format!(
                "Cannot exceed quota for PolicySize: {MAX_MANAGED_POLICY}"
            )));
        }
        identity_document(document)?;
        self.account(account).await?;
        let arn = format!("arn:aws:iam::{account}:policy{path}{name}");
        created(
            self.meta
                .create_managed_policy(&NewManagedPolicy {
                    account,
                    name,
                    path,
                    policy_id: &unique_id_with("ANPA"),
                    arn: &arn,
                    description,
                    document,
                })
                .await,
            || format!("A policy called {name} already exists. Duplicate names are not allowed."),
        )
        .map(PolicyInfo::from)
    }

    /// A managed policy by ARN: the account's own, or a built-in AWS one.
    pub async fn managed_policy(&self, account: &str, arn: &str) -> Result<PolicyInfo, AdminError> {
        if let Some(m) = managed::find(arn) {
            return Ok(builtin_info(m, self.meta.attachment_count(arn).await?));
        }
        match self.meta.managed_policy(arn).await? {
            Some(m) if m.account_id == account => Ok(m.into()),
            _ => Err(AdminError::NoSuchEntity(format!(
                "Policy {arn} does not exist or is not attachable."
            ))),
        }
    }

    pub async fn managed_policies(
        &self,
        account: &str,
        scope: PolicyScope,
    ) -> Result<Vec<PolicyInfo>, AdminError> {
        let mut out = Vec::new();
        if scope != PolicyScope::Local {
            for m in managed::MANAGED {
                out.push(builtin_info(m, self.meta.attachment_count(m.arn).await?));
            }
        }
        if scope != PolicyScope::Aws {
            out.extend(
                self.meta
                    .managed_policies(account)
                    .await?
                    .into_iter()
                    .map(PolicyInfo::from),
            );
        }
        Ok(out)
    }

    pub async fn delete_policy(&self, account: &str, arn: &str) -> Result<(), AdminError> {
        let p = self.managed_policy(account, arn).await?;
        if p.aws_managed {
            return Err(AdminError::Invalid(format!(
                "Policy {arn} is an AWS managed policy and cannot be deleted."
            )));
        }
        if !self.meta.delete_managed_policy(arn).await? {
            return Err(AdminError::Conflict(
                "Cannot delete a policy attached to entities.".into(),
            ));
        }
        self.policies_changed();
        Ok(())
    }
}

fn builtin_info(m: &managed::Managed, attachments: i64) -> PolicyInfo {
    PolicyInfo {
        name: m.name.to_string(),
        arn: m.arn.to_string(),
        path: "/".to_string(),
        policy_id: format!(
            "ANPA{}",
            &m.name.to_ascii_uppercase()[..12.min(m.name.len())]
        ),
        description: Some(m.description.to_string()),
        document: m.document.to_string(),
        created_at: 0,
        updated_at: 0,
        attachments,
        aws_managed: true,
    }
}

/// A trust policy: a policy naming principals, whose actions are STS's.
fn check_trust_policy(doc: &str) -> Result<(), AdminError> {
    if size_without_whitespace(doc) > MAX_TRUST_POLICY {
        return Err(AdminError::Limit(format!(
            "Cannot exceed quota for ACLSizePerRole: {MAX_TRUST_POLICY}"
        )));
    }
    Policy::parse(doc, PolicyKind::Trust).map_err(|e| AdminError::MalformedPolicy(e.0))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::caller_of;
    use crate::policy::{Context, Decision};

    const A: &str = "111122223333";
    const B: &str = "444455556666";

    async fn iam() -> (tempfile::TempDir, Iam) {
        let dir = tempfile::tempdir().unwrap();
        let meta = berth_meta::MetaStore::open_sqlite(&dir.path().join("m.db"))
            .await
            .unwrap();
        let iam = Iam::new(meta, crate::MasterKey::generate());
        iam.create_account(Some(A)).await.unwrap();
        iam.create_account(Some(B)).await.unwrap();
        (dir, iam)
    }

    fn allow(action: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
        )
    }

    fn trust(principal: &str, effect: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"{effect}","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
        )
    }

    #[tokio::test]
    async fn group_policies_reach_members_until_they_leave() {
        let (_d, iam) = iam().await;
        let u = iam.create_user(A, "dev").await.unwrap();
        iam.create_group(A, "devs", "/").await.unwrap();
        iam.put_inline_policy(A, Entity::Group("devs"), "p", &allow("ecr:*"))
            .await
            .unwrap();
        assert!(iam.identity_policies(&u).await.unwrap().is_empty());
        iam.add_user_to_group(A, "devs", "dev").await.unwrap();
        assert_eq!(iam.identity_policies(&u).await.unwrap().len(), 1);
        // a group with a member or a policy cannot go; a user in a group cannot either
        assert!(matches!(
            iam.delete_group(A, "devs").await,
            Err(AdminError::Conflict(_))
        ));
        assert!(matches!(
            iam.delete_user(A, "dev").await,
            Err(AdminError::DeleteConflict)
        ));
        iam.remove_user_from_group(A, "devs", "dev").await.unwrap();
        assert!(iam.identity_policies(&u).await.unwrap().is_empty());
        assert!(matches!(
            iam.remove_user_from_group(A, "devs", "dev").await,
            Err(AdminError::NoSuchEntity(_))
        ));
        iam.delete_inline_policy(A, Entity::Group("devs"), "p")
            .await
            .unwrap();
        iam.delete_group(A, "devs").await.unwrap();
        assert!(matches!(
            iam.create_group(A, "bad name", "/").await,
            Err(AdminError::Invalid(_))
        ));
        assert!(matches!(
            iam.create_group(A, "g", "no-slashes").await,
            Err(AdminError::Invalid(_))
        ));
    }

    #[tokio::test]
    async fn managed_policies_attach_within_their_account_and_block_deletion() {
        let (_d, iam) = iam().await;
        iam.create_user(A, "dev").await.unwrap();
        iam.create_user(B, "other").await.unwrap();
        let p = iam
            .create_policy(A, "pull", "/team/", &allow("ecr:BatchGetImage"), None)
            .await
            .unwrap();
        assert_eq!(p.arn, format!("arn:aws:iam::{A}:policy/team/pull"));
        assert!(matches!(
            iam.create_policy(A, "PULL", "/", &allow("ecr:*"), None)
                .await,
            Err(AdminError::EntityExists(_))
        ));
        // another account cannot attach or see it
        assert!(matches!(
            iam.attach_policy(B, Entity::User("other"), &p.arn).await,
            Err(AdminError::NoSuchPolicy(_))
        ));
        assert!(iam.managed_policy(B, &p.arn).await.is_err());
        iam.attach_policy(A, Entity::User("dev"), &p.arn)
            .await
            .unwrap();
        assert_eq!(iam.managed_policy(A, &p.arn).await.unwrap().attachments, 1);
        assert!(matches!(
            iam.delete_policy(A, &p.arn).await,
            Err(AdminError::Conflict(_))
        ));
        iam.detach_policy(A, Entity::User("dev"), &p.arn)
            .await
            .unwrap();
        iam.delete_policy(A, &p.arn).await.unwrap();
        let local = iam.managed_policies(A, PolicyScope::Local).await.unwrap();
        assert!(local.is_empty());
        let aws = iam.managed_policies(A, PolicyScope::Aws).await.unwrap();
        assert!(aws.iter().all(|p| p.aws_managed) && !aws.is_empty());
        // inline policies have IAM's per-kind quotas
        let big = allow(&format!("ecr:{}", "A".repeat(2100)));
        assert!(matches!(
            iam.put_inline_policy(A, Entity::User("dev"), "big", &big)
                .await,
            Err(AdminError::Limit(_))
        ));
    }

    #[tokio::test]
    async fn assume_role_needs_the_trust_policy_and_across_accounts_the_identity_too() {
        let (_d, iam) = iam().await;
        let alice = iam.create_user(A, "alice").await.unwrap();
        let bob = iam.create_user(B, "bob").await.unwrap();
        let ctx = Context::new();
        let decide = |role: berth_meta::Role, who: Principal| {
            let iam = &iam;
            let ctx = &ctx;
            async move {
                iam.authorize_assume_role(&who, &caller_of(&who, None), &role, ctx)
                    .await
                    .unwrap()
            }
        };
        // the trust policy names alice herself: that suffices in her account
        let named = iam
            .create_role(
                A,
                "named",
                "/",
                &trust(&format!("arn:aws:iam::{A}:user/alice"), "Allow"),
                None,
                None,
            )
            .await
            .unwrap();
        assert_eq!(decide(named.clone(), alice.clone()).await, Decision::Allow);
        // it names the account: alice's own policies must allow sts:AssumeRole
        let account = iam
            .create_role(A, "account", "/", &trust(A, "Allow"), None, None)
            .await
            .unwrap();
        assert_eq!(
            decide(account.clone(), alice.clone()).await,
            Decision::ImplicitDeny
        );
        iam.put_inline_policy(A, Entity::User("alice"), "assume", &allow("sts:AssumeRole"))
            .await
            .unwrap();
        assert_eq!(
            decide(account.clone(), alice.clone()).await,
            Decision::Allow
        );
        // another account: trusted by name, bob still needs his own policy
        let cross = iam
            .create_role(
                A,
                "cross",
                "/",
                &trust(&format!("arn:aws:iam::{B}:user/bob"), "Allow"),
                None,
                None,
            )
            .await
            .unwrap();
        assert_eq!(
            decide(cross.clone(), bob.clone()).await,
            Decision::ImplicitDeny
        );
        iam.put_inline_policy(B, Entity::User("bob"), "assume", &allow("sts:AssumeRole"))
            .await
            .unwrap();
        assert_eq!(decide(cross.clone(), bob.clone()).await, Decision::Allow);
        // a role that trusts nobody in particular, and an explicit deny
        assert_eq!(
            decide(named.clone(), bob.clone()).await,
            Decision::ImplicitDeny
        );
        iam.update_assume_role_policy(
            A,
            "account",
            &trust(&format!("arn:aws:iam::{A}:user/alice"), "Deny"),
        )
        .await
        .unwrap();
        let account = iam.role(A, "account").await.unwrap();
        assert_eq!(decide(account, alice.clone()).await, Decision::ExplicitDeny);
        // trust policies are validated: principals required, limits on the session length
        assert!(matches!(
            iam.create_role(A, "bad", "/", &allow("sts:AssumeRole"), None, None)
                .await,
            Err(AdminError::MalformedPolicy(_))
        ));
        assert!(matches!(
            iam.create_role(A, "long", "/", &trust(A, "Allow"), Some(86_400), None)
                .await,
            Err(AdminError::Invalid(_))
        ));
        assert!(matches!(
            iam.create_role(A, "named", "/", &trust(A, "Allow"), None, None)
                .await,
            Err(AdminError::EntityExists(_))
        ));
        // a role with policies cannot be deleted until they are gone
        iam.attach_policy(
            A,
            Entity::Role("named"),
            crate::policy::managed::MANAGED[0].arn,
        )
        .await
        .unwrap();
        assert!(matches!(
            iam.delete_role(A, "named").await,
            Err(AdminError::Conflict(_))
        ));
        iam.detach_policy(
            A,
            Entity::Role("named"),
            crate::policy::managed::MANAGED[0].arn,
        )
        .await
        .unwrap();
        iam.delete_role(A, "named").await.unwrap();
        assert!(iam.role(A, "named").await.is_err());
    }
}
