//! What every admin handler receives: the caller, the account it acts on (checked against who
//! may act on which account), and the request's parameters, read once with their constraints.

use berth_iam::admin::AdminError;
use berth_iam::Iam;
use berth_meta::Principal;
use berth_meta::PrincipalKind;
use serde::Deserialize;

use super::operations::Operation;
use crate::aws::{flag, AwsError, Checks, Request};

/// The collector's settings when a `RunGc` request does not give them.
#[derive(Debug, Clone, Copy)]
pub struct GcDefaults {
    pub grace: std::time::Duration,
    pub upload_ttl: std::time::Duration,
}

/// Who calls: a principal, or the operator of the data directory (`berth admin --data-dir`),
/// who may do everything.
pub enum AdminCaller<'a> {
    Principal {
        principal: &'a Principal,
        home_account: &'a str,
    },
    Operator {
        home_account: &'a str,
    },
}

/// The parameters of every admin operation (each reads those it needs).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Params {
    #[serde(rename = "AccountId")]
    pub account: Option<String>,
    #[serde(rename = "UserName")]
    pub user: Option<String>,
    #[serde(rename = "AccessKeyId")]
    pub key_id: Option<String>,
    pub status: Option<String>,
    #[serde(rename = "NewAccountId")]
    pub new_account: Option<String>,
    pub policy_name: Option<String>,
    pub policy_document: Option<String>,
    pub policy_arn: Option<String>,
    #[serde(rename = "RepositoryName")]
    pub repository: Option<String>,
    pub max_results: Option<i64>,
    #[serde(default, deserialize_with = "flag")]
    pub dry_run: bool,
    #[serde(rename = "GraceSeconds")]
    pub grace: Option<i64>,
    #[serde(rename = "UploadTtlSeconds")]
    pub upload_ttl: Option<i64>,
    #[serde(default, deserialize_with = "flag")]
    pub repair: bool,
    #[serde(default, deserialize_with = "flag")]
    pub sizes_only: bool,
    pub storage_price: Option<f64>,
    pub transfer_price: Option<f64>,
    #[serde(default, deserialize_with = "flag")]
    pub table: bool,
    /// ImportVulnerabilityData: the file's name, and its bytes in base64.
    pub name: Option<String>,
    pub data: Option<String>,
    /// ExportSbom, ExportScanReport: the image (a tag or digest), the SBOM's format, and
    /// whether to attach the document to the image as a referrer.
    pub image_reference: Option<String>,
    pub format: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    pub attach: bool,
}

impl Request for Params {
    fn check(&self, c: &mut Checks) {
        c.length("AccountId", self.account.as_deref(), 12, 12);
        c.length("UserName", self.user.as_deref(), 1, 64);
        c.length("AccessKeyId", self.key_id.as_deref(), 16, 128);
        c.one_of("Status", self.status.as_deref(), &["Active", "Inactive"]);
        c.length("NewAccountId", self.new_account.as_deref(), 12, 12);
        c.length("PolicyName", self.policy_name.as_deref(), 1, 128);
        c.length(
            "PolicyDocument",
            self.policy_document.as_deref(),
            1,
            131_072,
        );
        c.length("PolicyArn", self.policy_arn.as_deref(), 20, 2048);
        c.length("RepositoryName", self.repository.as_deref(), 2, 256);
        c.range("MaxResults", self.max_results, 1, 10_000);
        c.range("GraceSeconds", self.grace, 0, i64::MAX);
        c.range("UploadTtlSeconds", self.upload_ttl, 0, i64::MAX);
        c.non_negative("StoragePrice", self.storage_price);
        c.non_negative("TransferPrice", self.transfer_price);
        c.length("Name", self.name.as_deref(), 1, 4096);
        c.length("ImageReference", self.image_reference.as_deref(), 1, 300);
    }
}

pub struct Ctx<'a> {
    pub iam: &'a Iam,
    pub registry: &'a berth_registry::Registry,
    pub gc: &'a GcDefaults,
    pub caller: AdminCaller<'a>,
    pub operation: Operation,
    pub params: Params,
    /// The account acted on: `AccountId`, else the caller's own.
    pub account: String,
    /// Whether `AccountId` was given.
    pub named_account: bool,
    /// The installation's root, or the operator: manages every account.
    pub installation_admin: bool,
}

impl<'a> Ctx<'a> {
    /// The request, refused unless the caller may act on the account it names.
    pub fn new(
        iam: &'a Iam,
        registry: &'a berth_registry::Registry,
        gc: &'a GcDefaults,
        caller: AdminCaller<'a>,
        operation: Operation,
        mut params: Params,
    ) -> Result<Self, AwsError> {
        let (home, own) = match &caller {
            AdminCaller::Operator { home_account } => (*home_account, home_account.to_string()),
            AdminCaller::Principal {
                principal,
                home_account,
            } => (*home_account, principal.account_id.clone()),
        };
        let installation_admin = match &caller {
            AdminCaller::Operator { .. } => true,
            AdminCaller::Principal { principal, .. } => {
                principal.kind == PrincipalKind::Root && principal.account_id == home
            }
        };
        let named = params.account.take();
        let mut ctx = Ctx {
            iam,
            registry,
            gc,
            caller,
            operation,
            params,
            account: own.clone(),
            named_account: named.is_some(),
            installation_admin,
        };
        if let AdminCaller::Principal { principal, .. } = &ctx.caller {
            if principal.kind != PrincipalKind::Root {
                return Err(ctx.denied());
            }
        }
        if let Some(a) = named {
            if a != own && !installation_admin {
                return Err(ctx.denied());
            }
            ctx.account = a;
        }
        Ok(ctx)
    }

    /// The caller's ARN, or `operator`.
    pub fn actor(&self) -> String {
        match &self.caller {
            AdminCaller::Principal { principal, .. } => arn(principal),
            AdminCaller::Operator { .. } => "operator".into(),
        }
    }

    pub fn denied(&self) -> AwsError {
        AwsError::new(
            "AccessDenied",
            format!(
                "User: {} is not authorized to perform: berth:{}",
                self.actor(),
                self.operation.name()
            ),
        )
        .status(http::StatusCode::FORBIDDEN)
    }

    /// Refuse unless the caller administers the installation.
    pub fn installation_only(&self) -> Result<(), AwsError> {
        if self.installation_admin {
            Ok(())
        } else {
            Err(self.denied())
        }
    }
}

/// A parameter the operation needs.
pub fn required<'v>(v: &'v Option<String>, field: &str) -> Result<&'v str, AwsError> {
    v.as_deref().ok_or_else(|| {
        AwsError::new(
            "ValidationError",
            format!("1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"),
        )
    })
}

pub fn arn(p: &Principal) -> String {
    berth_iam::authz::caller_of(p, None).arn
}

/// IAM's error for `e`, answered with 400 as every error of this JSON API but the server's.
pub fn error(e: AdminError) -> AwsError {
    let e = crate::aws::iam_error(e);
    if e.status.is_server_error() {
        AwsError::server("An internal error occurred")
    } else {
        e.status(http::StatusCode::BAD_REQUEST)
    }
}

/// A duration given in (non-negative, validated) seconds, else the default.
pub fn seconds_or(given: Option<i64>, default: std::time::Duration) -> std::time::Duration {
    given
        .map(|s| std::time::Duration::from_secs(s.max(0) as u64))
        .unwrap_or(default)
}
