//! Temporary credentials (STS GetSessionToken): an `ASIA…` key ID, a secret, and a session token
//! that carries both, sealed under the master key with the principal and the expiry. Nothing is
//! stored per session; any node with the master key can check one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use berth_meta::Principal;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::{generate_secret, AuthError, Iam};

/// GetSessionToken's bounds and default, in seconds, as STS.
pub const MIN_DURATION: i64 = 900;
pub const MAX_DURATION: i64 = 129_600;
pub const DEFAULT_DURATION: i64 = 43_200;

const PREFIX: &str = "Bs1.";

#[derive(Serialize, Deserialize)]
struct Sealed {
    k: String,
    s: String,
    p: i64,
    u: String,
    e: i64,
    /// The role session's name (AssumeRole); absent for GetSessionToken's sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    n: Option<String>,
}

/// A genuine, unexpired session: its principal (a role's for AssumeRole), secret, session name
/// and expiry.
pub struct Session {
    pub principal: Principal,
    pub secret: String,
    pub name: Option<String>,
    pub expires_at: i64,
}

/// Temporary credentials as GetSessionToken returns them.
pub struct SessionCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expires_at: i64,
}

impl std::fmt::Debug for SessionCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

fn session_key_id() -> String {
    const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = rand::rngs::OsRng;
    let tail: String = (0..16)
        .map(|_| BASE32[rng.gen_range(0..BASE32.len())] as char)
        .collect();
    format!("ASIA{tail}")
}

impl Iam {
    /// Temporary credentials for `principal`, valid `duration` seconds from `now`; `name` is the
    /// role session's name when `principal` is a role (AssumeRole).
    pub fn issue_session(
        &self,
        principal: &Principal,
        name: Option<&str>,
        duration: i64,
        now: i64,
    ) -> Result<SessionCredentials, AuthError> {
        let access_key_id = session_key_id();
        let secret_access_key = generate_secret();
        let expires_at = now + duration;
        let sealed = Sealed {
            k: access_key_id.clone(),
            s: secret_access_key.clone(),
            p: principal.id,
            u: principal.unique_id.clone(),
            e: expires_at,
            n: name.map(str::to_string),
        };
        let plain = serde_json::to_vec(&sealed).map_err(|_| AuthError::TokenInvalid)?;
        let session_token = format!(
            "{PREFIX}{}",
            URL_SAFE_NO_PAD.encode(self.master.seal(&plain)?)
        );
        Ok(SessionCredentials {
            access_key_id,
            secret_access_key,
            session_token,
            expires_at,
        })
    }

    /// The session of a token issued for `access_key_id`, if it is genuine and unexpired at
    /// `now` and its principal still exists.
    pub async fn session_secret(
        &self,
        token: &str,
        access_key_id: &str,
        now: i64,
    ) -> Result<Session, AuthError> {
        let sealed = token
            .strip_prefix(PREFIX)
            .and_then(|t| URL_SAFE_NO_PAD.decode(t).ok())
            .ok_or(AuthError::TokenInvalid)?;
        let plain = self
            .master
            .open(&sealed)
            .map_err(|_| AuthError::TokenInvalid)?;
        let s: Sealed = serde_json::from_slice(&plain).map_err(|_| AuthError::TokenInvalid)?;
        if s.k != access_key_id {
            return Err(AuthError::TokenInvalid);
        }
        if now >= s.e {
            return Err(AuthError::TokenExpired);
        }
        let principal = self
            .meta
            .principal_by_id(s.p)
            .await?
            .filter(|p| p.unique_id == s.u)
            .ok_or(AuthError::TokenInvalid)?;
        Ok(Session {
            principal,
            secret: s.s,
            name: s.n,
            expires_at: s.e,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn session_tokens_expire_and_bind_their_key() {
        let dir = tempfile::tempdir().unwrap();
        let meta = berth_meta::MetaStore::open_sqlite(&dir.path().join("m.db"))
            .await
            .unwrap();
        let iam = Iam::new(meta, crate::MasterKey::generate());
        let root = iam.create_account(Some("111122223333")).await.unwrap();
        let c = iam
            .issue_session(&root.principal, Some("build-42"), 900, 1_000)
            .unwrap();
        let s = iam
            .session_secret(&c.session_token, &c.access_key_id, 1_899)
            .await
            .unwrap();
        assert_eq!(
            (s.principal.id, s.secret, s.name.as_deref(), s.expires_at),
            (
                root.principal.id,
                c.secret_access_key.clone(),
                Some("build-42"),
                1_900
            )
        );
        assert!(matches!(
            iam.session_secret(&c.session_token, &c.access_key_id, 1_900)
                .await,
            Err(AuthError::TokenExpired)
        ));
        assert!(matches!(
            iam.session_secret(&c.session_token, "ASIAOTHEROTHEROTHER0", 1_000)
                .await,
            Err(AuthError::TokenInvalid)
        ));
        // another installation's master key cannot open it
        let other = Iam::new(
            berth_meta::MetaStore::open_sqlite(&dir.path().join("n.db"))
                .await
                .unwrap(),
            crate::MasterKey::generate(),
        );
        assert!(matches!(
            other
                .session_secret(&c.session_token, &c.access_key_id, 1_000)
                .await,
            Err(AuthError::TokenInvalid)
        ));
    }
}
