//! A client of an upstream registry (the pull-through cache's): the OCI Distribution API read
//! anonymously, with Basic credentials, or with a Bearer token from the realm a
//! `WWW-Authenticate: Bearer realm=…,service=…,scope=…` challenge names (Docker Hub, ghcr,
//! quay, Distribution with token auth), tokens kept per scope until they expire.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::{Bytes, BytesMut};
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use reqwest::{Method, StatusCode};
use serde::Deserialize;

use crate::{transport, ClientError, ClientOptions, Result};

/// The largest manifest taken from an upstream (ECR's limit).
pub const MAX_MANIFEST: usize = 4 * 1024 * 1024;

/// Manifest types asked for, in the order of preference.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json";

/// The username and password (or access token) an upstream takes.
#[derive(Clone, PartialEq, Eq)]
pub struct Login {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// A challenge of a 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

/// Parse `WWW-Authenticate` (`Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`).
pub(crate) fn parse_challenge(value: &str) -> Option<Challenge> {
    let (scheme, params) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut rest = params.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        fields.insert(key, value.to_string());
        rest = next.trim_start().trim_start_matches(',').trim_start();
    }
    Some(Challenge::Bearer {
        realm: fields.remove("realm")?,
        service: fields.remove("service"),
        scope: fields.remove("scope"),
    })
}

#[derive(Deserialize)]
struct TokenAnswer {
    token: Option<String>,
    access_token: Option<String>,
    expires_in: Option<u64>,
}

/// A client of one upstream registry.
pub struct Upstream {
    http: reqwest::Client,
    base: reqwest::Url,
    login: Option<Login>,
    /// Bearer tokens by scope, with when they expire.
    tokens: tokio::sync::Mutex<HashMap<String, (String, Instant)>>,
}

impl Upstream {
    /// An upstream at `url`: a host (`registry-1.docker.io`, `host:5000`: HTTPS) or
    /// `http://host:port` (plaintext).
    pub fn new(url: &str, login: Option<Login>, options: &ClientOptions) -> Result<Upstream> {
        let full = if url.starts_with("http://") || url.starts_with("https://") {
            url.to_string()
        } else {
            format!("https://{url}")
        };
        let base: reqwest::Url = full
            .parse()
            .map_err(|e| ClientError::Config(format!("{url} is not a registry URL: {e}")))?;
        let http =
            options.build(reqwest::Client::builder().read_timeout(Duration::from_secs(30)))?;
        Ok(Upstream {
            http,
            base,
            login,
            tokens: tokio::sync::Mutex::new(HashMap::new()),
        })
    }

    fn basic(&self) -> Option<String> {
        self.login.as_ref().map(|l| {
            let pair = format!("{}:{}", l.username, l.password);
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )
        })
    }

    /// A Bearer token for `scope` from `realm` (with the login, when there is one).
    async fn token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: Option<&str>,
    ) -> Result<String> {
        let key = scope.unwrap_or("").to_string();
        if let Some((t, until)) = self.tokens.lock().await.get(&key) {
            if *until > Instant::now() {
                return Ok(t.clone());
            }
        }
        let mut url: reqwest::Url = realm
            .parse()
            .map_err(|_| ClientError::Protocol(format!("the token realm {realm} is not a URL")))?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = service {
                q.append_pair("service", s);
            }
            if let Some(s) = scope {
                q.append_pair("scope", s);
            }
        }
        let mut req = self.http.get(url.clone());
        if let Some(b) = self.basic() {
            req = req.header("authorization", b);
        }
        let res = req.send().await.map_err(transport(&url))?;
        let status = res.status();
        if !status.is_success() {
            return Err(ClientError::Refused {
                status: status.as_u16(),
                code: "UNAUTHORIZED".into(),
                message: format!("the token service {realm} answered {status}"),
            });
        }
        let answer: TokenAnswer = res
            .json()
            .await
            .map_err(|e| ClientError::Protocol(format!("the token service's answer: {e}")))?;
        let token = answer
            .token
            .or(answer.access_token)
            .ok_or_else(|| ClientError::Protocol("the token service gave no token".into()))?;
        // its lifetime (60 s when not said, as the spec has it), less a margin
        let life = Duration::from_secs(answer.expires_in.unwrap_or(60).saturating_sub(10).max(1));
        self.tokens
            .lock()
            .await
            .insert(key, (token.clone(), Instant::now() + life));
        Ok(token)
    }

    /// Send a request, answering the upstream's challenge once (Basic with the login, or a
    /// Bearer token for the scope it names).
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        accept: Option<&str>,
    ) -> Result<reqwest::Response> {
        let url = self
            .base
            .join(path)
            .map_err(|e| ClientError::Protocol(format!("{path}: {e}")))?;
        let mut auth: Option<String> = None;
        for _ in 0..2 {
            let mut req = self.http.request(method.clone(), url.clone());
            if let Some(a) = &auth {
                req = req.header("authorization", a);
            }
            if let Some(a) = accept {
                req = req.header("accept", a);
            }
            let res = req.send().await.map_err(transport(&url))?;
            if res.status() != StatusCode::UNAUTHORIZED || auth.is_some() {
                return Ok(res);
            }
            let challenge = res
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .and_then(parse_challenge);
            auth = match challenge {
                Some(Challenge::Basic) => match self.basic() {
                    Some(b) => Some(b),
                    None => return Ok(res),
                },
                Some(Challenge::Bearer {
                    realm,
                    service,
                    scope,
                }) => Some(format!(
                    "Bearer {}",
                    self.token(&realm, service.as_deref(), scope.as_deref())
                        .await?
                )),
                None => return Ok(res),
            };
        }
        Err(ClientError::Protocol(
            "the upstream refused its own token".into(),
        ))
    }

    /// Manifest `reference` of `repo`: its media type and bytes (at most [`MAX_MANIFEST`]);
    /// `None` when the upstream does not have it.
    pub async fn manifest(&self, repo: &str, reference: &str) -> Result<Option<(String, Bytes)>> {
        let path = format!("/v2/{repo}/manifests/{reference}");
        let res = self.send(Method::GET, &path, Some(MANIFEST_ACCEPT)).await?;
        if res.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !res.status().is_success() {
            return Err(refused(&self.base, &path, res.status()));
        }
        if res
            .content_length()
            .is_some_and(|n| n > MAX_MANIFEST as u64)
        {
            return Err(ClientError::Protocol(format!(
                "the upstream's manifest {repo}:{reference} is larger than 4 MiB"
            )));
        }
        let media_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let mut body = BytesMut::new();
        let mut stream = res.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| ClientError::Transport {
                url: format!("{}{}", self.base, path.trim_start_matches('/')),
                source: e,
            })?;
            if body.len() + chunk.len() > MAX_MANIFEST {
                return Err(ClientError::Protocol(format!(
                    "the upstream's manifest {repo}:{reference} is larger than 4 MiB"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Some((media_type, body.freeze())))
    }

    /// The digest tag or digest `reference` of `repo` names at the upstream (`HEAD`); `None`
    /// when it has no such manifest.
    pub async fn manifest_digest(&self, repo: &str, reference: &str) -> Result<Option<String>> {
        let path = format!("/v2/{repo}/manifests/{reference}");
        let res = self
            .send(Method::HEAD, &path, Some(MANIFEST_ACCEPT))
            .await?;
        if res.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !res.status().is_success() {
            return Err(refused(&self.base, &path, res.status()));
        }
        Ok(res
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string))
    }

    /// Blob `digest` of `repo` as a stream, with the length the upstream announced.
    pub async fn blob(
        &self,
        repo: &str,
        digest: &str,
    ) -> Result<(Option<u64>, BoxStream<'static, std::io::Result<Bytes>>)> {
        let path = format!("/v2/{repo}/blobs/{digest}");
        let res = self.send(Method::GET, &path, None).await?;
        if !res.status().is_success() {
            return Err(refused(&self.base, &path, res.status()));
        }
        let len = res.content_length();
        let stream = res.bytes_stream().map_err(std::io::Error::other).boxed();
        Ok((len, stream))
    }

    /// `GET /v2/`: whether the upstream answers, and takes the login if it needs one.
    pub async fn ping(&self) -> Result<()> {
        let res = self.send(Method::GET, "/v2/", None).await?;
        if res.status().is_success() {
            return Ok(());
        }
        Err(refused(&self.base, "/v2/", res.status()))
    }
}

/// An upstream's error answer.
fn refused(base: &reqwest::Url, path: &str, status: StatusCode) -> ClientError {
    ClientError::Refused {
        status: status.as_u16(),
        code: status.canonical_reason().unwrap_or("ERROR").to_string(),
        message: format!("{base}{} answered {status}", path.trim_start_matches('/')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_are_read_as_registries_send_them() {
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/alpine:pull".into()),
            })
        );
        assert_eq!(
            parse_challenge(r#"bearer realm="https://ghcr.io/token", service=ghcr.io"#),
            Some(Challenge::Bearer {
                realm: "https://ghcr.io/token".into(),
                service: Some("ghcr.io".into()),
                scope: None,
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge("Negotiate"), None);
        assert_eq!(parse_challenge(r#"Bearer service="x""#), None);
    }
}
