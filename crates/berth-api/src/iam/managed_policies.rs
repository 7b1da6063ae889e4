//! Customer managed policies: CreatePolicy, GetPolicy, GetPolicyVersion, ListPolicies,
//! DeletePolicy (one version, `v1`, per policy).

use berth_iam::admin::AdminError;
use berth_iam::directory::{PolicyInfo, PolicyScope};

use super::call::{required, Call};
use super::requests::{CreatePolicyRequest, ListRequest, PolicyArnRequest};
use super::shapes::{Page, Policy, PolicyResult, PolicyVersion, PolicyVersionResult};
use crate::aws::{iam_error as error, AwsError};
use crate::query::Reply;

/// CreatePolicy.
pub async fn create_policy(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: CreatePolicyRequest = c.request()?;
    let path = r.path.as_deref().unwrap_or("/");
    let name = required("policyName", r.policy_name.as_deref())?;
    let doc = required("policyDocument", r.policy_document.as_deref())?;
    let a = c.account();
    c.authorize(&format!("arn:aws:iam::{a}:policy{path}{name}"))
        .await?;
    let p = c
        .iam()
        .create_policy(a, name, path, doc, r.description.as_deref())
        .await
        .map_err(error)?;
    c.reply(&PolicyResult {
        policy: (&p).into(),
    })
}

/// The policy a request names, authorised.
async fn policy_named(c: &Call<'_>, r: &PolicyArnRequest) -> Result<PolicyInfo, AwsError> {
    let arn = required("policyArn", r.policy_arn.as_deref())?;
    c.authorize(arn).await?;
    c.iam()
        .managed_policy(c.account(), arn)
        .await
        .map_err(error)
}

/// GetPolicy.
pub async fn get_policy(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: PolicyArnRequest = c.request()?;
    let p = policy_named(c, &r).await?;
    c.reply(&PolicyResult {
        policy: (&p).into(),
    })
}

/// GetPolicyVersion.
pub async fn get_policy_version(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: PolicyArnRequest = c.request()?;
    required("policyArn", r.policy_arn.as_deref())?;
    let version = required("versionId", r.version_id.as_deref())?;
    let p = policy_named(c, &r).await?;
    let Some(policy_version) = PolicyVersion::of(&p, version) else {
        return Err(error(AdminError::NoSuchEntity(format!(
            "Policy {} version {version} does not exist or is not attachable.",
            p.arn
        ))));
    };
    c.reply(&PolicyVersionResult { policy_version })
}

/// ListPolicies.
pub async fn list_policies(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: ListRequest = c.request()?;
    c.authorize("*").await?;
    let scope = r.scope.map_or(PolicyScope::All, PolicyScope::from);
    let only_attached = r.only_attached.unwrap_or(false);
    let policies: Vec<PolicyInfo> = c
        .iam()
        .managed_policies(c.account(), scope)
        .await
        .map_err(error)?
        .into_iter()
        .filter(|p| r.shows(&p.path))
        .filter(|p| !only_attached || p.attachments > 0)
        .collect();
    let page = Page::of(
        "Policies",
        policies,
        r.marker.as_deref(),
        r.max_items,
        |p| &p.arn,
    );
    c.reply(&page.map(|p| Policy::from(&p)))
}

/// DeletePolicy.
pub async fn delete_policy(c: &Call<'_>) -> Result<Reply, AwsError> {
    let r: PolicyArnRequest = c.request()?;
    let arn = required("policyArn", r.policy_arn.as_deref())?;
    c.authorize(arn).await?;
    c.iam()
        .delete_policy(c.account(), arn)
        .await
        .map_err(error)?;
    Ok(Reply::empty())
}
