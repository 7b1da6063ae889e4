//! Lifecycle policy documents: ECR's grammar, validated with ECR's "Lifecycle policy validation
//! failure: …" messages, and evaluated as ECR documents it.
//!
//! Berth extension (opt-in, ECR's grammar stays valid): the action `{"type": "retain"}`
//! protects the images its rule keeps from every lower-priority rule. For `imageCountMoreThan N`
//! those are the newest N it selects; for `sinceImagePushed`/`sinceImagePulled N` those pushed or
//! pulled within N days. The images it does not keep are left to the rules below it (an `expire`
//! rule shields everything it selects, as ECR's rules do).

use serde_json::{Map, Value};

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagStatus {
    Tagged,
    Untagged,
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// Keep the newest N of the selected images.
    MoreThan(u64),
    /// Images pushed more than N days ago.
    SincePushed(u64),
    /// Images not pulled for more than N days (never pulled: since their push).
    SincePulled(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Expire,
    /// Berth's extension: protect what the rule keeps.
    Retain,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub priority: u64,
    pub description: Option<String>,
    pub tag_status: TagStatus,
    pub tag_prefixes: Vec<String>,
    pub tag_patterns: Vec<String>,
    pub count: Count,
    pub action: Action,
}

/// A validated lifecycle policy: its rules in ascending priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecyclePolicy {
    pub rules: Vec<Rule>,
}

/// ECR's refusal of a policy: the text after "Lifecycle policy validation failure: ".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Lifecycle policy validation failure: {0}")]
pub struct LifecycleError(pub String);

fn fail<T>(msg: impl Into<String>) -> Result<T, LifecycleError> {
    Err(LifecycleError(msg.into()))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn wrong_type<T>(v: &Value, allowed: &str) -> Result<T, LifecycleError> {
    fail(format!(
        "instance type ({}) does not match any allowed primitive type (allowed: [\"{allowed}\"])",
        type_name(v)
    ))
}

/// An object with exactly the allowed members and all the required ones (the JSON schema's
/// checks, in its validator's words).
fn object<'a>(
    v: &'a Value,
    required: &[&str],
    allowed: &[&str],
) -> Result<&'a Map<String, Value>, LifecycleError> {
    let Value::Object(m) = v else {
        return wrong_type(v, "object");
    };
    let extra: Vec<String> = m
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .map(|k| format!("\"{k}\""))
        .collect();
    if !extra.is_empty() {
        return fail(format!(
            "object instance has properties which are not allowed by the schema: [{}]",
            extra.join(",")
        ));
    }
    let missing: Vec<String> = required
        .iter()
        .filter(|k| !m.contains_key(**k))
        .map(|k| format!("\"{k}\""))
        .collect();
    if !missing.is_empty() {
        return fail(format!(
            "object has missing required properties ([{}])",
            missing.join(",")
        ));
    }
    Ok(m)
}

fn string(v: &Value) -> Result<&str, LifecycleError> {
    v.as_str().map_or_else(|| wrong_type(v, "string"), Ok)
}

fn enumeration<'a>(v: &'a Value, allowed: &[&str]) -> Result<&'a str, LifecycleError> {
    let s = string(v)?;
    if allowed.contains(&s) {
        return Ok(s);
    }
    fail(format!(
        "instance value (\"{s}\") not found in enum (possible values: [{}])",
        allowed
            .iter()
            .map(|a| format!("\"{a}\""))
            .collect::<Vec<_>>()
            .join(",")
    ))
}

fn positive(v: &Value) -> Result<u64, LifecycleError> {
    match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => match n.as_u64() {
            Some(x) if x >= 1 => Ok(x),
            _ => fail(format!(
                "numeric instance is lower than the required minimum (minimum: 1, found: {n})"
            )),
        },
        other => wrong_type(other, "integer"),
    }
}

fn string_list(v: &Value, field: &str) -> Result<Vec<String>, LifecycleError> {
    let Value::Array(a) = v else {
        return wrong_type(v, "array");
    };
    if a.is_empty() {
        return fail(format!("{field} must contain at least one element"));
    }
    let mut out = Vec::with_capacity(a.len());
    for x in a {
        let s = string(x)?;
        if s.is_empty() || s.len() > 128 {
            return fail(format!("{field} entries must be 1 to 128 characters long"));
        }
        out.push(s.to_string());
    }
    Ok(out)
}

impl LifecyclePolicy {
    /// Parse and validate a lifecycle policy document.
    pub fn parse(text: &str) -> Result<LifecyclePolicy, LifecycleError> {
        let doc: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => return fail(format!("the policy is not valid JSON: {e}")),
        };
        let root = object(&doc, &["rules"], &["rules"])?;
        let Some(Value::Array(list)) = root.get("rules") else {
            return wrong_type(root.get("rules").unwrap_or(&Value::Null), "array");
        };
        if list.is_empty() {
            return fail(
                "array is too short: must have at least 1 elements but instance has 0 elements",
            );
        }
        let mut rules = Vec::with_capacity(list.len());
        for r in list {
            rules.push(rule(r)?);
        }
        rules.sort_by_key(|r| r.priority);
        for pair in rules.windows(2) {
            if pair[0].priority == pair[1].priority {
                return fail(format!(
                    "Rule priority {} is used by more than one rule; priorities must be unique",
                    pair[0].priority
                ));
            }
        }
        if let Some(i) = rules.iter().position(|r| r.tag_status == TagStatus::Any) {
            if i + 1 != rules.len() {
                return fail("The rule with tagStatus 'any' must have the highest rulePriority");
            }
        }
        if rules
            .iter()
            .filter(|r| r.tag_status == TagStatus::Untagged && r.action == Action::Expire)
            .count()
            > 1
        {
            return fail("Only one rule is allowed to select untagged images");
        }
        Ok(LifecyclePolicy { rules })
    }
}

fn rule(v: &Value) -> Result<Rule, LifecycleError> {
    let m = object(
        v,
        &["rulePriority", "selection", "action"],
        &["rulePriority", "description", "selection", "action"],
    )?;
    let priority = positive(&m["rulePriority"])?;
    let description = match m.get("description") {
        None => None,
        Some(d) => Some(string(d)?.to_string()),
    };
    let s = object(
        &m["selection"],
        &["tagStatus", "countType", "countNumber"],
        &[
            "tagStatus",
            "tagPrefixList",
            "tagPatternList",
            "storageClass",
            "countType",
            "countUnit",
            "countNumber",
        ],
    )?;
    let tag_status = match enumeration(&s["tagStatus"], &["tagged", "untagged", "any"])? {
        "tagged" => TagStatus::Tagged,
        "untagged" => TagStatus::Untagged,
        _ => TagStatus::Any,
    };
    let tag_prefixes = match s.get("tagPrefixList") {
        Some(l) => string_list(l, "tagPrefixList")?,
        None => Vec::new(),
    };
    let tag_patterns = match s.get("tagPatternList") {
        Some(l) => string_list(l, "tagPatternList")?,
        None => Vec::new(),
    };
    match tag_status {
        TagStatus::Tagged => {
            if tag_prefixes.is_empty() && tag_patterns.is_empty() {
                return fail(
                    "tagPrefixList or tagPatternList is required when tagStatus is 'tagged'",
                );
            }
            if !tag_prefixes.is_empty() && !tag_patterns.is_empty() {
                return fail("tagPrefixList and tagPatternList cannot both be specified in a rule");
            }
        }
        _ => {
            if !tag_prefixes.is_empty() || !tag_patterns.is_empty() {
                return fail(
                    "tagPrefixList and tagPatternList can only be used when tagStatus is 'tagged'",
                );
            }
        }
    }
    for p in &tag_patterns {
        if p.matches('*').count() > 4 {
            return fail(format!(
                "tagPatternList entry '{p}' has more than the maximum of 4 wildcards"
            ));
        }
    }
    if let Some(class) = s.get("storageClass") {
        if enumeration(class, &["standard", "archive"])? == "archive" {
            return fail(
                "Berth has no archive storage class: storageClass 'archive' is not supported",
            );
        }
    }
    let count_type = enumeration(
        &s["countType"],
        &[
            "imageCountMoreThan",
            "sinceImagePushed",
            "sinceImagePulled",
            "sinceImageTransitioned",
        ],
    )?;
    let number = positive(&s["countNumber"])?;
    let unit = match s.get("countUnit") {
        None => None,
        Some(u) => Some(enumeration(u, &["days"])?),
    };
    let count = match (count_type, unit) {
        ("imageCountMoreThan", None) => Count::MoreThan(number),
        ("imageCountMoreThan", Some(_)) => {
            return fail("countUnit cannot be specified when countType is 'imageCountMoreThan'")
        }
        ("sinceImageTransitioned", _) => {
            return fail("countType 'sinceImageTransitioned' needs the archive storage class, which Berth does not have")
        }
        (t, None) => return fail(format!("countUnit is required when countType is '{t}'")),
        ("sinceImagePushed", Some(_)) => Count::SincePushed(number),
        (_, Some(_)) => Count::SincePulled(number),
    };
    let a = object(&m["action"], &["type"], &["type", "targetStorageClass"])?;
    let action = match enumeration(&a["type"], &["expire", "transition", "retain"])? {
        "expire" => Action::Expire,
        "retain" => Action::Retain,
        _ => {
            return fail(
                "Berth has no archive storage class: the action 'transition' is not supported",
            )
        }
    };
    if a.contains_key("targetStorageClass") {
        return fail("targetStorageClass can only be specified with the action 'transition'");
    }
    Ok(Rule {
        priority,
        description,
        tag_status,
        tag_prefixes,
        tag_patterns,
        count,
        action,
    })
}

/// An image as lifecycle rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub digest: String,
    pub tags: Vec<String>,
    /// Epoch milliseconds.
    pub pushed_at: i64,
    pub last_pulled_at: Option<i64>,
}

impl Rule {
    /// Whether the rule's tag filter selects the image: every prefix (or pattern) listed must be
    /// matched by at least one of its tags.
    pub fn selects(&self, c: &Candidate) -> bool {
        match self.tag_status {
            TagStatus::Any => true,
            TagStatus::Untagged => c.tags.is_empty(),
            TagStatus::Tagged => {
                !c.tags.is_empty()
                    && self
                        .tag_prefixes
                        .iter()
                        .all(|p| c.tags.iter().any(|t| t.starts_with(p.as_str())))
                    && self.tag_patterns.iter().all(|p| {
                        c.tags
                            .iter()
                            .any(|t| crate::wildcard::wildcard_match(p.as_bytes(), t.as_bytes()))
                    })
            }
        }
    }
}

/// Which images a policy expires at `now` (epoch ms), by index into `images`, with the priority
/// of the rule that expires each, oldest first.
///
/// Every rule is evaluated against every image; walking the rules by priority, a rule acts on
/// the images over its limit that no higher rule selected, and then shields all it selected
/// (a `retain` rule only what it keeps). Lower rules still count shielded images when ranking.
pub fn evaluate(policy: &LifecyclePolicy, images: &[Candidate], now: i64) -> Vec<(usize, u64)> {
    let mut claimed = vec![false; images.len()];
    let mut expired: Vec<(usize, u64)> = Vec::new();
    for rule in &policy.rules {
        let mut selected: Vec<usize> = (0..images.len())
            .filter(|&i| rule.selects(&images[i]))
            .collect();
        // newest first, digest as the tie-break so that runs agree
        selected.sort_by(|&a, &b| {
            images[b]
                .pushed_at
                .cmp(&images[a].pushed_at)
                .then_with(|| images[a].digest.cmp(&images[b].digest))
        });
        let over = |rank: usize, i: usize| -> bool {
            let c = &images[i];
            match rule.count {
                Count::MoreThan(n) => rank as u64 >= n,
                Count::SincePushed(d) => c.pushed_at < now - (d as i64).saturating_mul(DAY_MS),
                Count::SincePulled(d) => {
                    c.last_pulled_at.unwrap_or(c.pushed_at)
                        < now - (d as i64).saturating_mul(DAY_MS)
                }
            }
        };
        let marked: Vec<bool> = selected
            .iter()
            .enumerate()
            .map(|(rank, &i)| over(rank, i))
            .collect();
        for (&i, &m) in selected.iter().zip(&marked) {
            match rule.action {
                Action::Expire => {
                    if m && !claimed[i] {
                        expired.push((i, rule.priority));
                    }
                }
                Action::Retain => {
                    if !m {
                        claimed[i] = true;
                    }
                }
            }
        }
        if rule.action == Action::Expire {
            for &i in &selected {
                claimed[i] = true;
            }
        }
    }
    expired.sort_by(|a, b| {
        images[a.0]
            .pushed_at
            .cmp(&images[b.0].pushed_at)
            .then_with(|| images[a.0].digest.cmp(&images[b.0].digest))
    });
    expired
}
