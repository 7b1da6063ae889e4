//! Customer managed policies: CreatePolicy, GetPolicy, GetPolicyVersion, ListPolicies,
//! DeletePolicy (one version, `v1`, per policy).

use berth_iam::admin::AdminError;
use berth_iam::directory::{PolicyInfo, PolicyScope};

use super::call::Call;
use super::xml::{date, page, path_prefix_ok, policy_xml, url_encode};
use crate::aws::{iam_error as error, AwsError};
use crate::query::element;

/// CreatePolicy.
pub async fn create_policy(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let path = c.params.get("Path").unwrap_or("/");
    let name = c.required("PolicyName")?;
    let doc = c.required("PolicyDocument")?;
    c.authorize(&format!("arn:aws:iam::{a}:policy{path}{name}"))
        .await?;
    let p = iam
        .create_policy(&a, name, path, doc, c.params.get("Description"))
        .await
        .map_err(error)?;
    Ok(format!("<Policy>{}</Policy>", policy_xml(&p)))
}

/// GetPolicy.
pub async fn get_policy(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let arn = c.required("PolicyArn")?;
    c.authorize(arn).await?;
    let p = iam.managed_policy(&a, arn).await.map_err(error)?;
    Ok(format!("<Policy>{}</Policy>", policy_xml(&p)))
}

/// GetPolicyVersion.
pub async fn get_policy_version(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let arn = c.required("PolicyArn")?;
    let version = c.required("VersionId")?;
    c.authorize(arn).await?;
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

/// ListPolicies.
pub async fn list_policies(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    c.authorize("*").await?;
    let scope = match c.params.get("Scope").unwrap_or("All") {
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
    let only_attached = c.params.get("OnlyAttached") == Some("true");
    let policies: Vec<PolicyInfo> = iam
        .managed_policies(&a, scope)
        .await
        .map_err(error)?
        .into_iter()
        .filter(|p| path_prefix_ok(c.params, &p.path))
        .filter(|p| !only_attached || p.attachments > 0)
        .collect();
    page(
        c.params,
        "Policies",
        policies,
        |p| p.arn.clone(),
        policy_xml,
    )
}

/// DeletePolicy.
pub async fn delete_policy(c: &Call<'_>) -> Result<String, AwsError> {
    let a = c.account().to_string();
    let iam = c.iam();
    let arn = c.required("PolicyArn")?;
    c.authorize(arn).await?;
    iam.delete_policy(&a, arn).await.map_err(error)?;
    Ok(String::new())
}
