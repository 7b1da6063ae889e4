//! The OCI Distribution API of one repository: blobs (HEAD first, mounted where the registry
//! has them, uploaded as streams in chunks that resume after a broken connection) and
//! manifests.

use std::ops::Range;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::TryStreamExt;
use reqwest::{Method, StatusCode};
use serde::Deserialize;

use crate::{transport, Client, ClientError, Result};

/// Blobs up to this size go in one request; larger ones in chunks of it.
const CHUNK: u64 = 64 * 1024 * 1024;
/// How many times an upload resumes after a broken connection before it gives up.
const RESUMES: u32 = 5;

/// Where the bytes of a blob to upload come from: any range of it, as a stream (read again
/// from where the registry has them when an upload resumes).
pub trait BlobSource: Send + Sync {
    fn read(
        &self,
        range: Range<u64>,
    ) -> BoxFuture<'_, std::io::Result<BoxStream<'static, std::io::Result<Bytes>>>>;
}

/// What a mount request gave: the blob, or an upload session to send it through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upload {
    Mounted,
    Session(String),
}

/// A repository of the registry a [`Client`] talks to.
pub struct Repository<'c> {
    client: &'c Client,
    name: String,
    /// The account addressed, when not the credentials' own.
    account: Option<String>,
    /// The Host header that addresses another account (`<account>.dkr.ecr.<region>.<domain>`).
    host: Option<String>,
    /// Extra headers sent with every request.
    headers: Vec<(&'static str, String)>,
}

#[derive(Deserialize)]
struct Errors {
    errors: Vec<OciError>,
}

#[derive(Deserialize)]
struct OciError {
    code: String,
    #[serde(default)]
    message: String,
}

/// The registry's error answer as a client error.
async fn refused(res: reqwest::Response) -> ClientError {
    let status = res.status();
    let body = res.bytes().await.unwrap_or_default();
    match serde_json::from_slice::<Errors>(&body)
        .ok()
        .and_then(|e| e.errors.into_iter().next())
    {
        Some(e) => ClientError::Refused {
            status: status.as_u16(),
            code: e.code,
            message: e.message,
        },
        None => ClientError::Refused {
            status: status.as_u16(),
            code: status.canonical_reason().unwrap_or("ERROR").to_string(),
            message: String::from_utf8_lossy(&body).chars().take(200).collect(),
        },
    }
}

/// A request body: none, bytes that can be sent again, or a stream (sent once).
enum Payload {
    Empty,
    Bytes(Bytes),
    Stream(reqwest::Body, u64),
}

impl Client {
    /// Repository `name` of the account the credentials belong to, or of `account` (addressed
    /// with the Host header `<account>.dkr.ecr.<region>.berth`, which Berth reads).
    pub fn repository(&self, account: Option<&str>, name: &str) -> Repository<'_> {
        Repository {
            client: self,
            name: name.to_string(),
            account: account.map(str::to_string),
            host: account.map(|a| format!("{a}.dkr.ecr.{}.berth", self.region)),
            headers: Vec::new(),
        }
    }
}

impl Repository<'_> {
    /// Send `header: value` with every request.
    pub fn with_header(mut self, header: &'static str, value: &str) -> Self {
        self.headers.push((header, value.to_string()));
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    async fn send(
        &self,
        method: Method,
        target: &str,
        extra: &[(&str, &str)],
        payload: Payload,
    ) -> Result<reqwest::Response> {
        let url = self.client.url_of(target)?;
        let mut payload = Some(payload);
        for attempt in 0..2 {
            let authorization = self.client.registry_authorization().await?;
            let mut req = self
                .client
                .http
                .request(method.clone(), url.clone())
                .header("authorization", authorization);
            if let Some(h) = &self.host {
                req = req.header("host", h);
            }
            for (k, v) in &self.headers {
                req = req.header(*k, v);
            }
            for (k, v) in extra {
                req = req.header(*k, *v);
            }
            let replayable = match payload.take() {
                Some(Payload::Empty) | None => {
                    payload = Some(Payload::Empty);
                    req = req.header("content-length", "0");
                    true
                }
                Some(Payload::Bytes(b)) => {
                    req = req.body(b.clone());
                    payload = Some(Payload::Bytes(b));
                    true
                }
                Some(Payload::Stream(body, len)) => {
                    req = req.header("content-length", len).body(body);
                    false
                }
            };
            let res = req.send().await.map_err(transport(&url))?;
            // a token the registry no longer takes (restarted with new keys): a new one, once
            if res.status() == StatusCode::UNAUTHORIZED && attempt == 0 && replayable {
                self.client.forget_token().await;
                continue;
            }
            return Ok(res);
        }
        Err(ClientError::Protocol(
            "the registry refused a new token".into(),
        ))
    }

    /// The size of blob `digest` when the repository has it.
    pub async fn blob_size(&self, digest: &str) -> Result<Option<u64>> {
        let target = format!("/v2/{}/blobs/{digest}", self.name);
        let res = self
            .send(Method::HEAD, &target, &[], Payload::Empty)
            .await?;
        match res.status() {
            // the header itself: a HEAD answer's body is empty, whatever it announces
            StatusCode::OK => Ok(Some(
                res.headers()
                    .get("content-length")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
            )),
            StatusCode::NOT_FOUND => Ok(None),
            _ => Err(refused(res).await),
        }
    }

    /// Ask the registry to mount `digest` from another repository of the account that has it
    /// (Berth looks for one when `from` is not given); else an upload session.
    pub async fn mount(&self, digest: &str, from: Option<&str>) -> Result<Upload> {
        let mut target = format!("/v2/{}/blobs/uploads/?mount={digest}", self.name);
        if let Some(f) = from {
            target.push_str("&from=");
            target.push_str(f);
        }
        let res = self
            .send(Method::POST, &target, &[], Payload::Empty)
            .await?;
        match res.status() {
            StatusCode::CREATED => Ok(Upload::Mounted),
            StatusCode::ACCEPTED => Ok(Upload::Session(location(&res)?)),
            _ => Err(refused(res).await),
        }
    }

    async fn start_upload(&self) -> Result<String> {
        let target = format!("/v2/{}/blobs/uploads/", self.name);
        let res = self
            .send(Method::POST, &target, &[], Payload::Empty)
            .await?;
        match res.status() {
            StatusCode::ACCEPTED => location(&res),
            _ => Err(refused(res).await),
        }
    }

    /// Upload blob `digest` of `size` bytes read from `source`, through `session` when a mount
    /// request opened one. Blobs up to 64 MiB go in one request, larger ones in chunks; after
    /// a broken connection the upload resumes where the registry's upload status says. The
    /// bytes sent (more than `size` when chunks were sent again).
    pub async fn upload(
        &self,
        digest: &str,
        size: u64,
        source: &dyn BlobSource,
        session: Option<String>,
    ) -> Result<u64> {
        let mut location = match session {
            Some(l) => l,
            None => self.start_upload().await?,
        };
        let mut offset = 0u64;
        let mut sent = 0u64;
        let mut resumes = 0u32;
        loop {
            let step = if size - offset <= CHUNK && offset == 0 {
                self.put_whole(&location, digest, size, source).await
            } else if offset < size {
                self.patch(&location, offset, (offset + CHUNK).min(size), source)
                    .await
            } else {
                self.finish(&location, digest).await
            };
            match step {
                Ok(Step::Done(n)) => return Ok(sent + n),
                Ok(Step::Sent(next, n)) => {
                    location = next;
                    sent += n;
                    offset += n;
                }
                Err(e) if e.is_transient() && resumes < RESUMES => {
                    resumes += 1;
                    tracing::info!(error = %e, digest, offset, "upload interrupted; resuming");
                    tokio::time::sleep(Duration::from_millis(200 << resumes)).await;
                    match self.upload_offset(&location).await {
                        Ok(Some(at)) => offset = at,
                        // the session is gone (expired, or another node lost it): anew
                        _ => {
                            location = self.start_upload().await?;
                            offset = 0;
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// A monolithic upload: the whole blob in the closing PUT.
    async fn put_whole(
        &self,
        location: &str,
        digest: &str,
        size: u64,
        source: &dyn BlobSource,
    ) -> Result<Step> {
        let body = body_of(source, 0..size).await?;
        let target = with_digest(location, digest);
        let res = self
            .send(
                Method::PUT,
                &target,
                &[("content-type", "application/octet-stream")],
                Payload::Stream(body, size),
            )
            .await?;
        match res.status() {
            StatusCode::CREATED => Ok(Step::Done(size)),
            _ => Err(refused(res).await),
        }
    }

    async fn patch(
        &self,
        location: &str,
        start: u64,
        end: u64,
        source: &dyn BlobSource,
    ) -> Result<Step> {
        let body = body_of(source, start..end).await?;
        let range = format!("{start}-{}", end - 1);
        let res = self
            .send(
                Method::PATCH,
                location,
                &[
                    ("content-type", "application/octet-stream"),
                    ("content-range", &range),
                ],
                Payload::Stream(body, end - start),
            )
            .await?;
        match res.status() {
            StatusCode::ACCEPTED => Ok(Step::Sent(location_of(&res, location), end - start)),
            _ => Err(refused(res).await),
        }
    }

    async fn finish(&self, location: &str, digest: &str) -> Result<Step> {
        let target = with_digest(location, digest);
        let res = self.send(Method::PUT, &target, &[], Payload::Empty).await?;
        match res.status() {
            StatusCode::CREATED => Ok(Step::Done(0)),
            _ => Err(refused(res).await),
        }
    }

    /// How many bytes an upload session holds (`Range: 0-<last>`); `None` when it is gone.
    async fn upload_offset(&self, location: &str) -> Result<Option<u64>> {
        let res = self
            .send(Method::GET, location, &[], Payload::Empty)
            .await?;
        if res.status() != StatusCode::NO_CONTENT {
            return Ok(None);
        }
        let last = res
            .headers()
            .get("range")
            .and_then(|v| v.to_str().ok())
            .and_then(|r| r.split_once('-'))
            .and_then(|(_, end)| end.parse::<u64>().ok());
        Ok(Some(last.map_or(0, |l| l + 1)))
    }

    /// Store a manifest under `reference` (a digest or a tag).
    pub async fn put_manifest(&self, reference: &str, media_type: &str, body: Bytes) -> Result<()> {
        let target = format!("/v2/{}/manifests/{reference}", self.name);
        let res = self
            .send(
                Method::PUT,
                &target,
                &[("content-type", media_type)],
                Payload::Bytes(body),
            )
            .await?;
        match res.status() {
            StatusCode::CREATED => Ok(()),
            _ => Err(refused(res).await),
        }
    }

    /// Delete manifest `reference`: a digest (the image and its tags) or a tag (only it);
    /// `false` when the repository or the manifest does not exist.
    pub async fn delete_manifest(&self, reference: &str) -> Result<bool> {
        let target = format!("/v2/{}/manifests/{reference}", self.name);
        let res = self
            .send(Method::DELETE, &target, &[], Payload::Empty)
            .await?;
        match res.status() {
            StatusCode::ACCEPTED | StatusCode::OK => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(refused(res).await),
        }
    }

    /// The tags of image `digest` (ECR's DescribeImages); none when it does not exist.
    pub async fn tags_of(&self, digest: &str) -> Result<Vec<String>> {
        let mut input = serde_json::json!({
            "repositoryName": self.name,
            "imageIds": [{"imageDigest": digest}],
        });
        if let Some(a) = &self.account {
            input["registryId"] = serde_json::Value::from(a.as_str());
        }
        let body = serde_json::to_vec(&input)
            .map_err(|e| ClientError::Protocol(format!("DescribeImages input: {e}")))?;
        let answer = match self
            .client
            .call(
                "ecr",
                crate::aws::ecr_target("DescribeImages").as_str(),
                body,
            )
            .await
        {
            Err(ClientError::Refused { code, .. })
                if code == "ImageNotFoundException" || code == "RepositoryNotFoundException" =>
            {
                return Ok(Vec::new())
            }
            other => other?,
        };
        Ok(answer["imageDetails"][0]["imageTags"]
            .as_array()
            .map(|tags| {
                tags.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Remove `tag` (its image stays); `false` when it does not exist.
    pub async fn delete_tag(&self, tag: &str) -> Result<bool> {
        self.delete_manifest(tag).await
    }

    /// The digest `reference` names in the repository, when it exists.
    pub async fn manifest_digest(&self, reference: &str) -> Result<Option<String>> {
        let target = format!("/v2/{}/manifests/{reference}", self.name);
        let accept = "application/vnd.oci.image.manifest.v1+json, \
                      application/vnd.oci.image.index.v1+json, \
                      application/vnd.docker.distribution.manifest.v2+json, \
                      application/vnd.docker.distribution.manifest.list.v2+json";
        let res = self
            .send(Method::HEAD, &target, &[("accept", accept)], Payload::Empty)
            .await?;
        match res.status() {
            StatusCode::OK => Ok(res
                .headers()
                .get("docker-content-digest")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)),
            StatusCode::NOT_FOUND => Ok(None),
            _ => Err(refused(res).await),
        }
    }
}

/// What one request of an upload did: the session continues at a new location after `n`
/// bytes, or the blob is stored (`n` bytes in the last request).
enum Step {
    Sent(String, u64),
    Done(u64),
}

async fn body_of(source: &dyn BlobSource, range: Range<u64>) -> Result<reqwest::Body> {
    let stream = source.read(range).await.map_err(ClientError::Source)?;
    Ok(reqwest::Body::wrap_stream(stream.map_err(
        |e| -> Box<dyn std::error::Error + Send + Sync> { Box::new(e) },
    )))
}

fn location(res: &reqwest::Response) -> Result<String> {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .ok_or_else(|| ClientError::Protocol("an upload answer without a Location".into()))
}

fn location_of(res: &reqwest::Response, previous: &str) -> String {
    location(res).unwrap_or_else(|_| previous.to_string())
}

/// An upload location with `digest=` appended.
fn with_digest(location: &str, digest: &str) -> String {
    let sep = if location.contains('?') { '&' } else { '?' };
    format!("{location}{sep}digest={digest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_appended_to_the_location() {
        assert_eq!(
            with_digest("/v2/a/blobs/uploads/1", "sha256:ab"),
            "/v2/a/blobs/uploads/1?digest=sha256:ab"
        );
        assert_eq!(
            with_digest("http://h/v2/a/blobs/uploads/1?_state=x", "sha256:ab"),
            "http://h/v2/a/blobs/uploads/1?_state=x&digest=sha256:ab"
        );
    }
}
