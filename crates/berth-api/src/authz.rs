//! Authorising requests of both planes with `berth-iam`'s policies: the caller as policies see
//! it, the request context (global condition keys), and the decision.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use berth_iam::authz::{caller_of, principal_context, Request};
use berth_iam::policy::{Caller, Context, Decision};
use berth_iam::AuthError;
use berth_meta::Principal;
use http::Extensions;

use crate::aws::AwsError;
use crate::state::AppState;

/// The peer address the listener recorded for this request.
pub fn peer_ip(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// A caller ready for authorisation: who it is for policies, and the context of its request.
pub struct Subject {
    pub principal: Principal,
    pub caller: Caller,
    pub context: Context,
}

impl Subject {
    /// `session` names a role session (AssumeRole); `peer` is the client's address.
    pub fn new(
        state: &AppState,
        principal: Principal,
        session: Option<&str>,
        peer: Option<IpAddr>,
    ) -> Subject {
        let caller = caller_of(&principal, session);
        let mut context = Context::new();
        principal_context(&mut context, &principal, &caller, session);
        let now = crate::state::now_secs();
        context
            .set("aws:CurrentTime", iso8601(now))
            .set("aws:EpochTime", now.to_string())
            .set("aws:SecureTransport", state.tls.to_string());
        if let Some(ip) = peer {
            // an IPv4 client on a dual-stack socket is seen as ::ffff:a.b.c.d
            let ip = match ip {
                IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
                v4 => v4,
            };
            context.set("aws:SourceIp", ip.to_string());
        }
        Subject {
            principal,
            caller,
            context,
        }
    }

    pub fn arn(&self) -> &str {
        &self.caller.arn
    }

    /// Decide `action` on a repository of `account` (or, with `None`, on the registry: `*`).
    pub async fn decide(
        &self,
        state: &AppState,
        action: &str,
        account: &str,
        repository: Option<&str>,
    ) -> Result<Decision, AuthError> {
        self.decide_with(state, action, account, repository, &self.context)
            .await
    }

    /// [`Subject::decide`] on each of `names`, repositories of `account` (a listing's page),
    /// with their policies read at once.
    pub async fn decide_repositories(
        &self,
        state: &AppState,
        action: &str,
        account: &str,
        names: &[&str],
    ) -> Result<Vec<Decision>, AuthError> {
        state
            .iam
            .authorize_repositories(
                &Request {
                    principal: &self.principal,
                    caller: &self.caller,
                    action,
                    account,
                    repository: None,
                    resource: "*",
                    resource_policies: true,
                    context: &self.context,
                    proposed: None,
                },
                names,
                |name| repository_arn(state, account, name),
            )
            .await
    }

    /// As [`Subject::decide`], with extra context keys (`aws:RequestTag/…`, `aws:TagKeys`).
    pub async fn decide_with(
        &self,
        state: &AppState,
        action: &str,
        account: &str,
        repository: Option<&str>,
        context: &Context,
    ) -> Result<Decision, AuthError> {
        self.decide_full(state, action, account, repository, context, None)
            .await
    }

    /// As [`Subject::decide`], with `proposed` in place of the repository's stored policy.
    pub async fn decide_full(
        &self,
        state: &AppState,
        action: &str,
        account: &str,
        repository: Option<&str>,
        context: &Context,
        proposed: Option<&berth_iam::policy::Policy>,
    ) -> Result<Decision, AuthError> {
        let resource = match repository {
            Some(r) => repository_arn(state, account, r),
            None => "*".to_string(),
        };
        state
            .iam
            .authorize(&Request {
                principal: &self.principal,
                caller: &self.caller,
                action,
                account,
                repository,
                resource: &resource,
                // ecr:GetAuthorizationToken comes from identity policies alone
                resource_policies: !action.eq_ignore_ascii_case("ecr:GetAuthorizationToken"),
                context,
                proposed,
            })
            .await
    }
}

impl Subject {
    /// Decide `action` on `resource` of the caller's own account by its identity policies alone
    /// (IAM's actions: no resource policy takes part).
    pub async fn decide_identity(
        &self,
        state: &AppState,
        action: &str,
        resource: &str,
    ) -> Result<Decision, AuthError> {
        state
            .iam
            .authorize(&Request {
                principal: &self.principal,
                caller: &self.caller,
                action,
                account: &self.principal.account_id,
                repository: None,
                resource,
                resource_policies: false,
                context: &self.context,
                proposed: None,
            })
            .await
    }
}

impl Subject {
    /// Refuse unless the caller's identity policies allow `action` on `resource`: a refusal is
    /// `denied` of AWS's text, a failed policy lookup the service's `internal` error (500).
    pub async fn require_identity(
        &self,
        state: &AppState,
        action: &str,
        resource: &str,
        internal: &'static str,
        denied: impl FnOnce(String) -> AwsError,
    ) -> Result<(), AwsError> {
        let d = self
            .decide_identity(state, action, resource)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "authorization failed");
                AwsError::new(internal, "An internal error occurred")
                    .status(http::StatusCode::INTERNAL_SERVER_ERROR)
            })?;
        if d.allowed() {
            return Ok(());
        }
        Err(denied(denial_message(self, action, resource, d)))
    }
}

/// AWS's refusal text, shared by the API's AccessDeniedException and `/v2/`'s `DENIED`.
pub fn denial_message(subject: &Subject, action: &str, resource: &str, d: Decision) -> String {
    format!(
        "User: {} is not authorized to perform: {action} on resource: {resource}{}",
        subject.arn(),
        if d == Decision::ExplicitDeny {
            " with an explicit deny"
        } else {
            ""
        }
    )
}

pub fn repository_arn(state: &AppState, account: &str, name: &str) -> String {
    format!("arn:aws:ecr:{}:{account}:repository/{name}", state.region)
}

/// `2026-11-23T12:00:00Z`.
pub fn iso8601(t: i64) -> String {
    let d = berth_iam::sigv4::format_amz_date(t);
    let p = |r: std::ops::Range<usize>| d.get(r).unwrap_or("00");
    format!(
        "{}-{}-{}T{}:{}:{}Z",
        p(0..4),
        p(4..6),
        p(6..8),
        p(9..11),
        p(11..13),
        p(13..15)
    )
}
