//! Deciding one request against the policies that apply to it, as AWS does:
//!
//! 1. An explicit `Deny` in any applicable policy (identity, repository, registry, trust) wins.
//! 2. Within one account, an `Allow` in the caller's identity policies suffices, and so does an
//!    `Allow` in a resource policy that names the caller itself (its ARN, its role, or `*`). A
//!    resource policy that names only the caller's *account* delegates to the account: the
//!    identity policies must allow as well.
//! 3. Across accounts both sides must allow: a resource policy that names the caller (or its
//!    account, or `*`) and the caller's identity policies.
//! 4. Otherwise the request is denied (implicitly).
//!
//! An account's root user has no identity policies: on its own side it is always allowed, but
//! explicit denies still apply to it and other accounts' resources still need their policies.

use std::collections::HashMap;

use super::condition::Keys;
use super::pattern::Vars;
use super::{Effect, Negatable, Policy, Principals, Statement};

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: String,
    /// `arn:aws:iam::A:root`, `arn:aws:iam::A:user/NAME` or, for a role session,
    /// `arn:aws:sts::A:assumed-role/ROLE/SESSION`.
    pub arn: String,
    /// For a role session: the role's own ARN (`arn:aws:iam::A:role/PATH/ROLE`).
    pub role_arn: Option<String>,
    pub root: bool,
}

/// The request context: condition keys (compared case-insensitively) and their values.
#[derive(Debug, Clone, Default)]
pub struct Context {
    keys: HashMap<String, Vec<String>>,
}

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.keys
            .insert(key.to_ascii_lowercase(), vec![value.into()]);
        self
    }

    pub fn set_many(&mut self, key: &str, values: Vec<String>) -> &mut Self {
        self.keys.insert(key.to_ascii_lowercase(), values);
        self
    }

    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.keys.get(&key.to_ascii_lowercase()).map(Vec::as_slice)
    }
}

impl Vars for Context {
    fn var(&self, key: &str) -> Option<&str> {
        match self.keys.get(key).map(Vec::as_slice) {
            // only single-valued keys can be policy variables
            Some([one]) => Some(one.as_str()),
            _ => None,
        }
    }
}

impl Keys for Context {
    fn values(&self, key: &str) -> Option<&[String]> {
        self.keys.get(key).map(Vec::as_slice)
    }
}

/// How a resource or trust policy statement named the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Named {
    /// Only through its account (`"AWS": "123456789012"` or the account's root ARN).
    Account,
    /// The caller itself, its role, or everyone (`*`).
    Caller,
}

/// What one policy says about a request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    pub deny: bool,
    /// An allowing statement applied; for resource policies, how it named the caller.
    pub allow: Option<Named>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// An explicit `Deny` applied.
    ExplicitDeny,
    /// Nothing allowed the request.
    ImplicitDeny,
}

impl Decision {
    pub fn allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// The request: an action on a resource by a caller, with its context.
pub struct Evaluation<'a> {
    /// `ecr:PutImage`.
    pub action: &'a str,
    /// The resource's ARN, or `*` for operations on no particular resource.
    pub resource: &'a str,
    /// The account that owns the resource (the caller's own for `*`).
    pub resource_account: &'a str,
    pub caller: &'a Caller,
    pub context: &'a Context,
}

impl Evaluation<'_> {
    /// Decide with the caller's identity policies and the resource's policies (repository,
    /// registry, or a role's trust policy).
    pub fn decide(&self, identity: &[&Policy], resource: &[&Policy]) -> Decision {
        let mut identity_allow = self.caller.root;
        let mut resource_allow: Option<Named> = None;
        for p in identity {
            let o = self.policy(p, false);
            if o.deny {
                return Decision::ExplicitDeny;
            }
            identity_allow |= o.allow.is_some();
        }
        for p in resource {
            let o = self.policy(p, true);
            if o.deny {
                return Decision::ExplicitDeny;
            }
            resource_allow = resource_allow.max(o.allow);
        }
        let same_account = self.caller.account == self.resource_account;
        let allowed = if same_account {
            identity_allow || resource_allow == Some(Named::Caller)
        } else {
            identity_allow && resource_allow.is_some()
        };
        if allowed {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }

    /// What one policy says; `resource_policy` when its statements name principals.
    pub fn policy(&self, policy: &Policy, resource_policy: bool) -> Outcome {
        let mut out = Outcome::default();
        for s in &policy.statements {
            let Some(named) = self.applies(s, resource_policy) else {
                continue;
            };
            match s.effect {
                Effect::Deny => {
                    out.deny = true;
                    return out;
                }
                Effect::Allow => out.allow = out.allow.max(Some(named)),
            }
        }
        out
    }

    /// Whether the statement applies to this request; how it named the caller if so.
    fn applies(&self, s: &Statement, resource_policy: bool) -> Option<Named> {
        let action = self.action.to_ascii_lowercase();
        let action_matches = |list: &Vec<super::pattern::Pattern>| {
            list.iter()
                .any(|p| p.matches(&action, self.context, true, false))
        };
        let action_ok = match &s.action {
            Negatable::Is(l) => action_matches(l),
            Negatable::Not(l) => !action_matches(l),
        };
        if !action_ok {
            return None;
        }
        let resource_matches = |list: &Vec<super::pattern::Pattern>| {
            list.iter()
                .any(|p| p.matches(self.resource, self.context, true, false))
        };
        let resource_ok = match &s.resource {
            None => resource_policy,
            Some(Negatable::Is(l)) => resource_matches(l),
            Some(Negatable::Not(l)) => !resource_matches(l),
        };
        if !resource_ok {
            return None;
        }
        let named = if resource_policy {
            match &s.principal {
                None => return None,
                Some(Negatable::Is(p)) => self.names(p)?,
                Some(Negatable::Not(p)) => {
                    if self.exempt(p) {
                        return None;
                    }
                    Named::Caller
                }
            }
        } else {
            Named::Caller
        };
        if !s.conditions.iter().all(|c| c.holds(self.context)) {
            return None;
        }
        Some(named)
    }

    /// How `Principal` names the caller, if it does.
    fn names(&self, p: &Principals) -> Option<Named> {
        let c = self.caller;
        if p.anyone
            || p.aws
                .iter()
                .any(|a| *a == c.arn || c.role_arn.as_deref() == Some(a.as_str()))
        {
            return Some(Named::Caller);
        }
        let account_root = format!("arn:aws:iam::{}:root", c.account);
        p.aws.contains(&account_root).then_some(Named::Account)
    }

    /// Whether `NotPrincipal` lists the caller (which exempts it from the statement). As in AWS,
    /// an account's ARN exempts only that account's root user, and a role session is exempt
    /// only when its session ARN is listed.
    fn exempt(&self, p: &Principals) -> bool {
        p.anyone || p.aws.contains(&self.caller.arn)
    }
}
