//! What every IAM handler receives ([`Call`]): the request's parameters, the caller, and the
//! lookups and authorisation most actions share. A leaf of `iam`.

use berth_iam::directory::Entity;
use berth_meta::PrincipalKind;
use http::StatusCode;

use super::operations::Operation;
use super::xml::entity_arn;
use crate::authz::Subject;
use crate::aws::AwsError;
use crate::query::Params;
use crate::state::AppState;

pub struct Call<'a> {
    pub state: &'a AppState,
    pub subject: &'a Subject,
    pub action: Operation,
    pub params: &'a Params,
}

impl Call<'_> {
    /// IAM acts on the caller's own account.
    pub fn account(&self) -> &str {
        &self.subject.principal.account_id
    }

    pub fn iam(&self) -> &berth_iam::Iam {
        &self.state.iam
    }

    /// Refuse unless the caller's policies allow `iam:<Action>` on `resource`.
    pub async fn authorize(&self, resource: &str) -> Result<(), AwsError> {
        let action = format!("iam:{}", self.action.name());
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

    pub fn required(&self, name: &str) -> Result<&str, AwsError> {
        self.params.required(name)
    }

    /// `UserName`, or the calling user itself (IAM's default for key and user operations).
    pub fn user_name(&self) -> Result<Option<String>, AwsError> {
        if let Some(n) = self.params.get("UserName") {
            return Ok(Some(n.to_string()));
        }
        let p = &self.subject.principal;
        match p.kind {
            PrincipalKind::User => Ok(Some(p.name.clone())),
            PrincipalKind::Root => Ok(None),
            PrincipalKind::Role => Err(AwsError::new(
                "ValidationError",
                "Must specify userName when calling with non-User credentials",
            )),
        }
    }

    /// The ARN of an entity by name: its stored path when it exists, else `path`.
    pub async fn arn_of(&self, kind: &str, name: &str, path: &str) -> Result<String, AwsError> {
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
    pub async fn entity(&self) -> Result<(Entity<'_>, &str), AwsError> {
        let action = self.action.name();
        let (field, kind) = if action.contains("User") {
            ("UserName", "user")
        } else if action.contains("Group") {
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
}
