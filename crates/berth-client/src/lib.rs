//! An outbound client of a registry: the AWS JSON 1.1 APIs signed with SigV4 (ECR's
//! GetAuthorizationToken, Berth's admin API) and the OCI Distribution API authenticated with
//! the registry token, with blobs sent as streams (HEAD first, mounted where the registry can,
//! uploaded in chunks that resume after a broken connection).
//!
//! One copy of it: replication and `berth admin --endpoint` use it, the pull-through cache reads
//! upstream registries with its `upstream` client (anonymous, Basic or Bearer-token auth).

mod aws;
pub mod credentials;
mod oci;
pub mod upstream;

use std::time::Duration;

pub use aws::AMZ_JSON_1_1;
pub use credentials::Credentials;
pub use oci::{BlobSource, Repository, Upload};

/// What went wrong talking to a registry.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The registry could not be reached or the connection broke (worth another try).
    #[error("{url}: {source}")]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The registry answered with an error: its status, its code (`DENIED`,
    /// `AccessDeniedException`) and message.
    #[error("{status} {code}: {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    /// The registry answered something the protocol does not allow.
    #[error("{0}")]
    Protocol(String),
    /// The bytes to send could not be read.
    #[error("reading what to send: {0}")]
    Source(#[source] std::io::Error),
    #[error("{0}")]
    Config(String),
}

impl ClientError {
    /// Whether trying again later may succeed: the peer is unreachable, overloaded or failed
    /// (5xx, 429), not a refusal.
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Transport { .. } | ClientError::Source(_) => true,
            ClientError::Refused { status, .. } => *status >= 500 || *status == 429,
            ClientError::Protocol(_) | ClientError::Config(_) => false,
        }
    }

    /// Whether the registry refused the caller (authentication or authorization).
    pub fn is_denied(&self) -> bool {
        matches!(
            self,
            ClientError::Refused {
                status: 401 | 403,
                ..
            }
        ) || matches!(self, ClientError::Refused { code, .. }
                if code == "DENIED" || code == "UNAUTHORIZED" || code.starts_with("AccessDenied"))
    }
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// How the client connects.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// PEM certificates trusted besides the system's roots (a private CA).
    pub extra_roots_pem: Option<Vec<u8>>,
}

impl ClientOptions {
    /// Finish an HTTP client: rustls with the system's roots and these, Berth's user agent, a
    /// connect timeout.
    pub(crate) fn build(&self, builder: reqwest::ClientBuilder) -> Result<reqwest::Client> {
        let mut builder = builder
            .use_rustls_tls()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("berth/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = &self.extra_roots_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| ClientError::Config(format!("reading the CA certificates: {e}")))?;
            for c in certs {
                builder = builder.add_root_certificate(c);
            }
        }
        builder
            .build()
            .map_err(|e| ClientError::Config(format!("building the HTTP client: {e}")))
    }
}

/// A client of one registry endpoint (`https://host[:port]` or, for tests and private
/// networks, `http://`), in one region, signing with one access key.
pub struct Client {
    http: reqwest::Client,
    base: reqwest::Url,
    /// `host[:port]` of `base`.
    authority: String,
    region: String,
    credentials: Credentials,
    token: tokio::sync::Mutex<Option<aws::Token>>,
}

impl Client {
    pub fn new(
        url: &str,
        region: &str,
        credentials: Credentials,
        options: &ClientOptions,
    ) -> Result<Client> {
        let base: reqwest::Url = url
            .parse()
            .map_err(|e| ClientError::Config(format!("{url} is not a URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(ClientError::Config(format!("{url} is not an http(s) URL")));
        }
        let authority = match (base.host_str(), base.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => return Err(ClientError::Config(format!("{url} has no host"))),
        };
        // HTTP/1.1: the Host header names the account addressed (`<account>.dkr.ecr…`), which
        // HTTP/2 would replace with the URL's authority
        let builder = reqwest::Client::builder()
            .http1_only()
            .read_timeout(Duration::from_secs(60))
            .pool_idle_timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none());
        let http = options.build(builder)?;
        Ok(Client {
            http,
            base,
            authority,
            region: region.to_string(),
            credentials,
            token: tokio::sync::Mutex::new(None),
        })
    }

    /// The endpoint's URL.
    pub fn url(&self) -> &str {
        self.base.as_str()
    }

    /// The region requests are signed for.
    pub fn region(&self) -> &str {
        &self.region
    }

    fn url_of(&self, path_and_query: &str) -> Result<reqwest::Url> {
        self.base
            .join(path_and_query)
            .map_err(|e| ClientError::Protocol(format!("{path_and_query}: {e}")))
    }
}

/// A transport error as the client's.
fn transport(url: &reqwest::Url) -> impl FnOnce(reqwest::Error) -> ClientError + '_ {
    move |source| ClientError::Transport {
        url: url.to_string(),
        source,
    }
}
