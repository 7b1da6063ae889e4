//! Every operation of the admin API, and its handler.

/// Every operation of the service model and its handler (`not_built`: answers that it is
/// not built yet). Passed to [`crate::operations!`] twice: for the enum here, and for the
/// dispatch in the service's `mod.rs`, where the handler modules are.
macro_rules! admin_operations {
    ($($head:tt)*) => {
        crate::operations! {
            $($head)*
            CreateAccount => identities::create_account,
            ListAccounts => identities::list_accounts,
            CreateUser => identities::create_user,
            ListUsers => identities::list_users,
            DeleteUser => identities::delete_user,
            CreateAccessKey => identities::create_access_key,
            ListAccessKeys => identities::list_access_keys,
            UpdateAccessKey => identities::update_access_key,
            DeleteAccessKey => identities::delete_access_key,
            PutUserPolicy => identities::put_user_policy,
            DeleteUserPolicy => identities::delete_user_policy,
            AttachUserPolicy => identities::attach_user_policy,
            DetachUserPolicy => identities::detach_user_policy,
            RunLifecycle => maintenance::run_lifecycle,
            ListLifecycleEvents => maintenance::list_lifecycle_events,
            RunGc => maintenance::run_gc,
            Fsck => maintenance::fsck,
            Usage => maintenance::usage,
            ImportVulnerabilityData => vulndb::import_vulnerability_data,
            DescribeVulnerabilityData => vulndb::describe_vulnerability_data,
            ExportSbom => scans::export_sbom,
            ExportScanReport => scans::export_scan_report,
        }
    };
}
pub(crate) use admin_operations;

admin_operations! { enum Operation; }
