//! IAM's XML shapes of users, groups, roles and policies, and its paged listings.

use berth_iam::directory::PolicyInfo;
use berth_meta::PrincipalKind;
use berth_meta::{Group, Principal, Role};

use crate::authz::iso8601;
use crate::aws::AwsError;
use crate::query::{element, Params};

/// RFC 3986 percent-encoding, as IAM returns policy documents (botocore decodes them).
pub(super) fn url_encode(s: &str) -> String {
    berth_iam::sigv4::uri_encode(s.as_bytes(), false)
}

pub(super) fn date(millis: i64) -> String {
    iso8601(millis.div_euclid(1000))
}

pub(super) fn entity_arn(account: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:{kind}{path}{name}")
}

pub(super) fn user_xml(p: &Principal, created: i64) -> String {
    if p.kind == PrincipalKind::Root {
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

pub(super) fn group_xml(g: &Group) -> String {
    format!(
        "{}{}{}{}{}",
        element("Path", &g.path),
        element("GroupName", &g.name),
        element("GroupId", &g.unique_id),
        element("Arn", &entity_arn(&g.account_id, "group", &g.path, &g.name)),
        element("CreateDate", &date(g.created_at))
    )
}

pub(super) fn role_xml(r: &Role) -> String {
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

pub(super) fn policy_xml(p: &PolicyInfo) -> String {
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
pub(super) fn page<T>(
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

pub(super) fn path_prefix_ok(params: &Params, path: &str) -> bool {
    params
        .get("PathPrefix")
        .is_none_or(|prefix| path.starts_with(prefix))
}
