//! `GET /v2/<name>/referrers/<digest>?artifactType=`: an OCI index of the manifests whose subject
//! is `<digest>`.

use axum::body::Body;
use axum::response::Response;
use berth_oci::media_types::OCI_INDEX;
use berth_registry::ReferrerDescriptor;
use berth_registry::Registry;
use http::StatusCode;
use serde::Serialize;

use super::blobs::parse_digest;
use super::{finish, json_body, repo_name, respond, Caller, OciError};

/// An OCI image index of referrers.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageIndex {
    schema_version: u32,
    media_type: &'static str,
    manifests: Vec<ReferrerDescriptor>,
}

pub(crate) async fn list(
    reg: &Registry,
    caller: &Caller,
    name: &str,
    digest: &str,
    artifact_type: Option<&str>,
) -> Result<Response, OciError> {
    let name = repo_name(name)?;
    let subject = parse_digest(digest)?;
    let artifact_type = artifact_type.filter(|a| !a.is_empty());
    // the spec: a registry that serves referrers answers a repository that does not exist (yet)
    // with an empty index, never 404 (ECR's ListImageReferrers still names the missing repository)
    let manifests = match reg
        .referrers(&caller.account, &name, &subject, artifact_type)
        .await
    {
        Err(berth_registry::RegistryError::NameUnknown { .. }) => Vec::new(),
        other => other?,
    };
    let mut b = respond(StatusCode::OK).header(http::header::CONTENT_TYPE, OCI_INDEX);
    if artifact_type.is_some() {
        b = b.header("oci-filters-applied", "artifactType");
    }
    let body = json_body(&ImageIndex {
        schema_version: 2,
        media_type: OCI_INDEX,
        manifests,
    })?;
    Ok(finish(b, Body::from(body)))
}
