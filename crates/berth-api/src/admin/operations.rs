//! Every operation of the admin API, and its handler.

use serde_json::Value;

use super::ctx::Ctx;
use crate::aws::AwsError;

crate::operations! {
    /// An operation of the admin API.
    pub enum Operation;
    dispatch(op, c: &Ctx<'_>) -> Result<Value, AwsError>;
    call (c);
    not_built => Err(AwsError::new(
        "UnknownOperationException",
        format!("Unknown operation '{}'", op.name()),
    ));
    CreateAccount => super::identities::create_account,
    ListAccounts => super::identities::list_accounts,
    CreateUser => super::identities::create_user,
    ListUsers => super::identities::list_users,
    DeleteUser => super::identities::delete_user,
    CreateAccessKey => super::identities::create_access_key,
    ListAccessKeys => super::identities::list_access_keys,
    UpdateAccessKey => super::identities::update_access_key,
    DeleteAccessKey => super::identities::delete_access_key,
    PutUserPolicy => super::identities::put_user_policy,
    DeleteUserPolicy => super::identities::delete_user_policy,
    AttachUserPolicy => super::identities::attach_user_policy,
    DetachUserPolicy => super::identities::detach_user_policy,
    RunLifecycle => super::maintenance::run_lifecycle,
    ListLifecycleEvents => super::maintenance::list_lifecycle_events,
    RunGc => super::maintenance::run_gc,
    Fsck => super::maintenance::fsck,
    Usage => super::maintenance::usage,
}
