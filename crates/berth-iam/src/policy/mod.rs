//! The IAM policy language: parsing and validation of JSON policy documents, and their
//! evaluation with AWS's semantics.
//!
//! - [`Policy::parse`] validates a document for where it will live ([`PolicyKind`]): identity
//!   policies (inline or managed) may not name a principal and must name resources; resource
//!   policies (repository, registry) and trust policies must name principals and may omit
//!   resources. Errors carry IAM's `MalformedPolicyDocument` texts.
//! - [`eval`] decides one request against the policies that apply to it: default deny, an
//!   explicit deny anywhere wins, and the same-account / cross-account rules for resource
//!   policies.
//!
//! Nothing here panics on any input: the parser is fuzzed (`fuzz/`), and every element is checked
//! once, at parse time, into a compiled form that evaluation only reads.

mod condition;
pub mod eval;
pub mod managed;
mod pattern;

use serde_json::Value;

pub use condition::Condition;
pub use eval::{Caller, Context, Decision, Evaluation};

/// Where a policy document lives; each kind has its own rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Attached to a user, group or role (inline or managed): no `Principal`, `Resource` required.
    Identity,
    /// A repository or registry policy: `Principal` required, `Resource` optional.
    Resource,
    /// A role's trust policy: `Principal` required, actions are `sts:*`.
    Trust,
}

/// A document IAM would refuse, with IAM's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, PolicyError> {
    Err(PolicyError(msg.into()))
}

/// The policy language version: `2012-10-17` (policy variables) or the legacy `2008-10-17`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V2008,
    V2012,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// An element that may be given in its negated form (`NotAction`, `NotResource`,
/// `NotPrincipal`).
#[derive(Debug, Clone)]
pub enum Negatable<T> {
    Is(T),
    Not(T),
}

/// The principals a statement names.
#[derive(Debug, Clone, Default)]
pub struct Principals {
    /// `"*"` or `{"AWS": "*"}`: everyone.
    pub anyone: bool,
    /// AWS principals, normalised to ARNs (an account ID becomes `arn:aws:iam::ID:root`).
    pub aws: Vec<String>,
    /// Service principals (`ecr.amazonaws.com`); they never match a signed-in caller.
    pub service: Vec<String>,
    /// Federated principals, kept for round trips; never matched.
    pub federated: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub action: Negatable<Vec<pattern::Pattern>>,
    /// `None`: omitted, which a resource policy may do (the resource it is attached to).
    pub resource: Option<Negatable<Vec<pattern::Pattern>>>,
    pub principal: Option<Negatable<Principals>>,
    pub conditions: Vec<Condition>,
}

/// A validated policy document.
#[derive(Debug, Clone)]
pub struct Policy {
    pub version: Version,
    pub statements: Vec<Statement>,
}

/// Largest document accepted anywhere (IAM's own limits per kind are smaller and checked by the
/// callers; this bounds the parser's work).
pub const MAX_DOCUMENT: usize = 131_072;

impl Policy {
    /// Parse and validate `text` as a policy of `kind`.
    pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        if text.len() > MAX_DOCUMENT {
            return err("Cannot exceed quota for PolicySize");
        }
        let doc: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(_) => return err("Syntax errors in policy."),
        };
        let Value::Object(doc) = doc else {
            return err("Syntax errors in policy.");
        };
        let mut version = Version::V2008;
        let mut statements = None;
        for (k, v) in &doc {
            match k.as_str() {
                "Version" => {
                    version = match v.as_str() {
                        Some("2012-10-17") => Version::V2012,
                        Some("2008-10-17") => Version::V2008,
                        _ => return err("The policy must contain a valid version string"),
                    }
                }
                "Id" => {
                    if !v.is_string() {
                        return err("Syntax errors in policy.");
                    }
                }
                "Statement" => statements = Some(v),
                other => return err(format!("Policy document contains unknown field {other}.")),
            }
        }
        let list: Vec<&Value> = match statements {
            None => return err("Missing required field Statement"),
            Some(Value::Array(a)) => a.iter().collect(),
            Some(v @ Value::Object(_)) => vec![v],
            Some(_) => return err("Syntax errors in policy."),
        };
        if list.is_empty() {
            return err("Policy statement must contain at least one statement.");
        }
        let mut out = Vec::with_capacity(list.len());
        let mut sids: Vec<&str> = Vec::new();
        for s in list {
            let st = statement(s, kind, version)?;
            if let Some(sid) = s.get("Sid").and_then(Value::as_str) {
                if sids.contains(&sid) {
                    return err("Statement IDs (SID) in a single policy must be unique.");
                }
                sids.push(sid);
            }
            out.push(st);
        }
        Ok(Policy {
            version,
            statements: out,
        })
    }

    /// Whether any condition reads a resource tag (so the request needs the resource's tags).
    pub fn uses_resource_tags(&self) -> bool {
        self.statements.iter().flat_map(|s| &s.conditions).any(|c| {
            c.key().starts_with("aws:resourcetag/") || c.key().starts_with("ecr:resourcetag/")
        })
    }
}

/// A string or a list of strings.
fn strings(v: &Value, what: &str) -> Result<Vec<String>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) => {
            let mut out = Vec::with_capacity(a.len());
            for x in a {
                match x {
                    Value::String(s) => out.push(s.clone()),
                    _ => {
                        return err(format!(
                        "Syntax errors in policy. {what} must be a string or a list of strings."
                    ))
                    }
                }
            }
            Ok(out)
        }
        _ => err(format!(
            "Syntax errors in policy. {what} must be a string or a list of strings."
        )),
    }
}

fn statement(v: &Value, kind: PolicyKind, version: Version) -> Result<Statement, PolicyError> {
    let Value::Object(m) = v else {
        return err("Syntax errors in policy.");
    };
    for k in m.keys() {
        if !matches!(
            k.as_str(),
            "Sid"
                | "Effect"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Principal"
                | "NotPrincipal"
                | "Condition"
        ) {
            return err(format!("Statement contains unknown field {k}."));
        }
    }
    let sid = match m.get("Sid") {
        None => None,
        Some(Value::String(s)) => {
            if !s.chars().all(|c| c.is_ascii_alphanumeric())
                && kind == PolicyKind::Identity
                && version == Version::V2012
            {
                return err("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*");
            }
            Some(s.clone())
        }
        Some(_) => return err("Syntax errors in policy."),
    };
    let effect = match m.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        Some(other) => return err(format!("Invalid effect: {other}")),
        None => return err("Missing required field Effect"),
    };

    let action = match (m.get("Action"), m.get("NotAction")) {
        (Some(_), Some(_)) => {
            return err("Syntax errors in policy. Action and NotAction cannot both be given.")
        }
        (Some(a), None) => Negatable::Is(actions(a)?),
        (None, Some(a)) => Negatable::Not(actions(a)?),
        (None, None) => return err("Policy statement must contain actions."),
    };

    let resource = match (m.get("Resource"), m.get("NotResource")) {
        (Some(_), Some(_)) => {
            return err("Syntax errors in policy. Resource and NotResource cannot both be given.")
        }
        (Some(r), None) => Some(Negatable::Is(resources(r, version)?)),
        (None, Some(r)) => Some(Negatable::Not(resources(r, version)?)),
        (None, None) => {
            if kind == PolicyKind::Identity {
                return err("Policy statement must contain resources.");
            }
            None
        }
    };

    let principal = match (m.get("Principal"), m.get("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return err("Syntax errors in policy. Principal and NotPrincipal cannot both be given.")
        }
        (Some(p), None) => Some(Negatable::Is(principals(p, kind)?)),
        (None, Some(p)) => Some(Negatable::Not(principals(p, kind)?)),
        (None, None) => None,
    };
    match (kind, &principal) {
        (PolicyKind::Identity, Some(_)) => {
            return err("Policy document should not specify a principal.")
        }
        (PolicyKind::Resource | PolicyKind::Trust, None) => {
            return err("Missing required field Principal")
        }
        (PolicyKind::Trust, Some(Negatable::Not(_))) => {
            return err("Syntax errors in policy. A trust policy cannot use NotPrincipal.")
        }
        _ => {}
    }

    let conditions = match m.get("Condition") {
        None => Vec::new(),
        Some(c) => condition::parse_block(c, version)?,
    };
    Ok(Statement {
        sid,
        effect,
        action,
        resource,
        principal,
        conditions,
    })
}

fn actions(v: &Value) -> Result<Vec<pattern::Pattern>, PolicyError> {
    let list = strings(v, "Action")?;
    if list.is_empty() {
        return err("Policy statement must contain actions.");
    }
    let mut out = Vec::with_capacity(list.len());
    for a in list {
        if a != "*" {
            let Some((service, name)) = a.split_once(':') else {
                return err(
                    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
                );
            };
            let service_ok = !service.is_empty()
                && service
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*' || c == '?');
            let name_ok = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?' || c == '-');
            if !service_ok {
                return err(
                    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
                );
            }
            if !name_ok {
                return err(format!("Action {a} is not a valid action name."));
            }
        }
        // actions compare case-insensitively
        out.push(pattern::Pattern::literal_glob(&a.to_ascii_lowercase(), &a));
    }
    Ok(out)
}

fn resources(v: &Value, version: Version) -> Result<Vec<pattern::Pattern>, PolicyError> {
    let list = strings(v, "Resource")?;
    if list.is_empty() {
        return err("Policy statement must contain resources.");
    }
    let mut out = Vec::with_capacity(list.len());
    for r in list {
        if r != "*" && !r.starts_with("arn:") {
            return err(format!("Resource {r} must be in ARN format or \"*\"."));
        }
        if r.starts_with("arn:") && r.splitn(6, ':').count() < 6 && !r.ends_with('*') {
            return err(format!("Resource {r} must be in ARN format or \"*\"."));
        }
        out.push(pattern::Pattern::compile(&r, version == Version::V2012)?);
    }
    Ok(out)
}

/// An AWS account ID: twelve digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn principals(v: &Value, kind: PolicyKind) -> Result<Principals, PolicyError> {
    let mut p = Principals::default();
    match v {
        Value::String(s) if s == "*" => {
            if kind == PolicyKind::Resource {
                // ECR refuses the bare string; {"AWS": "*"} is the accepted form
                return err("Invalid principal in policy: \"*\"");
            }
            p.anyone = true;
            return Ok(p);
        }
        Value::Object(m) => {
            if m.is_empty() {
                return err("Syntax errors in policy. Principal is empty.");
            }
            for (k, v) in m {
                let list = strings(v, "Principal")?;
                if list.is_empty() {
                    return err(format!("Invalid principal in policy: \"{k}\":[]"));
                }
                for s in list {
                    match k.as_str() {
                        "AWS" => {
                            if s == "*" {
                                p.anyone = true;
                            } else if is_account_id(&s) {
                                p.aws.push(format!("arn:aws:iam::{s}:root"));
                            } else if valid_principal_arn(&s) {
                                p.aws.push(s);
                            } else {
                                return err(format!(
                                    "Invalid principal in policy: \"AWS\":\"{s}\""
                                ));
                            }
                        }
                        "Service" => {
                            if s.is_empty() || s.contains('*') || s.contains(char::is_whitespace) {
                                return err(format!(
                                    "Invalid principal in policy: \"Service\":\"{s}\""
                                ));
                            }
                            p.service.push(s);
                        }
                        "Federated" => p.federated.push(s),
                        "CanonicalUser" if kind != PolicyKind::Trust => {}
                        other => {
                            return err(format!("Invalid principal in policy: \"{other}\":\"{s}\""))
                        }
                    }
                }
            }
        }
        _ => return err("Syntax errors in policy. Principal must be \"*\" or an object."),
    }
    Ok(p)
}

/// `arn:aws:iam::ACCOUNT:root|user/…|role/…|group/…` or `arn:aws:sts::ACCOUNT:assumed-role/R/S`.
fn valid_principal_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts.as_slice() else {
        return false;
    };
    if *arn != "arn" || partition.is_empty() || !region.is_empty() || !is_account_id(account) {
        return false;
    }
    // no wildcards inside a principal ARN (AWS does not match them)
    if resource.contains('*') || resource.contains('?') {
        return false;
    }
    match *service {
        "iam" => {
            *resource == "root"
                || ["user/", "role/"]
                    .iter()
                    .any(|p| resource.strip_prefix(p).is_some_and(|r| !r.is_empty()))
        }
        "sts" => resource
            .strip_prefix("assumed-role/")
            .is_some_and(|r| r.split('/').count() >= 2 && !r.contains("//")),
        _ => false,
    }
}

#[cfg(test)]
mod tests;

/// The fuzz harness (the `policy_parse` target of `fuzz/` and the mutation test that CI runs):
/// parse `data` as every kind of policy and evaluate whatever parses against a request whose
/// context has every kind of value. Nothing may panic. Returns how many kinds accepted it.
#[doc(hidden)]
pub fn fuzz_one(data: &[u8]) -> usize {
    let mut accepted = 0;
    let text = String::from_utf8_lossy(data);
    let mut ctx = Context::new();
    ctx.set("aws:SourceIp", "192.0.2.7")
        .set("aws:username", "alice")
        .set("aws:CurrentTime", "2026-11-29T12:00:00Z")
        .set("aws:EpochTime", "1795000000")
        .set("aws:SecureTransport", "true")
        .set("ecr:ResourceTag/team", "a")
        .set_many("aws:TagKeys", vec!["team".into(), "env".into()]);
    let caller = Caller {
        account: "111122223333".into(),
        arn: "arn:aws:iam::111122223333:user/alice".into(),
        role_arn: None,
        root: false,
    };
    for kind in [
        PolicyKind::Identity,
        PolicyKind::Resource,
        PolicyKind::Trust,
    ] {
        let Ok(p) = Policy::parse(&text, kind) else {
            continue;
        };
        accepted += 1;
        let _ = p.uses_resource_tags();
        for (account, action, resource) in [
            (
                "111122223333",
                "ecr:BatchGetImage",
                "arn:aws:ecr:us-east-1:111122223333:repository/team-a/app",
            ),
            (
                "444455556666",
                "sts:AssumeRole",
                "arn:aws:iam::444455556666:role/deployer",
            ),
            ("111122223333", "iam:CreateUser", "*"),
        ] {
            let e = Evaluation {
                action,
                resource,
                resource_account: account,
                caller: &caller,
                context: &ctx,
            };
            let resource_side = kind != PolicyKind::Identity;
            let _ = e.policy(&p, resource_side);
            if resource_side {
                let _ = e.decide(&[], &[&p]);
            } else {
                let _ = e.decide(&[&p], &[]);
            }
        }
    }
    accepted
}

#[cfg(test)]
mod fuzz;
