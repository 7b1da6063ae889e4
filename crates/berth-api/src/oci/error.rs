//! OCI error bodies: `{"errors":[{"code","message","detail"}]}` with the spec's codes.

use axum::response::{IntoResponse, Response};
use berth_registry::RegistryError;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::Serialize;

use super::API_VERSION;

/// An OCI error response (boxed: errors travel through many `Result`s).
#[derive(Debug)]
pub struct OciError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    status: StatusCode,
    code: &'static str,
    message: String,
    detail: Option<Detail>,
    headers: HeaderMap,
}

/// An error's `detail`: what it is about, as `{"reason": …}`, `{"digest": …}` or
/// `{"reference": …}`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Detail {
    Reason(String),
    Digest(String),
    Reference(String),
}

/// The body: `{"errors": [{"code", "message", "detail"}]}`.
#[derive(Serialize)]
struct Body<'a> {
    errors: [Entry<'a>; 1],
}

#[derive(Serialize)]
struct Entry<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a Detail>,
}

impl OciError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        OciError(Box::new(Inner {
            status,
            code,
            message: message.into(),
            detail: None,
            headers: HeaderMap::new(),
        }))
    }

    pub fn detail(mut self, detail: Detail) -> Self {
        self.0.detail = Some(detail);
        self
    }

    pub fn status(mut self, status: StatusCode) -> Self {
        self.0.status = status;
        self
    }

    pub fn header(mut self, name: http::HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.0.headers.insert(name, v);
        }
        self
    }

    pub fn name_invalid(reason: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "NAME_INVALID",
            "invalid repository name",
        )
        .detail(Detail::Reason(reason.to_string()))
    }

    pub fn digest_invalid(reason: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "DIGEST_INVALID",
            "provided digest is invalid",
        )
        .detail(Detail::Reason(reason.to_string()))
    }

    pub fn unsupported(status: StatusCode, message: impl Into<String>) -> Self {
        Self::new(status, "UNSUPPORTED", message)
    }

    pub fn unauthorized(challenge: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "authentication required",
        )
        .header(http::header::WWW_AUTHENTICATE, challenge)
    }
}

impl From<RegistryError> for OciError {
    fn from(e: RegistryError) -> Self {
        use RegistryError as R;
        let msg = e.to_string();
        match e {
            R::NameUnknown { .. } => Self::new(StatusCode::NOT_FOUND, "NAME_UNKNOWN", msg),
            R::BlobUnknown(d) => Self::new(
                StatusCode::NOT_FOUND,
                "BLOB_UNKNOWN",
                "blob unknown to registry",
            )
            .detail(Detail::Digest(d.to_string())),
            R::BlobUploadUnknown => Self::new(
                StatusCode::NOT_FOUND,
                "BLOB_UPLOAD_UNKNOWN",
                "blob upload unknown to registry",
            ),
            R::BlobUploadInvalid(_) => {
                Self::new(StatusCode::BAD_REQUEST, "BLOB_UPLOAD_INVALID", msg)
            }
            R::RangeInvalid { size } => Self::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "BLOB_UPLOAD_INVALID",
                format!("chunk out of order: the upload holds {size} bytes"),
            )
            .header(http::header::RANGE, &super::range_header(size)),
            R::DigestInvalid(_) => Self::new(StatusCode::BAD_REQUEST, "DIGEST_INVALID", msg),
            R::SizeInvalid(_) => Self::new(StatusCode::BAD_REQUEST, "SIZE_INVALID", msg),
            R::ManifestUnknown(r) => Self::new(
                StatusCode::NOT_FOUND,
                "MANIFEST_UNKNOWN",
                // ECR's text
                "Requested image not found",
            )
            .detail(Detail::Reference(r)),
            R::ManifestBlobUnknown(d) => Self::new(
                StatusCode::BAD_REQUEST,
                "MANIFEST_BLOB_UNKNOWN",
                "manifest references a blob unknown to this repository",
            )
            .detail(Detail::Digest(d.to_string())),
            R::ManifestInvalid(_) => Self::new(StatusCode::BAD_REQUEST, "MANIFEST_INVALID", msg),
            R::ManifestTooLarge => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "MANIFEST_INVALID", msg)
            }
            R::Denied(_) => Self::new(StatusCode::CONFLICT, "DENIED", msg),
            R::PushIntoCache(_) => Self::new(StatusCode::FORBIDDEN, "DENIED", msg),
            // the spec's answer when a deletion is not allowed: the blob stays usable
            R::BlobInUse { .. } => Self::unsupported(StatusCode::METHOD_NOT_ALLOWED, msg),
            R::TagImmutable { .. } => Self::new(StatusCode::BAD_REQUEST, "TAG_INVALID", msg),
            // control-plane outcomes that /v2/ requests do not produce
            R::RepositoryExists { .. }
            | R::RepositoryNotEmpty { .. }
            | R::TooManyTags
            | R::LifecyclePolicyNotFound { .. }
            | R::ImageNotFound { .. }
            | R::ScanNotFound { .. }
            | R::ScanLimitExceeded
            | R::UnsupportedImageType(_)
            | R::VulnerabilityData(_)
            | R::LifecyclePreviewNotFound { .. }
            | R::LifecycleInvalid(_)
            | R::ImageDigestMismatch { .. }
            | R::ReplicationConfig(_)
            | R::BackfillDestination
            | R::BackfillInProgress { .. }
            | R::BackfillNotFound { .. }
            | R::BackfillEnded { .. }
            | R::TemplateExists { .. }
            | R::TemplateNotFound { .. }
            | R::CacheRuleExists { .. }
            | R::CacheRuleNotFound { .. }
            | R::CacheRuleLimit
            | R::ImageExists { .. } => Self::new(StatusCode::CONFLICT, "DENIED", msg),
            R::Unsupported(_) => Self::unsupported(StatusCode::METHOD_NOT_ALLOWED, msg),
            // 507 (WebDAV's Insufficient Storage): the spec has no code of its own for it
            R::InsufficientStorage(_) => {
                Self::new(StatusCode::INSUFFICIENT_STORAGE, "UNKNOWN", msg)
            }
            // the upstream's failure, named (the spec has no code of its own for it)
            R::Upstream(_) => Self::new(StatusCode::BAD_GATEWAY, "UNKNOWN", msg),
            R::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "UNKNOWN",
                    "unknown error",
                )
            }
        }
    }
}

impl IntoResponse for OciError {
    fn into_response(self) -> Response {
        let e = *self.0;
        let body = serde_json::to_string(&Body {
            errors: [Entry {
                code: e.code,
                message: &e.message,
                detail: e.detail.as_ref(),
            }],
        })
        .unwrap_or_default();
        let mut res = (e.status, body).into_response();
        let h = res.headers_mut();
        h.extend(e.headers);
        h.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        h.insert(API_VERSION.0, HeaderValue::from_static(API_VERSION.1));
        res
    }
}
