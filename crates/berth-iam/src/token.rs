//! Registry authorization tokens (`GetAuthorizationToken` → `docker login -u AWS`).
//!
//! A token is `v1.<payload>.<mac>`: the payload names the principal that asked and when the token
//! expires, base64url-encoded; the MAC is HMAC-SHA256 under a key derived from the installation's
//! master key. Nothing is stored per token, so any node with the master key can check one.
//!
//! The password is plain ASCII from the base64url alphabet, so the `authorizationToken` (standard
//! base64 of `AWS:<password>`) never contains `+` or `/`: a 6-bit group of standard base64 is 62 or
//! 63 only over bytes `>`, `?`, `~`, DEL or non-ASCII, none of which occur. Old Terraform decodes
//! tokens with the URL alphabet, the CLI with the standard one; both read these.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How long a token lasts, as ECR's.
pub const TOKEN_LIFETIME_SECS: i64 = 12 * 3600;

const VERSION: &str = "v1";

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Account of the principal.
    #[serde(rename = "a")]
    pub account: String,
    /// The principal's row ID.
    #[serde(rename = "p")]
    pub principal_id: i64,
    /// The principal's unique ID (a recreated user of the same name is another principal).
    #[serde(rename = "u")]
    pub unique_id: String,
    /// Expiry, epoch seconds.
    #[serde(rename = "e")]
    pub expires_at: i64,
    /// The role session's name, when a role session asked (AssumeRole).
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed or its signature does not match")]
    Invalid,
    #[error("the token expired")]
    Expired,
}

/// Issues and checks tokens under one key.
#[derive(Clone)]
pub struct TokenKey([u8; 32]);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(<redacted>)")
    }
}

fn mac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    m.update(data);
    m.finalize().into_bytes().into()
}

impl TokenKey {
    /// The token key of an installation, derived from its master key.
    pub fn derive(master: &[u8]) -> Self {
        TokenKey(mac(master, b"berth registry authorization token v1"))
    }

    /// The password part of a token for `claims`.
    pub fn password(&self, claims: &Claims) -> String {
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
        let signed = format!("{VERSION}.{payload}");
        let tag = URL_SAFE_NO_PAD.encode(mac(&self.0, signed.as_bytes()));
        format!("{signed}.{tag}")
    }

    /// The `authorizationToken` of ECR's `AuthorizationData`: base64(`AWS:<password>`).
    pub fn authorization_token(&self, claims: &Claims) -> String {
        STANDARD.encode(format!("AWS:{}", self.password(claims)))
    }

    /// The signature of a presigned URL for `resource` that expires at `expires` (epoch seconds).
    pub fn presign(&self, resource: &str, expires: i64) -> String {
        URL_SAFE_NO_PAD.encode(mac(
            &self.0,
            format!("presigned\0{resource}\0{expires}").as_bytes(),
        ))
    }

    /// Whether `signature` presigns `resource` until `expires`, and `now` is before that.
    pub fn check_presigned(&self, resource: &str, expires: i64, signature: &str, now: i64) -> bool {
        let Ok(given) = URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        let expected = mac(
            &self.0,
            format!("presigned\0{resource}\0{expires}").as_bytes(),
        );
        now < expires && bool::from(expected.as_slice().ct_eq(&given))
    }

    /// Check a password at time `now` (epoch seconds).
    pub fn check(&self, password: &str, now: i64) -> Result<Claims, TokenError> {
        let (signed, tag) = password.rsplit_once('.').ok_or(TokenError::Invalid)?;
        let (version, payload) = signed.split_once('.').ok_or(TokenError::Invalid)?;
        if version != VERSION {
            return Err(TokenError::Invalid);
        }
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| TokenError::Invalid)?;
        let expected = mac(&self.0, signed.as_bytes());
        if !bool::from(expected.as_slice().ct_eq(&tag)) {
            return Err(TokenError::Invalid);
        }
        let claims: Claims = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(TokenError::Invalid)?;
        if now >= claims.expires_at {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presigned_urls_bind_resource_and_expiry() {
        let k = TokenKey::derive(&[7u8; 32]);
        let sig = k.presign("123456789012/app/sha256:ab", 1000);
        assert!(k.check_presigned("123456789012/app/sha256:ab", 1000, &sig, 999));
        assert!(!k.check_presigned("123456789012/app/sha256:ab", 1000, &sig, 1000));
        assert!(!k.check_presigned("123456789012/app/sha256:ac", 1000, &sig, 0));
        assert!(!k.check_presigned("123456789012/app/sha256:ab", 1001, &sig, 0));
        assert!(!k.check_presigned("123456789012/app/sha256:ab", 1000, "not base64!", 0));
        let other = TokenKey::derive(&[8u8; 32]);
        assert!(!other.check_presigned("123456789012/app/sha256:ab", 1000, &sig, 0));
    }

    fn claims(e: i64) -> Claims {
        Claims {
            account: "123456789012".into(),
            principal_id: 7,
            unique_id: "AIDAEXAMPLE".into(),
            expires_at: e,
            session: None,
        }
    }

    #[test]
    fn round_trip_expiry_and_forgery() {
        let key = TokenKey::derive(b"master key bytes");
        let pw = key.password(&claims(1000));
        assert_eq!(key.check(&pw, 999), Ok(claims(1000)));
        assert_eq!(key.check(&pw, 1000), Err(TokenError::Expired));
        // a role session's name travels in the token
        let role = Claims {
            session: Some("deploy".into()),
            ..claims(1000)
        };
        assert_eq!(key.check(&key.password(&role), 0), Ok(role));
        // another installation's key, a changed payload, a changed tag, junk
        let other = TokenKey::derive(b"another master key");
        assert_eq!(other.check(&pw, 0), Err(TokenError::Invalid));
        let (signed, tag) = pw.rsplit_once('.').unwrap();
        let forged_payload = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&Claims {
                principal_id: 1,
                ..claims(1000)
            })
            .unwrap(),
        );
        assert_eq!(
            key.check(&format!("v1.{forged_payload}.{tag}"), 0),
            Err(TokenError::Invalid)
        );
        let mut bad_tag = tag.to_string();
        bad_tag.replace_range(0..1, if tag.starts_with('A') { "B" } else { "A" });
        assert_eq!(
            key.check(&format!("{signed}.{bad_tag}"), 0),
            Err(TokenError::Invalid)
        );
        for junk in ["", "v1", "v1..", "v2.e30.AAAA", "AWS:abc"] {
            assert_eq!(key.check(junk, 0), Err(TokenError::Invalid), "{junk}");
        }
    }

    #[test]
    fn authorization_tokens_use_neither_plus_nor_slash() {
        let key = TokenKey::derive(b"k");
        for i in 0..2000 {
            let mut c = claims(1_700_000_000 + i);
            c.principal_id = i * 7919;
            c.unique_id = format!("AIDA{i:016}");
            let t = key.authorization_token(&c);
            assert!(!t.contains('+') && !t.contains('/'), "{t}");
            let text = String::from_utf8(STANDARD.decode(&t).unwrap()).unwrap();
            assert_eq!(text.matches(':').count(), 1);
            let (user, pw) = text.split_once(':').unwrap();
            assert_eq!(user, "AWS");
            assert_eq!(key.check(pw, 0).unwrap(), c);
        }
    }
}
