//! Authorisation: the policies that apply to a request, read through a short-lived cache, and
//! the decision.
//!
//! Identity policies come from the caller's own and its groups' inline and attached policies
//! (AWS managed ones are built in). Resource policies are the repository's and the registry's.
//! Every write through [`Iam`] clears the caches; entries also expire after [`POLICY_TTL`], which
//! bounds how long another node (cluster mode) can act on a policy that has since changed.

use berth_meta::PrincipalKind;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use berth_meta::Principal;

use crate::policy::eval::Named;
use crate::policy::{managed, Caller, Context, Decision, Evaluation, Policy, PolicyKind};
use crate::{AuthError, Iam};

/// How long a cached policy set is trusted.
pub const POLICY_TTL: Duration = Duration::from_secs(5);
const CACHE_MAX: usize = 10_000;

type Policies = Arc<Vec<Arc<Policy>>>;
/// A repository's or registry's policy, if it has one.
type ResourcePolicy = Option<Arc<Policy>>;
/// A cached entry: the value, when it was read, and the cache generation it belongs to.
type Entry<V> = (V, Instant, u64);

#[derive(Default)]
pub(crate) struct PolicyCache {
    generation: AtomicU64,
    identity: Mutex<HashMap<i64, Entry<Policies>>>,
    /// (account, repository) → the repository's policy; (account, "") → the registry's.
    resource: Mutex<HashMap<(String, String), Entry<ResourcePolicy>>>,
    /// account → whether its registry policy scope is V1.
    scope_v1: Mutex<HashMap<String, Entry<bool>>>,
}

fn lookup<K: std::hash::Hash + Eq, V: Clone>(
    map: &Mutex<HashMap<K, Entry<V>>>,
    key: &K,
    generation: u64,
) -> Option<V> {
    let m = map.lock().unwrap_or_else(|p| p.into_inner());
    match m.get(key) {
        Some((v, at, g)) if *g == generation && at.elapsed() < POLICY_TTL => Some(v.clone()),
        _ => None,
    }
}

fn store<K: std::hash::Hash + Eq, V>(
    map: &Mutex<HashMap<K, Entry<V>>>,
    key: K,
    value: V,
    generation: u64,
) {
    let mut m = map.lock().unwrap_or_else(|p| p.into_inner());
    if m.len() >= CACHE_MAX {
        m.clear();
    }
    m.insert(key, (value, Instant::now(), generation));
}

/// Who a principal is, for policies: its ARN, its role's for a role session.
pub fn caller_of(p: &Principal, session: Option<&str>) -> Caller {
    let account = p.account_id.clone();
    match (p.kind, session) {
        (PrincipalKind::Root, _) => Caller {
            arn: format!("arn:aws:iam::{account}:root"),
            account,
            role_arn: None,
            root: true,
        },
        (PrincipalKind::Role, Some(s)) => Caller {
            arn: format!("arn:aws:sts::{account}:assumed-role/{}/{s}", p.name),
            role_arn: Some(role_arn(p)),
            account,
            root: false,
        },
        (kind, _) => Caller {
            arn: format!("arn:aws:iam::{account}:{kind}{}{}", p.path, p.name),
            account,
            role_arn: None,
            root: false,
        },
    }
}

/// The global condition keys that describe the caller.
pub fn principal_context(ctx: &mut Context, p: &Principal, caller: &Caller, session: Option<&str>) {
    ctx.set(
        "aws:PrincipalArn",
        caller
            .role_arn
            .clone()
            .unwrap_or_else(|| caller.arn.clone()),
    )
    .set("aws:PrincipalAccount", p.account_id.clone())
    .set("aws:userid", user_id(p, session));
    match (p.kind, session) {
        (PrincipalKind::Root, _) => {
            ctx.set("aws:PrincipalType", "Account");
        }
        (PrincipalKind::Role, Some(_)) => {
            ctx.set("aws:PrincipalType", "AssumedRole");
        }
        _ => {
            ctx.set("aws:username", p.name.clone())
                .set("aws:PrincipalType", "User");
        }
    }
}

/// AWS's user ID of a caller (`aws:userid`, GetCallerIdentity's `UserId`): the account for its
/// root, `ROLEID:SESSION` for a role session, else the principal's unique ID.
pub fn user_id(p: &Principal, session: Option<&str>) -> String {
    match (p.kind, session) {
        (PrincipalKind::Root, _) => p.account_id.clone(),
        (PrincipalKind::Role, Some(s)) => format!("{}:{s}", p.unique_id),
        _ => p.unique_id.clone(),
    }
}

/// A request to authorise.
pub struct Request<'a> {
    pub principal: &'a Principal,
    pub caller: &'a Caller,
    /// `ecr:BatchGetImage`.
    pub action: &'a str,
    /// The account owning the resource.
    pub account: &'a str,
    /// The repository, for repository actions; `None` for registry-level ones (resource `*`).
    pub repository: Option<&'a str>,
    /// The resource ARN (`*` for registry-level actions).
    pub resource: &'a str,
    /// Whether resource policies take part (not for `ecr:GetAuthorizationToken`).
    pub resource_policies: bool,
    pub context: &'a Context,
    /// A repository policy to decide with in place of the stored one (SetRepositoryPolicy's
    /// lock-out check).
    pub proposed: Option<&'a Policy>,
}

impl Iam {
    /// Forget every cached policy (after any policy or membership change).
    pub fn policies_changed(&self) {
        self.policies.generation.fetch_add(1, Ordering::Relaxed);
    }

    /// Forget every cached policy and verified credential: another node sharing the database
    /// changed identities or policies.
    pub fn forget_cached(&self) {
        self.policies_changed();
        self.forget_verified();
    }

    /// The identity policies of a principal (none for an account's root user).
    pub async fn identity_policies(&self, p: &Principal) -> Result<Policies, AuthError> {
        if p.kind == PrincipalKind::Root {
            return Ok(Arc::new(Vec::new()));
        }
        let generation = self.policies.generation.load(Ordering::Relaxed);
        if let Some(v) = lookup(&self.policies.identity, &p.id, generation) {
            return Ok(v);
        }
        let docs = self.meta.identity_documents(p.id).await?;
        let mut out = Vec::with_capacity(docs.inline.len() + docs.attached.len());
        for d in &docs.inline {
            out.push(Arc::new(parse_stored(d, PolicyKind::Identity)?));
        }
        for (arn, doc) in &docs.attached {
            match (doc, managed::policy(arn)) {
                (Some(d), _) => out.push(Arc::new(parse_stored(d, PolicyKind::Identity)?)),
                (None, Some(builtin)) => out.push(Arc::new(builtin.clone())),
                (None, None) => {
                    tracing::warn!(%arn, "an attached policy no longer exists; ignored")
                }
            }
        }
        let v = Arc::new(out);
        store(&self.policies.identity, p.id, v.clone(), generation);
        Ok(v)
    }

    /// A repository's policy, if it has one.
    pub async fn repository_policy(
        &self,
        account: &str,
        repository: &str,
    ) -> Result<Option<Arc<Policy>>, AuthError> {
        let generation = self.policies.generation.load(Ordering::Relaxed);
        let key = (account.to_string(), repository.to_string());
        if let Some(v) = lookup(&self.policies.resource, &key, generation) {
            return Ok(v);
        }
        let doc = self
            .meta
            .repository_policy(account, repository)
            .await?
            .flatten();
        let v = match doc {
            Some(d) => Some(Arc::new(parse_stored(&d, PolicyKind::Resource)?)),
            None => None,
        };
        store(&self.policies.resource, key, v.clone(), generation);
        Ok(v)
    }

    /// An account's registry policy, if it has one.
    pub async fn registry_policy(&self, account: &str) -> Result<Option<Arc<Policy>>, AuthError> {
        let generation = self.policies.generation.load(Ordering::Relaxed);
        let key = (account.to_string(), String::new());
        if let Some(v) = lookup(&self.policies.resource, &key, generation) {
            return Ok(v);
        }
        let v = match self.meta.registry_policy(account).await? {
            Some(d) => Some(Arc::new(parse_stored(&d, PolicyKind::Resource)?)),
            None => None,
        };
        store(&self.policies.resource, key, v.clone(), generation);
        Ok(v)
    }

    /// Decide a request with every policy that applies to it.
    pub async fn authorize(&self, r: &Request<'_>) -> Result<Decision, AuthError> {
        let identity = self.identity_policies(r.principal).await?;
        let mut resource: Vec<Arc<Policy>> = Vec::new();
        if r.resource_policies {
            if let Some(p) = r.proposed {
                resource.push(Arc::new(p.clone()));
            } else if let Some(repo) = r.repository {
                if let Some(p) = self.repository_policy(r.account, repo).await? {
                    resource.push(p);
                }
            }
            if let Some(p) = self.applicable_registry_policy(r.account, r.action).await? {
                resource.push(p);
            }
        }
        self.evaluate(r, &identity, &resource).await
    }

    /// Whether account `source` may do `action` (`ecr:ReplicateImage`, `ecr:CreateRepository`)
    /// on repository `repository` of account `dest` in `region` by the destination's registry
    /// policy: what ECR asks of a cross-account replication (the source account acts as its
    /// root user; its own identity policies do not take part).
    pub async fn registry_policy_allows(
        &self,
        source: &str,
        dest: &str,
        region: &str,
        repository: &str,
        action: &str,
    ) -> Result<bool, AuthError> {
        let principal = Principal {
            id: 0,
            account_id: source.to_string(),
            kind: PrincipalKind::Root,
            name: "root".to_string(),
            unique_id: source.to_string(),
            path: "/".to_string(),
        };
        let caller = caller_of(&principal, None);
        let mut context = Context::new();
        principal_context(&mut context, &principal, &caller, None);
        let resource = format!("arn:aws:ecr:{region}:{dest}:repository/{repository}");
        let registry = self.applicable_registry_policy(dest, action).await?;
        let resource_policies: Vec<Arc<Policy>> = registry.into_iter().collect();
        let request = Request {
            principal: &principal,
            caller: &caller,
            action,
            account: dest,
            repository: None,
            resource: &resource,
            resource_policies: true,
            context: &context,
            proposed: None,
        };
        let decision = self.evaluate(&request, &[], &resource_policies).await?;
        Ok(decision == Decision::Allow)
    }

    /// Decide `r.action` on each of `names`, repositories of `r.account` (a listing's page):
    /// their policies are read in one query and what is common to all of them (identity
    /// policies, the registry policy) once. `r.repository`, `r.resource` and `r.proposed` are
    /// not used; `arn_of` gives a repository's ARN.
    pub async fn authorize_repositories(
        &self,
        r: &Request<'_>,
        names: &[&str],
        arn_of: impl Fn(&str) -> String,
    ) -> Result<Vec<Decision>, AuthError> {
        let identity = self.identity_policies(r.principal).await?;
        let mut registry = None;
        let mut stored: HashMap<String, Arc<Policy>> = HashMap::new();
        if r.resource_policies {
            registry = self.applicable_registry_policy(r.account, r.action).await?;
            for (name, doc) in self.meta.repository_policies(r.account, names).await? {
                if let Some(d) = doc {
                    stored.insert(name, Arc::new(parse_stored(&d, PolicyKind::Resource)?));
                }
            }
        }
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let resource: Vec<Arc<Policy>> = stored
                .get(*name)
                .into_iter()
                .chain(registry.as_ref())
                .cloned()
                .collect();
            let arn = arn_of(name);
            let one = Request {
                repository: Some(name),
                resource: &arn,
                proposed: None,
                ..*r
            };
            out.push(self.evaluate(&one, &identity, &resource).await?);
        }
        Ok(out)
    }

    /// The registry policy of `account`, when it takes part in deciding `action`.
    async fn applicable_registry_policy(
        &self,
        account: &str,
        action: &str,
    ) -> Result<Option<Arc<Policy>>, AuthError> {
        match self.registry_policy(account).await? {
            Some(p) if self.registry_policy_applies(account, action).await? => Ok(Some(p)),
            _ => Ok(None),
        }
    }

    /// Decide `r` with these identity and resource policies.
    async fn evaluate(
        &self,
        r: &Request<'_>,
        identity: &[Arc<Policy>],
        resource: &[Arc<Policy>],
    ) -> Result<Decision, AuthError> {
        // fast path: the account's own root user with nothing that could deny it
        if r.principal.kind == PrincipalKind::Root
            && resource.is_empty()
            && r.caller.account == r.account
        {
            return Ok(Decision::Allow);
        }
        let ids: Vec<&Policy> = identity.iter().map(|p| p.as_ref()).collect();
        let rps: Vec<&Policy> = resource.iter().map(|p| p.as_ref()).collect();
        let mut ctx_with_tags;
        let mut context = r.context;
        if let Some(repo) = r.repository {
            let wants_tags = ids.iter().chain(&rps).any(|p| p.uses_resource_tags());
            if wants_tags {
                ctx_with_tags = r.context.clone();
                for (k, v) in self.meta.repository_tags_of(r.account, repo).await? {
                    ctx_with_tags.set(&format!("aws:ResourceTag/{k}"), v.clone());
                    ctx_with_tags.set(&format!("ecr:ResourceTag/{k}"), v);
                }
                context = &ctx_with_tags;
            }
        }
        Ok(Evaluation {
            action: r.action,
            resource: r.resource,
            resource_account: r.account,
            caller: r.caller,
            context,
        }
        .decide(&ids, &rps))
    }

    /// Whether the registry policy takes part for `action`: always under the V2 scope (the
    /// default), and under V1 only for replication, pull-through imports and repository creation.
    async fn registry_policy_applies(
        &self,
        account: &str,
        action: &str,
    ) -> Result<bool, AuthError> {
        let generation = self.policies.generation.load(Ordering::Relaxed);
        let v1 = match lookup(&self.policies.scope_v1, &account.to_string(), generation) {
            Some(v1) => v1,
            None => {
                let scope = self
                    .meta
                    .account_setting(account, "REGISTRY_POLICY_SCOPE")
                    .await?;
                let v1 = scope.as_deref() == Some("V1");
                store(&self.policies.scope_v1, account.to_string(), v1, generation);
                v1
            }
        };
        Ok(!v1 || V1_ACTIONS.iter().any(|a| a.eq_ignore_ascii_case(action)))
    }
}

impl Iam {
    /// Whether `caller` may assume `role` (`sts:AssumeRole`): the role's trust policy must allow
    /// it. A trust policy that names the caller itself suffices within the role's account;
    /// otherwise (it names the caller's account, or the caller is another account's) the caller's
    /// identity policies must allow it too. An explicit deny in either refuses.
    pub async fn authorize_assume_role(
        &self,
        principal: &Principal,
        caller: &Caller,
        role: &berth_meta::Role,
        context: &Context,
    ) -> Result<Decision, AuthError> {
        let trust = parse_stored(&role.trust_policy, PolicyKind::Trust)?;
        let identity = self.identity_policies(principal).await?;
        let arn = role_arn(&role.principal);
        let e = Evaluation {
            action: "sts:AssumeRole",
            resource: &arn,
            resource_account: &role.principal.account_id,
            caller,
            context,
        };
        let mut identity_allow = caller.root;
        for p in identity.iter() {
            let o = e.policy(p, false);
            if o.deny {
                return Ok(Decision::ExplicitDeny);
            }
            identity_allow |= o.allow.is_some();
        }
        let t = e.policy(&trust, true);
        if t.deny {
            return Ok(Decision::ExplicitDeny);
        }
        let same_account = caller.account == role.principal.account_id;
        let allowed = match t.allow {
            None => false,
            Some(Named::Caller) if same_account => true,
            Some(_) => identity_allow,
        };
        Ok(if allowed {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        })
    }
}

/// A role's ARN: `arn:aws:iam::ACCOUNT:role/PATH/NAME`.
pub fn role_arn(p: &Principal) -> String {
    format!("arn:aws:iam::{}:role{}{}", p.account_id, p.path, p.name)
}

/// The actions a registry policy may grant under the `V1` scope.
pub const V1_ACTIONS: &[&str] = &[
    "ecr:ReplicateImage",
    "ecr:BatchImportUpstreamImage",
    "ecr:CreateRepository",
];

/// A stored document: valid when it was written, so a failure here is corruption.
fn parse_stored(doc: &str, kind: PolicyKind) -> Result<Policy, AuthError> {
    Policy::parse(doc, kind).map_err(|e| {
        tracing::error!(error = %e, "a stored policy no longer parses");
        AuthError::Meta(berth_meta::MetaError::Corrupt(format!(
            "stored policy does not parse: {e}"
        )))
    })
}
