//! Repository management for the control plane: create with settings, list, delete, settings
//! and resource tags.

use berth_meta::{MetaError, NewRepository, Repository, TagMutability};
use berth_oci::RepositoryName;

use crate::{Registry, RegistryError, Result};

/// Most resource tags a repository may carry, as ECR.
pub const MAX_REPOSITORY_TAGS: usize = 50;

impl Registry {
    /// Create a repository. [`RegistryError::RepositoryExists`] when the name is taken.
    pub async fn create_repository(&self, new: &NewRepository) -> Result<Repository> {
        self.meta.ensure_account(&new.account_id).await?;
        match self.meta.create_repository_with(new).await {
            Ok(r) => Ok(r),
            Err(MetaError::RepositoryExists) => Err(RegistryError::RepositoryExists {
                repository: new.name.clone(),
                account: new.account_id.clone(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Repositories of `account` after `after`, at most `limit`, and whether more follow.
    pub async fn repositories_page(
        &self,
        account: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<Repository>, bool)> {
        let items = self
            .meta
            .repositories_page(account, after, limit + 1)
            .await?;
        Ok(crate::split_page(items, limit))
    }

    /// Delete a repository (with everything in it when `force`); returns it as it was.
    pub async fn delete_repository(
        &self,
        account: &str,
        name: &RepositoryName,
        force: bool,
    ) -> Result<Repository> {
        let repo = self.repository(account, name).await?;
        match self.meta.delete_repository(repo.id, force).await {
            Ok(()) => Ok(repo),
            Err(MetaError::RepositoryNotEmpty) => Err(RegistryError::RepositoryNotEmpty {
                repository: name.to_string(),
                account: account.to_string(),
            }),
            Err(MetaError::RepositoryNotFound) => Err(RegistryError::name_unknown(account, name)),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn set_tag_mutability(
        &self,
        account: &str,
        name: &RepositoryName,
        mutability: TagMutability,
        filters: &[String],
    ) -> Result<Repository> {
        let repo = self.repository(account, name).await?;
        self.meta
            .set_tag_mutability(repo.id, mutability, filters)
            .await?;
        self.repository(account, name).await
    }

    pub async fn set_scan_on_push(
        &self,
        account: &str,
        name: &RepositoryName,
        on: bool,
    ) -> Result<Repository> {
        let repo = self.repository(account, name).await?;
        self.meta.set_scan_on_push(repo.id, on).await?;
        self.repository(account, name).await
    }

    pub async fn repository_tags(
        &self,
        account: &str,
        name: &RepositoryName,
    ) -> Result<Vec<(String, String)>> {
        let repo = self.repository(account, name).await?;
        Ok(self.meta.repository_tags(repo.id).await?)
    }

    /// Add or overwrite resource tags; [`RegistryError::TooManyTags`] past 50.
    pub async fn tag_repository(
        &self,
        account: &str,
        name: &RepositoryName,
        tags: &[(String, String)],
    ) -> Result<()> {
        let repo = self.repository(account, name).await?;
        if self
            .meta
            .tag_repository(repo.id, tags, MAX_REPOSITORY_TAGS)
            .await?
        {
            Ok(())
        } else {
            Err(RegistryError::TooManyTags)
        }
    }

    pub async fn untag_repository(
        &self,
        account: &str,
        name: &RepositoryName,
        keys: &[String],
    ) -> Result<()> {
        let repo = self.repository(account, name).await?;
        Ok(self.meta.untag_repository(repo.id, keys).await?)
    }

    pub async fn account_setting(&self, account: &str, name: &str) -> Result<Option<String>> {
        Ok(self.meta.account_setting(account, name).await?)
    }

    pub async fn put_account_setting(&self, account: &str, name: &str, value: &str) -> Result<()> {
        self.meta.ensure_account(account).await?;
        Ok(self.meta.put_account_setting(account, name, value).await?)
    }
}
