//! Why a replication did not complete: a code shown in DescribeImageReplicationStatus and the
//! backfill results, a reason for the log, and whether trying again later may succeed.

use berth_client::ClientError;

use crate::RegistryError;

/// The failure codes (ECR documents the field, not its values; these name what Berth saw).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureCode {
    /// The destination refused the source: its registry policy (cross-account) or, at a peer,
    /// the credentials' permissions.
    AccessDenied,
    /// The peer could not be reached or failed (retried with backoff for about a day).
    DestinationUnavailable,
    /// The destination refused what was sent (a manifest it does not accept).
    DestinationRefused,
    /// The image, or one of its blobs, is no longer in the source repository.
    ImageNotFound,
    /// The destination region is no longer a peer, or has no credentials.
    DestinationNotConfigured,
    /// Berth failed on its own side (the database or the blob store).
    InternalError,
}

impl FailureCode {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCode::AccessDenied => "ACCESS_DENIED",
            FailureCode::DestinationUnavailable => "DESTINATION_UNAVAILABLE",
            FailureCode::DestinationRefused => "DESTINATION_REFUSED",
            FailureCode::ImageNotFound => "IMAGE_NOT_FOUND",
            FailureCode::DestinationNotConfigured => "DESTINATION_NOT_CONFIGURED",
            FailureCode::InternalError => "INTERNAL_ERROR",
        }
    }
}

/// A replication that did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: FailureCode,
    pub reason: String,
    /// Whether a later attempt may succeed without anyone changing anything.
    pub transient: bool,
}

impl Failure {
    pub fn new(code: FailureCode, reason: impl Into<String>) -> Failure {
        Failure {
            code,
            reason: reason.into(),
            transient: false,
        }
    }

    pub fn transient(code: FailureCode, reason: impl Into<String>) -> Failure {
        Failure {
            transient: true,
            ..Failure::new(code, reason)
        }
    }
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Failure {
        let reason = e.to_string();
        if e.is_denied() {
            Failure::new(FailureCode::AccessDenied, reason)
        } else if e.is_transient() {
            Failure::transient(FailureCode::DestinationUnavailable, reason)
        } else {
            Failure::new(FailureCode::DestinationRefused, reason)
        }
    }
}

impl From<RegistryError> for Failure {
    fn from(e: RegistryError) -> Failure {
        use RegistryError as R;
        let reason = e.to_string();
        match e {
            R::Internal(_) | R::InsufficientStorage(_) => {
                Failure::transient(FailureCode::InternalError, reason)
            }
            R::NameUnknown { .. } | R::ManifestUnknown(_) | R::BlobUnknown(_) => {
                Failure::new(FailureCode::ImageNotFound, reason)
            }
            R::Denied(_) => Failure::new(FailureCode::AccessDenied, reason),
            _ => Failure::new(FailureCode::DestinationRefused, reason),
        }
    }
}

impl From<berth_meta::MetaError> for Failure {
    fn from(e: berth_meta::MetaError) -> Failure {
        RegistryError::from(e).into()
    }
}
