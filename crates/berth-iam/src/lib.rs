//! Identity: principals and access keys, secrets sealed at rest, and request authentication.
//!
//! Secret access keys are sealed with ChaCha20-Poly1305 under the installation's master key
//! before they reach the database (SigV4, in a later issue, needs the secret itself, so a hash
//! would not do). Secrets never appear in logs or `Debug` output.
//!
//! Depends on `berth-meta` for storage; knows nothing of HTTP.

pub mod admin;
mod admin_error;
pub mod authz;
pub mod directory;
mod keys;
pub mod policy;
pub mod resource_policy;
mod secret;
pub mod secrets_manager;
pub mod session;
pub mod sigv4;
pub mod token;

use berth_meta::PrincipalKind;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use berth_meta::{MetaError, MetaStore, Principal};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;

pub use keys::{
    generate_access_key_id, generate_secret, generate_unique_id, unique_id_with,
    valid_access_key_id,
};
pub use secret::{MasterKey, SecretError};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("unknown access key")]
    UnknownKey,
    #[error("the secret does not match the access key")]
    BadSecret,
    #[error("the access key is inactive")]
    Inactive,
    #[error("invalid credentials: {0}")]
    Invalid(&'static str),
    #[error("the registry token expired")]
    TokenExpired,
    #[error("the registry token is invalid")]
    TokenInvalid,
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Meta(#[from] MetaError),
}

/// Root credentials created at first start.
pub struct NewRootCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// `true` when Berth made them up (and must show them once), `false` when they came from the
    /// environment.
    pub generated: bool,
}

impl std::fmt::Debug for NewRootCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewRootCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("generated", &self.generated)
            .finish()
    }
}

/// How long a verified credential pair is remembered, to keep the hot path free of a database
/// read and a decryption per request.
const CACHE_TTL: Duration = Duration::from_secs(30);
const CACHE_MAX: usize = 10_000;

pub struct Iam {
    meta: MetaStore,
    master: MasterKey,
    tokens: token::TokenKey,
    verified: Mutex<HashMap<[u8; 32], (Principal, Instant)>>,
    policies: authz::PolicyCache,
}

impl Iam {
    pub fn new(meta: MetaStore, master: MasterKey) -> Self {
        Iam {
            meta,
            tokens: token::TokenKey::derive(master.as_bytes()),
            master,
            verified: Mutex::new(HashMap::new()),
            policies: authz::PolicyCache::default(),
        }
    }

    /// Make sure `account` has a root principal with an access key. Returns the credentials when
    /// it had to create them: those given (`from_env`) or freshly generated ones.
    pub async fn bootstrap_root(
        &self,
        account: &str,
        from_env: Option<(String, String)>,
    ) -> Result<Option<NewRootCredentials>, AuthError> {
        self.meta.ensure_account(account).await?;
        if self
            .meta
            .principal(account, PrincipalKind::Root, "root")
            .await?
            .is_some()
        {
            return Ok(None);
        }
        let (access_key_id, secret_access_key, generated) = match from_env {
            Some((id, secret)) => {
                if !valid_access_key_id(&id) {
                    return Err(AuthError::Invalid(
                        "BERTH_ROOT_ACCESS_KEY_ID must be 16 to 128 letters and digits",
                    ));
                }
                if secret.is_empty() || secret.len() > 128 {
                    return Err(AuthError::Invalid(
                        "BERTH_ROOT_SECRET_ACCESS_KEY must be 1 to 128 characters",
                    ));
                }
                (id, secret, false)
            }
            None => (generate_access_key_id(), generate_secret(), true),
        };
        let principal = self
            .meta
            .create_principal(account, PrincipalKind::Root, "root", &generate_unique_id())
            .await?;
        let sealed = self.master.seal(secret_access_key.as_bytes())?;
        self.meta
            .insert_access_key(&access_key_id, principal.id, &sealed)
            .await?;
        Ok(Some(NewRootCredentials {
            access_key_id,
            secret_access_key,
            generated,
        }))
    }

    /// The secret of an active access key, for protocols that need it (SigV4).
    pub async fn secret_for(&self, access_key_id: &str) -> Result<(Principal, String), AuthError> {
        let key = self
            .meta
            .access_key(access_key_id)
            .await?
            .ok_or(AuthError::UnknownKey)?;
        if !key.active {
            return Err(AuthError::Inactive);
        }
        let secret = self.master.open(&key.secret_sealed)?;
        let secret = String::from_utf8(secret).map_err(|_| SecretError::Corrupt)?;
        Ok((key.principal, secret))
    }

    /// Authenticate an access key ID and secret (HTTP Basic on `/v2/`).
    pub async fn authenticate_key(
        &self,
        access_key_id: &str,
        secret: &str,
    ) -> Result<Principal, AuthError> {
        let fingerprint: [u8; 32] = {
            let mut h = Sha256::new();
            h.update(access_key_id.as_bytes());
            h.update([0u8]);
            h.update(secret.as_bytes());
            h.finalize().into()
        };
        if let Some(p) = self.cached(&fingerprint) {
            return Ok(p);
        }
        let (principal, stored) = self.secret_for(access_key_id).await?;
        if !bool::from(stored.as_bytes().ct_eq(secret.as_bytes())) {
            return Err(AuthError::BadSecret);
        }
        let mut cache = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(fingerprint, (principal.clone(), Instant::now()));
        Ok(principal)
    }

    /// A registry token for `principal` (and its role session, if any), valid for 12 hours from
    /// `now` (epoch seconds) or until `not_after` (the temporary credentials' expiry) if sooner:
    /// the `authorizationToken` and its expiry.
    pub fn issue_token(
        &self,
        principal: &Principal,
        session: Option<&str>,
        not_after: Option<i64>,
        now: i64,
    ) -> (String, i64) {
        let mut expires_at = now + token::TOKEN_LIFETIME_SECS;
        if let Some(limit) = not_after {
            expires_at = expires_at.min(limit);
        }
        let claims = token::Claims {
            account: principal.account_id.clone(),
            principal_id: principal.id,
            unique_id: principal.unique_id.clone(),
            expires_at,
            session: session.map(str::to_string),
        };
        (self.tokens.authorization_token(&claims), expires_at)
    }

    /// The principal (and role session name) a registry token's password names, if the token is
    /// genuine, unexpired and its principal still exists.
    pub async fn authenticate_token(
        &self,
        password: &str,
        now: i64,
    ) -> Result<(Principal, Option<String>), AuthError> {
        let claims = self.tokens.check(password, now).map_err(|e| match e {
            token::TokenError::Expired => AuthError::TokenExpired,
            token::TokenError::Invalid => AuthError::TokenInvalid,
        })?;
        let fingerprint: [u8; 32] = {
            let mut h = Sha256::new();
            h.update(b"token\0");
            h.update(password.as_bytes());
            h.finalize().into()
        };
        if let Some(p) = self.cached(&fingerprint) {
            return Ok((p, claims.session));
        }
        let principal = self
            .meta
            .principal_by_id(claims.principal_id)
            .await?
            .filter(|p| p.unique_id == claims.unique_id && p.account_id == claims.account)
            .ok_or(AuthError::TokenInvalid)?;
        let mut cache = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(fingerprint, (principal.clone(), Instant::now()));
        Ok((principal, claims.session))
    }

    /// Sign `resource` (a blob, as `<account>/<repository>/<digest>`) for download without
    /// credentials until `expires` (epoch seconds): GetDownloadUrlForLayer's URLs.
    pub fn presign(&self, resource: &str, expires: i64) -> String {
        self.tokens.presign(resource, expires)
    }

    pub fn check_presigned(&self, resource: &str, expires: i64, signature: &str, now: i64) -> bool {
        self.tokens
            .check_presigned(resource, expires, signature, now)
    }

    /// Forget every remembered verification (after a key or user changed).
    fn forget_verified(&self) {
        self.verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    fn cached(&self, fingerprint: &[u8; 32]) -> Option<Principal> {
        let cache = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        match cache.get(fingerprint) {
            Some((p, at)) if at.elapsed() < CACHE_TTL => Some(p.clone()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn iam() -> (tempfile::TempDir, Iam) {
        let dir = tempfile::tempdir().unwrap();
        let meta = MetaStore::open_sqlite(&dir.path().join("m.db"))
            .await
            .unwrap();
        (dir, Iam::new(meta, MasterKey::generate()))
    }

    /// The generated root credentials of account 000000000000.
    async fn root_credentials(iam: &Iam) -> NewRootCredentials {
        iam.bootstrap_root("000000000000", None)
            .await
            .unwrap()
            .unwrap()
    }

    #[tokio::test]
    async fn generated_root_authenticates_once_created() {
        let (_d, iam) = iam().await;
        let creds = root_credentials(&iam).await;
        assert!(creds.generated);
        assert!(creds.access_key_id.starts_with("AKIA"));
        assert_eq!(creds.secret_access_key.len(), 40);
        assert!(!format!("{creds:?}").contains(&creds.secret_access_key));
        assert!(iam
            .bootstrap_root("000000000000", None)
            .await
            .unwrap()
            .is_none());
        let p = iam
            .authenticate_key(&creds.access_key_id, &creds.secret_access_key)
            .await
            .unwrap();
        assert_eq!(
            (p.kind.as_str(), p.account_id.as_str()),
            ("root", "000000000000")
        );
        // cached path gives the same answer
        assert_eq!(
            iam.authenticate_key(&creds.access_key_id, &creds.secret_access_key)
                .await
                .unwrap(),
            p
        );
        assert!(matches!(
            iam.authenticate_key(&creds.access_key_id, "wrong").await,
            Err(AuthError::BadSecret)
        ));
        assert!(matches!(
            iam.authenticate_key("AKIANOPENOPENOPENOPE", "x").await,
            Err(AuthError::UnknownKey)
        ));
    }

    #[tokio::test]
    async fn root_from_environment() {
        let (_d, iam) = iam().await;
        let creds = iam
            .bootstrap_root(
                "123456789012",
                Some((
                    "AKIAIOSFODNN7EXAMPLE".into(),
                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
                )),
            )
            .await
            .unwrap()
            .unwrap();
        assert!(!creds.generated);
        assert!(iam
            .authenticate_key(
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
            )
            .await
            .is_ok());
        assert!(matches!(
            iam.bootstrap_root("999999999999", Some(("bad id!".into(), "x".into())))
                .await,
            Err(AuthError::Invalid(_))
        ));
    }

    /// A page's decisions, made at once, are the decisions made one by one: a repository policy
    /// that denies, one that grants another account, none, and a registry policy.
    #[tokio::test]
    async fn page_decisions_match_single_ones() {
        use crate::authz::{caller_of, Request};
        use crate::policy::{Context, Decision};
        let (_d, iam) = iam().await;
        let creds = root_credentials(&iam).await;
        let root = iam
            .authenticate_key(&creds.access_key_id, &creds.secret_access_key)
            .await
            .unwrap();
        let names = ["p/open", "p/denied", "p/shared", "p/missing-policy"];
        for n in names {
            iam.meta.create_repository("000000000000", n).await.unwrap();
        }
        iam.set_repository_policy(
            "000000000000",
            "p/denied",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"ecr:DescribeRepositories"}]}"#,
        )
        .await
        .unwrap();
        iam.set_repository_policy(
            "000000000000",
            "p/shared",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"ecr:*"}]}"#,
        )
        .await
        .unwrap();
        let context = Context::new();
        let arn = |n: &str| format!("arn:aws:ecr:us-east-1:000000000000:repository/{n}");
        let caller = caller_of(&root, None);
        let base = Request {
            principal: &root,
            caller: &caller,
            action: "ecr:DescribeRepositories",
            account: "000000000000",
            repository: None,
            resource: "*",
            resource_policies: true,
            context: &context,
            proposed: None,
        };
        let check = |page: Vec<Decision>, singles: Vec<Decision>| {
            assert_eq!(page, singles);
            page
        };
        let mut singles = Vec::new();
        for n in names {
            let resource = arn(n);
            singles.push(
                iam.authorize(&Request {
                    repository: Some(n),
                    resource: &resource,
                    ..base
                })
                .await
                .unwrap(),
            );
        }
        let page = iam
            .authorize_repositories(&base, &names, arn)
            .await
            .unwrap();
        let page = check(page, singles);
        assert_eq!(
            page,
            [
                Decision::Allow,
                Decision::ExplicitDeny,
                Decision::Allow,
                Decision::Allow
            ]
        );
        // a registry policy that denies the action everywhere takes part in every decision
        iam.put_registry_policy(
            "000000000000",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"ecr:DescribeRepositories","Resource":"*"}]}"#,
        )
        .await
        .unwrap();
        let page = iam
            .authorize_repositories(&base, &names, arn)
            .await
            .unwrap();
        assert!(
            page.iter().all(|d| *d == Decision::ExplicitDeny),
            "{page:?}"
        );
    }
}
