//! What every IAM handler receives ([`Call`]): the request, the caller, and the lookups and
//! authorisation most actions share. A leaf of `iam`.

use berth_iam::directory::Entity;
use berth_meta::PrincipalKind;
use http::StatusCode;
use serde::Serialize;

use super::operations::Operation;
use super::requests::EntityRequest;
use super::shapes::{entity_arn, EntityKind};
use crate::authz::Subject;
use crate::aws::{AwsError, Request};
use crate::query::{Form, Reply};
use crate::state::AppState;

pub struct Call<'a> {
    pub state: &'a AppState,
    pub subject: &'a Subject,
    pub action: Operation,
    pub form: &'a Form,
}

/// A member the action requires, or Query's validation error naming it (`userName`).
pub fn required<T>(member: &str, value: Option<T>) -> Result<T, AwsError> {
    value.ok_or_else(|| {
        AwsError::validation(
            "ValidationError",
            &[format!(
                "Value null at '{member}' failed to satisfy constraint: Member must not be null"
            )],
        )
    })
}

impl Call<'_> {
    /// IAM acts on the caller's own account.
    pub fn account(&self) -> &str {
        &self.subject.principal.account_id
    }

    pub fn iam(&self) -> &berth_iam::Iam {
        &self.state.iam
    }

    /// The action's request, typed and checked.
    pub fn request<R: Request>(&self) -> Result<R, AwsError> {
        self.form.request()
    }

    /// The action's output.
    pub fn reply(&self, out: &impl Serialize) -> Result<Reply, AwsError> {
        crate::query::reply(self.action.name(), out)
    }

    /// Refuse unless the caller's policies allow `iam:<Action>` on `resource`.
    pub async fn authorize(&self, resource: &str) -> Result<(), AwsError> {
        let action = format!("iam:{}", self.action.name());
        self.subject
            .require_identity(self.state, &action, resource, "ServiceFailure", |m| {
                AwsError::new("AccessDenied", m).status(StatusCode::FORBIDDEN)
            })
            .await
    }

    /// `UserName`, or the calling user itself (IAM's default for key and user operations;
    /// `None`: the account's root).
    pub fn user_name(&self, given: Option<&str>) -> Result<Option<String>, AwsError> {
        if let Some(n) = given {
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

    /// The ARN of a user by name (`None`: the root).
    pub async fn user_arn(&self, user: Option<&str>) -> String {
        match user {
            Some(n) => self.arn_of(EntityKind::User, n).await,
            None => format!("arn:aws:iam::{}:root", self.account()),
        }
    }

    /// The ARN of an entity by name: with its stored path when it exists, else `/`.
    pub async fn arn_of(&self, kind: EntityKind, name: &str) -> String {
        let a = self.account();
        let stored = match kind {
            EntityKind::User => self
                .iam()
                .user(a, Some(name))
                .await
                .ok()
                .map(|(p, _)| p.path),
            EntityKind::Role => self
                .iam()
                .role(a, name)
                .await
                .ok()
                .map(|r| r.principal.path),
            EntityKind::Group => self.iam().group(a, name).await.ok().map(|g| g.path),
        };
        entity_arn(a, kind, stored.as_deref().unwrap_or("/"), name)
    }

    /// Authorise the action on the entity of `kind` that the request names.
    pub async fn entity<'r>(
        &self,
        kind: EntityKind,
        r: &'r EntityRequest,
    ) -> Result<Entity<'r>, AwsError> {
        let name = required(kind.member(), r.name(kind))?;
        self.authorize(&self.arn_of(kind, name).await).await?;
        Ok(match kind {
            EntityKind::User => Entity::User(name),
            EntityKind::Group => Entity::Group(name),
            EntityKind::Role => Entity::Role(name),
        })
    }
}
