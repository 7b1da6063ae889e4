//! Managing identities: accounts (each with its root principal), IAM users, and access keys (at
//! most two per principal, as AWS). `berth admin` calls these on the data directory, and the
//! server's admin API calls them for a root caller.

use berth_meta::PrincipalKind;
use berth_meta::{AccessKeyInfo, MetaError, Principal};
use rand::Rng;

pub use crate::admin_error::AdminError;
use crate::{generate_access_key_id, generate_secret, generate_unique_id, Iam};

pub use crate::admin_error::MAX_KEYS_PER_PRINCIPAL;

/// A new access key with its secret: shown once, never stored in clear.
pub struct NewAccessKey {
    pub principal: Principal,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub created_at: i64,
}

impl std::fmt::Debug for NewAccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccessKey")
            .field("principal", &self.principal)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// IAM's user name rule: `[\w+=,.@-]{1,64}`.
pub fn valid_user_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

fn valid_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

impl Iam {
    /// Create an account (a random ID unless given) with its root principal and a first root
    /// access key.
    pub async fn create_account(&self, id: Option<&str>) -> Result<NewAccessKey, AdminError> {
        let id = match id {
            Some(id) if valid_account_id(id) => id.to_string(),
            Some(id) => return Err(AdminError::InvalidAccountId(id.to_string())),
            None => {
                let mut rng = rand::rngs::OsRng;
                // AWS account IDs do not start with 0
                format!("{}", rng.gen_range(100_000_000_000u64..1_000_000_000_000))
            }
        };
        if !self.meta.create_account(&id).await? {
            return Err(AdminError::AccountExists(id));
        }
        let root = self
            .meta
            .create_principal(&id, PrincipalKind::Root, "root", &generate_unique_id())
            .await?;
        self.new_key(root).await
    }

    pub async fn accounts(&self) -> Result<Vec<(String, i64)>, AdminError> {
        Ok(self.meta.accounts().await?)
    }

    pub(crate) async fn account(&self, account: &str) -> Result<(), AdminError> {
        if self
            .meta
            .principal(account, PrincipalKind::Root, "root")
            .await?
            .is_none()
        {
            return Err(AdminError::NoSuchAccount(account.to_string()));
        }
        Ok(())
    }

    pub async fn create_user(&self, account: &str, name: &str) -> Result<Principal, AdminError> {
        self.create_user_at(account, name, "/").await
    }

    /// Create an IAM user under an IAM path (`/`, `/ci/`).
    pub async fn create_user_at(
        &self,
        account: &str,
        name: &str,
        path: &str,
    ) -> Result<Principal, AdminError> {
        if !valid_user_name(name) {
            return Err(AdminError::InvalidUserName);
        }
        crate::directory::check_path(path)?;
        self.account(account).await?;
        if self
            .meta
            .principal(account, PrincipalKind::User, name)
            .await?
            .is_some()
        {
            return Err(AdminError::UserExists(name.to_string()));
        }
        match self
            .meta
            .create_principal_at(
                account,
                PrincipalKind::User,
                name,
                path,
                &generate_unique_id(),
            )
            .await
        {
            Ok(p) => Ok(p),
            // created meanwhile by another caller
            Err(MetaError::Db(e))
                if e.as_database_error()
                    .is_some_and(|d| d.is_unique_violation()) =>
            {
                Err(AdminError::UserExists(name.to_string()))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn users(&self, account: &str) -> Result<Vec<(Principal, i64)>, AdminError> {
        self.account(account).await?;
        Ok(self.meta.principals(account, PrincipalKind::User).await?)
    }

    /// The user `name`, or with `None` the account's root.
    pub async fn principal(
        &self,
        account: &str,
        name: Option<&str>,
    ) -> Result<Principal, AdminError> {
        self.account(account).await?;
        let found = match name {
            None => {
                self.meta
                    .principal(account, PrincipalKind::Root, "root")
                    .await?
            }
            Some(n) => self.meta.principal(account, PrincipalKind::User, n).await?,
        };
        found.ok_or_else(|| AdminError::NoSuchUser(name.unwrap_or("root").to_string()))
    }

    pub async fn delete_user(&self, account: &str, name: &str) -> Result<(), AdminError> {
        let p = self.principal(account, Some(name)).await?;
        if !self.meta.delete_principal(p.id).await? {
            return Err(AdminError::DeleteConflict);
        }
        self.forget_verified();
        Ok(())
    }

    /// A new access key for user `name` (or the root with `None`).
    pub async fn create_access_key(
        &self,
        account: &str,
        name: Option<&str>,
    ) -> Result<NewAccessKey, AdminError> {
        let p = self.principal(account, name).await?;
        self.new_key(p).await
    }

    async fn new_key(&self, principal: Principal) -> Result<NewAccessKey, AdminError> {
        let access_key_id = generate_access_key_id();
        let secret_access_key = generate_secret();
        let sealed = self.master.seal(secret_access_key.as_bytes())?;
        if !self
            .meta
            .insert_access_key_limited(
                &access_key_id,
                principal.id,
                &sealed,
                MAX_KEYS_PER_PRINCIPAL,
            )
            .await?
        {
            return Err(AdminError::KeyLimit);
        }
        Ok(NewAccessKey {
            principal,
            access_key_id,
            secret_access_key,
            created_at: berth_meta::now_millis(),
        })
    }

    pub async fn access_keys(
        &self,
        account: &str,
        name: Option<&str>,
    ) -> Result<(Principal, Vec<AccessKeyInfo>), AdminError> {
        let p = self.principal(account, name).await?;
        let keys = self.meta.access_keys_of(p.id).await?;
        Ok((p, keys))
    }

    pub async fn set_access_key_status(
        &self,
        account: &str,
        key_id: &str,
        active: bool,
    ) -> Result<(), AdminError> {
        if !self
            .meta
            .set_access_key_status(account, key_id, active)
            .await?
        {
            return Err(AdminError::NoSuchKey(key_id.to_string()));
        }
        self.forget_verified();
        Ok(())
    }

    pub async fn delete_access_key(&self, account: &str, key_id: &str) -> Result<(), AdminError> {
        if !self.meta.delete_access_key(account, key_id).await? {
            return Err(AdminError::NoSuchKey(key_id.to_string()));
        }
        self.forget_verified();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn iam() -> (tempfile::TempDir, Iam) {
        let dir = tempfile::tempdir().unwrap();
        let meta = berth_meta::MetaStore::open_sqlite(&dir.path().join("m.db"))
            .await
            .unwrap();
        (dir, Iam::new(meta, crate::MasterKey::generate()))
    }

    #[tokio::test]
    async fn accounts_users_and_keys() {
        let (_d, iam) = iam().await;
        let root = iam.create_account(Some("111122223333")).await.unwrap();
        assert_eq!(root.principal.kind, PrincipalKind::Root);
        assert!(matches!(
            iam.create_account(Some("111122223333")).await,
            Err(AdminError::AccountExists(_))
        ));
        assert!(matches!(
            iam.create_account(Some("12")).await,
            Err(AdminError::InvalidAccountId(_))
        ));
        let generated = iam.create_account(None).await.unwrap();
        assert_eq!(generated.principal.account_id.len(), 12);
        // the root key authenticates
        let p = iam
            .authenticate_key(&root.access_key_id, &root.secret_access_key)
            .await
            .unwrap();
        assert_eq!(p.account_id, "111122223333");

        iam.create_user("111122223333", "alice").await.unwrap();
        assert!(matches!(
            iam.create_user("111122223333", "alice").await,
            Err(AdminError::UserExists(_))
        ));
        assert!(matches!(
            iam.create_user("111122223333", "bad name").await,
            Err(AdminError::InvalidUserName)
        ));
        assert!(matches!(
            iam.create_user("999999999999", "bob").await,
            Err(AdminError::NoSuchAccount(_))
        ));
        let k1 = iam
            .create_access_key("111122223333", Some("alice"))
            .await
            .unwrap();
        let k2 = iam
            .create_access_key("111122223333", Some("alice"))
            .await
            .unwrap();
        assert!(matches!(
            iam.create_access_key("111122223333", Some("alice")).await,
            Err(AdminError::KeyLimit)
        ));
        let (_, keys) = iam
            .access_keys("111122223333", Some("alice"))
            .await
            .unwrap();
        assert_eq!(keys.len(), 2);
        let p = iam
            .authenticate_key(&k1.access_key_id, &k1.secret_access_key)
            .await
            .unwrap();
        assert_eq!((p.kind, p.name.as_str()), (PrincipalKind::User, "alice"));

        // deactivated keys stop working at once in this process
        iam.set_access_key_status("111122223333", &k1.access_key_id, false)
            .await
            .unwrap();
        assert!(iam
            .authenticate_key(&k1.access_key_id, &k1.secret_access_key)
            .await
            .is_err());
        // another account cannot touch the key
        assert!(matches!(
            iam.delete_access_key(&generated.principal.account_id, &k2.access_key_id)
                .await,
            Err(AdminError::NoSuchKey(_))
        ));
        assert!(matches!(
            iam.delete_user("111122223333", "alice").await,
            Err(AdminError::DeleteConflict)
        ));
        iam.delete_access_key("111122223333", &k1.access_key_id)
            .await
            .unwrap();
        iam.delete_access_key("111122223333", &k2.access_key_id)
            .await
            .unwrap();
        iam.delete_user("111122223333", "alice").await.unwrap();
        assert!(iam.users("111122223333").await.unwrap().is_empty());
        let accounts: Vec<String> = iam
            .accounts()
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.0)
            .collect();
        assert!(accounts.contains(&"111122223333".to_string()));
    }
}
