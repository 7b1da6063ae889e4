//! What every admin handler receives: the caller, the account it acts on (checked against who
//! may act on which account), and the request's parameters, read once with their constraints.

use berth_iam::admin::AdminError;
use berth_iam::Iam;
use berth_meta::Principal;
use berth_meta::PrincipalKind;

use super::operations::Operation;
use crate::aws::{AwsError, Input};

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
pub struct Params {
    pub account: Option<String>,
    pub user: Option<String>,
    pub key_id: Option<String>,
    pub status: Option<String>,
    pub new_account: Option<String>,
    pub policy_name: Option<String>,
    pub policy_document: Option<String>,
    pub policy_arn: Option<String>,
    pub repository: Option<String>,
    pub max_results: Option<i64>,
    pub dry_run: bool,
    pub grace: Option<i64>,
    pub upload_ttl: Option<i64>,
    pub repair: bool,
    pub sizes_only: bool,
    pub storage_price: Option<f64>,
    pub transfer_price: Option<f64>,
    pub table: bool,
}

impl Params {
    pub fn read(mut inp: Input) -> Result<Params, AwsError> {
        let p = Params {
            account: inp.string("AccountId", 12, 12),
            user: inp.string("UserName", 1, 64),
            key_id: inp.string("AccessKeyId", 16, 128),
            status: inp.enumeration("Status", &["Active", "Inactive"]),
            new_account: inp.string("NewAccountId", 12, 12),
            policy_name: inp.string("PolicyName", 1, 128),
            policy_document: inp.string("PolicyDocument", 1, 131_072),
            policy_arn: inp.string("PolicyArn", 20, 2048),
            repository: inp.string("RepositoryName", 2, 256),
            max_results: inp.integer("MaxResults", 1, 10_000),
            dry_run: inp.boolean("DryRun").unwrap_or(false),
            grace: inp.integer("GraceSeconds", 0, i64::MAX),
            upload_ttl: inp.integer("UploadTtlSeconds", 0, i64::MAX),
            repair: inp.boolean("Repair").unwrap_or(false),
            sizes_only: inp.boolean("SizesOnly").unwrap_or(false),
            storage_price: inp.number("StoragePrice"),
            transfer_price: inp.number("TransferPrice"),
            table: inp.boolean("Table").unwrap_or(false),
        };
        inp.finish()?;
        Ok(p)
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
