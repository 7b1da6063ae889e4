//! The OCI Distribution API v1.1 under `/v2/`.
//!
//! Repository names contain slashes, so the path grammar is parsed once, here ([`Route::parse`]),
//! and each resource has its own file: `blobs`, `uploads`, `manifests`, `tags`, `catalog`,
//! `referrers`.

mod auth;
mod blobs;
mod catalog;
pub mod error;
mod manifests;
mod referrers;
mod tags;
mod uploads;

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use berth_oci::RepositoryName;
use berth_registry::replication::REPLICATION_HEADER;
use berth_storage::ByteStream;
use futures_util::{StreamExt, TryStreamExt};
use http::{HeaderMap, Method, StatusCode, Uri};

pub use auth::Caller;
pub use error::OciError;

use crate::authz::Subject;
use crate::state::AppState;
use berth_iam::policy::Decision;

pub const API_VERSION: (http::HeaderName, &str) = (
    http::HeaderName::from_static("docker-distribution-api-version"),
    "registry/2.0",
);
pub const DIGEST_HEADER: http::HeaderName = http::HeaderName::from_static("docker-content-digest");
pub const UPLOAD_UUID: http::HeaderName = http::HeaderName::from_static("docker-upload-uuid");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v2", any(base))
        .route("/v2/", any(base))
        .route("/v2/{*rest}", any(dispatch))
}

/// What a `/v2/…` path addresses.
#[derive(Debug, PartialEq, Eq)]
pub enum Route<'a> {
    Catalog,
    Tags(&'a str),
    Manifest(&'a str, &'a str),
    Blob(&'a str, &'a str),
    UploadStart(&'a str),
    Upload(&'a str, &'a str),
    Referrers(&'a str, &'a str),
}

impl<'a> Route<'a> {
    /// The repository the path names (none for the catalog).
    pub fn repository(&self) -> Option<&'a str> {
        match *self {
            Route::Catalog => None,
            Route::Tags(n)
            | Route::Manifest(n, _)
            | Route::Blob(n, _)
            | Route::UploadStart(n)
            | Route::Upload(n, _)
            | Route::Referrers(n, _) => Some(n),
        }
    }

    /// Parse the part of the path after `/v2/`. The name is everything before the last
    /// resource marker, so names may themselves contain `blobs`, `tags` and the like.
    pub fn parse(rest: &'a str) -> Option<Route<'a>> {
        if rest == "_catalog" {
            return Some(Route::Catalog);
        }
        let name_before = |suffix_segments: usize| -> Option<&'a str> {
            let mut end = rest.len();
            for _ in 0..suffix_segments {
                end = rest[..end].rfind('/')?;
            }
            Some(&rest[..end]).filter(|n| !n.is_empty())
        };
        let segs: Vec<&str> = rest.rsplitn(4, '/').collect();
        // segs[0] is the last segment, segs[1] the one before, …
        match segs.as_slice() {
            ["list", "tags", ..] => Some(Route::Tags(name_before(2)?)),
            [reference, "manifests", ..] => Some(Route::Manifest(name_before(2)?, reference)),
            [digest, "referrers", ..] => Some(Route::Referrers(name_before(2)?, digest)),
            ["", "uploads", "blobs", ..] => Some(Route::UploadStart(name_before(3)?)),
            [id, "uploads", "blobs", ..] => Some(Route::Upload(name_before(3)?, id)),
            ["uploads", "blobs", ..] => Some(Route::UploadStart(name_before(2)?)),
            [digest, "blobs", ..] => Some(Route::Blob(name_before(2)?, digest)),
            _ => None,
        }
    }
}

/// `Range` header value for an upload holding `size` bytes.
pub fn range_header(size: u64) -> String {
    format!("0-{}", size.saturating_sub(1))
}

pub(crate) fn repo_name(s: &str) -> Result<RepositoryName, OciError> {
    s.parse().map_err(OciError::name_invalid)
}

pub(crate) fn header(headers: &HeaderMap, name: http::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The declared length of a request body, if any.
pub(crate) fn content_length(headers: &HeaderMap) -> Result<Option<u64>, OciError> {
    match header(headers, http::header::CONTENT_LENGTH) {
        None => Ok(None),
        Some(v) => v.trim().parse().map(Some).map_err(|_| {
            OciError::new(
                StatusCode::BAD_REQUEST,
                "SIZE_INVALID",
                "invalid Content-Length",
            )
        }),
    }
}

/// A request body as a byte stream for the store.
pub(crate) fn byte_stream(body: Body) -> ByteStream {
    body.into_data_stream()
        .map_err(std::io::Error::other)
        .boxed()
}

/// `body`, failing once the client has sent nothing for `idle`: a client that stalls mid-upload
/// without closing its connection gets its chunk rolled back instead of holding the session.
fn with_idle_timeout(body: Body, idle: std::time::Duration) -> Body {
    let inner = body.into_data_stream();
    Body::from_stream(futures_util::stream::unfold(
        Some(inner),
        move |state| async move {
            let mut s = state?;
            match tokio::time::timeout(idle, s.next()).await {
                Ok(Some(item)) => Some((item.map_err(std::io::Error::other), Some(s))),
                Ok(None) => None,
                Err(_) => Some((
                    Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the client sent nothing for too long",
                    )),
                    None,
                )),
            }
        },
    ))
}

/// A response builder with the headers every `/v2/` response carries.
pub(crate) fn respond(status: StatusCode) -> http::response::Builder {
    Response::builder()
        .status(status)
        .header(API_VERSION.0, API_VERSION.1)
}

pub(crate) fn finish(b: http::response::Builder, body: Body) -> Response {
    b.body(body).unwrap_or_else(|e| {
        tracing::error!(error = %e, "building a response failed");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    })
}

fn method_not_allowed() -> OciError {
    OciError::unsupported(
        StatusCode::METHOD_NOT_ALLOWED,
        "The operation is unsupported.",
    )
}

async fn base(State(state): State<AppState>, method: Method, headers: HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return method_not_allowed().into_response();
    }
    match auth::authenticate(&state, &headers).await {
        Ok(_) => finish(
            respond(StatusCode::OK).header(http::header::CONTENT_TYPE, "application/json"),
            Body::from("{}"),
        ),
        Err(e) => e.into_response(),
    }
}

async fn dispatch(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    request: axum::extract::Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    // Only an HTTP/1 connection carries one request's body at a time; an HTTP/2 connection
    // multiplexes streams, which one stream's mark would hold up.
    let mark = parts
        .extensions
        .get::<crate::ReceiveWatermark>()
        .filter(|_| parts.version <= http::Version::HTTP_11)
        .filter(|_| parts.method == Method::PUT || parts.method == Method::PATCH);
    let body = match (mark, content_length(&parts.headers)) {
        (Some(mark), Ok(Some(n))) => crate::watermark::watermarked(body, mark.clone(), n),
        _ => body,
    };
    match route(
        &state,
        peer,
        parts.method,
        &parts.uri,
        &query,
        &parts.headers,
        body,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// Query parameters of a presigned blob URL (GetDownloadUrlForLayer).
pub const PRESIGNED_ACCOUNT: &str = "X-Berth-Account";
pub const PRESIGNED_EXPIRES: &str = "X-Berth-Expires";
pub const PRESIGNED_SIGNATURE: &str = "X-Berth-Signature";

/// The resource a presigned blob URL signs.
pub fn presigned_resource(account: &str, name: &str, digest: &str) -> String {
    format!("{account}/{name}/{digest}")
}

/// The account a validly presigned, unexpired blob URL reads from, if this is one.
fn presigned_account(
    state: &AppState,
    query: &HashMap<String, String>,
    name: &str,
    digest: &str,
) -> Option<String> {
    let account = query.get(PRESIGNED_ACCOUNT)?;
    let expires: i64 = query.get(PRESIGNED_EXPIRES)?.parse().ok()?;
    let signature = query.get(PRESIGNED_SIGNATURE)?;
    let now = crate::state::now_secs();
    let resource = presigned_resource(account, name, digest);
    state
        .iam
        .check_presigned(&resource, expires, signature, now)
        .then(|| account.clone())
}

/// The ECR action a `/v2/` request is authorised as.
fn action_of(route: &Route<'_>, method: &Method) -> Option<&'static str> {
    use Method as M;
    Some(match (route, method) {
        (Route::Catalog, _) => return None,
        (Route::Tags(_), _) => "ecr:ListImages",
        (Route::Manifest(..) | Route::Referrers(..), &M::GET | &M::HEAD) => "ecr:BatchGetImage",
        (Route::Manifest(..), &M::PUT) => "ecr:PutImage",
        (Route::Manifest(..) | Route::Blob(..), &M::DELETE) => "ecr:BatchDeleteImage",
        (Route::Blob(..), &M::HEAD) => "ecr:BatchCheckLayerAvailability",
        (Route::Blob(..), _) => "ecr:GetDownloadUrlForLayer",
        (Route::UploadStart(_), _) => "ecr:InitiateLayerUpload",
        (Route::Upload(..), &M::PUT) => "ecr:CompleteLayerUpload",
        (Route::Upload(..), &M::DELETE) => "ecr:InitiateLayerUpload",
        (Route::Upload(..), _) => "ecr:UploadLayerPart",
        _ => return None,
    })
}

/// A policy lookup that failed: logged, and `UNKNOWN` for the client.
pub(crate) fn authorization_failed(e: berth_iam::AuthError) -> OciError {
    tracing::error!(error = %e, "authorization failed");
    OciError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "UNKNOWN",
        "unknown error",
    )
}

/// Refuse the request unless the policies allow `action` on the repository.
pub(crate) async fn authorize(
    state: &AppState,
    subject: &Subject,
    action: &str,
    account: &str,
    repository: &str,
) -> Result<(), OciError> {
    match subject
        .decide(state, action, account, Some(repository))
        .await
    {
        Ok(Decision::Allow) => Ok(()),
        // 403 `DENIED` with AWS's text
        Ok(d) => Err(OciError::new(
            StatusCode::FORBIDDEN,
            "DENIED",
            crate::authz::denial_message(
                subject,
                action,
                &crate::authz::repository_arn(state, account, repository),
                d,
            ),
        )),
        Err(e) => Err(authorization_failed(e)),
    }
}

async fn route(
    state: &AppState,
    peer: Option<std::net::IpAddr>,
    method: Method,
    uri: &Uri,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OciError> {
    use Method as M;
    let rest = uri.path().strip_prefix("/v2/").unwrap_or_default();
    let Some(route) = Route::parse(rest) else {
        return Err(OciError::unsupported(
            StatusCode::NOT_FOUND,
            "no such endpoint in the OCI Distribution API",
        ));
    };
    if let (Route::Blob(name, d), true) = (&route, method == M::GET || method == M::HEAD) {
        if let Some(account) = presigned_account(state, query, name, d) {
            return blobs::get(
                &state.registry,
                &account,
                name,
                d,
                headers,
                method == M::HEAD,
            )
            .await;
        }
    }
    let caller = auth::authenticate(state, headers).await?;
    let subject = Subject::new(
        state,
        caller.principal.clone(),
        caller.session.as_deref(),
        peer,
    );
    if let Some(action) = action_of(&route, &method) {
        let name = route.repository().unwrap_or_default();
        authorize(state, &subject, action, &caller.account, name).await?;
        // a push that would create the repository needs the right to create it; the
        // (cached) decision comes first, so the repository is looked up only when it is denied
        let pushes = matches!(
            (&route, &method),
            (Route::Manifest(..), &Method::PUT) | (Route::UploadStart(_), &Method::POST)
        );
        // a replication arriving from another region creates its repository as ECR does
        // (with a REPLICATION template's settings), whether or not pushes create
        let replicating = pushes && headers.contains_key(REPLICATION_HEADER);
        if pushes && (state.registry.creates_on_push() || replicating) {
            if let Err(refused) = authorize(
                state,
                &subject,
                "ecr:CreateRepository",
                &caller.account,
                name,
            )
            .await
            {
                let exists = state
                    .registry
                    .repository_exists(&caller.account, name)
                    .await?;
                if !exists {
                    return Err(refused);
                }
            }
        }
        if pushes {
            state
                .registry
                .refuse_push_into_cache(&caller.account, name)
                .await?;
        }
        if let (Route::Manifest(_, r), &Method::GET | &Method::HEAD) = (&route, &method) {
            import_allowed(state, &subject, &caller.account, name, r).await?;
        }
        if replicating {
            let name = repo_name(name)?;
            state
                .registry
                .repository_for_replication(&caller.account, &name)
                .await?;
        }
    }
    let body = with_idle_timeout(body, state.body_idle_timeout);
    let reg = &state.registry;
    let q = |k: &str| query.get(k).map(String::as_str);
    match (route, method) {
        (Route::Catalog, M::GET) => {
            catalog::list(state, &caller, &subject, q("n"), q("last")).await
        }
        (Route::Tags(name), M::GET) => tags::list(reg, &caller, name, q("n"), q("last")).await,
        (Route::Manifest(name, r), m @ (M::GET | M::HEAD)) => {
            manifests::get(reg, &caller, name, r, m == M::HEAD).await
        }
        (Route::Manifest(name, r), M::PUT) => {
            manifests::put(reg, &caller, name, r, headers, body).await
        }
        (Route::Manifest(name, r), M::DELETE) => manifests::delete(reg, &caller, name, r).await,
        (Route::Blob(name, d), m @ (M::GET | M::HEAD)) => {
            blobs::get(reg, &caller.account, name, d, headers, m == M::HEAD).await
        }
        (Route::Blob(name, d), M::DELETE) => blobs::delete(reg, &caller, name, d).await,
        (Route::UploadStart(name), M::POST) => {
            uploads::start(reg, &caller, name, query, headers, body).await
        }
        (Route::Upload(name, id), M::GET) => uploads::status(reg, &caller, name, id).await,
        (Route::Upload(name, id), M::PATCH) => {
            uploads::patch(reg, &caller, name, id, headers, body).await
        }
        (Route::Upload(name, id), M::PUT) => {
            uploads::complete(reg, &caller, name, id, q("digest"), headers, body).await
        }
        (Route::Upload(name, id), M::DELETE) => uploads::cancel(reg, &caller, name, id).await,
        (Route::Referrers(name, d), M::GET) => {
            referrers::list(reg, &caller, name, d, q("artifactType")).await
        }
        _ => Err(method_not_allowed()),
    }
}

/// Pulling an uncached image through a cache repository imports it: the caller needs
/// `ecr:BatchImportUpstreamImage` on the repository, and `ecr:CreateRepository` the first time,
/// as ECR requires.
async fn import_allowed(
    state: &AppState,
    subject: &Subject,
    account: &str,
    name: &str,
    reference: &str,
) -> Result<(), OciError> {
    let (Ok(repo), Ok(r)) = (name.parse::<RepositoryName>(), reference.parse()) else {
        return Ok(());
    };
    match state.registry.pull_would_import(account, &repo, &r).await? {
        None => Ok(()),
        Some(exists) => {
            authorize(
                state,
                subject,
                "ecr:BatchImportUpstreamImage",
                account,
                name,
            )
            .await?;
            if !exists {
                authorize(state, subject, "ecr:CreateRepository", account, name).await?;
            }
            Ok(())
        }
    }
}

/// A page of a listing: `body` (which holds the page's items) as JSON, with a `Link` to the next
/// page, after `cursor` (the last name read, which a filtered page may not show), when `more`
/// follow.
pub(crate) fn listing(
    path: &str,
    n: Option<u32>,
    more: bool,
    cursor: Option<String>,
    body: impl serde::Serialize,
) -> Result<Response, OciError> {
    let mut b = respond(StatusCode::OK).header(http::header::CONTENT_TYPE, "application/json");
    if let Some(last) = cursor.filter(|_| more) {
        let n = n
            .unwrap_or(berth_registry::DEFAULT_PAGE)
            .min(berth_registry::MAX_PAGE);
        b = b.header(
            http::header::LINK,
            format!("<{path}?n={n}&last={}>; rel=\"next\"", urlencode(&last)),
        );
    }
    Ok(finish(b, Body::from(json_body(&body)?)))
}

/// `body` as JSON.
pub(crate) fn json_body(body: &impl serde::Serialize) -> Result<Vec<u8>, OciError> {
    serde_json::to_vec(body)
        .map_err(|e| OciError::new(StatusCode::INTERNAL_SERVER_ERROR, "UNKNOWN", e.to_string()))
}

/// A query value in a `Link`: RFC 3986 unreserved characters and `/` as they are.
fn urlencode(s: &str) -> String {
    berth_iam::sigv4::uri_encode(s.as_bytes(), true)
}

/// Parse the `n` query parameter of a listing.
pub(crate) fn page_param(n: Option<&str>) -> Result<Option<u32>, OciError> {
    n.map(|v| {
        v.parse::<u32>().map_err(|_| {
            OciError::unsupported(
                StatusCode::BAD_REQUEST,
                "the n parameter must be a non-negative integer",
            )
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::Route::{self, *};

    #[test]
    fn path_grammar() {
        let d = "sha256:abc";
        assert_eq!(Route::parse("_catalog"), Some(Catalog));
        assert_eq!(Route::parse("a/b/tags/list"), Some(Tags("a/b")));
        assert_eq!(
            Route::parse("a/manifests/latest"),
            Some(Manifest("a", "latest"))
        );
        assert_eq!(
            Route::parse("x/blobs/manifests/v1"),
            Some(Manifest("x/blobs", "v1"))
        );
        assert_eq!(Route::parse("a/b/blobs/sha256:abc"), Some(Blob("a/b", d)));
        assert_eq!(Route::parse("a/blobs/uploads/"), Some(UploadStart("a")));
        assert_eq!(Route::parse("a/blobs/uploads"), Some(UploadStart("a")));
        assert_eq!(
            Route::parse("a/blobs/uploads/123"),
            Some(Upload("a", "123"))
        );
        assert_eq!(
            Route::parse("x/blobs/uploads/blobs/uploads/"),
            Some(UploadStart("x/blobs/uploads"))
        );
        assert_eq!(
            Route::parse("a/referrers/sha256:abc"),
            Some(Referrers("a", d))
        );
        assert_eq!(Route::parse("manifests/latest"), None);
        assert_eq!(Route::parse("a/unknown/thing"), None);
        assert_eq!(Route::parse(""), None);
    }
}
