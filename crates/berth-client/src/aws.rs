//! AWS JSON 1.1 calls signed with SigV4, and the registry token from ECR's
//! GetAuthorizationToken that authenticates the OCI requests.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use berth_iam::sigv4;
use serde_json::Value;

use crate::{transport, Client, ClientError, Result};

pub const AMZ_JSON_1_1: &str = "application/x-amz-json-1.1";
const ECR_TARGET: &str = "AmazonEC2ContainerRegistry_V20150921.";

/// A token is asked for again this long before it expires.
const TOKEN_MARGIN: Duration = Duration::from_secs(15 * 60);

/// A registry token and when to ask for a new one.
pub(crate) struct Token {
    /// `Basic base64(AWS:token)`.
    pub header: String,
    pub renew_at: Instant,
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The `X-Amz-Target` of ECR operation `op`.
pub(crate) fn ecr_target(op: &str) -> String {
    format!("{ECR_TARGET}{op}")
}

impl Client {
    /// Call operation `target` (`AmazonEC2ContainerRegistry_V20150921.DescribeRegistry`) of an
    /// AWS JSON 1.1 service whose signing name is `service`; the answer's JSON, or its error as
    /// `Refused` with the `__type`'s last part as the code.
    pub async fn call(&self, service: &str, target: &str, body: Vec<u8>) -> Result<Value> {
        let amz_date = sigv4::format_amz_date(now_secs());
        let mut headers = vec![
            ("content-type", AMZ_JSON_1_1),
            ("host", self.authority.as_str()),
            ("x-amz-date", amz_date.as_str()),
            ("x-amz-target", target),
        ];
        if let Some(t) = &self.credentials.session_token {
            headers.push(("x-amz-security-token", t.as_str()));
        }
        let payload_hash = sigv4::sha256_hex(&body);
        let req = sigv4::Request {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
            payload_hash: &payload_hash,
        };
        let authorization = sigv4::authorization_header(
            &req,
            &amz_date,
            &self.credentials.access_key_id,
            &self.credentials.secret_access_key,
            &self.region,
            service,
        )
        .ok_or_else(|| ClientError::Config("the request cannot be signed".into()))?;
        let url = self.url_of("/")?;
        let mut request = self.http.post(url.clone()).body(body);
        for (name, value) in headers.iter().filter(|(n, _)| *n != "host") {
            request = request.header(*name, *value);
        }
        let res = request
            .header("authorization", authorization)
            .send()
            .await
            .map_err(transport(&url))?;
        let status = res.status();
        let bytes = res.bytes().await.map_err(transport(&url))?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|_| ClientError::Refused {
            status: status.as_u16(),
            code: status.canonical_reason().unwrap_or("Error").to_string(),
            message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
        })?;
        if status.is_success() {
            return Ok(value);
        }
        let code = value
            .get("__type")
            .and_then(Value::as_str)
            .map(|t| t.rsplit('#').next().unwrap_or(t))
            .unwrap_or("Error");
        let message = value
            .get("message")
            .or_else(|| value.get("Message"))
            .and_then(Value::as_str)
            .unwrap_or("");
        Err(ClientError::Refused {
            status: status.as_u16(),
            code: code.to_string(),
            message: message.to_string(),
        })
    }

    /// The `Authorization` header of OCI requests: the registry token ECR's
    /// GetAuthorizationToken gives these credentials, kept until shortly before it expires.
    pub async fn registry_authorization(&self) -> Result<String> {
        let mut token = self.token.lock().await;
        if let Some(t) = token.as_ref().filter(|t| t.renew_at > Instant::now()) {
            return Ok(t.header.clone());
        }
        let answer = self
            .call("ecr", &ecr_target("GetAuthorizationToken"), b"{}".to_vec())
            .await?;
        let data = answer
            .get("authorizationData")
            .and_then(|d| d.get(0))
            .ok_or_else(|| ClientError::Protocol("GetAuthorizationToken gave no token".into()))?;
        let encoded = data
            .get("authorizationToken")
            .and_then(Value::as_str)
            .ok_or_else(|| ClientError::Protocol("GetAuthorizationToken gave no token".into()))?;
        // `AWS:<token>`, base64: checked, then sent as it came
        let valid = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .is_some_and(|s| s.contains(':'));
        if !valid {
            return Err(ClientError::Protocol(
                "the registry token is not user:token".into(),
            ));
        }
        let lifetime = data
            .get("expiresAt")
            .and_then(Value::as_f64)
            .map(|at| Duration::from_secs_f64((at - now_secs() as f64).max(0.0)))
            .unwrap_or(Duration::from_secs(3600));
        let header = format!("Basic {encoded}");
        *token = Some(Token {
            header: header.clone(),
            renew_at: Instant::now() + lifetime.saturating_sub(TOKEN_MARGIN),
        });
        Ok(header)
    }

    /// Forget the registry token (the registry refused it: revoked, or its key rotated).
    pub async fn forget_token(&self) {
        *self.token.lock().await = None;
    }
}
