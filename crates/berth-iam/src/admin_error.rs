//! What an identity administration request can be refused for (IAM's errors name these).

use berth_meta::MetaError;

use crate::SecretError;

/// Access keys a principal may hold at once, as in IAM.
pub const MAX_KEYS_PER_PRINCIPAL: i64 = 2;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("The account with id '{0}' already exists.")]
    AccountExists(String),
    #[error("The account with id '{0}' does not exist.")]
    NoSuchAccount(String),
    #[error("Account ids are 12 digits: '{0}' is not one.")]
    InvalidAccountId(String),
    #[error("User with name {0} already exists.")]
    UserExists(String),
    #[error("The user with name {0} cannot be found.")]
    NoSuchUser(String),
    #[error("The Access Key with id {0} cannot be found.")]
    NoSuchKey(String),
    #[error("Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS_PER_PRINCIPAL}")]
    KeyLimit,
    #[error(
        "Cannot delete entity, must delete access keys, policies and group memberships first."
    )]
    DeleteConflict,
    #[error("{0}")]
    MalformedPolicy(String),
    #[error("Policy {0} does not exist or is not attachable.")]
    NoSuchPolicy(String),
    /// Another entity that does not exist (group, role, inline policy), with IAM's text.
    #[error("{0}")]
    NoSuchEntity(String),
    /// Another entity that exists already, with IAM's text.
    #[error("{0}")]
    EntityExists(String),
    /// A parameter IAM's model refuses (ValidationError), with IAM's text.
    #[error("{0}")]
    Invalid(String),
    /// An entity that cannot be deleted yet (DeleteConflict), with IAM's text.
    #[error("{0}")]
    Conflict(String),
    /// A quota (LimitExceeded), with IAM's text.
    #[error("{0}")]
    Limit(String),
    #[error("The specified value for userName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_- (1 to 64 characters).")]
    InvalidUserName,
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Meta(#[from] MetaError),
}
